"""The whole GitOps loop, end to end: one model's life in a freshly generated repository.

Real git (a local bare origin), real DVC (an S3 remote served by moto on 127.0.0.1), the
generated workflows under act with the recording cml and gh. Each chapter asserts the state it
leaves (tags on origin, comments, issues, pull requests, releases, objects in the remote) and
adds a line to the story printed at the end; `make story` runs only this test and shows it.
"""

import datetime
import io
import json
import os
import re
import shutil
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from browser import OUTPUT, page_layout
from conftest import DEFAULTS, bake, dvc, project_env, run
from github_in_a_box.box import GitHubBox
from github_in_a_box.origin import git
from github_in_a_box.standins import write_tool_launchers

from .projects import STUMP, commit_all, replace, set_params
from .served import ServedHost

MODEL = "customer-churn"
PACKAGE = "customer_churn"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
TUNED = ("      learning_rate: 0.1\n", "      learning_rate: 0.05\n")
# Where the story's time goes, by the step names of the generated workflows.
SHARES = {
    "installs": ("Set up Python", "Install the project", "Set up CML"),
    "DVC": (
        "Fetch data and cached results",
        "Push reproduced outputs",
        "Fetch the model",
        "Fetch the production model's reference",
        "Deploy the production model",
        "Deploy the stage's model",
    ),
    "training": ("Reproduce the pipeline", "Retrain on the current data"),
}


def version_tag(version):
    return f"{MODEL}@{version}"


def today():
    return datetime.datetime.now(datetime.UTC).date().isoformat()


class Story:
    """The box, the developer's clone, and a log of chapters with where their time went."""

    def __init__(self, box, clone):
        self.box, self.clone = box, clone
        self.lines, self.seconds = [], defaultdict(float)
        self.started = time.monotonic()

    def act(self, event, workflow, job=None, env=None, **secrets):
        result = self.box.run(event, workflow, job=job, env=env, secrets={**AWS, **secrets})
        self.seconds["act runs"] += result.seconds
        for job in result.jobs:
            for step in job.steps:
                share = next((k for k, names in SHARES.items() if step.name in names), None)
                self.seconds[share or "other steps"] += step.seconds
        self.log(f"  {workflow} ({event.name}): {self._outcome(result)} in {result.seconds:.0f} s")
        return result

    @staticmethod
    def _outcome(result):
        if result.ok:
            return "green"
        return "failed at " + ", ".join(step for _, step in result.failed_steps)

    def local(self, share, command, *args, **kwargs):
        """A developer's own command, timed under `share`."""
        started = time.monotonic()
        output = command(*args, **kwargs)
        self.seconds[share] += time.monotonic() - started
        return output

    def log(self, line):
        self.lines.append(line)

    def chapter(self, number, title):
        self.log(f"[{number}] {title}  (t = {time.monotonic() - self.started:.0f} s)")

    def summary(self):
        total = time.monotonic() - self.started
        lines = [*self.lines, f"story wall time: {total:.0f} s"]
        for share in ("installs", "DVC", "training"):
            seconds = self.seconds[share]
            lines.append(f"  {share}: {seconds:.0f} s ({100 * seconds / total:.0f}%)")
        return "\n".join(lines)


def publish(story, *refspecs):
    story.box.publish(story.clone, *refspecs)


def reproduce_and_push(story):
    """What a developer does before pushing: `dvc repro`, then `dvc push` (with run cache)."""
    story.local("training", dvc, "repro", "--quiet", cwd=story.clone)
    story.local("DVC", dvc, "push", "--quiet", "--run-cache", cwd=story.clone)


def fast_forward_main(story, branch):
    """Merge a pull request as a fast-forward on origin; the developer's clone follows."""
    head = story.box.sha(branch)
    story.box.origin.update_ref("refs/heads/main", head)
    git("fetch", "--quiet", "--tags", "origin", cwd=story.clone)
    git("checkout", "--quiet", "-B", "main", "origin/main", cwd=story.clone)
    return head


