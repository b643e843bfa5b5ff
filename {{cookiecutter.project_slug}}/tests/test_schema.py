import copy

import pandas as pd
import pytest
import yaml
from conftest import read_yaml

from {{ cookiecutter.package_name }} import demo_data, paths
from {{ cookiecutter.package_name }}.contract.infer import (
    infer_column,
    infer_file,
    infer_schema,
    schema_yaml,
    target_column,
    with_raw_data,
)
from {{ cookiecutter.package_name }}.contract.schema import load_schema, parse_schema
from {{ cookiecutter.package_name }}.contract.validate import validate_file
from {{ cookiecutter.package_name }}.errors import ProjectError

VALID = {
    "target": "label",
    "columns": {
        "age": {"dtype": "integer", "nullable": False, "min": 0, "max": 120},
        "city": {"dtype": "category", "nullable": True, "categories": ["a", "b"]},
        "label": {"dtype": "integer", "nullable": False, "categories": [0, 1]},
    },
}


def text_frame(**columns):
    """A frame of CSV text, as read_csv_text returns it (None = empty cell)."""
    return pd.DataFrame({name: pd.Series(values, dtype="str") for name, values in columns.items()})


def describes_the_demo_data(schema, task):
    assert schema.target == demo_data.TARGET_BY_TASK[task]
    assert schema.features == demo_data.FEATURES
    assert set(schema.categorical_features) == {"contract", "payment_method", "region"}


def test_the_demo_schema_describes_the_demo_data(schema, task):
    describes_the_demo_data(schema, task)


def test_the_projects_schema_describes_the_demo_data_while_it_uses_them(
    project_params, project_schema, task
):
    # A generated project ships the demo's contract; `schema infer` replaces it (and data.raw)
    # for the user's own data, whose contract test_model_quality.py checks.
    if project_params.data.raw != paths.DEMO_DATA.as_posix():
        pytest.skip(f"the project uses its own data, {project_params.data.raw}")
    describes_the_demo_data(project_schema, task)


def test_a_valid_schema_parses_into_columns():
    schema = parse_schema(VALID)
    assert schema.features == ["age", "city"]
    assert schema.numeric_features == ["age"]
    assert schema.categorical_features == ["city"]
    assert schema.columns["age"].max == 120
    assert schema.columns["label"].categories == (0, 1)


def test_category_values_are_compared_as_text():
    document = copy.deepcopy(VALID)
    document["columns"]["city"]["categories"] = [1, 2.5]
    assert parse_schema(document).columns["city"].categories == ("1", "2.5")


def broken(path, value):
    """VALID with the setting at the dotted `path` replaced (or removed, for value None)."""
    document = copy.deepcopy(VALID)
    *parents, key = path.split(".")
    holder = document
    for parent in parents:
        holder = holder[parent]
    if value is None:
        del holder[key]
    else:
        holder[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "named_key", "fix"),
    [
        (["a"], "(top level)", "target"),
        ({**VALID, "colums": {}}, "colums", "use only"),
        (broken("columns", None), "columns", "dtype"),
        (broken("target", "missing"), "target", "name a column"),
        (broken("columns.age.dtype", "int"), "columns.age.dtype", "integer, float, category"),
        (broken("columns.age.dtype", None), "columns.age.dtype", "integer, float, category"),
        (broken("columns.age.nullable", "no"), "columns.age.nullable", "true or false"),
        (broken("columns.age.min", "zero"), "columns.age.min", "number"),
        (broken("columns.age.min", 200), "columns.age.min", "swap"),
        (broken("columns.age.unit", "years"), "columns.age.unit", "dtype"),
        (broken("columns.city.min", 0), "columns.city.min", "categories"),
        (broken("columns.city.categories", []), "columns.city.categories", "[a, b, c]"),
        (broken("columns.city.categories", [True, False]), "columns.city.categories", "quote"),
        (broken("columns.city.categories", ["a", "a"]), "columns.city.categories", "duplicates"),
        (broken("columns.age.categories", [1.5]), "columns.age.categories", "whole numbers"),
        (broken("columns.label.nullable", True), "columns.label.nullable", "false"),
        ({**VALID, "positive_label": 2}, "positive_label", "target's categories"),
        (broken("columns.age", "integer"), "columns.age", "dtype"),
    ],
)
def test_a_malformed_schema_names_the_key_and_the_fix(document, named_key, fix):
    with pytest.raises(ProjectError) as raised:
        parse_schema(document, source="schema.yaml")
    assert f"`{named_key}`" in raised.value.problem
    assert fix in raised.value.fix


