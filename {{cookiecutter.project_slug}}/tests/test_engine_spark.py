"""The Spark engine's pieces (engines/spark.py) against the pyarrow path's own: bin_counts
against pipeline/profile.py's bin_count_array, read_files' file and row numbers against
pyarrow's reading of the same files. The `spark` fixture starts one JVM per test process."""

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as arrow_csv
import pyarrow.parquet as pq
import pytest
from conftest import SPARK_SETTINGS

from {{ cookiecutter.package_name }}.binning import bin_count_array
from {{ cookiecutter.package_name }}.engines import spark as engine
from {{ cookiecutter.package_name }}.engines import spark_executors
from {{ cookiecutter.package_name }}.errors import CouldNotCheck, ProjectError
from {{ cookiecutter.package_name }}.params import SparkParams

pytestmark = pytest.mark.engines  # pyproject.toml's markers say why

ROWS = 300
SEEDS = range(8)
ZERO_DOWN, ZERO_UP = np.nextafter(0.0, -1.0), np.nextafter(0.0, 1.0)
ONE_DOWN, ONE_UP = np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0)
# Every value a bin's boundary can get wrong, and a missing one.
AWKWARD = [-np.inf, -1.0, ZERO_DOWN, -0.0, 0.0, ZERO_UP, 0.5, ONE_DOWN, 1.0, ONE_UP, 2.0]
AWKWARD += [np.inf, np.nan, None]
NAMED_EDGES = {
    "ties_and_neighbours": [0.0, 1.0, 2.0],
    "zero_edge": [0.0],
    "negative_zero_edge": [-0.0, 1.0],
    "minus_inf_edge": [-np.inf, 0.0, 1.0],
    "plus_inf_edge": [0.0, 1.0, np.inf],
    "both_inf_edges": [-np.inf, np.inf],
    "only_plus_inf": [np.inf],
    "single_edge": [0.5],
    "no_edges": [],
}


def expected_counts(column, edges):
    values = column.drop_null().to_numpy(zero_copy_only=False).astype(float)
    return bin_count_array(values[~np.isnan(values)], edges)


def assert_counts_match(spark, table, edges, folder):
    """bin_counts of the table's columns, read by Spark from Parquet, against numpy's; returns
    Spark's frame."""
    pq.write_table(table, folder / "values.parquet")
    frame = spark.read.parquet(str(folder / "values.parquet"))
    counted = engine.bin_counts(frame, edges)
    assert list(counted) == list(edges)
    for name, own in edges.items():
        assert counted[name].dtype == np.int64
        np.testing.assert_array_equal(counted[name], expected_counts(table[name], own), name)
    return frame


def random_edges(rng):
    # Rounded: the drawn values then land on edges; -0.0 edges come from rounding too.
    edges = np.unique(np.round(rng.normal(0, 2, rng.integers(1, 30)), 1))
    if rng.random() < 0.3:
        edges = np.concatenate([[-np.inf], edges])
    if rng.random() < 0.3:
        edges = np.concatenate([edges, [np.inf]])
    return edges if rng.random() < 0.9 else edges[:0]


def random_column(rng, edges):
    finite = edges[np.isfinite(edges)]
    near = [finite, np.nextafter(finite, -np.inf), np.nextafter(finite, np.inf)]
    pool = np.concatenate([*near, [0.0, -0.0, np.inf, -np.inf, np.nan], rng.normal(0, 2, 50)])
    return pa.array(rng.choice(pool, ROWS), mask=rng.random(ROWS) < 0.1)


def test_bin_counts_match_bin_count_array_on_random_columns(spark, tmp_path):
    columns, edges = {}, {}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        edges[f"float{seed}"] = random_edges(rng)
        columns[f"float{seed}"] = random_column(rng, edges[f"float{seed}"])
        edges[f"int{seed}"] = np.unique(rng.integers(-4, 4, 5) + rng.choice([0, 0.5], 5))
        columns[f"int{seed}"] = pa.array(rng.integers(-5, 5, ROWS), mask=rng.random(ROWS) < 0.1)
    assert_counts_match(spark, pa.table(columns), edges, tmp_path)


