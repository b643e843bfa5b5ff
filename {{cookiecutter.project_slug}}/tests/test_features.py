import pandas as pd
import pytest
from conftest import TASKS, demo_frame, demo_schema, model_params

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import ModelParams, parse_params
from {{ cookiecutter.package_name }}.pipeline.features import (
    FAMILIES_BY_TASK,
    build_pipeline,
    build_preprocessor,
)

FAMILY_CASES = [(task, family) for task in TASKS for family in FAMILIES_BY_TASK[task]]


@pytest.mark.parametrize(("task", "family"), FAMILY_CASES)
def test_every_family_fits_and_predicts_its_task(task, family):
    schema = demo_schema(task)
    frame = demo_frame(task, n_rows=200)
    pipeline = build_pipeline(schema, task, model_params(family, seed=3))
    pipeline.fit(frame[schema.features], frame[schema.target])
    predictions = pipeline.predict(frame[schema.features])
    assert len(predictions) == 200
    if task != "regression":
        assert set(predictions) <= set(frame[schema.target])
        assert pipeline.predict_proba(frame[schema.features]).shape[1] == len(pipeline.classes_)


def test_hyperparameters_and_seed_come_from_params():
    params = model_params("random_forest", seed=11)
    model = build_pipeline(demo_schema("regression"), "regression", params).named_steps["model"]
    assert model.n_estimators == 20
    assert model.max_depth == 6
    assert model.random_state == 11


def test_missing_hyperparameters_fall_back_to_defaults():
    params = ModelParams(family="hist_gradient_boosting", seed=0)
    model = build_pipeline(demo_schema("regression"), "regression", params).named_steps["model"]
    assert model.max_iter == 100


def test_preprocessing_follows_the_schema():
    schema = demo_schema("binary_classification")
    frame = demo_frame("binary_classification", n_rows=100)
    preprocessor = build_preprocessor(schema).fit(frame[schema.features])
    names = list(preprocessor.get_feature_names_out())
    assert [n for n in names if n.startswith("numeric__")] == [
        f"numeric__{n}" for n in schema.numeric_features
    ]
    assert "categorical__region_west" in names
    assert not any(name.startswith("categorical__payment_method_nan") for name in names)
    assert len(names) == len(schema.numeric_features) + 3 + 4 + 4


def test_unseen_categories_and_missing_values_still_predict():
    schema = demo_schema("multiclass_classification")
    frame = demo_frame("multiclass_classification", n_rows=200)
    pipeline = build_pipeline(schema, "multiclass_classification", model_params("logistic"))
    pipeline.fit(frame[schema.features], frame[schema.target])
    odd = frame[schema.features].head(3).copy()
    odd["region"] = "atlantis"
    odd["monthly_charges"] = float("nan")
    assert len(pipeline.predict(odd)) == 3


@pytest.mark.parametrize(
    ("task", "params", "problem", "fix"),
    [
        (
            "regression",
            ModelParams(family="logistic", seed=0),
            "does not fit task regression",
            "linear",
        ),
        ("binary_classification", ModelParams(family="linear", seed=0), "does not fit", "logistic"),
        (
            "regression",
            ModelParams(family="linear", seed=0, hyperparameters={"linear": {"alpah": 1}}),
            "unknown alpah",
            "alpha",
        ),
        ("ranking", ModelParams(family="linear", seed=0), "unknown", "regression"),
    ],
)
def test_bad_model_settings_say_what_is_allowed(task, params, problem, fix):
    with pytest.raises(ProjectError, match=problem) as raised:
        build_pipeline(demo_schema("regression"), task, params)
    assert fix in raised.value.fix


@pytest.mark.parametrize(
    ("model", "problem", "fix"),
    [
        (
            {"family": "xgboost", "seed": 0},
            "model.family.*'linear', 'random_forest'",
            "model.family",
        ),
        ({"famly": "linear", "seed": 0}, "unknown setting `model.famly`", "`model.family`"),
        (
            {"family": "linear", "seed": 0, "hyperparameters": {"linear": [1]}},
            "model.hyperparameters.linear.*valid dictionary",
            "model.hyperparameters.linear",
        ),
    ],
)
def test_bad_model_settings_are_refused_when_params_are_read(model, problem, fix):
    document = {"task": "regression", "gate": {"metric": "rmse", "threshold": 100}, "model": model}
    with pytest.raises(ProjectError, match=problem) as raised:
        parse_params(document)
    assert fix in raised.value.fix


def test_an_unset_family_defaults_to_hist_gradient_boosting():
    params = parse_params({"task": "regression", "gate": {"metric": "rmse", "threshold": 1}})
    assert params.model.family == "hist_gradient_boosting"
    model = build_pipeline(demo_schema("regression"), "regression", params.model)
    assert type(model.named_steps["model"]).__name__ == "HistGradientBoostingRegressor"


def test_numeric_codes_with_categories_are_one_hot_encoded():
    schema = parse_schema(
        {
            "target": "y",
            "columns": {
                "rating": {"dtype": "integer", "categories": [1, 2, 3]},
                "x": {"dtype": "float"},
                "y": {"dtype": "float"},
            },
        }
    )
    frame = pd.DataFrame({"rating": [1, 2, 3, 2], "x": [0.1, 0.2, 0.3, 0.4]})
    names = build_preprocessor(schema).fit(frame).get_feature_names_out()
    assert list(names) == [
        "numeric__x",
        "categorical__rating_1",
        "categorical__rating_2",
        "categorical__rating_3",
    ]
