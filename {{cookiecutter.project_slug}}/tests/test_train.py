import json
import re

import joblib
import pytest
from conftest import demo_frame, demo_schema, model_params

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.edge.dvc import file_md5, pointer_md5
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import ModelParams
from {{ cookiecutter.package_name }}.pipeline import train
from {{ cookiecutter.package_name }}.pipeline.train import fit_pipeline, train_file


def write_split(task, n_rows=300):
    paths.TRAIN_SPLIT.parent.mkdir(parents=True, exist_ok=True)
    demo_frame(task, n_rows).to_parquet(paths.TRAIN_SPLIT, index=False)


def test_train_file_saves_the_model_and_its_provenance(workspace, params, schema, task):
    write_split(task)
    raw = workspace / params.data.raw
    raw.parent.mkdir(parents=True)
    raw.with_name(raw.name + ".dvc").write_text(
        f"outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: {raw.name}\n"
    )
    fast = params.model_copy(update={"model": model_params("hist_gradient_boosting")})

    train_file(fast)

    model = joblib.load(paths.MODEL)
    assert len(model.predict(demo_frame(task, 5)[schema.features])) == 5
    metadata = json.loads(paths.MODEL_METADATA.read_text())
    assert metadata["task"] == task
    assert metadata["target"] == schema.target
    assert metadata["features"] == schema.features
    assert metadata["params"] == {"task": task, "model": fast.model.model_dump()}
    assert metadata["training_data"] == {
        "path": "data/split/train.parquet",
        "md5": file_md5(paths.TRAIN_SPLIT),
        "rows": 300,
    }
    assert metadata["raw_data"]["md5"] == "0123456789abcdef0123456789abcdef"
    assert set(metadata["versions"]) == {"python", "scikit-learn", "pandas"}
    assert metadata["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", metadata["git_commit"])
    if task == "regression":
        assert metadata["classes"] is None
    else:
        assert metadata["classes"] == sorted(demo_frame(task, 300)[schema.target].unique().tolist())


def test_training_twice_gives_the_same_files(workspace, params, task):
    write_split(task)
    train_file(params)
    first = (paths.MODEL.read_bytes(), paths.MODEL_METADATA.read_text())
    train_file(params)
    assert (paths.MODEL.read_bytes(), paths.MODEL_METADATA.read_text()) == first
    assert not re.search(r"time|date", paths.MODEL_METADATA.read_text())


def test_git_commit_is_recorded_when_there_is_one(workspace, params, task, monkeypatch):
    monkeypatch.setattr(train, "head_commit", lambda: "a" * 40)
    write_split(task)
    train_file(params)
    assert json.loads(paths.MODEL_METADATA.read_text())["git_commit"] == "a" * 40


def test_pointer_md5_is_none_for_untracked_files(tmp_path):
    assert pointer_md5(tmp_path / "data.csv") is None


def test_an_invalid_hyperparameter_value_names_the_setting():
    schema = demo_schema("regression")
    params = ModelParams(family="linear", seed=0, hyperparameters={"linear": {"alpha": -1}})
    with pytest.raises(ProjectError, match="fitting the linear model failed") as raised:
        fit_pipeline(demo_frame("regression", 50), schema, "regression", params)
    assert "model.hyperparameters.linear" in raised.value.fix
