"""Batch scoring (`predict`): chunked, checked against the model's contract, same predictions as
scoring the whole file at once, refusals that name the problem and leave no output."""

import json
import shutil

import joblib
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.errors import CouldNotCheck, ProjectError
from {{ cookiecutter.package_name }}.scoring.batch import score_file
from {{ cookiecutter.package_name }}.scoring.model import load_model

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def model_dir(trained_project, tmp_path_factory):
    """A folder as `registry fetch` writes it, from the trained project."""
    folder = tmp_path_factory.mktemp("fetched")
    shutil.copy(trained_project / paths.MODEL, folder / "model.joblib")
    shutil.copy(trained_project / paths.SCHEMA, folder / "schema.yaml")
    record = {"model": "demo", "version": "v1.2.3", "stage": "production", "commit": COMMIT}
    (folder / "version.json").write_text(json.dumps(record))
    return folder


@pytest.fixture(scope="module")
def raw(trained_project):
    return pd.read_csv(trained_project / "data/raw/demo.csv")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_scoring_matches_scoring_the_whole_file(model_dir, raw, tmp_path, suffix):
    source = tmp_path / f"batch{suffix}"
    if suffix == ".csv":
        raw.to_csv(source, index=False)
    else:
        raw.to_parquet(source, index=False)
    model = load_model(model_dir)

    summary = score_file(model, str(source), str(tmp_path / "out/scored.parquet"), chunk_rows=97)

    scored = pq.read_table(tmp_path / "out/scored.parquet").to_pandas()
    assert summary.rows == len(raw) == len(scored) and summary.chunks > 5
    assert scored["row"].tolist() == list(range(len(raw)))
    whole = joblib.load(model_dir / "model.joblib").predict(raw[model.schema.features])
    assert (scored["prediction"].to_numpy() == whole).all()
    assert set(scored["model_version"]) == {"v1.2.3"} and set(scored["model_commit"]) == {COMMIT}
    if model.classes is not None:
        shares = scored[[f"probability_{label}" for label in model.classes]].sum(axis=1)
        assert shares.round(9).eq(1).all()
    assert not list((tmp_path / "out").glob("*.partial"))


def test_declared_ids_are_carried_instead_of_row_numbers(model_dir, raw, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    schema = yaml.safe_load((folder / "schema.yaml").read_text())
    schema["ids"] = ["customer_id"]
    (folder / "schema.yaml").write_text(yaml.safe_dump(schema))
    source = tmp_path / "batch.csv"
    raw.assign(customer_id=[f"c{i:05d}" for i in range(len(raw))]).to_csv(source, index=False)

    score_file(load_model(folder), str(source), str(tmp_path / "scored.parquet"), chunk_rows=500)

    scored = pq.read_table(tmp_path / "scored.parquet").to_pandas()
    assert "row" not in scored and scored["customer_id"].iloc[-1] == f"c{len(raw) - 1:05d}"


def test_a_missing_feature_is_refused_and_leaves_no_output(model_dir, raw, tmp_path):
    model = load_model(model_dir)
    dropped = model.schema.features[0]
    source = tmp_path / "batch.csv"
    raw.drop(columns=[dropped]).to_csv(source, index=False)

    with pytest.raises(CouldNotCheck, match=f"lacks the feature columns {dropped}"):
        score_file(model, str(source), str(tmp_path / "scored.parquet"), chunk_rows=100)
    assert list(tmp_path.iterdir()) == [source]


def test_text_in_a_number_column_is_refused(model_dir, raw, tmp_path):
    model = load_model(model_dir)
    column = model.schema.numeric_features[0]
    broken = raw.astype({column: object})
    broken.loc[150, column] = "lots"
    broken.to_csv(tmp_path / "batch.csv", index=False)

    with pytest.raises(CouldNotCheck, match="breaks the data contract"):
        score_file(model, str(tmp_path / "batch.csv"), str(tmp_path / "s.parquet"), chunk_rows=100)
    assert not (tmp_path / "s.parquet").exists()


def test_a_model_that_disagrees_with_its_contract_is_refused(model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    schema = yaml.safe_load((folder / "schema.yaml").read_text())
    first = next(name for name in schema["columns"] if name != schema["target"])
    schema["columns"]["renamed"] = schema["columns"].pop(first)
    (folder / "schema.yaml").write_text(yaml.safe_dump(schema, sort_keys=False))

    with pytest.raises(ProjectError, match="was fitted on"):
        load_model(folder)


def test_a_folder_without_a_fetched_model_says_how_to_fetch_one(tmp_path):
    with pytest.raises(ProjectError, match="registry fetch --stage production"):
        load_model(tmp_path)
