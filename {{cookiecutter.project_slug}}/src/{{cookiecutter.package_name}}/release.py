"""Releasing a version: check its tag, fetch its model, re-run the gate, build the bundle and
model card, publish a GitHub Release, assign the production stage; and proposing the next one.

Each step is one command (`python -m <package> release <step> --tag <model>@vX.Y.Z`), so the
workflow and a maintainer run the same thing. Every step can be re-run: what already exists
(a release, its assets, a stage assignment) is detected and skipped.
"""

import csv
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from . import config
from .errors import GateFailed, ProjectError
from .metrics import HIGHER_IS_BETTER, gate
from .registry import model_artifact, normalize_version, tagger

PRODUCTION = "production"
BUNDLES = Path("release")
DVC_LOCK = Path("dvc.lock")
NOTEBOOK = Path("notebooks/model_card.ipynb")
# The notebook reads its facts from this file in the folder it runs in.
CARD_CONTEXT = "model_card.json"
# Copied into the bundle as they are at the released commit.
BUNDLED_FILES = (
    config.METRICS,
    config.PARAMS,
    config.SCHEMA,
    config.PROFILE,
    config.MODEL_METADATA,
    DVC_LOCK,
    Path("constraints.txt"),
)
BUMPS = ("auto", "major", "minor", "patch")
# 0.x while the team learns how the model behaves in production, like pyproject.toml's version.
FIRST_VERSION = "v0.1.0"
SEGMENTS = 4


@dataclass(frozen=True)
class Baseline:
    """The release's gate metric next to the production model's, with the allowed slack."""

    version: str
    value: float
    production_value: float
    tolerance: float
    higher_is_better: bool

    @property
    def passed(self):
        if self.higher_is_better:
            return self.value >= self.production_value - self.tolerance
        return self.value <= self.production_value + self.tolerance

    def __str__(self):
        verdict = "passed" if self.passed else "FAILED"
        direction = "below" if self.higher_is_better else "above"
        return (
            f"{self.value:.4f} vs production {self.version} {self.production_value:.4f} "
            f"(at most {self.tolerance} {direction} it): {verdict}"
        )


@dataclass(frozen=True)
class GateReport:
    threshold: object  # metrics.GateResult
    baseline: Baseline | None

    @property
    def passed(self):
        return self.threshold.passed and (self.baseline is None or self.baseline.passed)

    def lines(self):
        lines = [f"threshold: {self.threshold}"]
        if self.baseline is None:
            lines.append("production: no other version in production to compare with")
        else:
            lines.append(f"production: {self.threshold.metric} {self.baseline}")
        return lines

    def as_dict(self):
        return {
            "passed": self.passed,
            "metric": self.threshold.metric,
            "value": self.threshold.value,
            "threshold": self.threshold.threshold,
            "higher_is_better": self.threshold.higher_is_better,
            "threshold_passed": self.threshold.passed,
            "production": asdict(self.baseline) | {"passed": self.baseline.passed}
            if self.baseline
            else None,
            "summary": self.lines(),
        }


# --- reading a commit ------------------------------------------------------------------------
def read_at(registry, commit, path):
    """A file's text at `commit` (from git), or None when the commit has no such file."""
    result = registry.git("show", f"{commit}:{Path(path).as_posix()}", check=False)
    return result.stdout if result.returncode == 0 else None


