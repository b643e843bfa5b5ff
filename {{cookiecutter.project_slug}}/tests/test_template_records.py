"""The template capability's pure parts: .cruft.json's record, answers, the PR body."""

import json

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.template.answers import parse_assignments
from {{ cookiecutter.package_name }}.template.describe import BODY_LIMIT, body, title
from {{ cookiecutter.package_name }}.template.update import Conflict, Update, read_state


def update_with(conflicts=(), changed=("params.yaml", ".cruft.json")):
    return Update("https://example.com/t.git", "a" * 40, "b" * 40, list(changed), list(conflicts))


def test_body_lists_changed_files_but_not_the_record():
    text = body(update_with())
    assert text.startswith(f"# {title(update_with())}\n")
    assert "- `params.yaml`" in text and "- `.cruft.json`" not in text
    assert "No conflicts" in text


def test_body_shows_each_conflict_in_a_fence_longer_than_its_hunks():
    hunk = "@@ -1 +1 @@\n-```old\n+```new\n"
    text = body(update_with([Conflict("README.md", hunk)]))
    assert "## Conflicts: this project's version kept (1)" in text
    assert "### `README.md`\n\n````diff\n" + hunk in text


def test_body_stays_under_githubs_limit():
    text = body(update_with([Conflict("big.txt", "+x\n" * 40_000)]))
    assert len(text) <= BODY_LIMIT and "Truncated" in text


def test_a_missing_or_broken_record_says_how_to_fix_it(tmp_path):
    with pytest.raises(ProjectError, match="cruft link"):
        read_state(tmp_path)
    (tmp_path / ".cruft.json").write_text(json.dumps({"template": "x"}))
    with pytest.raises(ProjectError, match=r"git log -p -- \.cruft\.json"):
        read_state(tmp_path)


def test_answers_are_key_value_pairs():
    assert parse_assignments(["dvc_remote=s3", "dvc_remote_url=s3://b/p=q"]) == {
        "dvc_remote": "s3",
        "dvc_remote_url": "s3://b/p=q",
    }
    with pytest.raises(ProjectError, match="KEY=VALUE"):
        parse_assignments(["dvc_remote"])
