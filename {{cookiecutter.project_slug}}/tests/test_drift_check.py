"""The drift check end to end on the trained demo project: sources, exit codes, reports."""

import json
import re
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }} import cli, paths
from {{ cookiecutter.package_name }}.contract.schema import Column, Schema
from {{ cookiecutter.package_name }}.contract.stream import (
    ContractTally,
    checked_frame,
    number_violations,
    text_violations,
)
from {{ cookiecutter.package_name }}.drift.check import fetch_reference, run_check
from {{ cookiecutter.package_name }}.drift.simulate import simulate_batch, simulated_drift
from {{ cookiecutter.package_name }}.errors import CouldNotCheck, NoVersionInStage, ProjectError
from {{ cookiecutter.package_name }}.params import DriftParams, load_params, parse_params
from {{ cookiecutter.package_name }}.release import fetch as release_fetch
from {{ cookiecutter.package_name }}.release import registry as release_registry

CALM, DRIFTED = "2030-01-01", "2030-03-01"


@pytest.fixture(scope="module")
def project(trained_project, tmp_path_factory):
    """A copy of the trained project whose simulation starts on CALM, with both batches."""
    folder = tmp_path_factory.mktemp("drift") / "project"
    shutil.copytree(trained_project, folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        document = load_params().model_dump()
        document["drift"]["simulation"]["start"] = CALM
        document["drift"]["source"] = "data/current/{date}.parquet"
        paths.PARAMS.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
        params = load_params()
        for date in (CALM, DRIFTED):
            simulate_batch(params, date)
    return folder


@pytest.fixture
def in_project(project, monkeypatch, tmp_path):
    monkeypatch.chdir(project)
    return tmp_path / "reports"


def check(output, *args):
    return cli.main(["drift", "check", "--output-dir", str(output), *args])


def test_the_simulator_drifts_more_every_day(project):
    settings = DriftParams(simulation={"start": CALM, "per_day": 0.02, "max": 1.5})
    assert simulated_drift(settings, "2029-12-01") == 0
    assert simulated_drift(settings, "2030-01-11") == pytest.approx(0.2)
    assert simulated_drift(settings, "2031-01-01") == 1.5
    first, again = (pd.read_parquet(project / f"data/current/{CALM}.parquet") for _ in "ab")
    pd.testing.assert_frame_equal(first, again)


def test_the_training_population_shows_no_drift(in_project, params):
    assert check(in_project, "--date", CALM) == 0
    document = json.loads((in_project / "drift.json").read_text())
    assert document["status"] == "no_drift"
    assert document["result"]["performance"]["metric"] == params.gate.metric
    assert {row["column"] for row in document["result"]["columns"]} >= {"customer_age", "region"}
    page = (in_project / "drift.html").read_text()
    assert page.count("<svg") == len(document["result"]["columns"]) + 1  # + predictions
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_a_drifted_batch_exits_1_and_names_the_columns(in_project, capsys):
    assert check(in_project, "--date", DRIFTED) == 1
    document = json.loads((in_project / "drift.json").read_text())
    assert document["status"] == "drift"
    assert "support_calls" in document["result"]["drifted_columns"]
    report = (in_project / "drift.md").read_text()
    assert "| `support_calls` | feature | ks |" in report
    assert "drift" in capsys.readouterr().err


def test_csv_in_chunks_gives_the_same_result_as_parquet(in_project, project, tmp_path):
    batch = pd.read_parquet(project / f"data/current/{DRIFTED}.parquet")
    batch.to_csv(tmp_path / "batch.csv", index=False)
    document = load_params().model_dump()
    document["drift"]["chunk_rows"] = 300
    params = parse_params(document)
    parquet = run_check(params, date=DRIFTED, output_dir=tmp_path / "a")
    csv = run_check(params, str(tmp_path / "*.csv"), DRIFTED, output_dir=tmp_path / "b")
    for key in ("drifted_columns", "drifted_share"):
        assert csv["result"][key] == parquet["result"][key]
    assert [row["statistic"] for row in csv["result"]["columns"]] == pytest.approx(
        [row["statistic"] for row in parquet["result"]["columns"]]
    )


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (None, "no current data at"),
        ("", "is empty"),
        ("customer_age,region\n1,east\n", "lacks the column"),
        ("header only", "fewer than drift.min_rows"),
        ("text", "not whole numbers within int64"),
    ],
)
def test_data_that_cannot_be_checked_exits_3_naming_the_cause(
    in_project, project, tmp_path, capsys, content, cause
):
    path = tmp_path / "current.csv"
    batch = pd.read_parquet(project / f"data/current/{CALM}.parquet")
    if content == "header only":
        batch.head(10).to_csv(path, index=False)
    elif content == "text":
        batch.astype({"tenure_months": object}).assign(tenure_months="a lot").to_csv(path)
    elif content is not None:
        path.write_text(content)
    assert check(in_project, "--current", str(path)) == CouldNotCheck.exit_code
    assert cause in capsys.readouterr().err
    document = json.loads((in_project / "drift.json").read_text())
    assert document["status"] == "could_not_check" and cause in document["problem"]
    assert "could not check" in (in_project / "drift.md").read_text()


