import pandas as pd
import pytest
from conftest import demo_frame

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import parse_params
from {{ cookiecutter.package_name }}.pipeline.split import split_file, split_frame


def test_classification_split_keeps_each_class_share():
    frame = pd.DataFrame({"x": range(100), "y": ["rare"] * 10 + ["common"] * 90})
    train, test = split_frame(frame, "y", "binary_classification", 0.2, seed=1)
    assert (len(train), len(test)) == (80, 20)
    assert test["y"].value_counts().to_dict() == {"common": 18, "rare": 2}
    assert sorted(pd.concat([train, test])["x"]) == list(range(100))


def test_the_seed_decides_the_split():
    frame = demo_frame("regression", n_rows=200)
    first, _ = split_frame(frame, "monthly_spend", "regression", 0.25, seed=7)
    again, _ = split_frame(frame, "monthly_spend", "regression", 0.25, seed=7)
    other, _ = split_frame(frame, "monthly_spend", "regression", 0.25, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert list(first.index) == list(range(150))


def test_a_class_too_rare_to_stratify_is_named():
    frame = pd.DataFrame({"x": range(10), "y": ["a"] * 5 + ["b"] * 4 + ["lonely"]})
    with pytest.raises(ProjectError, match="'lonely' \\(1 row\\)"):
        split_frame(frame, "y", "multiclass_classification", 0.5, seed=0)


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1])
def test_test_size_must_be_a_share(params, test_size):
    document = {**params.model_dump(), "split": {"test_size": test_size, "seed": 0}}
    with pytest.raises(ProjectError, match=r"split\.test_size") as raised:
        parse_params(document)
    assert "params.yaml" in raised.value.fix


def test_too_few_rows_for_every_class_in_test_is_explained():
    frame = pd.DataFrame({"x": range(9), "y": ["a", "b", "c"] * 3})
    with pytest.raises(ProjectError, match="cannot split 9 rows") as raised:
        split_frame(frame, "y", "multiclass_classification", 0.2, seed=0)
    assert "test_size" in raised.value.fix


def test_split_file_writes_both_parts(workspace, params, schema, task):
    frame = demo_frame(task, n_rows=300)
    paths.VALIDATED.parent.mkdir(parents=True)
    frame.to_parquet(paths.VALIDATED, index=False)

    split_file(params)

    train = pd.read_parquet(paths.TRAIN_SPLIT)
    test = pd.read_parquet(paths.TEST_SPLIT)
    assert len(train) + len(test) == 300
    assert len(test) == round(300 * params.split.test_size)
    assert list(train.columns) == list(frame.columns)
