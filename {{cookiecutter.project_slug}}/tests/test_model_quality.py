"""The model: trained by the real stages on the project's current data, with its current
contract (schema.yaml) and settings (params.yaml), it meets params.yaml's gate.

Unlike the tests of code, which run on the demo data, these use the project as it is: the
demo until `schema infer` points the project at the user's own data, then that data. Without
the raw data (not pulled yet) they skip, except in CI (`CI` set), where they fail.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import IN_CI, PROJECT_ROOT

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract.validate import validate_file
from {{ cookiecutter.package_name }}.pipeline.evaluate import evaluate_file, score
from {{ cookiecutter.package_name }}.pipeline.gate import judge
from {{ cookiecutter.package_name }}.pipeline.split import split_file
from {{ cookiecutter.package_name }}.pipeline.train import fit_pipeline, train_file


@pytest.fixture(scope="module")
def raw_data(project_params):
    """The project's current raw data, params.yaml's data.raw."""
    raw = PROJECT_ROOT / project_params.data.raw
    if not raw.is_file():
        reason = (
            f"the project's data {project_params.data.raw} (params.yaml data.raw) is not here: "
            "`make pull` (or `dvc pull`) fetches it"
        )
        if IN_CI:
            pytest.fail(f"{reason}; CI must test the model on it")
        pytest.skip(reason)
    return raw


@pytest.fixture(scope="module")
def current_project(raw_data, project_params, tmp_path_factory):
    """A copy of the project's schema.yaml and params.yaml that ran the pipeline's stages
    (validate, split, train, evaluate) on the project's current raw data."""
    folder = tmp_path_factory.mktemp("current") / "project"
    folder.mkdir()
    for name in (paths.PARAMS, paths.SCHEMA):
        shutil.copy(PROJECT_ROOT / name, folder / name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        validate_file(raw_data, paths.SCHEMA, paths.VALIDATED, paths.VALIDATION_REPORT)
        for stage in (split_file, train_file, evaluate_file):
            stage(project_params)
    return folder


def test_the_projects_data_meets_its_contract(current_project, project_schema):
    report = json.loads((current_project / paths.VALIDATION_REPORT).read_text())
    assert report["valid"] is True, report["violations"]
    assert report["rows"] > 0
    assert report["columns"] == len(project_schema.columns)


def test_the_model_meets_the_gate(current_project, project_params):
    metrics = json.loads((current_project / paths.METRICS).read_text())
    result = judge(metrics, None, project_params.gate)
    assert result.passed, result.lines()


def test_the_gate_fails_a_model_that_learned_nothing(
    current_project, project_params, project_schema, task
):
    # The same pipeline trained on shuffled targets must fail: the gate can tell.
    schema = project_schema
    train = pd.read_parquet(current_project / paths.TRAIN_SPLIT)
    train[schema.target] = np.random.default_rng(0).permutation(train[schema.target].to_numpy())
    model = fit_pipeline(train, schema, task, project_params.model)
    test = pd.read_parquet(current_project / paths.TEST_SPLIT)
    metrics, _ = score(model, test, schema, task, seed=0)
    result = judge(metrics, None, project_params.gate)
    assert not result.passed, result.lines()
