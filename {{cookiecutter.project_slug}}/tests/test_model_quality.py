"""The demo model, trained by the real stages on the demo data, meets params.yaml's gate."""

import json

import numpy as np
from conftest import demo_frame, demo_schema

from {{ cookiecutter.package_name }}.evaluate import score
from {{ cookiecutter.package_name }}.metrics import gate
from {{ cookiecutter.package_name }}.train import fit_pipeline


def test_the_demo_model_meets_the_gate(trained_project, project_params):
    metrics = json.loads((trained_project / "metrics.json").read_text())
    result = gate(metrics, project_params["gate"]["metric"], project_params["gate"]["threshold"])
    assert result.passed, str(result)


def test_the_gate_fails_a_model_that_learned_nothing(project_params, task):
    # The same pipeline trained on shuffled targets must fail: the gate can tell.
    schema = demo_schema(task)
    train = demo_frame(task, 1500, seed=5)
    train[schema.target] = np.random.default_rng(0).permutation(train[schema.target].to_numpy())
    model = fit_pipeline(train, schema, task, project_params["model"])
    metrics, _ = score(model, demo_frame(task, 500, seed=6), schema, task, seed=0)
    result = gate(metrics, project_params["gate"]["metric"], project_params["gate"]["threshold"])
    assert not result.passed, str(result)