def test_bin_counts_get_every_boundary_right(spark, tmp_path):
    edges = {name: np.array(own, dtype=float) for name, own in NAMED_EDGES.items()}
    columns = {name: pa.array(AWKWARD, pa.float64()) for name in edges}
    columns["integers"] = pa.array([-2, -1, 0, 0, 1, None, 3, 3, -5, 7, 0, 1, 2, None])
    columns["all_null"] = pa.array([None] * len(AWKWARD), pa.float64())
    edges |= {"integers": np.array([-1.0, 0.0, 0.5, 3.0]), "all_null": np.array([0.0, 1.0])}
    frame = assert_counts_match(spark, pa.table(columns), edges, tmp_path)
    for name, counts in engine.bin_counts(frame.limit(0), edges).items():
        np.testing.assert_array_equal(counts, np.zeros(len(edges[name]) + 1), name)


def expected_rows(tables):
    return [
        {**row, "_file": file, "_row": position}
        for file, table in enumerate(tables)
        for position, row in enumerate(table.to_pylist())
    ]


def spark_rows(frame):
    assert dict(frame.dtypes)["_file"] == "int" and dict(frame.dtypes)["_row"] == "bigint"
    return [row.asDict() for row in frame.orderBy("_file", "_row").collect()]


def test_read_files_numbers_parquet_rows_as_pyarrow_reads_them(spark, tmp_path):
    paths = [tmp_path / "first.parquet", tmp_path / "second.parquet"]
    for seed, path in enumerate(paths):
        rng = np.random.default_rng(seed)
        table = pa.table({"id": rng.permutation(2000), "value": rng.normal(size=2000)})
        pq.write_table(table, path, row_group_size=150)
    # Small splits: each file is read by several tasks, a few row groups each.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")
    try:
        frame = engine.read_files(spark, [str(path) for path in paths], "parquet")
        assert frame.rdd.getNumPartitions() > 4
        assert spark_rows(frame) == expected_rows([pq.read_table(path) for path in paths])
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")


def test_read_files_numbers_csv_rows_as_pyarrow_reads_them(spark, tmp_path):
    texts = ["plain", "a, comma", 'a "quote"', "two\nlines", " padded ", "", None, "ünï"]
    paths = [tmp_path / "first.csv", tmp_path / "second.csv"]
    for seed, path in enumerate(paths):
        rng = np.random.default_rng(seed)
        rows = pa.table({"id": rng.permutation(400), "text": rng.choice(texts, 400)})
        arrow_csv.write_csv(rows, path)
        # A blank line, which both readers skip, then one more row.
        path.write_text(path.read_text(encoding="utf-8") + '\n"1000","last"\n', encoding="utf-8")
    options = arrow_csv.ConvertOptions(
        column_types={"id": pa.string(), "text": pa.string()}, strings_can_be_null=True
    )
    parse = arrow_csv.ParseOptions(newlines_in_values=True)
    expected = [arrow_csv.read_csv(p, parse_options=parse, convert_options=options) for p in paths]
    frame = engine.read_files(spark, [str(path) for path in paths], "csv")
    assert spark_rows(frame) == expected_rows(expected)


def test_a_relative_path_is_this_process_folders_not_the_jvms(spark, tmp_path, monkeypatch):
    """The session's JVM started in another folder (the test session's); a relative path names
    a file in the folder this process is in now."""
    pq.write_table(pa.table({"a": [1, 2, 3]}), tmp_path / "here.parquet")
    monkeypatch.chdir(tmp_path)
    frame = engine.read_files(spark, ["here.parquet"], "parquet")
    assert sorted(row["a"] for row in frame.collect()) == [1, 2, 3]
    with pytest.raises(CouldNotCheck, match=r"^nowhere\.parquet not found"):
        engine.read_files(spark, ["nowhere.parquet"], "parquet")