def registry_failing_with(monkeypatch, error):
    """The registry fetch_reference reads (the trained project has no git history) raises
    `error` when asked for the production model."""

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(release_registry, "Registry", lambda: None)
    monkeypatch.setattr(release_fetch, "fetch", fail)


def test_without_a_production_model_the_workspace_is_the_reference(
    in_project, tmp_path, monkeypatch
):
    none = NoVersionInStage("no version of demo is in stage 'production' yet", "release one")
    registry_failing_with(monkeypatch, none)
    assert fetch_reference(tmp_path / "reference") == "workspace"
    version = json.loads((tmp_path / "reference" / "version.json").read_text())
    assert version["source"] == "workspace" and version["note"] == "no model is in production yet"
    assert check(in_project, "--date", CALM, "--reference-dir", str(tmp_path / "reference")) == 0
    document = json.loads((in_project / "drift.json").read_text())
    assert document["reference"]["source"] == "workspace"
    for report in ((in_project / "drift.md").read_text(), (in_project / "drift.html").read_text()):
        assert "(no model is in production yet)" in report
        assert "the workspace's test metrics" in report and "at release" not in report


def test_a_registry_that_cannot_be_read_is_named_not_taken_for_no_release(
    in_project, tmp_path, monkeypatch
):
    denied = ProjectError("could not fetch the registry's tags from origin: denied", "check it")
    registry_failing_with(monkeypatch, denied)
    assert fetch_reference(tmp_path / "reference") == "workspace"
    version = json.loads((tmp_path / "reference" / "version.json").read_text())
    assert version["note"] == (
        "the production model could not be fetched: "
        "could not fetch the registry's tags from origin: denied"
    )


COLUMNS = [
    Column("age", "integer", min=18, max=90),
    Column("balance", "float", nullable=True, min=0.0),
    Column("plan", "integer", categories=(1, 2, 3)),
    Column("ratio", "float", max=1.0),
]
TYPED_CHUNK = pa.table(
    {
        "age": pa.array([18, 95, None, 40, 12, 95], pa.int64()),
        "balance": [1.5, None, -2.25, 3.0, -2.25, 0.0],
        "plan": pa.array([1, 4, 2, 7, 3, 4], pa.int32()),
        "ratio": [0.5, 1.5, 2.0, None, 0.1, 1.5],
    }
)


def test_an_all_null_typed_column_is_evidence_and_stays_typed():
    table = pa.table({"age": pa.nulls(3, pa.int64())})
    schema = Schema(target="label", columns={"age": COLUMNS[0]})
    tally = ContractTally()
    frame = checked_frame(table, schema, "batch.parquet", tally)
    assert str(frame["age"].dtype) == "Int64" and frame["age"].isna().all()
    assert tally.as_list() == [{"column": "age", "rule": "all_null", "rows": 3, "examples": []}]


