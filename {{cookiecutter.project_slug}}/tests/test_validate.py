import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}.contract.reading import (
    MAX_EXAMPLES,
    NA_VALUES,
    UnreadableCsv,
    read_csv_text,
)
from {{ cookiecutter.package_name }}.contract.schema import Column, parse_schema
from {{ cookiecutter.package_name }}.contract.validate import (
    column_violations,
    find_violations,
    read_table,
    typed_frame,
    validate_file,
)
from {{ cookiecutter.package_name }}.errors import ContractViolation, ProjectError, UnreadableParquet

AGE = Column("age", "integer", nullable=False, min=0, max=120)


def text(*values):
    return pd.Series(values, dtype="str", name="age")


def rules(violations):
    return [(violation.column, violation.rule) for violation in violations]


def test_the_demo_data_meets_the_demo_contract(raw_csv, schema):
    before = raw_csv.read_bytes()
    validate_file(raw_csv, "schema.yaml", "data/validated.parquet", "reports/validation.json")

    assert raw_csv.read_bytes() == before
    report = json.loads(Path("reports/validation.json").read_text())
    assert report == {"valid": True, "rows": 400, "columns": 9, "violations": []}
    typed = pd.read_parquet("data/validated.parquet")
    assert list(typed.columns) == list(schema.columns)
    assert str(typed["customer_age"].dtype) == "int64"
    assert str(typed["monthly_charges"].dtype) == "float64"
    assert typed["region"].map(type).eq(str).all()
    assert typed["payment_method"].isna().any()


def test_valid_values_break_no_rule():
    assert column_violations(text("0", "3.0", "120"), AGE) == []


@pytest.mark.parametrize(
    ("values", "rule", "examples"),
    [
        (["1", "x", "2.5", "inf"], "dtype", ["x", "2.5", "inf"]),
        (["1", "-1", "121"], "out_of_range", ["-1", "121"]),
        (["1", None], "null", []),
        ([None, None], "all_null", []),
    ],
)
def test_each_rule_reports_count_and_examples(values, rule, examples):
    (violation,) = column_violations(text(*values), AGE)
    assert violation.rule == rule
    assert violation.examples == examples
    assert violation.count == max(len(examples), values.count(None))


# Whole numbers an int64 cannot hold, as a CSV may write them; int64's bounds and a plain one.
BEYOND_INT64 = ["1e20", "100000000000000000000", str(2**63), str(-(2**63) - 1)]
INT64_BOUNDS = [str(2**63 - 1), str(-(2**63)), "7"]


def test_whole_numbers_beyond_int64_break_the_dtype_rule():
    wide = Column("n", "integer", nullable=False)
    (violation,) = column_violations(text(*BEYOND_INT64, *INT64_BOUNDS), wide)
    assert (violation.rule, violation.count) == ("dtype", len(BEYOND_INT64))
    assert violation.examples == BEYOND_INT64
    assert violation.message == "not whole numbers within int64"


def test_a_nullable_column_may_miss_values_but_not_all():
    nullable = Column("age", "integer", nullable=True)
    assert column_violations(text("1", None), nullable) == []
    assert rules(column_violations(text(None, None), nullable)) == [("age", "all_null")]


def test_categories_apply_to_text_and_to_numbers():
    city = Column("city", "category", categories=("a", "b"))
    (violation,) = column_violations(pd.Series(["a", "c", "A"], dtype="str"), city)
    assert (violation.rule, violation.examples) == ("category", ["c", "A"])
    flag = Column("flag", "integer", categories=(0, 1))
    (violation,) = column_violations(pd.Series(["0", "1.0", "2"], dtype="str"), flag)
    assert (violation.rule, violation.examples) == ("category", ["2"])


def test_examples_are_distinct_and_capped_but_count_every_row():
    values = text(*[str(200 + i % 7) for i in range(70)])
    (violation,) = column_violations(values, AGE)
    assert violation.count == 70
    assert len(violation.examples) == MAX_EXAMPLES
    assert len(set(violation.examples)) == MAX_EXAMPLES