def data_md5(story, rev):
    """The raw data's md5 that `data/raw/demo.csv.dvc` records at `rev` on origin."""
    text = git("show", f"{rev}:data/raw/demo.csv.dvc", cwd=story.box.origin.path).stdout
    (md5,) = re.findall(r"md5: ([0-9a-f]{32})", text)
    return md5


def stage_tags(box):
    return {name: sha for name, sha in box.origin.tags().items() if "#" in name}


def production(story):
    output = run(
        ["python", "-m", PACKAGE, "registry", "show"],
        story.clone,
        env=project_env(story.clone),
    ).stdout
    (line,) = [line for line in output.splitlines() if line.strip().startswith("production:")]
    return line.split(":", 1)[1].strip()


def open_pr(story, branch):
    """The pull request's report job; its "Lint and test" job is played in test_pr_workflow."""
    event = story.box.pull_request_event(branch)
    return event, story.act(event, "pr.yml", job="report")


def score_a_batch_on_s3(story, day="2026-11-30", rows=500):
    """score.yml scores the day's batch in the bucket with the production model (fetched from
    the S3 remote) into the bucket, the output named by date and version."""
    box, clone, bucket = story.box, story.clone, story.bucket
    lines = (clone / "data" / "raw" / "demo.csv").read_text().splitlines()[: rows + 1]
    story.s3.client.put_object(Bucket=bucket, Key=f"batches/{day}.csv", Body="\n".join(lines))
    set_params(
        clone,
        "score",
        source=f"s3://{bucket}/batches/{{date}}.csv",
        destination=f"s3://{bucket}/predictions/{{date}}/{{version}}.parquet",
    )
    commit_all(clone, "Score the day's batches in the team's bucket")
    publish(story)
    # The runner reaches the S3 stand-in as a self-hosted runner reaches MinIO: by the AWS SDK's
    # own AWS_ENDPOINT_URL (DVC's remote has its endpointurl in .dvc/config).
    result = story.act(
        box.dispatch_event({"date": day}),
        "score.yml",
        env={"AWS_ENDPOINT_URL": story.s3.endpoint_url},
    )
    assert result.ok, result.report()
    key = f"predictions/{day}/v0.1.0.parquet"
    assert story.s3.keys(bucket, "predictions/") == [key]
    body = story.s3.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    scored = pq.read_table(io.BytesIO(body))
    assert scored.num_rows == rows
    assert set(scored.column("model_version").to_pylist()) == {"v0.1.0"}
    summary = result.job("score").summary
    assert f"Scored {rows} rows of s3://{bucket}/batches/{day}.csv with v0.1.0" in summary
    story.log(f"  score.yml scored {rows} rows from S3 with v0.1.0 into s3://{bucket}/{key}")


def ops_report(story, clone, tools):
    """`ops report` in `clone`, with the recording gh answering from the box's records."""
    launchers = write_tool_launchers(tools)
    env = project_env(clone)
    env.update(
        PATH=os.pathsep.join([str(launchers), env["PATH"]]),
        GH_TOKEN="dummy-token",
        STANDIN_RECORDS=str(story.box.records.root),
    )
    run(["python", "-m", PACKAGE, "ops", "report"], clone, env=env)
    return json.loads((clone / "reports" / "ops.json").read_text())


def comments_on(story, event):
    return story.box.records.cml_comments(f"pr/{event.payload['number']}")


@pytest.fixture
def story(act_runner, moto_s3, tmp_path):
    bucket = moto_s3.create_bucket("story")
    project = bake(tmp_path / "bake", dvc_remote="s3", dvc_remote_url=f"s3://{bucket}/{MODEL}")
    box = GitHubBox(tmp_path / "github", act_runner)
    tale = Story(box, project)
    tale.bucket, tale.s3 = bucket, moto_s3
    yield tale
    print("\n" + tale.summary())


