"""Bringing your own CSV leaves every setting consistent with it, and no command answers the
user's data with a traceback."""

import pandas as pd
import yaml

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.contract.infer import infer_file

# A target `sold` that fits each task: two classes, three classes, or a number.
SOLD = {
    "binary_classification": [0, 1] * 20,
    "multiclass_classification": ["fast", "slow", "never", "slow"] * 10,
    "regression": [round(100_000 + 2_500.5 * row, 2) for row in range(40)],
}


def own_csv(folder, task):
    path = folder / "data" / "raw" / "houses.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"rooms": [1, 2, 3, 4] * 10, "sold": SOLD[task]})
    frame.to_csv(path, index=False)
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