def test_a_missing_or_invalid_schema_file_says_what_to_do(tmp_path):
    with pytest.raises(ProjectError, match="not found") as raised:
        load_schema(tmp_path / "schema.yaml")
    assert "schema infer" in raised.value.fix
    (tmp_path / "schema.yaml").write_text("target: [unclosed\n")
    with pytest.raises(ProjectError, match="not valid YAML"):
        load_schema(tmp_path / "schema.yaml")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2", None], {"dtype": "integer", "nullable": True, "min": 0}),
        (["-1", "2"], {"dtype": "integer", "nullable": False}),
        (["1.5", "2"], {"dtype": "float", "nullable": False, "min": 0.0}),
        (["1e3", "-2"], {"dtype": "float", "nullable": False}),
        (["b", "a", "b"], {"dtype": "category", "nullable": False, "categories": ["a", "b"]}),
    ],
)
def test_infer_column_reads_dtype_nulls_bounds_and_categories(values, expected):
    spec, note = infer_column(pd.Series(values, dtype="str", name="x"))
    assert spec == expected
    assert note is None


def test_infer_column_makes_whole_numbers_beyond_int64_float_with_a_note():
    values = pd.Series(["1", str(2**63), "3"], dtype="str", name="id")
    spec, note = infer_column(values)
    assert spec == {"dtype": "float", "nullable": False, "min": 0.0}
    assert "'id' holds whole numbers beyond int64: inferred as float" in note
    spec, note = infer_column(pd.Series([str(2**63 - 1), str(-(2**63))], dtype="str", name="n"))
    assert (spec["dtype"], note) == ("integer", None)


def test_infer_column_keeps_high_cardinality_text_open_with_a_note():
    spec, note = infer_column(pd.Series([f"id-{i}" for i in range(60)], dtype="str", name="id"))
    assert spec == {"dtype": "category", "nullable": False}
    assert "60 distinct" in note


def test_infer_column_refuses_an_empty_column():
    with pytest.raises(ProjectError, match="no values"):
        infer_column(pd.Series([None, None], dtype="str", name="x"))


@pytest.mark.parametrize(
    ("values", "task", "message"),
    [
        (["a", "b", "c"], "binary_classification", "needs exactly 2"),
        (["a", "b"], "multiclass_classification", "needs 3 to 50"),
        ([str(i) for i in range(51)], "multiclass_classification", "51 classes"),
        (["a", "b"], "regression", "holds text"),
        (["a", None], "binary_classification", "missing in 1 rows"),
    ],
)
def test_a_target_that_does_not_fit_the_task_is_refused(values, task, message):
    values = pd.Series(values, dtype="str", name="y")
    spec, _ = infer_column(values.dropna())
    with pytest.raises(ProjectError, match=message):
        target_column(values, spec, task)


@pytest.mark.parametrize(
    ("values", "positive"),
    [(["no", "yes", "no"], "yes"), (["0", "1", "0"], 1), (["stay", "leave", "stay"], "leave")],
)
def test_binary_target_gets_classes_and_a_positive_label(values, positive):
    frame = text_frame(x=["1"] * len(values), y=values)
    document, notes = infer_schema(frame, "y", "binary_classification")
    assert document["positive_label"] == positive
    assert positive in document["columns"]["y"]["categories"]
    assert "positive_label" in notes[-1]


