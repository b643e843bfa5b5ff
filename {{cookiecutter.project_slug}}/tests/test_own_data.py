"""Bringing your own CSV or Parquet file leaves every setting consistent with it, and no command
answers the user's data with a traceback."""

import pandas as pd
import yaml

from {{ cookiecutter.package_name }} import cli, paths
from {{ cookiecutter.package_name }}.contract.infer import infer_file
from {{ cookiecutter.package_name }}.params import load_params
from {{ cookiecutter.package_name }}.pipeline.split import split_file

# A target `sold` that fits each task: two classes, three classes, or a number.
SOLD = {
    "binary_classification": [0, 1] * 20,
    "multiclass_classification": ["fast", "slow", "never", "slow"] * 10,
    "regression": [round(100_000 + 2_500.5 * row, 2) for row in range(40)],
}


def own_csv(folder, task, suffix=".csv"):
    path = folder / "data" / "raw" / f"houses{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    rooms = pd.array([1, 2, 3, None] * 10, "Int64")
    frame = pd.DataFrame({"rooms": rooms, "area": [55.5, 80.0, None, 120.25] * 10})
    frame = frame.assign(kind=["flat", "house"] * 20, sold=SOLD[task])
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.astype({"kind": "category"}).to_parquet(path, index=False)
    return path


def test_schema_infer_turns_the_demo_simulation_off(workspace, task, capsys):
    infer_file(own_csv(workspace, task), "sold", "schema.yaml", "params.yaml")
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    assert params["drift"]["simulate"] is False
    assert "drift.simulate is now false" in capsys.readouterr().out


def test_drift_prepare_on_other_columns_refuses_without_a_traceback(workspace, task, capsys):
    infer_file(own_csv(workspace, task), "sold", "schema.yaml", "params.yaml")
    text = (workspace / "params.yaml").read_text().replace("simulate: false", "simulate: true")
    (workspace / "params.yaml").write_text(text)
    assert cli.main(["drift", "prepare", "--date", "2026-01-02"]) == 2
    err = capsys.readouterr().err
    assert "drift.simulate" in err and "Traceback" not in err


def test_own_parquet_gets_the_contract_its_csv_gets_and_runs_the_stages(workspace, task):
    infer_file(own_csv(workspace, task), "sold", "schema.yaml", "params.yaml")
    from_csv = (workspace / "schema.yaml").read_text().splitlines()[1:]  # after the source
    infer_file(own_csv(workspace, task, ".parquet"), "sold", "schema.yaml", "params.yaml")
    assert (workspace / "schema.yaml").read_text().splitlines()[1:] == from_csv
    columns = yaml.safe_load((workspace / "schema.yaml").read_text())["columns"]
    assert columns["rooms"]["dtype"] == "integer" and columns["kind"]["dtype"] == "category"
    params = load_params()
    assert params.data.raw == "data/raw/houses.parquet"
    assert cli.main(["validate", params.data.raw]) == 0
    split_file(params)
    assert len(pd.read_parquet(paths.TRAIN_SPLIT)) + len(pd.read_parquet(paths.TEST_SPLIT)) == 40
