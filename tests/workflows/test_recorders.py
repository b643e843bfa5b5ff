"""The recording `gh`, `cml` and `npm` called directly (no act): what they keep and what they
refuse."""

import json
import subprocess
import sys

import pytest
from github_in_a_box.origin import Origin, git
from github_in_a_box.standins import CML_SCRIPT, GH_SCRIPT, NPM_SCRIPT, Records


@pytest.fixture
def records(tmp_path):
    return Records(tmp_path / "records")


def call(script, args, records, cwd, token=True, extra_env=None):
    env = {
        **(extra_env or {}),
        "STANDIN_RECORDS": str(records.root),
        "GITHUB_REPOSITORY": "acme/churn",
        "PATH": "/usr/bin:/bin",
        **({"GH_TOKEN": "dummy"} if token else {}),
    }
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def gh(args, records, cwd, **options):
    return call(GH_SCRIPT, args, records, cwd, **options)


def test_gh_issues_persist_and_filter(records, tmp_path):
    assert gh(["label", "create", "drift"], records, tmp_path).returncode == 0
    (tmp_path / "body.md").write_text("PSI went up\n")
    created = gh(
        ["issue", "create", "--title", "Drift", "--body-file", "body.md", "--label", "drift"],
        records,
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "https://github.com/acme/churn/issues/1"
    gh(["issue", "create", "-t", "Other", "-b", "text"], records, tmp_path)

    listed = gh(
        ["issue", "list", "--label", "drift", "--json", "number,title,labels"], records, tmp_path
    )
    assert json.loads(listed.stdout) == [
        {"number": 1, "title": "Drift", "labels": [{"name": "drift"}]}
    ]
    count = gh(["issue", "list", "--json", "number", "--jq", "length"], records, tmp_path)
    assert count.stdout.strip() == "2"
    titles = gh(["issue", "list", "--json", "title", "--jq", ".[].title"], records, tmp_path)
    assert titles.stdout.split() == ["Other", "Drift"]

    gh(["issue", "comment", "1", "--body", "still drifting"], records, tmp_path)
    gh(["issue", "close", "1"], records, tmp_path)
    assert [i["number"] for i in records.issues()] == [2]
    (closed,) = records.issues("CLOSED")
    assert [c["body"] for c in closed["comments"]] == ["still drifting"]
    assert records.gh_calls()[0] == ["label", "create", "drift"]


def test_gh_refuses_what_github_would(records, tmp_path):
    missing_label = gh(
        ["issue", "create", "--title", "x", "--body", "y", "--label", "nope"], records, tmp_path
    )
    assert missing_label.returncode == 1
    assert "'nope' not found" in missing_label.stderr
    no_token = gh(["issue", "list"], records, tmp_path, token=False)
    assert no_token.returncode == 1 and "GH_TOKEN" in no_token.stderr
    unknown = gh(["api", "repos/acme/churn"], records, tmp_path)
    assert unknown.returncode == 1 and "not emulated" in unknown.stderr
    assert records.issues() == []


def test_gh_pull_request_needs_its_branch_on_origin(records, tmp_path):
    origin = Origin.create(tmp_path / "origin.git")
    clone = tmp_path / "clone"
    clone.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=clone)
    (clone / "f").write_text("x")
    git("add", "f", cwd=clone)
    git("commit", "--quiet", "-m", "x", cwd=clone)
    origin.connect(clone)
    origin.push(clone, "main")
    git("checkout", "--quiet", "-b", "retrain", cwd=clone)

    refused = gh(["pr", "create", "--title", "Retrain", "--body", "b"], records, clone)
    assert refused.returncode == 1 and "not on origin" in refused.stderr
    origin.push(clone, "retrain")
    created = gh(["pr", "create", "--title", "Retrain", "--body", "b"], records, clone)
    assert created.returncode == 0, created.stderr
    (pull,) = records.pulls()
    assert (pull["head"], pull["base"], pull["title"]) == ("retrain", "main", "Retrain")
    again = gh(["pr", "create", "--title", "Retrain", "--body", "b"], records, clone)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_gh_releases_keep_notes_and_assets(records, tmp_path):
    (tmp_path / "notes.md").write_text("roc_auc 0.91\n")
    (tmp_path / "model.json").write_text("{}")
    made = gh(
        [
            "release",
            "create",
            "churn@v1.0.0",
            "model.json",
            "--title",
            "churn v1.0.0",
            "--notes-file",
            "notes.md",
        ],
        records,
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    (release,) = records.releases()
    assert (release["tag"], release["notes"], release["assets"]) == (
        "churn@v1.0.0",
        "roc_auc 0.91\n",
        ["model.json"],
    )
    assert [p.name for p in records.release_assets("churn@v1.0.0")] == ["model.json"]
    view = gh(
        ["release", "view", "churn@v1.0.0", "--json", "tagName", "--jq", ".tagName"],
        records,
        tmp_path,
    )
    assert view.stdout.strip() == "churn@v1.0.0"
    twice = gh(["release", "create", "churn@v1.0.0"], records, tmp_path)
    assert twice.returncode == 1


def test_cml_keeps_argv_report_and_images(records, tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "roc.png").write_bytes(b"\x89PNG")
    (tmp_path / "report.md").write_text(
        "# Report\n![roc](plots/roc.png)\n![web](https://x/y.png)\n"
    )
    done = call(
        CML_SCRIPT,
        ["comment", "update", "--target=pr/7", "--publish", "report.md"],
        records,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (recorded,) = records.cml_calls()
    assert recorded["command"] == ["comment", "update"]
    assert recorded["options"] == {"target": ["pr/7"], "publish": [True]}
    assert recorded["report_text"].startswith("# Report")
    assert recorded["images"] == ["plots/roc.png"]
    assert [p.read_bytes() for p in recorded["image_files"]] == [b"\x89PNG"]


def test_cml_pr_create_pushes_a_branch_with_the_paths(records, tmp_path):
    origin = Origin.create(tmp_path / "origin.git")
    clone = tmp_path / "clone"
    clone.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=clone)
    (clone / "params.yaml").write_text("x: 1\n")
    git("add", "params.yaml", cwd=clone)
    git("commit", "--quiet", "-m", "x", cwd=clone)
    origin.connect(clone)
    origin.push(clone, "main")
    (clone / "params.yaml").write_text("x: 2\n")
    (clone / "untouched.txt").write_text("not given to cml\n")

    done = call(
        CML_SCRIPT,
        ["pr", "create", "--squash", "--branch", "retrain", "--title", "Retrain", "params.yaml"],
        records,
        clone,
    )

    assert done.returncode == 0, done.stderr
    (recorded,) = records.cml_calls()
    assert recorded["command"] == ["pr", "create"]
    assert recorded["options"] == {"squash": [True], "branch": ["retrain"], "title": ["Retrain"]}
    assert recorded["files"] == ["params.yaml"]
    assert done.stdout.startswith("https://github.com/acme/churn/pull/")
    assert recorded["branch"] == "retrain"
    assert origin.rev("retrain") == recorded["head_sha"]
    assert origin.log("retrain", "--format=%s", "-1").strip() == "Retrain"
    shown = git("show", "--name-only", "--format=", recorded["head_sha"], cwd=clone).stdout.split()
    assert shown == ["params.yaml"]


def test_cml_comment_update_rewrites_the_one_comment_per_pull_request(records, tmp_path):
    report = tmp_path / "report.md"
    for target, text in [("pr/3", "first"), ("pr/3", "second"), ("pr/4", "other")]:
        report.write_text(text)
        done = call(
            CML_SCRIPT, ["comment", "update", f"--target={target}", "report.md"], records, tmp_path
        )
        assert done.returncode == 0, done.stderr
    report.write_text("extra")
    call(CML_SCRIPT, ["comment", "create", "--target=pr/4", "report.md"], records, tmp_path)

    assert [(c["id"], c["body"], c["updates"]) for c in records.cml_comments("pr/3")] == [
        (1, "second", 1)
    ]
    assert [c["body"] for c in records.cml_comments("pr/4")] == ["other", "extra"]
    actions = [call["comment_action"] for call in records.cml_calls()]
    assert actions == ["created", "updated", "created", "created"]


def npm(args, records, bin_folder):
    return call(
        NPM_SCRIPT, args, records, bin_folder, extra_env={"STANDIN_NPM_BIN": str(bin_folder)}
    )


def test_npm_global_install_of_cml_records_and_puts_the_recording_cml_on_path(records, tmp_path):
    done = npm(["install", "--global", "--no-audit", "@dvcorg/cml@0.20.6"], records, tmp_path)

    assert done.returncode == 0, done.stderr
    assert records.npm_calls() == [["install", "--global", "--no-audit", "@dvcorg/cml@0.20.6"]]
    (tmp_path / "report.md").write_text("# Report\n")
    posted = subprocess.run(
        [tmp_path / "cml", "comment", "create", "report.md"],
        cwd=tmp_path,
        env={"STANDIN_RECORDS": str(records.root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert posted.returncode == 0, posted.stderr
    assert [c["command"] for c in records.cml_calls()] == [["comment", "create"]]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["install", "--global", "@dvcorg/cml"], "not pinned to an exact version"),
        (["install", "--global", "@dvcorg/cml@latest"], "not pinned to an exact version"),
        (["install", "--global", "@dvcorg/cml@^0.20.6"], "not pinned to an exact version"),
        (["install", "@dvcorg/cml@0.20.6"], "only global installs"),
        (["install", "--global", "vega-cli@5.0.0"], "no recorder for 'vega-cli'"),
        (["ci"], "not emulated"),
    ],
)
def test_npm_refuses_unpinned_and_unknown_installs(records, tmp_path, args, problem):
    refused = npm(args, records, tmp_path)

    assert refused.returncode == 1
    assert problem in refused.stderr
    assert not (tmp_path / "cml").exists()
    assert records.npm_calls() == [args]
