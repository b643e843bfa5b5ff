"""The model pipeline: preprocessing built from schema.yaml, then the params.yaml estimator."""

import os

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from ..contract.schema import Schema
from ..errors import ProjectError
from ..params import ModelParams

CLASSIFIERS = {
    "logistic": LogisticRegression,
    "random_forest": RandomForestClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
}
REGRESSORS = {
    "linear": Ridge,
    "random_forest": RandomForestRegressor,
    "hist_gradient_boosting": HistGradientBoostingRegressor,
}
FAMILIES_BY_TASK = {
    "binary_classification": CLASSIFIERS,
    "multiclass_classification": CLASSIFIERS,
    "regression": REGRESSORS,
}


def build_preprocessor(schema: Schema) -> ColumnTransformer:
    """Numbers: median-imputed and standardized. Categories: mode-imputed and one-hot encoded."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            # Dense output: histogram gradient boosting does not take sparse matrices.
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    transformers = []
    if schema.numeric_features:
        transformers.append(("numeric", numeric, schema.numeric_features))
    if schema.categorical_features:
        transformers.append(("categorical", categorical, schema.categorical_features))
    return ColumnTransformer(transformers)


def build_model(task: str, model_params: ModelParams) -> BaseEstimator:
    """The estimator for `model.family`, with its hyperparameters and `model.seed`."""
    if task not in FAMILIES_BY_TASK:
        raise ProjectError(f"task {task!r} is unknown", f"use one of {', '.join(FAMILIES_BY_TASK)}")
    families = FAMILIES_BY_TASK[task]
    family = model_params.family
    if family not in families:
        raise ProjectError(
            f"model.family {family!r} in params.yaml does not fit task {task}",
            f"use one of {', '.join(families)}",
        )
    estimator = families[family]
    settings = model_params.hyperparameters_of(family)
    allowed = estimator().get_params()
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        raise ProjectError(
            f"model.hyperparameters.{family} in params.yaml sets unknown {', '.join(unknown)}",
            f"use settings of {estimator.__name__}: {', '.join(sorted(allowed))}",
        )
    if "random_state" in allowed:
        settings.setdefault("random_state", model_params.seed)
    return estimator(**settings)


def build_pipeline(schema: Schema, task: str, model_params: ModelParams) -> Pipeline:
    return Pipeline(
        [("preprocess", build_preprocessor(schema)), ("model", build_model(task, model_params))]
    )


def limited_threads() -> threadpool_limits:
    """A context capping OpenMP/BLAS threads at OMP_NUM_THREADS, or 1 when unset.

    scikit-learn otherwise starts one busy-waiting thread per core; on a shared CI runner
    that made fitting and scoring the demo model ten times slower than one thread does.
    """
    return threadpool_limits(limits=int(os.environ.get("OMP_NUM_THREADS") or 1))
