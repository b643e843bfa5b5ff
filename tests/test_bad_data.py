"""Bad raw data stops `dvc repro` at the validate stage, says what is wrong, and loses nothing."""

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import dvc, project_env, resolved_answers, run

DATA = Path("data/raw/demo.csv")
PACKAGE = resolved_answers({})["package_name"]


def md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def to_csv(table, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(table)
    return out.getvalue()


def set_cell(column, row, value):
    def change(text):
        table = rows(text)
        table[row][table[0].index(column)] = value
        return to_csv(table).encode()

    return change


def drop_column(column):
    def change(text):
        table = rows(text)
        index = table[0].index(column)
        return to_csv([line[:index] + line[index + 1 :] for line in table]).encode()

    return change


def add_column(column):
    def change(text):
        table = rows(text)
        return to_csv([table[0] + [column]] + [[*line, "7"] for line in table[1:]]).encode()

    return change


def blank_column(column):
    def change(text):
        table = rows(text)
        index = table[0].index(column)
        for line in table[1:]:
            line[index] = ""
        return to_csv(table).encode()

    return change


def semicolons(text):
    return to_csv(rows(text), delimiter=";").encode()


def latin1(text):
    table = rows(text)
    table[40][table[0].index("region")] = "nörth"
    return to_csv(table).encode("latin-1")


# id: (how to break the CSV, column in the report (None: the whole file), rule in the report,
#      text the command's output must contain)
CASES = {
    "empty-file": (lambda text: b"", None, "empty_file", "the file is empty"),
    "missing-column": (drop_column("region"), "region", "missing_column", "region: missing_column"),
    "extra-column": (
        add_column("loyalty_points"),
        "loyalty_points",
        "extra_column",
        "loyalty_points: extra_column",
    ),
    "wrong-dtype": (set_cell("customer_age", 3, "forty"), "customer_age", "dtype", "'forty'"),
    "out-of-range": (
        set_cell("tenure_months", 5, "500"),
        "tenure_months",
        "out_of_range",
        "tenure_months: out_of_range in 1 rows",
    ),
    "unseen-category": (
        set_cell("region", 7, "central"),
        "region",
        "category",
        "region: category in 1 rows",
    ),
    "all-null-column": (
        blank_column("data_usage_gb"),
        "data_usage_gb",
        "all_null",
        "data_usage_gb: all_null",
    ),
    "wrong-delimiter": (semicolons, None, "delimiter", "semicolon-separated"),
    "not-utf-8": (latin1, None, "encoding", "not UTF-8"),
}


@pytest.fixture(scope="module")
def good(reproduced):
    """The default project after one good `dvc repro`, and what that run recorded."""
    project = reproduced()
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    model = next(out for out in lock["stages"]["train"]["outs"] if out["path"].endswith(".joblib"))
    pointer = yaml.safe_load((project / f"{DATA}.dvc").read_text())["outs"][0]
    return project, model["md5"], pointer["md5"]


@pytest.mark.parametrize(("break_data", "column", "rule", "said"), CASES.values(), ids=CASES.keys())
def test_bad_data_fails_validation_and_loses_nothing(
    good, project_copy, break_data, column, rule, said
):
    original, model_md5, data_md5 = good
    project = project_copy(original)
    lock_before = (project / "dvc.lock").read_bytes()
    (project / DATA).write_bytes(break_data((original / DATA).read_text(encoding="utf-8")))

    # `make repro` runs the package's `repro`, which wraps `dvc repro`.
    result = run(
        [sys.executable, "-m", PACKAGE, "repro"], project, env=project_env(project), check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Running stage 'validate'" in output
    assert "Running stage 'train'" not in output
    assert said in output
    if column is not None:
        assert f"{column}: {rule}" in output

    report = json.loads((project / "reports/validation.json").read_text())
    assert report["valid"] is False
    assert {"column": column, "rule": rule} in [
        {"column": found["column"], "rule": found["rule"]} for found in report["violations"]
    ], report
    assert not (project / "data/validated.parquet").exists()
    assert (project / "dvc.lock").read_bytes() == lock_before

    # The refused file is not recorded: `dvc repro` writes a changed data source into its .dvc
    # pointer (and autostage stages it) before validate runs; `repro` puts both back.
    assert run(["git", "status", "--porcelain", "--", f"{DATA}.dvc"], project).stdout == ""
    # Nothing lost: the good data comes back from the cache, the remote still holds it, and
    # the last good model is still in the cache and checks out again.
    dvc("checkout", "--force", cwd=project)
    assert md5(project / DATA) == data_md5
    assert dvc("status", "--cloud", "--json", f"{DATA}.dvc", cwd=project).stdout.strip() == "{}"
    assert (project / ".dvc/cache/files/md5" / model_md5[:2] / model_md5[2:]).is_file()
    assert md5(project / "models/model.joblib") == model_md5