def test_a_models_life_through_git_dvc_and_the_workflows(story, tmp_path):
    box, clone = story.box, story.clone

    story.chapter(1, "Generate a project (defaults, s3 remote) and push it to origin")
    dvc("remote", "modify", "storage", "endpointurl", story.s3.endpoint_url, cwd=clone)
    story.local("DVC", dvc, "push", "--quiet", cwd=clone)
    reproduce_and_push(story)
    commit_all(clone, "Reproduce the pipeline on the team's S3 remote")
    publish(story)
    git("remote", "add", "origin", str(box.origin.path), cwd=clone)
    git("fetch", "--quiet", "origin", cwd=clone)
    assert box.origin.branches() == {"main": box.sha("main")}
    assert any(key.startswith(f"{MODEL}/files/md5/") for key in story.s3.keys(story.bucket))

    story.chapter(2, "A pull request tunes the learning rate; merged")
    git("checkout", "--quiet", "-b", "tune-learning-rate", cwd=clone)
    replace(clone / "params.yaml", TUNED)
    reproduce_and_push(story)
    commit_all(clone, "Halve the learning rate")
    publish(story, "HEAD:refs/heads/tune-learning-rate")
    event, result = open_pr(story, "tune-learning-rate")
    assert result.ok, result.report()
    (comment,) = comments_on(story, event)
    assert "quality gate ✅ PASS" in comment["body"]
    assert (
        "| `model.hyperparameters.hist_gradient_boosting.learning_rate` | 0.1000 | 0.0500 |"
        in (comment["body"])
    )
    assert "could not be read" not in comment["body"]  # the S3 secrets reached the job
    merged = fast_forward_main(story, "tune-learning-rate")

    story.chapter(3, "The merge proposes v0.1.0; the release publishes and promotes it")
    result = story.act(box.push_event(), "version.yml", REPO_TOKEN="repo-token")
    assert result.ok, result.report()
    assert box.origin.tags()[version_tag("v0.1.0")] == merged
    result = story.act(box.tag_event(version_tag("v0.1.0")), "release.yml")
    assert result.ok, result.report()
    assert stage_tags(box) == {f"{MODEL}#production#1": merged}
    (release,) = box.records.releases()
    assert release["tag"] == version_tag("v0.1.0")
    assert {"model.joblib", "model_card.md", "model_card.html"} <= set(release["assets"])
    git("fetch", "--quiet", "--tags", "origin", cwd=clone)
    assert production(story) == "v0.1.0"
    story.log("  a production host (a clone of origin) serves the production tag with --follow")
    host = ServedHost(box.origin.path, tmp_path / "host", PACKAGE, tmp_path / "prediction-log")
    assert host.version() == "v0.1.0"

    story.chapter(4, "Scheduled drift checks: a calm batch, then a drifted one")
    result = story.act(box.schedule_event(DEFAULTS["drift_schedule"]), "drift.yml")
    assert result.ok, result.report()
    assert "production" in result.job("check").step("Fetch the production model's reference").text
    assert box.records.issues(state=None) == []
    set_params(clone, "drift", start="'2000-01-01'", retrain_on_drift="true")
    commit_all(clone, "Simulate a drifted month; retrain when drift is found")
    publish(story)
    result = story.act(box.schedule_event(DEFAULTS["drift_schedule"]), "drift.yml")
    assert result.failed_steps == [
        ("check", "Check for drift"),
        ("check", "Fail unless the data showed no drift"),
    ], result.report()
    (issue,) = box.records.issues()
    assert "drift" in issue["labels"] and issue["title"].startswith("Data drift")
    (pr_call,) = [c for c in box.records.cml_calls() if c["command"][:2] == ["pr", "create"]]
    retrain_branch = pr_call["branch"]
    assert retrain_branch == f"drift-retrain-{today()}"
    assert "data/raw/demo.csv.dvc" in pr_call["files"]
    assert box.origin.rev(retrain_branch) == pr_call["head_sha"]

    story.chapter(5, "The retraining pull request is checked, merged, released as v0.2.0")
    event, result = open_pr(story, retrain_branch)
    assert result.ok, result.report()
    (comment,) = comments_on(story, event)
    assert "quality gate ✅ PASS" in comment["body"]
    new_data = data_md5(story, retrain_branch)
    assert new_data != data_md5(story, version_tag("v0.1.0"))
    assert f"- data/raw/demo.csv: `{new_data}`" in comment["body"]  # the audit record
    # The gate compares with the version in production, read from its own committed metrics.
    released = json.loads(git("show", f"{version_tag('v0.1.0')}:metrics.json", cwd=clone).stdout)
    assert f"vs production v0.1.0's {released['roc_auc']:.4f}" in comment["body"]
    assert "no model is in production yet" not in comment["body"]
    retrained = fast_forward_main(story, retrain_branch)
    result = story.act(box.push_event(), "version.yml", REPO_TOKEN="repo-token")
    assert result.ok, result.report()
    assert box.origin.tags()[version_tag("v0.2.0")] == retrained
    assert "the training data" in box.origin.tag_message(version_tag("v0.2.0"))
    result = story.act(box.tag_event(version_tag("v0.2.0")), "release.yml")
    assert result.ok, result.report()
    git("fetch", "--quiet", "--tags", "origin", cwd=clone)
    assert production(story) == "v0.2.0"
    host.wait_for_version("v0.2.0")
    story.log("  the service followed the promotion: /version says v0.2.0")

    story.chapter(6, "A bad candidate is refused; production is rolled back to v0.1.0")
    replace(clone / "params.yaml", STUMP)
    reproduce_and_push(story)
    bad = commit_all(clone, "Try a single stump")
    git("tag", "--annotate", "-m", "Release candidate", version_tag("v0.3.0"), cwd=clone)
    publish(story, "HEAD:refs/heads/main", f"refs/tags/{version_tag('v0.3.0')}")
    result = story.act(box.tag_event(version_tag("v0.3.0")), "release.yml")
    assert result.failed_steps == [("release", "Quality gate")], result.report()
    assert bad not in stage_tags(box).values()
    result = story.act(
        box.dispatch_event({"version": "v0.1.0", "stage": "production"}), "promote.yml"
    )
    assert result.ok, result.report()
    git("fetch", "--quiet", "--tags", "origin", cwd=clone)
    assert production(story) == "v0.1.0"
    host.wait_for_version("v0.1.0")
    story.log("  the service followed the rollback: /version says v0.1.0")
    history = run(
        ["python", "-m", PACKAGE, "registry", "history"], clone, env=project_env(clone)
    ).stdout
    story.log("  registry history:\n" + "\n".join(f"    {line}" for line in history.splitlines()))
    steps = [line for line in history.splitlines() if line.strip()]
    assert [s.split()[1:3] for s in steps if "production" in s] == [
        ["assignment", "production"],
        ["unassignment", "production"],
        ["assignment", "production"],
        ["unassignment", "production"],
        ["assignment", "production"],
    ]
    assert all(" by " in line for line in steps)
    assert "replacing v0.2.0" in steps[-1]
    # The registry agrees with origin as `git ls-remote` lists it, not with a local cache.
    synced = run(["python", "-m", PACKAGE, "registry", "sync"], clone, env=project_env(clone))
    assert "registry tags match origin (git ls-remote)" in synced.stdout
    remote = git("ls-remote", "--tags", "--refs", "origin", cwd=clone).stdout
    on_origin = {line.split("refs/tags/")[1] for line in remote.splitlines()}
    local = set(git("tag", "--list", f"{MODEL}*", cwd=clone).stdout.split())
    assert local == on_origin

    story.chapter(7, "Production served every request; drift is checked on what it served")
    host.stop()
    statuses = {status for status, _, _ in host.answers}
    assert statuses == {200}, [a for a in host.answers if a[0] != 200][:3]
    assert host.served_versions() == ["v0.1.0", "v0.2.0", "v0.1.0"]
    assert "now serving v0.2.0 (was v0.1.0)" in host.log_text()
    assert "now serving v0.1.0 (was v0.2.0)" in host.log_text()
    story.log(f"  {len(host.answers)} requests, none failed, answered by v0.1.0, v0.2.0, v0.1.0")
    logged = f"{host.log_folder}/date=*/*.parquet"  # every day the service logged
    set_params(clone, "drift", source=f"'{logged}'", simulate="false", retrain_on_drift="false")
    commit_all(clone, "Check drift on the production service's prediction log")
    publish(story)
    result = story.act(box.schedule_event(DEFAULTS["drift_schedule"]), "drift.yml")
    assert result.ok, result.report()
    files = {
        path.rsplit("/", 1)[-1]: file for path, file in box.records.artifact("drift-report").items()
    }
    document = json.loads(files["drift.json"].read_text())
    assert document["status"] == "no_drift"
    assert document["result"]["current_rows"] == len(host.answers)
    assert all(path.startswith(f"{host.log_folder}/date=") for path in document["files"])
    story.log(f"  drift.yml read {len(document['files'])} log files: no drift")
    score_a_batch_on_s3(story)

    story.chapter(8, "Nothing was lost: every version comes back from the remote alone")
    fresh = tmp_path / "fresh-clone"
    git("clone", "--quiet", str(box.origin.path), str(fresh), cwd=tmp_path)
    shutil.rmtree(clone / ".dvc" / "cache", ignore_errors=True)
    for version in ("v0.1.0", "v0.2.0", "v0.3.0"):
        out = tmp_path / "fetched" / version
        run(
            [
                "python",
                "-m",
                PACKAGE,
                "registry",
                "fetch",
                "--version",
                version,
                "--output-dir",
                str(out),
            ],
            fresh,
            env=project_env(fresh),
        )
        tagged = git("show", f"{version_tag(version)}:metrics.json", cwd=fresh).stdout
        assert (out / "metrics.json").read_text().strip() == tagged.strip()
        assert (out / "model.joblib").stat().st_size > 0
    pulled = dvc("pull", cwd=fresh)
    assert pulled.returncode == 0
    assert (fresh / "models" / "model.joblib").is_file()
    assert not Path(fresh / ".dvc" / "config.local").exists()
    story.log(f"  {len(story.s3.keys(story.bucket))} objects in s3://{story.bucket}")

    story.chapter(9, "The team's figures come from the record: `ops report`")
    report = ops_report(story, fresh, tmp_path / "tools")
    figures = report["figures"]
    assert report["unavailable"] == {}, report["unavailable"]
    assert figures["deployment_frequency"]["total"] == 3  # v0.1.0, v0.2.0, the rollback
    failures = figures["change_failure_rate"]
    assert [(f["version"], f["why"][:19]) for f in failures["failures"]] == [
        ("v0.2.0", "rolled back to v0.1")
    ]
    assert [r["version"] for r in failures["refusals"]] == ["v0.3.0"]  # refused at the gate
    assert failures["rate"] == 0.5  # (1 rolled back + 1 refused) / (3 assignments + 1 refusal)
    (rollback,) = figures["time_to_restore"]["rollbacks"]
    assert (rollback["from"], rollback["to"]) == ("v0.2.0", "v0.1.0")
    drift_runs = [
        r for r in box.records.runs("drift.yml") if r["conclusion"] in ("success", "failure")
    ]
    drift = figures["reliability"]["workflows"]["drift.yml"]
    assert (drift["runs"], drift["succeeded"]) == (
        len(drift_runs),
        sum(r["conclusion"] == "success" for r in drift_runs),
    )
    assert [v["version"] for v in figures["latency"]["versions"]] == ["v0.1.0", "v0.2.0"]
    for row in figures["quality"]["versions"]:
        tagged = json.loads(
            git("show", f"{version_tag(row['version'])}:metrics.json", cwd=fresh).stdout
        )
        assert row["value"] == tagged["roc_auc"]
    page = page_layout(fresh / "reports" / "ops.html", screenshot=OUTPUT / "story-ops.png")
    assert page["scroll_width"] <= page["client_width"] == 1280, page
    story.log(
        f"  {figures['deployment_frequency']['total']} production assignments, change failure "
        f"rate {failures['rate']:.0%}, lead time median {figures['lead_time']['median_hours']} h"
    )
