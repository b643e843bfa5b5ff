"""The data contract rejects each kind of corrupt data with a message that says what and how.

Each case corrupts the demo dataset one way and checks the raised ContractViolation, the
JSON report written beside it, and that neither the input nor a stale output survives.
"""

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.contract.validate import validate_file
from {{ cookiecutter.package_name }}.errors import ContractViolation

OUTPUT = "data/validated.parquet"
REPORT = "reports/validation.json"


def frame_of(data):
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def csv_of(frame):
    return frame.to_csv(index=False).encode()


def set_cell(column, value, row=3):
    def corrupt(data, target):
        frame = frame_of(data)
        frame.loc[row, column] = value
        return csv_of(frame)

    return corrupt


def drop_column(data, target):
    return csv_of(frame_of(data).drop(columns="region"))


def add_column(data, target):
    return csv_of(frame_of(data).assign(notes="called twice"))


def empty_column(data, target):
    return csv_of(frame_of(data).assign(data_usage_gb=""))


CASES = {
    "empty file": (lambda data, target: b"", None, "empty_file", "the file is empty"),
    "header only": (lambda data, target: data.split(b"\n")[0] + b"\n", None, "no_rows", "no rows"),
    "missing column": (drop_column, "region", "missing_column", "region: missing_column"),
    "extra column": (add_column, "notes", "extra_column", "'called twice'"),
    "wrong dtype": (set_cell("customer_age", "forty"), "customer_age", "dtype", "'forty'"),
    "fraction in integer column": (
        set_cell("support_calls", "2.5"),
        "support_calls",
        "dtype",
        "'2.5'",
    ),
    "out of range": (set_cell("customer_age", "150"), "customer_age", "out_of_range", "[18, 100]"),
    "unseen category": (set_cell("region", "central"), "region", "category", "'central'"),
    "null in non-nullable": (set_cell("contract", ""), "contract", "null", "contract: null"),
    "all-null column": (empty_column, "data_usage_gb", "all_null", "every value is missing"),
    "wrong delimiter": (
        lambda data, target: data.replace(b",", b";"),
        None,
        "delimiter",
        "semicolon",
    ),
    "tab delimiter": (lambda data, target: data.replace(b",", b"\t"), None, "delimiter", "tab"),
    "non-UTF-8 bytes": (
        lambda data, target: data.replace(b"north", "nörth".encode("latin-1"), 1),
        None,
        "encoding",
        "byte offset",
    ),
    "ragged row": (
        lambda data, target: data + b"1,2,3,4,5,6,7,8,9,10,11\n",
        None,
        "csv_format",
        "line",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_corrupt_data_is_rejected_with_report(case, raw_csv, schema):
    corrupt, column, rule, message = CASES[case]
    raw_csv.write_bytes(corrupt(raw_csv.read_bytes(), schema.target))
    corrupted = raw_csv.read_bytes()
    (raw_csv.parent.parent / "validated.parquet").write_text("stale output of an earlier run")

    with pytest.raises(ContractViolation) as raised:
        validate_file(raw_csv, "schema.yaml", OUTPUT, REPORT)

    assert message in str(raised.value)
    assert raised.value.fix
    report = json.loads(Path(REPORT).read_text())
    assert report["valid"] is False
    assert {"column": column, "rule": rule} in [
        {"column": found["column"], "rule": found["rule"]} for found in report["violations"]
    ]
    assert all(
        set(found) >= {"column", "rule", "count", "examples"} for found in report["violations"]
    )
    assert raw_csv.read_bytes() == corrupted
    assert not (raw_csv.parent.parent / "validated.parquet").exists()


def test_a_target_value_outside_the_contract_is_rejected(raw_csv, schema):
    target = schema.columns[schema.target]
    # An unlisted class, or for a numeric target a value below its minimum.
    value, rule = ("cancelled", "category") if target.categories else ("-5", "out_of_range")
    if target.dtype == "integer" and target.categories:
        value = str(max(target.categories) + 1)
    corrupt = set_cell(schema.target, value)
    raw_csv.write_bytes(corrupt(raw_csv.read_bytes(), schema.target))
    with pytest.raises(ContractViolation, match=f"{schema.target}: {rule} in 1 rows"):
        validate_file(raw_csv, "schema.yaml", OUTPUT, REPORT)


def test_every_failing_column_is_listed_with_counts_and_the_fix(raw_csv, schema):
    data = raw_csv.read_bytes()
    for corrupt in (set_cell("customer_age", "150", row=1), set_cell("customer_age", "160", row=2)):
        data = corrupt(data, schema.target)
    data = drop_column(data, schema.target)
    data = set_cell("tenure_months", "a while")(data, schema.target)
    raw_csv.write_bytes(data)

    with pytest.raises(ContractViolation) as raised:
        validate_file(raw_csv, "schema.yaml", OUTPUT, REPORT)

    message = str(raised.value)
    assert "(3 problems)" in message
    assert "customer_age: out_of_range in 2 rows" in message
    assert "'150', '160'" in message
    assert "region: missing_column" in message
    assert "tenure_months: dtype in 1 rows" in message
    assert "correct the data or update schema.yaml" in message
    assert f"schema infer {raw_csv} --target {schema.target}" in message
    report = json.loads(Path(REPORT).read_text())
    assert report["rows"] == 400
    assert len(report["violations"]) == 3


def test_non_utf8_message_points_at_the_line(raw_csv):
    lines = raw_csv.read_bytes().split(b"\n")
    lines[6] = lines[6] + "é".encode("cp1252")
    raw_csv.write_bytes(b"\n".join(lines))
    with pytest.raises(ContractViolation, match=r"0xe9 at byte offset \d+ \(line 7\)") as raised:
        validate_file(raw_csv, "schema.yaml", OUTPUT, REPORT)
    assert "UTF-8" in raised.value.fix
