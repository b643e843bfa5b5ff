"""Batch scoring on the data engines: the same Parquet input (nulls, values outside the
contract, unseen categories, an empty row group among several) scored with engine: duckdb or
spark gives the pyarrow path's output file (columns, types, values and order; scored_at is the
time) and contract findings, and the same refusals. Spark runs in the session the `spark`
fixture made (one JVM per test process)."""

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from test_drift_equivalence import demo_like, write_parquet
from test_engine_equivalence import engine, on  # noqa: F401
from test_scoring import model_dir  # noqa: F401

from {{ cookiecutter.package_name }}.errors import CouldNotCheck
from {{ cookiecutter.package_name }}.scoring.batch import score_file
from {{ cookiecutter.package_name }}.scoring.model import load_model
from {{ cookiecutter.package_name }}.scoring.on_engine import scoring_engine

pytestmark = pytest.mark.engines  # pyproject.toml's markers say why

CHUNK_ROWS = 700  # several chunks (Spark: several slices) per file


@pytest.fixture
def small_splits(engine, request):  # noqa: F811
    """Spark reads the small file in several tasks, whose results must come back in order."""
    if engine != "spark":
        yield
        return
    spark = request.getfixturevalue("spark")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")
    yield
    spark.conf.unset("spark.sql.files.maxPartitionBytes")


def score_with(params, name, model, source, output, chunk_rows=CHUNK_ROWS):
    """score_file's summary on engine `name` (pyarrow: none)."""
    opened = scoring_engine(on(params, name), str(source))
    return score_file(model, str(source), str(output), chunk_rows, opened)


def scored_without_time(path):
    """The output file, its scored_at column's values aside (its type stays)."""
    table = pq.read_table(path)
    at = table.schema.get_field_index("scored_at")
    return table.set_column(at, "scored_at", pa.nulls(len(table), table.field(at).type))


def with_ids(model_dir, folder):  # noqa: F811
    """The fetched model, its contract declaring a customer_id."""
    shutil.copytree(model_dir, folder)
    document = yaml.safe_load((folder / "schema.yaml").read_text())
    document["ids"] = ["customer_id"]
    (folder / "schema.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return load_model(folder)


@pytest.mark.parametrize("keys", ["row", "ids"])
@pytest.mark.usefixtures("small_splits")
def test_the_same_parquet_gives_the_same_output(params, engine, model_dir, tmp_path, keys):  # noqa: F811
    """And the same findings."""
    model = load_model(model_dir) if keys == "row" else with_ids(model_dir, tmp_path / "model")
    source = tmp_path / "batch.parquet"
    write_parquet(demo_like(model.schema, 5), model.schema, source)
    if keys == "ids":
        table = pq.read_table(source)
        ids = pa.array([f"c{index:05d}" for index in range(table.num_rows)])
        pq.write_table(table.append_column("customer_id", ids), source, row_group_size=600)
    expected = score_with(params, "pyarrow", model, source, tmp_path / "pyarrow.parquet")
    found = score_with(params, engine, model, source, tmp_path / f"{engine}.parquet")
    assert expected.findings  # the data breaks the contract in several ways
    assert (found.rows, found.findings) == (expected.rows, expected.findings)
    output = scored_without_time(tmp_path / f"{engine}.parquet")
    assert output.column_names[0] == keys.removesuffix("s").replace("id", "customer_id")
    assert output.equals(scored_without_time(tmp_path / "pyarrow.parquet"))
    assert found.chunks > 1


def test_fractions_in_an_integer_column_are_refused_alike(params, engine, model_dir, tmp_path):  # noqa: F811
    """The same message, naming the file and the count of wrong values (the pyarrow path's
    chunk holds the whole file), and no output."""
    model = load_model(model_dir)
    columns = model.schema.columns
    name = next(name for name in model.schema.features if columns[name].dtype == "integer")
    frame = demo_like(model.schema, 6)
    frame.loc[[100, 900, 901], name] = [2.5, 7.25, 2.5]
    source = tmp_path / "batch.parquet"
    table = pa.Table.from_pandas(frame.astype({name: "float64"}), preserve_index=False)
    pq.write_table(table, source)
    problems = {}
    for each in ("pyarrow", engine):
        with pytest.raises(CouldNotCheck) as refused:
            score_with(params, each, model, source, tmp_path / f"{each}.parquet", 10_000)
        problems[each] = (refused.value.problem, refused.value.fix)
    assert "batch.parquet breaks the data contract" in problems["pyarrow"][0]
    assert "dtype in 3 rows" in problems["pyarrow"][0]
    assert problems[engine] == problems["pyarrow"]
    assert list(tmp_path.iterdir()) == [source]


def test_a_missing_feature_is_refused_alike(params, engine, model_dir, tmp_path):  # noqa: F811
    model = load_model(model_dir)
    dropped = model.schema.features[0]
    source = tmp_path / "batch.parquet"
    table = pa.Table.from_pandas(demo_like(model.schema, 7), preserve_index=False)
    pq.write_table(table.drop_columns(dropped), source)
    problems = []
    for each in ("pyarrow", engine):
        with pytest.raises(CouldNotCheck, match=f"lacks the feature columns {dropped}") as refused:
            score_with(params, each, model, source, tmp_path / f"{each}.parquet")
        problems.append(refused.value.problem)
    assert problems[0] == problems[1]


@pytest.mark.parametrize("name", ["duckdb", "spark"])
def test_csv_on_an_engine_is_refused_naming_pyarrow(params, model_dir, tmp_path, name):  # noqa: F811
    """Before the engine starts: Spark's JVM is not needed to say so."""
    source = tmp_path / "batch.csv"
    source.write_text("a\n1\n")
    refusal = f"engine: {name} in params.yaml scores Parquet"
    with pytest.raises(CouldNotCheck, match=refusal) as refused:
        score_with(params, name, load_model(model_dir), source, tmp_path / "out.parquet")
    assert "engine: pyarrow" in refused.value.fix


def test_predict_scores_on_the_engine_params_yaml_names(params, engine):  # noqa: F811
    """`predict` opens what scoring_engine gives: no engine for pyarrow (CSV too)."""
    assert scoring_engine(on(params, "pyarrow"), "batch.csv") is None
    assert scoring_engine(on(params, engine), "batch.parquet").label.lower() == engine
