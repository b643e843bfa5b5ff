"""The validate stage on an engine answers as the pyarrow path does: for the same Parquet file,
the same report (every rule, count and example), the same refusal message, and the validated
Parquet byte for byte. What an engine cannot check as the rules read text is refused, naming
the column and engine: pyarrow."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import SPARK_SETTINGS
from test_engine_equivalence import engine, on  # noqa: F401
from test_validate_equivalence import (
    SCHEMA,
    TABLE_CASES,
    TYPED_INVALID,
    TYPED_VALID,
    text_frame,
    typed,
)

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.contract import validate
from {{ cookiecutter.package_name }}.contract.schema import load_schema
from {{ cookiecutter.package_name }}.contract.validate import validate_file
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline import validate_on_engine
from {{ cookiecutter.package_name }}.pipeline.validate_on_engine import engine_checker

pytestmark = pytest.mark.engines  # pyproject.toml's markers say why


def answers(tmp_path, source, checker=None):
    """(report, validated Parquet's bytes or None, error text or None)."""
    output, report = tmp_path / "out.parquet", tmp_path / "report.json"
    error = None
    try:
        validate_file(source, tmp_path / "schema.yaml", output, report, checker)
    except ProjectError as raised:
        error = str(raised)
    written = report.read_text() if report.exists() else None
    return written, output.read_bytes() if output.exists() else None, error


def both(tmp_path, frame, params, engine):  # noqa: F811
    (tmp_path / "schema.yaml").write_text(SCHEMA)
    source = tmp_path / "raw.parquet"
    if isinstance(frame, pa.Table):
        pq.write_table(frame, source, row_group_size=700)
    else:
        frame.to_parquet(source, index=False)
    expected = answers(tmp_path, source)
    return expected, answers(tmp_path, source, engine_checker(on(params, engine)))


def refused_columns(frame, schema_path):
    """The schema's columns, in its order, of a dtype the engines refuse to check: numbers held
    as text or as numbers other than int64/float64's, a category held as non-whole numbers."""
    found = []
    for name, column in load_schema(schema_path).columns.items():
        dtype = str(frame[name].dtype) if name in frame else None
        if column.is_numeric:
            refused = dtype in ("object", "str", "string", "float32", "uint64", "bool")
        else:
            refused = dtype is not None and (dtype.startswith("float") or dtype == "bool")
        found += [name] if refused else []
    return found


CASES = {
    **{case: lambda tmp_path, case=case: typed(text_frame(tmp_path, case)) for case in TABLE_CASES},
    "typed invalid": lambda tmp_path: TYPED_INVALID,
    "typed valid": lambda tmp_path: TYPED_VALID,
}


@pytest.mark.parametrize("case", CASES)
def test_a_parquet_file_validates_alike_on_the_engine(tmp_path, case, project_params, engine):  # noqa: F811
    frame = CASES[case](tmp_path)
    expected, found = both(tmp_path, frame, project_params, engine)
    refused = refused_columns(frame, tmp_path / "schema.yaml")
    if refused:
        assert found[0] is None and found[1] is None, "nothing is written for a refused file"
        assert f"{refused[0]} is " in found[2] and "engine: pyarrow" in found[2], found[2]
    else:
        assert found == expected


def many_rows(rows=5000, seed=7):
    """Typed columns breaking every rule the engines count, in row groups of 700: nulls, NaNs,
    fractions, infinities, ties, values outside the range, unseen categories, a category
    column of whole numbers, an extra column, and `spare` missing in every row."""
    rng = np.random.default_rng(seed)
    age = rng.integers(-3, 125, rows).astype(float)
    age[rng.random(rows) < 0.01] = np.nan
    age[[5, 4000, 4001]] = [2.5, np.inf, 1e20]  # 1e20: whole, but beyond int64
    score = np.round(rng.normal(0, 6, rows), 1)  # ties, and values beyond [-10, 10]
    score[[7, 8, 9]] = [np.nan, -np.inf, -0.0]
    cities = np.array(["north", "south", "east, west", "central", None], dtype=object)
    city = cities[rng.integers(0, 5, rows)]
    return pa.table(
        {
            "cust": pa.array([f"c{i}" for i in range(rows)]),
            "age": pa.array(age, pa.float64(), from_pandas=True),
            "visits": pa.array(rng.integers(0, 9, rows), pa.int64()),
            "score": pa.array(score, pa.float64()),  # NaN, not null: as Spark writes it
            "ratio": pa.array(rng.random(rows)),
            "city": pa.array(city, pa.string()).dictionary_encode(),
            "note": pa.array(rng.integers(0, 4, rows), pa.int32()),
            "spare": pa.nulls(rows, pa.float64()),
            "y": pa.array(rng.integers(0, 3, rows), pa.int64()),
            "extra": pa.array(np.where(rng.random(rows) < 0.5, np.nan, rng.random(rows))),
        }
    )


def test_many_rows_breaking_every_rule_are_reported_alike(
    tmp_path,
    project_params,
    engine,  # noqa: F811
    monkeypatch,
):
    expected, found = both(tmp_path, many_rows(), project_params, engine)
    report = yaml.safe_load(expected[0])
    rules = {(item["column"], item["rule"]) for item in report["violations"]}
    assert {("age", "dtype"), ("age", "out_of_range"), ("score", "out_of_range")} <= rules
    assert {("city", "category"), ("y", "category"), ("spare", "all_null")} <= rules
    assert ("extra", "extra_column") in rules
    assert found == expected


def test_numbers_stored_as_integers_validate_alike(tmp_path, project_params, engine):  # noqa: F811
    """A float column stored as int32 and an integer one as int16: the type checks such storage
    cannot fail are skipped, and the report (examples as the contract types them) and the
    written file are pyarrow's."""
    table = many_rows()
    score = table.column("score").to_numpy(zero_copy_only=False) * 3
    score = np.round(np.where(np.isinf(score), np.nan, score))
    ages = table.column("age").to_numpy(zero_copy_only=False)
    ages = np.where(np.isinf(ages) | (np.abs(ages) > 200), np.nan, ages)
    table = table.set_column(3, "score", pa.array(score, pa.int32(), from_pandas=True))
    table = table.set_column(1, "age", pa.array(np.round(ages), pa.int16(), from_pandas=True))
    expected, found = both(tmp_path, table, project_params, engine)
    report = yaml.safe_load(expected[0])
    rules = {(item["column"], item["rule"]) for item in report["violations"]}
    assert {("age", "out_of_range"), ("score", "out_of_range")} <= rules
    assert ("age", "dtype") not in rules
    assert found == expected


def test_the_written_parquet_is_the_same_bytes_across_row_groups(
    tmp_path,
    project_params,
    engine,  # noqa: F811
    monkeypatch,
):
    """Valid data of 5,000 rows, in row groups of 1,000 streamed 700 rows at a time, with NaNs
    stored as values (written as missing) in an integer and a float column."""
    monkeypatch.setattr(validate, "ROW_GROUP_ROWS", 1000)
    monkeypatch.setattr(validate_on_engine, "STREAM_ROWS", 700)
    table = many_rows().drop_columns(["extra", "score", "y"])
    whole = np.where(np.arange(5000) % 7 == 0, np.nan, np.arange(5000) % 9)
    valid = {
        "age": pa.array(np.arange(5000) % 121, pa.int64()),
        "visits": pa.array(whole, pa.float64()),
        "city": pa.array(np.array(["north", "south", None] * 1667)[:5000], pa.string()),
        "spare": pa.array(np.where(np.arange(5000) % 5 == 0, np.nan, -0.0), pa.float64()),
    }
    for name, values in valid.items():
        table = table.set_column(table.column_names.index(name), name, values)
    schema = SCHEMA.replace("  score: {dtype: float, nullable: true, min: -10.0, max: 10.0}\n", "")
    schema = schema.replace("  y: {dtype: integer, nullable: false, categories: [0, 1]}\n", "")
    schema = schema.replace("target: y", "target: age")
    (tmp_path / "schema.yaml").write_text(schema)
    source = tmp_path / "raw.parquet"
    pq.write_table(table, source, row_group_size=700)
    expected = answers(tmp_path, source)
    assert expected[1] is not None, expected[2]
    assert pq.ParquetFile(pa.BufferReader(expected[1])).num_row_groups == 5
    assert answers(tmp_path, source, engine_checker(on(project_params, engine))) == expected


def test_a_float32_number_column_is_refused_naming_the_way_out(tmp_path, project_params, engine):  # noqa: F811
    frame = TYPED_VALID.assign(
        ratio=TYPED_VALID["ratio"].astype("float64"), spare=np.arange(8, dtype="float32")
    ).assign(note=["a"] * 8)
    expected, found = both(tmp_path, frame, project_params, engine)
    assert expected[1] is not None
    assert found == (None, None, found[2])
    assert "spare is float in the file" in found[2]
    assert "engine: pyarrow" in found[2]


def test_the_command_validates_parquet_on_the_engine_and_csv_with_pyarrow(
    workspace,
    raw_csv,
    caplog,
    engine,  # noqa: F811
):
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params |= {"engine": engine, "spark": SPARK_SETTINGS.model_dump()}
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))
    parquet = raw_csv.with_suffix(".parquet")
    pd.read_csv(raw_csv).to_parquet(parquet, index=False)
    with caplog.at_level("INFO"):
        assert main(["validate", str(parquet)]) == 0
        assert main(["validate", str(raw_csv)]) == 0
    label = {"duckdb": "DuckDB", "spark": "Spark"}[engine]
    assert f"checking {parquet} on {label}" in caplog.text
    assert "is CSV: validated by pyarrow" in caplog.text


def test_a_category_column_of_whole_numbers_is_compared_as_text(
    tmp_path,
    project_params,
    engine,  # noqa: F811
):
    """Its cells are text to the contract: 1 is not '01', and a text category is no number."""
    frame = TYPED_VALID.assign(
        ratio=TYPED_VALID["ratio"].astype("float64"),
        spare=np.arange(8, dtype="float64"),
        note=pd.array([1, 2, 2, 5, None, 2, 2, 2], "Int64"),
    )
    schema = SCHEMA.replace(
        "  note: {dtype: category, nullable: true}",
        "  note: {dtype: category, nullable: true, categories: ['01', x, 2]}",
    )
    source = tmp_path / "raw.parquet"
    frame.to_parquet(source, index=False)
    (tmp_path / "schema.yaml").write_text(schema)
    expected = answers(tmp_path, source)
    found = {(v["column"], v["rule"]): v for v in yaml.safe_load(expected[0])["violations"]}
    assert found[("note", "category")]["examples"] == ["1", "5"]
    assert answers(tmp_path, source, engine_checker(on(project_params, engine))) == expected
