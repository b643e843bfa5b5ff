"""params.yaml, typed: one home for every setting's name, type and default."""

import pytest
import yaml
from conftest import PROJECT_ROOT

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import DriftParams, GateParams, load_params, parse_params


def project_document():
    return yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))


def test_the_generated_params_load():
    params = load_params(PROJECT_ROOT / "params.yaml")
    assert params.gate.metric
    assert params.drift.min_effect.wasserstein == 0.02


def test_a_misspelt_key_is_refused_with_the_nearest_valid_one():
    document = project_document()
    document["drift"]["min_efect"] = document["drift"].pop("min_effect")
    with pytest.raises(ProjectError) as raised:
        parse_params(document)
    assert "drift.min_efect" in raised.value.problem
    assert "drift.min_effect" in raised.value.fix


def test_a_value_out_of_range_names_the_key_as_written():
    document = project_document()
    document["drift"]["alpha"] = 2
    with pytest.raises(ProjectError, match=r"`drift\.alpha` is 2"):
        parse_params(document)


def test_a_gate_metric_of_another_task_is_refused():
    document = project_document()
    document["gate"]["metric"] = "no_such_metric"
    with pytest.raises(ProjectError, match="not a metric of task"):
        parse_params(document)


def test_omitted_settings_take_their_one_default():
    document = project_document()
    del document["gate"]["tolerance"], document["drift"]
    params = parse_params(document)
    assert params.gate.tolerance == GateParams.model_fields["tolerance"].default
    assert params.drift == DriftParams()


def test_an_unknown_engine_is_refused_naming_the_three():
    document = project_document()
    document["engine"] = "polars"
    with pytest.raises(ProjectError) as raised:
        parse_params(document)
    assert "`engine` is 'polars'" in raised.value.problem
    for engine in ("pyarrow", "duckdb", "spark"):
        assert engine in raised.value.problem


def test_a_spark_connect_url_must_say_sc():
    document = project_document()
    document["spark"]["remote"] = "http://spark:15002"
    with pytest.raises(ProjectError, match=r"`spark\.remote`"):
        parse_params(document)