def test_regression_target_keeps_its_bounds_and_is_not_nullable():
    frame = text_frame(x=["a", "b", "a"], y=["1.5", "2.0", "0.5"])
    document, _ = infer_schema(frame, "y", "regression")
    assert document["columns"]["y"] == {"dtype": "float", "nullable": False, "min": 0.0}
    assert "positive_label" not in document


def test_an_unknown_target_lists_the_columns():
    with pytest.raises(ProjectError, match="not a column") as raised:
        infer_schema(text_frame(a=["1"], b=["2"]), "c", "regression")
    assert "a, b" in raised.value.fix


def test_inferred_schema_text_round_trips_through_the_parser():
    document = {
        "target": "label",
        "positive_label": "yes",
        "columns": {
            "odd name: with colon": {"dtype": "integer", "nullable": False, "min": 0},
            "answer": {"dtype": "category", "nullable": True, "categories": ["no", "007", "on"]},
            "label": {"dtype": "category", "nullable": False, "categories": ["no", "yes"]},
        },
    }
    text = schema_yaml(document, "data/raw/x.csv")
    assert text.startswith("# ")
    assert yaml.safe_load(text) == document
    assert parse_schema(yaml.safe_load(text)).positive_label == "yes"


PARAMS_TEXT = """task: regression  # the task

data:
  raw: data/raw/demo.csv  # rewritten by schema infer
  other: keep

split:
  raw: not-this-one
"""


def test_with_raw_data_replaces_only_the_data_raw_value():
    updated = with_raw_data(PARAMS_TEXT, "data/raw/new file.csv")
    assert yaml.safe_load(updated)["data"]["raw"] == "data/raw/new file.csv"
    assert "  raw: data/raw/new file.csv  # rewritten by schema infer\n" in updated
    assert updated.replace("data/raw/new file.csv", "data/raw/demo.csv") == PARAMS_TEXT


def test_with_raw_data_fails_clearly_without_the_key():
    with pytest.raises(ProjectError, match="data:") as raised:
        with_raw_data("task: regression\nsplit:\n  raw: x\n", "data/raw/a.csv")
    assert "by hand" in raised.value.fix


def test_infer_file_writes_a_schema_the_data_then_meets(workspace, task, capsys):
    csv = demo_data.write_csv(workspace / "data/raw/customers.csv", task, n_rows=300, seed=3)
    params_before = (workspace / "params.yaml").read_text()
    target = demo_data.TARGET_BY_TASK[task]

    infer_file("data/raw/customers.csv", target, "schema.yaml", "params.yaml")

    params_after = (workspace / "params.yaml").read_text()
    assert read_yaml("params.yaml")["data"]["raw"] == "data/raw/customers.csv"
    assert params_after.count("\n") == params_before.count("\n")
    assert "# Every knob of the pipeline" in params_after
    schema = load_schema("schema.yaml")
    assert schema.target == target
    assert schema.features == demo_data.FEATURES
    output = capsys.readouterr().out
    assert "dvc add data/raw/customers.csv" in output
    assert "git add schema.yaml params.yaml data/raw/customers.csv.dvc" in output
    assert "dvc repro" in output
    validate_file(csv, "schema.yaml", "validated.parquet", "report.json")
    assert read_yaml("report.json")["valid"] is True


def test_infer_file_refuses_a_csv_outside_the_project(workspace, tmp_path, task):
    outside = demo_data.write_csv(tmp_path / "elsewhere.csv", task, n_rows=20)
    before = [(workspace / name).read_text() for name in ("schema.yaml", "params.yaml")]
    with pytest.raises(ProjectError, match="outside the project"):
        infer_file(outside, demo_data.TARGET_BY_TASK[task], "schema.yaml", "params.yaml")
    assert [(workspace / name).read_text() for name in ("schema.yaml", "params.yaml")] == before


def test_infer_file_reads_csv_like_the_validate_stage(workspace):
    (workspace / "bad.csv").write_text("a;b\n1;2\n")
    with pytest.raises(ProjectError, match="semicolon"):
        infer_file("bad.csv", "b", "schema.yaml", "params.yaml")
