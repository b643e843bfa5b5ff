"""Labels that arrive after the predictions (drift.labels): joined to the current data by the
prediction log's request_id, they give the performance-decay check the target the log lacks."""

import pandas as pd
import pytest
from test_drift_check import CALM, project  # noqa: F401 (the module's fixture)

from {{ cookiecutter.package_name }}.drift.check import run_check
from {{ cookiecutter.package_name }}.errors import CouldNotCheck
from {{ cookiecutter.package_name }}.params import load_params


@pytest.fixture
def logged(project, schema, monkeypatch, tmp_path):  # noqa: F811 (the imported fixture)
    """(the batch with its target, a prediction log of it without the target)."""
    monkeypatch.chdir(project)
    batch = pd.read_parquet(project / f"data/current/{CALM}.parquet")
    log = batch.drop(columns=[schema.target]).assign(
        request_id=[f"req-{i}" for i in range(len(batch))]
    )
    log.to_parquet(tmp_path / "log.parquet")
    batch.to_parquet(tmp_path / "labelled.parquet")
    return batch, log


def check(tmp_path, name, labels=None, source="log.parquet"):
    document = load_params().model_dump()
    document["drift"]["labels"] = labels
    params = type(load_params()).model_validate(document)
    return run_check(params, str(tmp_path / source), CALM, output_dir=tmp_path / name)


def write_labels(tmp_path, frame, name="labels.csv"):
    frame.to_csv(tmp_path / name, index=False)
    return str(tmp_path / name)


def test_labels_joined_by_request_id_score_the_log_as_its_own_target_would(
    logged, schema, tmp_path
):
    batch, log = logged
    labels = log[["request_id"]].assign(**{schema.target: batch[schema.target]})
    joined = check(tmp_path, "joined", write_labels(tmp_path, labels))
    direct = check(tmp_path, "direct", source="labelled.parquet")
    assert direct["result"]["performance"]["current"] is not None
    assert joined["result"]["performance"] == direct["result"]["performance"]
    assert joined["labels"]["labelled_rows"] == joined["labels"]["rows"] == len(batch)
    assert joined["labels"]["keys"] == ["request_id"]


def test_rows_whose_label_has_not_arrived_are_left_out_of_the_metrics(logged, schema, tmp_path):
    batch, log = logged
    half = len(batch) // 2
    labels = log[["request_id"]].assign(**{schema.target: batch[schema.target]}).head(half)
    document = check(tmp_path, "half", write_labels(tmp_path, labels))
    assert (document["labels"]["labelled_rows"], document["labels"]["rows"]) == (half, len(batch))
    assert document["result"]["current_rows"] == len(batch)  # drift statistics on every row
    without = check(tmp_path, "none")
    assert without["result"]["performance"] is None and without["labels"] is None
    assert document["result"]["performance"]["current"] is not None


def test_labels_without_a_key_or_repeating_one_are_refused(logged, schema, tmp_path):
    batch, log = logged
    keyless = batch[[schema.target]]
    with pytest.raises(CouldNotCheck, match="have neither"):
        check(tmp_path, "keyless", write_labels(tmp_path, keyless, "keyless.csv"))
    labels = log[["request_id"]].assign(**{schema.target: batch[schema.target]})
    twice = pd.concat([labels, labels.head(1)])
    with pytest.raises(CouldNotCheck, match="repeat a key"):
        check(tmp_path, "twice", write_labels(tmp_path, twice, "twice.csv"))


def test_a_request_with_several_records_cannot_be_keyed_by_request_id(logged, schema, tmp_path):
    _, log = logged
    shared = log.assign(request_id=[f"req-{i // 4}" for i in range(len(log))])
    shared.to_parquet(tmp_path / "shared.parquet")
    labels = shared[["request_id"]].drop_duplicates().assign(**{schema.target: 1})
    with pytest.raises(CouldNotCheck, match="several records"):
        check(tmp_path, "shared", write_labels(tmp_path, labels), source="shared.parquet")
