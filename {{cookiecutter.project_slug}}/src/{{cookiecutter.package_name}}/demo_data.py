"""A deterministic, dependency-free generator of the demo customer dataset.

Standard library only: the generation hook writes the demo data before any of the project's
dependencies are installed. `drift` > 0 shifts the population the way a real customer base
drifts (older, pricier, more support calls, more monthly contracts); the drift check's
simulator uses it.
"""

import csv
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TARGET_BY_TASK = {
    "binary_classification": "churned",
    "multiclass_classification": "plan_tier",
    "regression": "monthly_spend",
}
FEATURES = [
    "customer_age",
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "data_usage_gb",
    "contract",
    "payment_method",
    "region",
]
CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENT_METHODS = ["bank-transfer", "card", "electronic-check", "mailed-check"]
REGIONS = ["east", "north", "south", "west"]


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _customer(rng: random.Random, drift: float) -> dict[str, Any]:
    contract = rng.choices(CONTRACTS, weights=[0.5 + 0.3 * drift, 0.3, 0.2 - 0.1 * drift])[0]
    tenure = int(_clip(rng.expovariate(1 / (24 - 6 * drift)), 0, 120))
    charges = round(_clip(rng.gauss(65 + 10 * drift, 25), 15, 400), 2)
    usage = round(_clip(rng.lognormvariate(2.5 + 0.2 * drift, 0.6), 0, 900), 2)
    return {
        "customer_age": int(_clip(rng.gauss(44 + 3 * drift, 14), 18, 95)),
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls": min(50, _poisson(rng, 1.5 + drift)),
        "data_usage_gb": None if rng.random() < 0.05 else usage,
        "contract": contract,
        "payment_method": None if rng.random() < 0.03 else rng.choice(PAYMENT_METHODS),
        "region": rng.choices(REGIONS, weights=[1, 1, 1, 1 + drift])[0],
    }


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here.
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _target(rng: random.Random, task: str, row: dict[str, Any]) -> int | str | float:
    usage = row["data_usage_gb"] if row["data_usage_gb"] is not None else 12.0
    if task == "binary_classification":
        logit = (
            -1.2
            + 1.3 * (row["contract"] == "month-to-month")
            - 0.9 * (row["contract"] == "two-year")
            - 0.04 * row["tenure_months"]
            + 0.02 * (row["monthly_charges"] - 65)
            + 0.35 * row["support_calls"]
            + 0.5 * (row["payment_method"] == "electronic-check")
        )
        return int(rng.random() < 1 / (1 + math.exp(-logit)))
    if task == "multiclass_classification":
        score = 0.03 * row["monthly_charges"] + 0.04 * usage + rng.gauss(0, 0.6)
        return "basic" if score < 2.4 else "standard" if score < 3.4 else "premium"
    spend: float = 1.1 * row["monthly_charges"] + 0.8 * usage + 4 * row["support_calls"]
    return round(max(0.0, spend + rng.gauss(0, 10)), 2)


def generate_rows(
    task: str, n_rows: int, seed: int, drift: float = 0.0
) -> Iterator[dict[str, Any]]:
    """Yield `n_rows` dict rows with the features and the task's target column."""
    if task not in TARGET_BY_TASK:
        raise ValueError(f"unknown task {task!r}: use one of {', '.join(TARGET_BY_TASK)}")
    rng = random.Random(seed)
    target = TARGET_BY_TASK[task]
    for _ in range(n_rows):
        row = _customer(rng, drift)
        row[target] = _target(rng, task, row)
        yield row


def write_csv(
    path: str | Path, task: str, n_rows: int = 5000, seed: int = 42, drift: float = 0.0
) -> Path:
    """Write the demo dataset to `path` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [*FEATURES, TARGET_BY_TASK[task]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in generate_rows(task, n_rows, seed, drift):
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return path


def demo_columns() -> list[str]:
    """Every column the demo dataset has, features and each task's target."""
    return [*FEATURES, *TARGET_BY_TASK.values()]