def test_the_packing_runs_where_this_project_is_not_installed(spark, tmp_path):
    """Executors run the packing of streamed batches: pickled as Spark pickles it, it loads and
    runs in a Python where importing this project fails."""
    from pyspark import cloudpickle

    package = engine.__name__.partition(".")[0]
    (tmp_path / "packer.pickle").write_bytes(cloudpickle.dumps(spark_executors.ipc_packer()))
    script = """
import importlib.abc, pickle, sys
import pyarrow as pa

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == PACKAGE:
            raise ModuleNotFoundError(name)

sys.meta_path.insert(0, NotInstalled())
try:
    __import__(PACKAGE)
except ModuleNotFoundError:
    pass
else:
    sys.exit("the project could still be imported")
pack = pickle.loads(open("packer.pickle", "rb").read())
(row,) = pack(iter([pa.record_batch(dict(x=[1, 2, 3]))]))
print(pa.ipc.open_stream(row.column(0)[0].as_py()).read_all().column("x").to_pylist())
""".replace("PACKAGE", repr(package))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1, 2, 3]"


def test_read_files_refuses_missing_files_and_different_columns(spark, tmp_path):
    for name in ("a", "b"):
        pq.write_table(pa.table({name: [1]}), tmp_path / f"{name}.parquet")
    with pytest.raises(CouldNotCheck, match=r"missing\.parquet not found"):
        engine.read_files(spark, [str(tmp_path / "missing.parquet")], "parquet")
    with pytest.raises(CouldNotCheck, match=r"different columns \(a, b\)"):
        engine.read_files(spark, [str(tmp_path / f"{n}.parquet") for n in "ab"], "parquet")
    with pytest.raises(ValueError, match="parquet or csv"):
        engine.read_files(spark, [str(tmp_path / "a.parquet")], "json")


def test_the_session_is_started_once_with_quiet_defaults_and_ansi_sql(spark):
    assert engine.spark_session(SPARK_SETTINGS) is spark
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    assert spark.conf.get("spark.ui.showConsoleProgress") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


@pytest.mark.parametrize(
    ("banner", "enough"),
    [("1.8.0_392", False), ("11.0.22", False), ("17.0.15", True), ("21", True)],
)
def test_java_older_than_17_is_refused(banner, enough, tmp_path, monkeypatch):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{banner}\" 2024-01-16' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    if enough:
        engine.check_java()
    else:
        with pytest.raises(ProjectError, match="Java 17 or newer") as raised:
            engine.check_java()
        assert banner in raised.value.problem and "JAVA_HOME" in raised.value.fix


def test_missing_java_names_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(ProjectError, match=f"none on JAVA_HOME \\({tmp_path}\\)") as raised:
        engine.check_java()
    assert "default-jre-headless" in raised.value.fix


def test_missing_pyspark_names_the_extra(monkeypatch):
    monkeypatch.setattr(engine, "_sessions", {})
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ProjectError, match="pyspark, which is not installed") as raised:
        engine.spark_session(SparkParams())
    assert "make setup" in raised.value.fix and "[spark]'" in raised.value.fix


def test_spark_connect_without_its_client_packages_names_them(spark, monkeypatch):
    monkeypatch.setattr(engine, "_sessions", {})
    monkeypatch.setenv("SPARK_REMOTE", "sc://localhost:15002")
    monkeypatch.setitem(sys.modules, "grpc", None)
    # pyspark takes a __main__ without a file (an xdist worker's) for its own doctest runner,
    # and exits where it would raise.
    monkeypatch.setattr(sys.modules["__main__"], "__file__", "pytest", raising=False)
    with pytest.raises(ProjectError, match="Spark Connect") as raised:
        engine.spark_session(SparkParams())
    assert "pyspark[connect]" in raised.value.fix