@pytest.mark.parametrize("column", COLUMNS, ids=lambda column: column.name)
def test_typed_parquet_columns_skip_text_but_break_the_same_rules(column):
    values = TYPED_CHUNK.column(column.name)
    found, numbers = number_violations(values, column)
    expected, typed = text_violations(values, column)
    assert found == expected and found  # rule, rows and examples (as text), in the same order
    pd.testing.assert_extension_array_equal(pd.array(numbers), pd.array(typed))


@pytest.mark.parametrize(
    ("values", "column", "cause"),
    [
        (
            [1.0, 2.5, np.inf],
            Column("n", "integer"),
            "dtype in 2 rows: not whole numbers within int64; e.g. '2.5', 'inf'",
        ),
        ([1.0, -np.inf], Column("n", "float"), "dtype in 1 rows: not numbers; e.g. '-inf'"),
    ],
)
def test_typed_values_of_the_wrong_type_cannot_be_checked(values, column, cause):
    table = pa.table({"n": pa.array(values, pa.float64())})
    schema = Schema(target="label", columns={"n": column})
    with pytest.raises(CouldNotCheck, match=re.escape(cause)):
        checked_frame(table, schema, "batch.parquet", ContractTally())
    assert (
        text_violations(table.column("n"), column)[0]
        == number_violations(table.column("n"), column)[0]
    )


# Whole numbers an int64 cannot hold, as each reader has them: CSV text (Arrow parses it), float64
# and uint64 Parquet columns; and their values as the refusal quotes them.
BEYOND_INT64 = [
    (
        pa.array(["1e20", str(2**63), str(-(2**63) - 1), str(2**63 - 1), str(-(2**63)), "7"]),
        f"dtype in 3 rows: not whole numbers within int64; e.g. '1e20', '{2**63}', "
        f"'{-(2**63) - 1}'",
    ),
    (
        pa.array([1e20, 2.0**63, -(2.0**63), 7.0]),
        "dtype in 2 rows: not whole numbers within int64; e.g. '1e+20', '9.223372036854776e+18'",
    ),
    (
        pa.array([2**63, 2**63 - 1, 7], pa.uint64()),
        f"dtype in 1 rows: not whole numbers within int64; e.g. '{2**63}'",
    ),
]


@pytest.mark.parametrize(("values", "cause"), BEYOND_INT64, ids=["text", "float64", "uint64"])
def test_whole_numbers_beyond_int64_cannot_be_checked(values, cause):
    schema = Schema(target="label", columns={"n": Column("n", "integer")})
    with pytest.raises(
        CouldNotCheck, match=re.escape(f"batch breaks the data contract: n: {cause}")
    ):
        checked_frame(pa.table({"n": values}), schema, "batch", ContractTally())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pa.array([str(2**63 - 1), str(-(2**63)), "7", None]), [2**63 - 1, -(2**63), 7, None]),
        # "7.0" makes pandas parse the column to float64, where the bounds are +-2**63
        (pa.array([str(2**63 - 1), str(-(2**63)), "7.0", None]), [2**63 - 1, -(2**63), 7, None]),
        (pa.array([2.0**63 - 1024, -(2.0**63), 7.0, None]), [2**63 - 1024, -(2**63), 7, None]),
        (pa.array([2**63 - 1, 0, 7, None], pa.uint64()), [2**63 - 1, 0, 7, None]),
    ],
    ids=["text", "text parsed to float64", "float64", "uint64"],
)
def test_int64s_bounds_are_typed_exactly(values, expected):
    schema = Schema(target="label", columns={"n": Column("n", "integer", nullable=True)})
    frame = checked_frame(pa.table({"n": values}), schema, "batch", ContractTally())
    assert str(frame["n"].dtype) == "Int64"
    assert [None if pd.isna(value) else int(value) for value in frame["n"]] == expected
