import csv

import pytest
from conftest import TASKS

from {{ cookiecutter.package_name }} import demo_data


def rows(task, n_rows=500, seed=1, drift=0.0):
    return list(demo_data.generate_rows(task, n_rows, seed, drift))


def mean(values):
    values = [value for value in values if value is not None]
    return sum(values) / len(values)


@pytest.mark.parametrize("task", TASKS)
def test_rows_hold_the_features_and_the_tasks_target(task):
    generated = rows(task, 50)
    assert len(generated) == 50
    assert list(generated[0]) == [*demo_data.FEATURES, demo_data.TARGET_BY_TASK[task]]


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not():
    assert rows("regression", seed=4) == rows("regression", seed=4)
    assert rows("regression", seed=4) != rows("regression", seed=5)


def test_targets_fit_their_task():
    assert {row["churned"] for row in rows("binary_classification")} == {0, 1}
    tiers = {row["plan_tier"] for row in rows("multiclass_classification")}
    assert tiers == {"basic", "standard", "premium"}
    assert all(row["monthly_spend"] >= 0 for row in rows("regression"))


def test_values_are_missing_only_where_the_schema_allows_it(schema, task):
    generated = rows(task, 2000)
    for name, column in schema.columns.items():
        has_missing = any(row[name] is None for row in generated)
        assert has_missing == column.nullable, name


def test_drift_shifts_the_population():
    base, drifted = rows("regression", 3000, drift=0.0), rows("regression", 3000, drift=1.0)
    for name in ("customer_age", "monthly_charges", "support_calls"):
        assert mean(r[name] for r in drifted) > mean(r[name] for r in base) * 1.05, name
    monthly = [sum(r["contract"] == "month-to-month" for r in group) for group in (base, drifted)]
    assert monthly[1] > monthly[0] * 1.3


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        rows("ranking")


def test_write_csv_writes_a_header_and_empty_cells_for_missing(tmp_path):
    path = demo_data.write_csv(tmp_path / "nested/demo.csv", "binary_classification", 300, seed=2)
    with path.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 300
    assert list(written[0]) == [*demo_data.FEATURES, "churned"]
    assert any(row["data_usage_gb"] == "" for row in written)
    assert not any(row["data_usage_gb"] == "None" for row in written)
