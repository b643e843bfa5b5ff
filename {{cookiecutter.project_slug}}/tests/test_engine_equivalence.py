"""The engines count what the pyarrow path counts: the same drift check on the same current
data gives the same drift.json whichever engine params.yaml names (nulls, ties, values outside
the reference and the contract, unseen categories, an empty row group, two files), and the
same refusal for data of the wrong type."""

import contextlib
import importlib.util
import json
import threading
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import IN_CI, SPARK_SETTINGS
from test_drift_equivalence import demo_like, workspace, write_parquet  # noqa: F401

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.drift import check
from {{ cookiecutter.package_name }}.drift.tails import FRACTION_BITS, TailSum, fixed_point_parts
from {{ cookiecutter.package_name }}.engines import read_ahead
from {{ cookiecutter.package_name }}.errors import CouldNotCheck
from {{ cookiecutter.package_name }}.pipeline import ranks
from {{ cookiecutter.package_name }}.pipeline.profile import profile_file

pytestmark = pytest.mark.engines  # pyproject.toml's markers say why

ENGINES = ["duckdb", "spark"]


@pytest.fixture(params=ENGINES)
def engine(request, project_params):
    """Each engine; Spark in the session the spark fixture made (one JVM per test process).
    `make setup` installs only the engine params.yaml names: another one's tests skip, and
    fail in CI only for the project's own engine."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    elif importlib.util.find_spec(request.param) is None:
        if IN_CI and project_params.engine == request.param:
            pytest.fail(f"CI must run the {request.param} engine's tests: it is not installed")
        pytest.skip(f"{request.param} is not installed: `make setup` installs params.yaml's engine")
    return request.param


def on(params, engine):
    """params naming `engine` (Spark with the shared session's settings)."""
    return params.model_copy(update={"engine": engine, "spark": SPARK_SETTINGS})


def check_with(params, engine, current, output):
    """drift.json of the check on `current` with `engine`."""
    with contextlib.suppress(CouldNotCheck):  # drift.json says why
        check.run_check(on(params, engine), str(current), "2030-01-01", None, output)
    return json.loads((output / "drift.json").read_text(encoding="utf-8"))


def each_engine(params, engine, current, tmp_path):
    """{engine: drift.json} of pyarrow and `engine`."""
    return {
        name: check_with(params, name, current, tmp_path / name) for name in ("pyarrow", engine)
    }


def test_typed_parquet_gives_the_same_drift_json(workspace, tmp_path, engine):  # noqa: F811
    params, schema = workspace
    current = tmp_path / "current"
    current.mkdir()
    for seed in (1, 2):
        write_parquet(demo_like(schema, seed), schema, current / f"part-{seed}.parquet")
    documents = each_engine(params, engine, current, tmp_path)
    expected = documents["pyarrow"]
    assert expected["status"] != "could_not_check", expected["problem"]
    assert expected["contract"]  # the data breaks the contract in several ways
    assert documents[engine] == expected


def test_nans_stored_as_values_are_missing_alike(workspace, tmp_path, engine):  # noqa: F811
    """Spark, DuckDB and Arrow write a float's NaN as a value, not a null (pandas writes a
    null); Parquet's min/max statistics leave it out, which an engine must not trust."""
    params, schema = workspace
    frame = demo_like(schema, 5)
    arrays = {}
    for name, column in schema.columns.items():
        if column.dtype == "float":
            arrays[name] = pa.array(frame[name].astype(float).to_numpy(), pa.float64())
        elif column.dtype == "integer":
            arrays[name] = pa.array(frame[name].astype(float), pa.int64(), from_pandas=True)
        else:
            arrays[name] = pa.array(frame[name], pa.string(), from_pandas=True)
    floats = [values for values in arrays.values() if values.type == pa.float64()]
    assert any(pc.any(pc.is_nan(values)).as_py() for values in floats)
    current = tmp_path / "current"
    current.mkdir()
    pq.write_table(pa.table(arrays), current / "part-1.parquet", row_group_size=500)
    documents = each_engine(params, engine, current, tmp_path)
    assert documents["pyarrow"]["status"] != "could_not_check", documents["pyarrow"]["problem"]
    assert documents[engine] == documents["pyarrow"]


def test_numbers_stored_as_integers_are_checked_alike(workspace, tmp_path, engine):  # noqa: F811
    """Float columns stored as int32 and integer columns as int16: the engines skip the type
    checks such storage cannot fail, and find the rest (nulls, ranges, categories) alike,
    with examples written as the contract types them."""
    params, schema = workspace
    frame = demo_like(schema, 7)
    arrays = {}
    for name, column in schema.columns.items():
        if column.is_numeric and column.dtype != "category":
            stored = pa.int32() if column.dtype == "float" else pa.int16()
            arrays[name] = pa.array(frame[name].astype(float).round(), stored, from_pandas=True)
        else:
            arrays[name] = pa.array(frame[name].astype(object), pa.string(), from_pandas=True)
    current = tmp_path / "current"
    current.mkdir()
    pq.write_table(pa.table(arrays), current / "part-1.parquet", row_group_size=700)
    documents = each_engine(params, engine, current, tmp_path)
    expected = documents["pyarrow"]
    assert expected["status"] != "could_not_check", expected["problem"]
    floats = {name for name, column in schema.columns.items() if column.dtype == "float"}
    found = {(item["column"], item["rule"]) for item in expected["contract"]}
    assert any((name, "out_of_range") in found for name in floats), found
    assert documents[engine] == expected


def test_values_of_the_wrong_type_are_refused_alike(workspace, tmp_path, engine):  # noqa: F811
    """Fractions in an integer column of the second of two files: the same message, naming
    that file and its count (each file fits in one chunk of the pyarrow path)."""
    params, schema = workspace
    name = next(name for name, column in schema.columns.items() if column.dtype == "integer")
    current = tmp_path / "current"
    current.mkdir()
    write_parquet(demo_like(schema, 3), schema, current / "part-1.parquet")
    frame = demo_like(schema, 4)
    frame.loc[[100, 900, 901], name] = [2.5, 7.25, 2.5]
    table = pa.Table.from_pandas(frame.astype({name: "float64"}), preserve_index=False)
    pq.write_table(table, current / "part-2.parquet")
    drift = params.drift.model_copy(update={"chunk_rows": 10_000})
    documents = each_engine(params.model_copy(update={"drift": drift}), engine, current, tmp_path)
    expected = documents["pyarrow"]
    assert expected["status"] == "could_not_check"
    assert "part-2.parquet breaks the data contract" in expected["problem"]
    assert "dtype in 3 rows" in expected["problem"]
    assert documents[engine] == expected


@pytest.mark.parametrize(
    ("arrow_type", "values", "refusal"),
    [
        (pa.float64(), [2.0**63, 1e20, -(2.0**63)], "dtype in 2 rows: not whole numbers within"),
        (pa.float64(), [-(2.0**63)], None),
        (pa.decimal128(20, 0), [2**63 - 1, 2**63, -(2**63) - 1, -(2**63)], "dtype in 2 rows: "),
        (pa.decimal128(20, 0), [2**63 - 1, -(2**63)], None),
    ],
    ids=["float64 beyond", "float64 within", "decimal beyond", "decimal within"],
)
def test_whole_numbers_beyond_int64_are_found_alike(
    workspace,  # noqa: F811
    tmp_path,
    engine,
    arrow_type,
    values,
    refusal,
):
    """The bounds as the pyarrow path takes them: as float64, 2**63 is no int64 (Spark's cast
    makes it 2**63 - 1) and -2**63 is; decimals (uint64 as Spark reads it) are exact. The
    values within int64 are out of the column's range, which the engines also say alike."""
    params, schema = workspace
    name = next(name for name, column in schema.columns.items() if column.dtype == "integer")
    current = tmp_path / "current"
    current.mkdir()
    write_parquet(demo_like(schema, 5), schema, current / "part-1.parquet")
    table = pq.read_table(current / "part-1.parquet")
    cells = table.column(name).to_pylist()
    cells[100 : 100 + len(values)] = values
    exact = [None if cell is None else Decimal(int(cell)) for cell in cells]
    column = pa.array(exact if pa.types.is_decimal(arrow_type) else cells, arrow_type)
    table = table.set_column(table.schema.get_field_index(name), name, column)
    pq.write_table(table, current / "part-1.parquet")
    documents = each_engine(params, engine, current, tmp_path)
    expected = documents["pyarrow"]
    if refusal:
        assert refusal in expected["problem"]
    else:
        assert expected["status"] != "could_not_check", expected["problem"]
    assert documents[engine] == expected


def test_files_with_different_columns_are_refused(workspace, tmp_path, engine):  # noqa: F811
    """A column missing from one file would read as missing values there (DuckDB's
    union_by_name): every engine refuses, naming the files and the column, as pyarrow does."""
    params, schema = workspace
    name = next(name for name in schema.features)
    current = tmp_path / "current"
    current.mkdir()
    write_parquet(demo_like(schema, 6), schema, current / "part-1.parquet")
    table = pq.read_table(current / "part-1.parquet").drop_columns([name])
    pq.write_table(table, current / "part-2.parquet")
    documents = each_engine(params, engine, current, tmp_path)
    assert documents["pyarrow"]["status"] == "could_not_check"
    assert documents[engine]["status"] == "could_not_check"
    assert (
        f"part-2.parquet and {current / 'part-1.parquet'} have different columns ({name})"
        in (documents[engine]["problem"])
    )


# The names each engine gives its own columns of a row's file and position (or reads them from).
OWN_COLUMNS = {
    "duckdb": ["_file", "_row", "filename", "file_row_number"],
    "spark": ["_file", "_row", "_metadata"],
}


def test_a_column_named_as_an_engines_own_is_refused(workspace, tmp_path, engine):  # noqa: F811
    """A data column named as one the engine adds would be confused with it: refused, naming
    the file, the column and the way out. The pyarrow path adds none and checks the file."""
    params, schema = workspace
    frame = demo_like(schema, 8)
    for name in OWN_COLUMNS[engine]:
        current = tmp_path / name / "current"
        current.mkdir(parents=True)
        write_parquet(frame, schema, current / "part-1.parquet")
        table = pq.read_table(current / "part-1.parquet")
        table = table.append_column(name, pa.array(range(table.num_rows), pa.int64()))
        pq.write_table(table, current / "part-1.parquet")
        documents = each_engine(params, engine, current, tmp_path / name)
        assert documents["pyarrow"]["status"] != "could_not_check", documents["pyarrow"]
        problem = documents[engine]["problem"]
        assert f"part-1.parquet has a column named {name!r}" in problem, problem
        assert "engine: pyarrow" in documents[engine]["fix"], documents[engine]


def test_reading_ahead_keeps_the_order_the_errors_and_stops_with_the_reader():
    def items(fail_after=None):
        for number in range(5):
            if number == fail_after:
                raise OSError("the file went away")
            yield number

    assert list(read_ahead(items())) == [0, 1, 2, 3, 4]
    read = []
    with pytest.raises(OSError, match="went away"):
        for item in read_ahead(items(fail_after=3)):
            read.append(item)
    assert read == [0, 1, 2]  # the error comes where its item would have
    before = threading.active_count()
    ahead = read_ahead(items())
    assert next(ahead) == 0
    ahead.close()  # a reader that stops early
    assert threading.active_count() == before


def test_tail_sums_do_not_depend_on_the_order_of_the_values():
    rng = np.random.default_rng(5)
    distances = np.concatenate([rng.exponential(3.0, 10_000), [1e-30, 7e5, 0.0]])
    sums = []
    for order in (distances, distances[::-1], rng.permutation(distances)):
        tail = TailSum()
        for part in np.array_split(order, 7):
            tail.add_distances(part, 1.7)
        sums.append(tail.value(1.7))
    assert sums[0] == sums[1] == sums[2]
    exact = sum(float(value) / 1.7 for value in distances) * 1.7
    assert sums[0] == pytest.approx(exact, rel=1e-12)


def test_a_distance_beyond_two_to_the_eighty_units_makes_the_sum_infinite():
    parts, far = fixed_point_parts(np.array([1.0, 2.0**81, np.inf]), 1.0)
    assert far == 2
    assert sum(part << (30 * index) for index, part in enumerate(parts)) == 2**FRACTION_BITS
    tail = TailSum()
    tail.add(parts, far)
    assert tail.value(1.0) == float("inf")


def profile_with(params, engine):
    profile_file(on(params, engine))
    return json.loads(paths.PROFILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("keep_budget", [ranks.KEEP_BUDGET, 40], ids=["budget", "cuts"])
def test_the_profile_is_the_same_on_every_engine(workspace, engine, keep_budget, monkeypatch):  # noqa: F811
    """Edges, counts, nulls and categories equal to the float; mean and std to 1e-12. The
    split is read in chunks of 700 rows (so the edges take the later passes), and a tiny
    keep budget makes RankSearch cut bins (more passes)."""
    params, _ = workspace
    settings = params.profile.model_copy(update={"chunk_rows": 700})
    params = params.model_copy(update={"profile": settings})
    monkeypatch.setattr(ranks, "KEEP_BUDGET", keep_budget)
    expected, found = profile_with(params, "pyarrow"), profile_with(params, engine)
    for name, column in expected["columns"].items():
        for key in ("mean", "std"):
            if column.get(key) is not None:
                assert found["columns"][name][key] == pytest.approx(column[key], rel=1e-12)
                found["columns"][name][key] = column[key]
    assert found == expected