def test_find_violations_reports_missing_and_extra_columns():
    schema = parse_schema(
        {"target": "y", "columns": {"x": {"dtype": "float"}, "y": {"dtype": "float"}}}
    )
    frame = pd.DataFrame({"y": ["1"], "z": ["9"]}, dtype="str")
    assert rules(find_violations(frame, schema)) == [("x", "missing_column"), ("z", "extra_column")]


def test_typed_frame_uses_schema_dtypes_and_order():
    schema = parse_schema(
        {
            "target": "y",
            "columns": {
                "n": {"dtype": "integer", "nullable": True},
                "c": {"dtype": "category"},
                "y": {"dtype": "float"},
            },
        }
    )
    frame = pd.DataFrame({"y": ["1.5", "2"], "c": ["a", "b"], "n": ["1", None]}, dtype="str")
    typed = typed_frame(frame, schema)
    assert list(typed.columns) == ["n", "c", "y"]
    assert [str(dtype) for dtype in typed.dtypes] == ["Int64", "str", "float64"]
    assert typed["n"].isna().tolist() == [False, True]


def test_read_csv_text_keeps_text_as_written(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("\ufeffid,code\n1,007\n2,\n", encoding="utf-8")
    frame = read_csv_text(path)
    assert list(frame.columns) == ["id", "code"]
    assert frame["code"].tolist()[0] == "007"
    assert frame["code"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    "content",
    ["a,b\n1,2\n3,4,5\n", "a,b\n1,2,9\n3,4,5\n", 'a,b\n1,"2\n'],
    ids=["one long row", "every row one field longer", "unclosed quote"],
)
def test_rows_that_do_not_fit_the_header_are_refused_not_truncated(tmp_path, content):
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(UnreadableCsv) as raised:
        read_csv_text(path)
    assert raised.value.violation.rule == "csv_format"
    assert "header" in raised.value.fix


def test_the_arrow_reader_misses_the_cells_pandas_misses(tmp_path):
    # Missing-looking cells, spelled independently of NA_VALUES: pandas misses some of them.
    candidates = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"]
    candidates += ["1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
    candidates += ["na", "Null", "NONE", "-NAN", " NA", "NA ", "nil", "#n/a", "NaT", "<na>", "-"]
    path = tmp_path / "data.csv"
    path.write_text("row,value\n" + "".join(f"{i},{value}\n" for i, value in enumerate(candidates)))
    values = pd.read_csv(path, dtype=str)["value"]
    assert set(values.index[values.isna()].map(candidates.__getitem__)) == set(NA_VALUES)


def test_a_plain_csv_is_read_by_pyarrow_not_by_the_text_reader(raw_csv, schema):
    table = read_table(raw_csv, schema)
    assert table is not None
    assert table.num_rows == 400
    assert str(table.column("customer_age").type) == "double"


# --- a Parquet raw file -----------------------------------------------------------------------

SMALL_SCHEMA = """\
target: y
columns:
  n: {dtype: integer, nullable: false}
  x: {dtype: float, nullable: true}
  c: {dtype: category, nullable: true, categories: [a, b]}
  y: {dtype: integer, nullable: false, categories: [0, 1]}
"""


def validate_parquet(tmp_path, table_or_bytes, name="raw.parquet"):
    """(report, error) of validating a Parquet file holding the table (or the bytes)."""
    (tmp_path / "schema.yaml").write_text(SMALL_SCHEMA)
    source, report = tmp_path / name, tmp_path / "v.json"
    if isinstance(table_or_bytes, bytes):
        source.write_bytes(table_or_bytes)
    else:
        pq.write_table(table_or_bytes, source)
    with pytest.raises(ProjectError) as raised:
        validate_file(source, tmp_path / "schema.yaml", tmp_path / "out.parquet", report)
    assert not (tmp_path / "out.parquet").exists()
    return json.loads(report.read_text()), raised.value


def small_table(**replaced):
    columns = {
        "n": pa.array([1, 2, 3], pa.int64()),
        "x": pa.array([0.5, None, 2.0]),
        "c": pa.array(["a", "b", None]),
        "y": pa.array([0, 1, 1], pa.int8()),
    }
    return pa.table({**columns, **replaced})


@pytest.mark.parametrize(
    ("column", "values", "found", "wanted"),
    [
        ("n", pa.array([True, False, True]), "bool", "whole numbers (int64)"),
        ("x", pa.array([1, 2, 3], pa.date32()), "date32[day]", "numbers (float64)"),
        ("c", pa.array([b"a", b"b", b"a"]), "binary", "text (string)"),
        ("x", pa.array([[1.0], [2.0], []]), "list<element: double>", "numbers (float64)"),
    ],
    ids=["bool for integer", "date for float", "binary for category", "list for float"],
)
def test_a_parquet_column_of_a_type_the_contract_cannot_take_is_refused_whole(
    tmp_path, column, values, found, wanted
):
    table = small_table(**{column: values}, y=pa.array([0, 1, 7], pa.int8()))
    report, error = validate_parquet(tmp_path, table)
    assert isinstance(error, ContractViolation)
    rules_found = [(v["column"], v["rule"], v["count"]) for v in report["violations"]]
    assert (column, "parquet_type", 3) in rules_found
    assert rules_found[-1] == ("y", "category", 1)  # the other columns are still checked
    (refused,) = [v for v in report["violations"] if v["rule"] == "parquet_type"]
    assert refused["message"].startswith(f"the Parquet column is {found}; schema.yaml wants ")
    assert f"write it as {wanted}, or change its dtype in schema.yaml" in refused["message"]
    assert f"{column}: parquet_type in 3 rows: the Parquet column is {found}" in str(error)


def test_a_number_column_stored_as_text_is_checked_cell_by_cell(tmp_path):
    table = small_table(n=pa.array(["1", "two", " 3 "]), x=pa.array(["0.5", "", None]))
    report, _ = validate_parquet(tmp_path, table)
    assert report["violations"] == [
        {
            "column": "n",
            "rule": "dtype",
            "count": 1,
            "examples": ["two"],
            "message": "not whole numbers within int64",
        },
        {"column": "x", "rule": "dtype", "count": 1, "examples": [""], "message": "not numbers"},
    ]


def test_a_parquet_file_without_a_contract_column_names_it(tmp_path):
    report, error = validate_parquet(tmp_path, small_table().drop_columns(["x"]))
    assert report["violations"][0]["column"] == "x"
    assert report["violations"][0]["rule"] == "missing_column"
    assert "x: missing_column in 3 rows: column not in the file" in str(error)


@pytest.mark.parametrize(
    ("content", "rule", "message"),
    [
        (b"not a parquet file at all", "parquet_format", "cannot be read as Parquet: "),
        (b"", "parquet_format", "cannot be read as Parquet: "),
        (small_table().slice(0, 0), "no_rows", "the file has columns but no rows"),
        (
            pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["n", "n"]),
            "parquet_format",
            "columns named more than once: n",
        ),
    ],
    ids=["not Parquet", "empty", "no rows", "a name twice"],
)
def test_an_unreadable_parquet_file_is_refused_with_the_reason(tmp_path, content, rule, message):
    report, error = validate_parquet(tmp_path, content)
    assert isinstance(error, UnreadableParquet)
    assert [v["rule"] for v in report["violations"]] == [rule]
    assert message in str(error) and error.fix
    assert report["rows"] == 0 and not report["valid"]


def test_a_missing_parquet_file_is_refused_as_a_missing_csv_is(tmp_path):
    (tmp_path / "schema.yaml").write_text(SMALL_SCHEMA)
    with pytest.raises(ProjectError, match=r"raw.pq not found\n  fix: check the path"):
        validate_file(tmp_path / "raw.pq", tmp_path / "schema.yaml", tmp_path / "o", tmp_path / "r")


def test_the_index_pandas_writes_into_parquet_is_not_a_column(tmp_path):
    frame = small_table().to_pandas().set_index(pd.Index(["r1", "r2", "r3"], name="row"))
    frame.to_parquet(tmp_path / "raw.parquet")  # with its index
    (tmp_path / "schema.yaml").write_text(SMALL_SCHEMA)
    report = tmp_path / "v.json"
    validate_file(
        tmp_path / "raw.parquet", tmp_path / "schema.yaml", tmp_path / "o.parquet", report
    )
    assert json.loads(report.read_text())["columns"] == 4


# --- whole numbers beyond int64, CSV and Parquet ---------------------------------------------


def small_csv(tmp_path, cells):
    """A CSV of SMALL_SCHEMA's columns whose `n` holds the cells, and the schema beside it."""
    (tmp_path / "schema.yaml").write_text(SMALL_SCHEMA)
    path = tmp_path / "raw.csv"
    path.write_text("n,x,c,y\n" + "".join(f"{cell},0.5,a,1\n" for cell in cells))
    return path


def beyond_int64(examples):
    message = "not whole numbers within int64"
    return {
        "column": "n",
        "rule": "dtype",
        "count": len(examples),
        "examples": examples,
        "message": message,
    }


def test_a_csv_with_whole_numbers_beyond_int64_is_refused_naming_them_as_written(tmp_path):
    path = small_csv(tmp_path, [*BEYOND_INT64, *INT64_BOUNDS])
    output, report = tmp_path / "out.parquet", tmp_path / "v.json"
    with pytest.raises(ContractViolation, match="n: dtype in 4 rows: not whole numbers within"):
        validate_file(path, tmp_path / "schema.yaml", output, report)
    assert json.loads(report.read_text())["violations"] == [beyond_int64(BEYOND_INT64)]
    assert not output.exists()


@pytest.mark.parametrize("other", ["1", "1.0", "9223372036854775807.0"])
def test_int64s_bounds_validate_and_are_written_exactly(tmp_path, other):
    """Also beside a cell that makes pandas parse the column to float64, where the bounds are
    2**63 and -2**63: each cell is the whole number it writes."""
    path = small_csv(tmp_path, [*INT64_BOUNDS, other])
    validate_file(path, tmp_path / "schema.yaml", tmp_path / "out.parquet", tmp_path / "v.json")
    written = pd.read_parquet(tmp_path / "out.parquet")["n"]
    assert str(written.dtype) == "int64"
    assert written.tolist() == [2**63 - 1, -(2**63), 7, int(Decimal(other))]


def decimals(*values):
    return pa.array([Decimal(value) for value in values], pa.decimal128(20, 0))


@pytest.mark.parametrize(
    ("values", "examples"),
    [
        (pa.array([*BEYOND_INT64, *INT64_BOUNDS]), BEYOND_INT64),
        (pa.array([1e20, 2.0**63, -(2.0**63), 7.0]), ["1e+20", "9.223372036854776e+18"]),
        (pa.array([2**63, 2**63 - 1, 7], pa.uint64()), ["9223372036854775808"]),
        (decimals(-(2**63) - 1, 2**63 - 1, -(2**63)), ["-9223372036854775809"]),
    ],
    ids=["text", "float64", "uint64", "decimal"],
)
def test_a_parquet_column_beyond_int64_is_refused_naming_the_values_as_a_csv_has_them(
    tmp_path, values, examples
):
    rows = len(values)
    table = small_table(
        n=values, x=pa.array([0.5] * rows), c=pa.array(["a"] * rows), y=pa.array([1] * rows)
    )
    report, error = validate_parquet(tmp_path, table)
    assert isinstance(error, ContractViolation)
    assert report["violations"] == [beyond_int64(examples)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pa.array([2**63 - 1, -(2**63)], pa.int64()), [2**63 - 1, -(2**63)]),
        (pa.array([-(2.0**63), 7.0]), [-(2**63), 7]),  # 2**63 is no int64, -2**63 is
        (pa.array([2**63 - 1, 7], pa.uint64()), [2**63 - 1, 7]),
        (decimals(2**63 - 1, -(2**63)), [2**63 - 1, -(2**63)]),
    ],
    ids=["int64", "float64", "uint64", "decimal"],
)
def test_a_parquet_column_within_int64_validates_and_is_written_exactly(tmp_path, values, expected):
    (tmp_path / "schema.yaml").write_text(SMALL_SCHEMA)
    rows = len(values)
    table = small_table(
        n=values, x=pa.array([0.5] * rows), c=pa.array(["a"] * rows), y=pa.array([1] * rows)
    )
    pq.write_table(table, tmp_path / "raw.parquet")
    output = tmp_path / "out.parquet"
    validate_file(tmp_path / "raw.parquet", tmp_path / "schema.yaml", output, tmp_path / "v.json")
    assert pd.read_parquet(output)["n"].tolist() == expected