def lock_entries(lock_text):
    """{path: {"md5", "size"}} of every dep and out dvc.lock records."""
    document = yaml.safe_load(lock_text or "") or {}
    entries = {}
    for stage in (document.get("stages") or {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            if "md5" in entry:
                entries[entry["path"]] = {"md5": entry["md5"], "size": entry.get("size")}
    return entries


def model_md5(registry, commit):
    """The model's md5 in dvc.lock at `commit` (None without a dvc.lock or model entry)."""
    _, path = model_artifact(registry.root / "dvc.yaml")
    entry = lock_entries(read_at(registry, commit, DVC_LOCK)).get(path)
    return entry["md5"] if entry else None


# --- steps -----------------------------------------------------------------------------------
def verify(registry, tag, default_branch="main"):
    """The Version `tag` releases, once it is a GTO version tag of this model, annotated, on
    a commit of the default branch; ProjectError otherwise."""
    from gto.tag import parse_name

    parsed = parse_name(tag, raise_on_fail=False)
    if parsed.get("name") != registry.model or "version" not in parsed or "stage" in parsed:
        raise ProjectError(
            f"{tag!r} is not a version tag of {registry.model}",
            f"release with a tag like {registry.model}@v1.2.0",
        )
    registry.fetch_tags()
    version = registry.find_version(parsed["version"])
    if version is None or version.tag != tag:
        raise ProjectError(
            f"{tag} is not an annotated tag (GTO reads only annotated tags)",
            f"re-create it: `git tag -a {tag} -m 'Release' <commit>` and push it",
        )
    branch = f"refs/remotes/{registry.remote}/{default_branch}"
    if registry.remote_url() is not None:
        registry.remote_git(
            "fetch",
            "--quiet",
            "--no-tags",
            registry.remote,
            f"+refs/heads/{default_branch}:{branch}",
        )
    else:
        branch = f"refs/heads/{default_branch}"
    on_branch = registry.git("merge-base", "--is-ancestor", version.commit, branch, check=False)
    if on_branch.returncode != 0:
        raise ProjectError(
            f"{tag} points to commit {version.commit[:7]}, which is not on {default_branch}: "
            "refused, a release must be a reviewed commit of the default branch",
            f"delete the tag (`git push origin :refs/tags/{tag}` and `git tag -d {tag}`), merge "
            f"the change into {default_branch} and tag that commit",
        )
    print(f"{tag} releases commit {version.commit[:7]}, which is on {default_branch}")
    return version


def checked_out(registry, version):
    head = registry.resolve("HEAD")
    if head != version.commit:
        raise ProjectError(
            f"the work tree is at {head[:7]}, not at {version.tag} ({version.commit[:7]})",
            f"check out the tag first: `git checkout {version.tag}`",
        )


def pull(registry, version, dvc=None):
    """`dvc pull` the model, its metadata and profile at the release's commit; a file the
    remote does not hold is named with the way to fix it."""
    from .remote import credentials_env, file_md5, first_error_line, run_dvc

    dvc = dvc or run_dvc
    checked_out(registry, version)
    _, model_path = model_artifact(registry.root / "dvc.yaml")
    wanted = [Path(model_path), config.MODEL_METADATA, config.PROFILE]
    # --force: these are pipeline outputs; whatever the work tree held is replaced by the
    # release's own files (a runner's fresh checkout holds none).
    code, output = dvc("pull", "--force", *[p.as_posix() for p in wanted], env=credentials_env())
    print(output)
    expected = lock_entries(read_at(registry, version.commit, DVC_LOCK))
    missing = [
        path
        for path in wanted
        if path.as_posix() not in expected
        or not (registry.root / path).is_file()
        or file_md5(registry.root / path) != expected[path.as_posix()]["md5"]
    ]
    if missing:
        names = ", ".join(f"`{p.as_posix()}`" for p in missing)
        raise ProjectError(
            f"the DVC remote has no copy of {names} for {version.tag} "
            f"({first_error_line(output) if code else 'not recorded in dvc.lock'})",
            f"push it from a clone that has it: `git checkout {version.tag} && dvc push "
            f"{' '.join(p.as_posix() for p in missing)}` (or `dvc repro` there first), then "
            "re-run the release",
        )
    print(f"pulled {', '.join(p.as_posix() for p in wanted)} of {version.tag}")


def check_gate(registry, version, params, stage=PRODUCTION):
    """The quality gate at the release's commit: params.yaml's threshold, and not worse than
    the version in `stage` by more than gate.tolerance."""
    metrics_text = read_at(registry, version.commit, config.METRICS)
    if metrics_text is None:
        raise ProjectError(
            f"{config.METRICS} is not committed at {version.tag}",
            "commit the pipeline's outputs (dvc.lock, metrics.json) before tagging a release",
        )
    metrics = json.loads(metrics_text)
    metric, threshold, tolerance = (
        config.setting(params, f"gate.{key}") for key in ("metric", "threshold", "tolerance")
    )
    result = gate(metrics, metric, threshold)
    holder = registry.current(stage)
    baseline = None
    if holder is not None and holder.version != version.version:
        production_text = read_at(registry, holder.commit, config.METRICS)
        production = json.loads(production_text) if production_text else {}
        if metric in production:
            baseline = Baseline(
                holder.version,
                result.value,
                float(production[metric]),
                float(tolerance),
                HIGHER_IS_BETTER[metric],
            )
    return GateReport(result, baseline)


def require_gate(report, version):
    for line in report.lines():
        print(f"quality gate: {line}")
    if not report.passed:
        raise GateFailed(
            f"{version.tag} does not meet the quality gate; no stage was assigned",
            "release a better model, or change gate.threshold / gate.tolerance in params.yaml "
            "with a reviewer's consent",
        )


# --- model card and bundle -------------------------------------------------------------------
def per_class_results(confusion_csv):
    """[{"class", "support", "precision", "recall", "f1"}] from (actual, predicted) rows."""
    with Path(confusion_csv).open(encoding="utf-8") as handle:
        pairs = [(row["actual"], row["predicted"]) for row in csv.DictReader(handle)]
    actual, predicted = Counter(a for a, _ in pairs), Counter(p for _, p in pairs)
    correct = Counter(a for a, p in pairs if a == p)
    rows = []
    for label in sorted(actual | predicted):
        precision = correct[label] / predicted[label] if predicted[label] else 0.0
        recall = correct[label] / actual[label] if actual[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {
                "class": label,
                "support": actual[label],
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
            }
        )
    return rows


def per_segment_results(predictions_csv, segments=SEGMENTS):
    """Errors per quartile of the actual value: [{"segment", "rows", "mae", "rmse"}]."""
    with Path(predictions_csv).open(encoding="utf-8") as handle:
        rows = sorted((float(r["actual"]), float(r["predicted"])) for r in csv.DictReader(handle))
    results = []
    for index in range(segments):
        part = rows[index * len(rows) // segments : (index + 1) * len(rows) // segments]
        if not part:
            continue
        errors = [abs(a - p) for a, p in part]
        results.append(
            {
                "segment": f"actual {part[0][0]:.2f} to {part[-1][0]:.2f}",
                "rows": len(part),
                "mae": round(sum(errors) / len(errors), 4),
                "rmse": round(math.sqrt(sum(e * e for e in errors) / len(errors)), 4),
            }
        )
    return results


def breakdown(root, task):
    """("per-class" or "per-segment", rows) from the committed plot tables; rows may be []."""
    if task == "regression":
        path = Path(root) / config.PLOTS / "predictions.csv"
        return "per-segment", per_segment_results(path) if path.is_file() else []
    path = Path(root) / config.PLOTS / "confusion_matrix.csv"
    return "per-class", per_class_results(path) if path.is_file() else []


def data_fingerprints(lock_text):
    """{path: {"md5", "size"}} of the data files dvc.lock records (raw, validated, splits)."""
    return {path: e for path, e in lock_entries(lock_text).items() if path.startswith("data/")}


def card_context(root, version, params, report, lock_text):
    """Everything the model card shows, as JSON-able data, from the release's files in `root`
    and its dvc.lock."""
    root = Path(root)
    metadata = json.loads((root / config.MODEL_METADATA).read_text(encoding="utf-8"))
    profile = json.loads((root / config.PROFILE).read_text(encoding="utf-8"))
    schema = yaml.safe_load((root / config.SCHEMA).read_text(encoding="utf-8"))
    kind, rows = breakdown(root, params["task"])
    _, model_path = model_artifact(root / "dvc.yaml")
    return {
        "model": version.model,
        "version": version.version,
        "tag": version.tag,
        "commit": version.commit,
        "released_by": version.author,
        "released_at": version.created_at.isoformat(),
        "release_message": version.message,
        "task": params["task"],
        "description": artifact_description(root),
        "target": metadata.get("target"),
        "features": metadata.get("features", []),
        "classes": metadata.get("classes"),
        "model_params": params.get("model", {}),
        "training_data": {
            "rows": profile.get("rows"),
            "columns": {
                name: {k: column.get(k) for k in ("kind", "nulls", "min", "max", "mean")}
                for name, column in profile.get("columns", {}).items()
            },
            "raw": metadata.get("raw_data"),
            "train_split": metadata.get("training_data"),
        },
        "schema": schema.get("columns", {}),
        "metrics": json.loads((root / config.METRICS).read_text(encoding="utf-8")),
        "gate": report.as_dict(),
        "breakdown": {"kind": kind, "rows": rows},
        "lineage": {
            "model_md5": lock_entries(lock_text).get(model_path, {}).get("md5"),
            "data": data_fingerprints(lock_text),
            "params_file": "params.yaml",
        },
    }


def artifact_description(root):
    document = yaml.safe_load((Path(root) / "dvc.yaml").read_text(encoding="utf-8"))
    name, _ = model_artifact(Path(root) / "dvc.yaml")
    return document["artifacts"][name].get("desc", "")


def render_model_card(context, output_dir, notebook=NOTEBOOK):
    """Execute the model card notebook on `context`; write model_card.html and model_card.md."""
    import nbformat
    from nbconvert import HTMLExporter, MarkdownExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    output_dir = Path(output_dir)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / CARD_CONTEXT).write_text(json.dumps(context, indent=2), encoding="utf-8")
        card = nbformat.read(notebook, as_version=4)
        ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(
            card, {"metadata": {"path": folder}}
        )
    paths = []
    for exporter, name in [(HTMLExporter, "model_card.html"), (MarkdownExporter, "model_card.md")]:
        body, _ = exporter(exclude_input=True, exclude_input_prompt=True).from_notebook_node(card)
        (output_dir / name).write_text(body, encoding="utf-8")
        paths.append(output_dir / name)
    return paths


def bundle_dir(version, root="."):
    return Path(root) / BUNDLES / f"{version.model}-{version.version}"


def build_bundle(registry, version, params, report, output_dir=None):
    """The release's files in one folder: model, metrics, params, schema, profile, lock,
    constraints, data fingerprints, gate result, lineage, model card (HTML and markdown)."""
    checked_out(registry, version)
    output_dir = Path(output_dir or bundle_dir(version, registry.root))
    if output_dir.exists():
        shutil.rmtree(output_dir)  # rebuilt whole: a re-run never mixes two builds
    output_dir.mkdir(parents=True)
    _, model_path = model_artifact(registry.root / "dvc.yaml")
    for path in (Path(model_path), *BUNDLED_FILES):
        source = registry.root / path
        if not source.is_file():
            raise ProjectError(
                f"{path} is missing at {version.tag}",
                "run `release pull` first; commit the pipeline's outputs before tagging",
            )
        shutil.copy2(source, output_dir / path.name)
    lock_text = read_at(registry, version.commit, DVC_LOCK)
    context = card_context(registry.root, version, params, report, lock_text)
    lineage = {
        key: context[key]
        for key in ("model", "version", "tag", "commit", "released_by", "released_at")
    } | {"lineage": context["lineage"], "gate": context["gate"]}
    write_json(output_dir / "data.json", context["lineage"]["data"])
    write_json(output_dir / "gate.json", context["gate"])
    write_json(output_dir / "release.json", lineage)
    render_model_card(context, output_dir, registry.root / NOTEBOOK)
    files = sorted(p.name for p in output_dir.iterdir())
    print(f"bundle {output_dir}: {', '.join(files)}")
    return output_dir


def write_json(path, data):
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# --- GitHub Release --------------------------------------------------------------------------
def gh(*args, check=True):
    try:
        result = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ProjectError(
            "the GitHub CLI `gh` is not installed",
            "install it (runners have it) or publish by hand",
        ) from None
    if check and result.returncode != 0:
        raise ProjectError(
            f"`gh {' '.join(args[:2])}` failed: {result.stderr.strip()}",
            "set GH_TOKEN to a token that may write releases (contents: write)",
        )
    return result


def publish(version, bundle):
    """Create the GitHub Release with the bundle's files; an existing one only gets the files
    it lacks (nothing is replaced)."""
    files = sorted(p for p in Path(bundle).iterdir() if p.is_file())
    if not files:
        raise ProjectError(f"{bundle} is empty", "run `release bundle` first")
    existing = gh("release", "view", version.tag, "--json", "assets", check=False)
    if existing.returncode == 0:
        present = {asset["name"] for asset in json.loads(existing.stdout)["assets"]}
        missing = [p for p in files if p.name not in present]
        if missing:
            gh("release", "upload", version.tag, *map(str, missing))
        print(
            f"the release {version.tag} exists: "
            + (f"added {', '.join(p.name for p in missing)}" if missing else "nothing to do")
        )
        return False
    notes = Path(bundle) / "model_card.md"
    gh(
        "release",
        "create",
        version.tag,
        *map(str, files),
        "--verify-tag",
        "--title",
        f"{version.model} {version.version}",
        "--notes-file",
        str(notes),
    )
    print(f"published the release {version.tag} with {len(files)} files")
    return True


# --- the next version ------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal:
    version: str | None
    reason: str


def bump(version, part):
    """The next version: `part` (major, minor or patch) bumped by GTO's semantic versioning."""
    from gto.versions import SemVer

    return getattr(SemVer(version), f"bump_{part}")().version


def bump_part(registry, since, rule):
    """("major" | "minor" | "patch", why). `auto`: the data contract changed -> major (callers
    must adapt); the model's params or its training data changed -> minor (a new model);
    otherwise (code only) -> patch."""
    if rule != "auto":
        return rule, f"release.bump is {rule}"
    changed = registry.git("diff", "--quiet", since, "HEAD", "--", str(config.SCHEMA), check=False)
    if changed.returncode != 0:
        return "major", f"{config.SCHEMA} changed"
    before = yaml.safe_load(read_at(registry, since, config.PARAMS) or "") or {}
    now = config.load_params(registry.root / config.PARAMS)
    if before.get("model") != now.get("model"):
        return "minor", "params.yaml `model` changed"
    raw = (now.get("data") or {}).get("raw")
    data_before = lock_entries(read_at(registry, since, DVC_LOCK)).get(raw)
    data_now = lock_entries(read_at(registry, "HEAD", DVC_LOCK)).get(raw)
    if data_before != data_now:
        return "minor", f"the training data `{raw}` changed"
    return "patch", "the model was rebuilt from changed code"


def propose(registry, params):
    """The version HEAD should be released as, or None with the reason it needs none."""
    registry.fetch_tags()
    head = registry.resolve("HEAD")
    released = [v for v in registry.versions() if v.commit == head]
    if released:
        return Proposal(None, f"HEAD is already released as {released[0].tag}")
    current = model_md5(registry, head)
    if current is None:
        return Proposal(None, "dvc.lock at HEAD records no model: run `dvc repro` and commit")
    latest = registry.latest()
    if latest is None:
        return Proposal(FIRST_VERSION, "first release of the model")
    if model_md5(registry, latest.commit) == current:
        return Proposal(None, f"the model is unchanged since {latest.tag} (same md5 in dvc.lock)")
    rule = (params.get("release") or {}).get("bump", "auto")
    if rule not in BUMPS:
        raise ProjectError(
            f"release.bump {rule!r} in params.yaml is unknown", f"use one of {', '.join(BUMPS)}"
        )
    part, why = bump_part(registry, latest.commit, rule)
    return Proposal(bump(latest.version, part), f"model changed since {latest.tag}; {part}: {why}")


def proposal_markdown(registry, proposal, created):
    if proposal.version is None:
        return f"No new version: {proposal.reason}.\n"
    tag = f"{registry.model}@{proposal.version}"
    if created:
        return f"Created the version tag `{tag}` ({proposal.reason}); the release workflow runs.\n"
    return (
        f"Proposed version `{tag}` ({proposal.reason}). To release it, push the tag:\n\n"
        f"```bash\ngit tag -a '{tag}' -m 'Release {proposal.version}' "
        f"{registry.resolve('HEAD')}\ngit push origin '{tag}'\n```\n\n"
        "(Set the REPO_TOKEN secret to have this workflow push it.)\n"
    )


def propose_and_tag(registry, params, create=None, environ=None):
    """Propose the next version; create and push its tag when `create` (default: when a
    REPO_TOKEN is set, whose pushes trigger the release workflow). Returns the markdown."""
    environ = os.environ if environ is None else environ
    create = bool(environ.get("REPO_TOKEN")) if create is None else create
    proposal = propose(registry, params)
    created = False
    if proposal.version and create:
        tagger(root=registry.root)  # fail before anything is made when no identity is known
        outcome = registry.create_version(
            proposal.version,
            "HEAD",
            f"Release {registry.model} {proposal.version}: {proposal.reason}",
        )
        print(outcome.message)
        created = bool(outcome.created)
    text = proposal_markdown(registry, proposal, created)
    print(text)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text)
    return text


def release_version(registry, tag):
    """The Version of `tag` as it is registered (after `verify` accepted it)."""
    from gto.tag import parse_name

    parsed = parse_name(tag, raise_on_fail=False)
    version = registry.find_version(normalize_version(parsed.get("version") or tag))
    if version is None or version.tag != tag:
        raise ProjectError(f"{tag} is not a released version", "run `release verify` first")
    return version
