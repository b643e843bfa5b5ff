"""The pull-request report: one markdown document a reviewer can decide from.

`collect_pr_inputs` asks git and DVC for the facts; `render_pr_report` is a pure function of
them, so it is unit tested on fixed inputs. Charts are Mermaid, which GitHub renders in
comments and job summaries without an image host.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..edge.dvc import first_error_line, lock_entries, run_dvc, workspace_output_text
from ..edge.git import head_commit, run_git
from ..errors import ProjectError
from ..params import GateParams, load_params
from ..pipeline.gate import ProductionMetrics, judge
from ..pipeline.resampling import RESAMPLES, Outcomes, bootstrap, interval
from ..pipeline.slices import TOP_CATEGORIES
from .charts import bar_chart, curve_charts
from .comparison import (
    BETTER,
    NOISE,
    WORSE,
    Comparison,
    MetricChange,
    compare_with_base,
    is_number,
    summary,
)
from .production import production_for_report

LOGGER = logging.getLogger(__name__)

# GitHub refuses a comment longer than 65,536 characters.
COMMENT_LIMIT = 65_000


@dataclass
class PrReportInputs:
    base: str
    commit: str
    metrics_diff: dict[str, Any]
    params_diff: dict[str, Any]
    validation: dict[str, Any] | None
    gate: GateParams
    production: ProductionMetrics | None = None  # None when none is in production
    fingerprints: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    comparison: Comparison = field(default_factory=lambda: Comparison({}, note="not computed"))
    slices: dict[str, Any] | None = None  # reports/slices.json of this PR


def _format(value: object) -> str:
    if value is None:
        return "—"
    if is_number(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    return f"`{value}`"


def metric_changes(
    metrics_diff: dict[str, Any],
    primary: str,
    intervals: Mapping[str, tuple[float, float] | None] | None = None,
) -> list[MetricChange]:
    """Flatten `dvc metrics diff --json` output, with each change's interval when known; the
    primary metric comes first."""
    intervals = intervals or {}
    changes = [
        MetricChange(name, values.get("old"), values.get("new"), intervals.get(name))
        for per_file in metrics_diff.values()
        for name, values in per_file.items()
    ]
    return sorted(changes, key=lambda change: (change.name != primary, change.name))


def params_changes(params_diff: dict[str, Any]) -> list[tuple[str, object, object]]:
    """Flatten `dvc params diff --json` output into (name, old, new) rows."""
    return [
        (name, values.get("old"), values.get("new"))
        for per_file in params_diff.values()
        for name, values in sorted(per_file.items())
    ]


def _validation_section(validation: dict[str, Any] | None) -> list[str]:
    if validation is None:
        return ["No validation report was produced (the `validate` stage did not run)."]
    verdict = "passed" if validation.get("valid") else "**FAILED**"
    lines = [
        f"Data contract {verdict}: {validation.get('rows', '?')} rows, "
        f"{validation.get('columns', '?')} columns, "
        f"{len(validation.get('violations', []))} violations."
    ]
    if validation.get("violations"):
        lines += ["", "| column | rule | count | examples |", "|---|---|---:|---|"]
        for violation in validation["violations"]:
            examples = ", ".join(f"`{example}`" for example in violation.get("examples", []))
            lines.append(
                f"| `{violation.get('column')}` | {violation.get('rule')} "
                f"| {violation.get('count')} | {examples} |"
            )
    return lines


def _params_section(params_diff: dict[str, Any]) -> list[str]:
    rows = params_changes(params_diff)
    if not rows:
        return ["No parameter changed."]
    lines = ["| param | base | this PR |", "|---|---|---|"]
    lines += [f"| `{name}` | {_format(old)} | {_format(new)} |" for name, old, new in rows]
    return lines


def _verdict_cell(change: MetricChange) -> str:
    if change.verdict == NOISE and change.noise is not None:
        return f"{NOISE} (±{change.noise:.4f})"
    return change.verdict


def _metrics_section(changes: list[MetricChange], inputs: PrReportInputs) -> list[str]:
    if not changes:
        return ["No metrics were found (did the `evaluate` stage run?)."]
    lines = []
    if all(change.old is None for change in changes):
        first = f"The base `{inputs.base}` has no metrics yet: this is the first measured model."
        lines += [first, ""]
    lines += [_method_line(inputs.comparison), ""]
    lines += [
        "| metric | base | this PR | change | 95% interval of the change | relative | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for change in changes:
        relative = "—" if change.relative is None else f"{change.relative:+.2%}"
        delta = "—" if change.delta is None else f"{change.delta:+.4f}"
        bounds = "—" if change.interval is None else "{:+.4f} to {:+.4f}".format(*change.interval)
        lines.append(
            f"| `{change.name}` | {_format(change.old)} | {_format(change.new)} | {delta} "
            f"| {bounds} | {relative} | {_verdict_cell(change)} |"
        )
    return lines


def _method_line(comparison: Comparison) -> str:
    if comparison.note:
        return (
            f"Changes are not tested for noise: {comparison.note}. No metric is called better "
            "or worse."
        )
    how = (
        "paired (both models on the same rows)"
        if comparison.paired
        else ("unpaired (the test rows differ, so each model is resampled on its own rows)")
    )
    return (
        f"A change is better or worse only when its 95% interval excludes zero: {how}, "
        f"{RESAMPLES:,} seeded bootstrap resamples of {comparison.rows:,} test rows."
    )


def _gate_section(inputs: PrReportInputs, changes: list[MetricChange]) -> tuple[list[str], bool]:
    """(lines, passed) of the one gate (pipeline/gate.py) on this PR's metrics."""
    current = {change.name: change.new for change in changes if is_number(change.new)}
    if inputs.gate.metric not in current:
        return [f"Gate metric `{inputs.gate.metric}` was not measured."], False
    report = judge(current, inputs.production, inputs.gate)
    return [f"- {line}" for line in report.lines()], report.passed


def _primary_section(inputs: PrReportInputs, changes: list[MetricChange]) -> list[str]:
    """The primary metric for base, this PR, production and the threshold: a chart on an axis
    that starts at zero, and each value's own 95% interval where its test rows are known."""
    primary = inputs.gate.metric
    change = next((c for c in changes if c.name == primary), None)
    if change is None or not is_number(change.new):
        return []
    comparison = inputs.comparison
    rows: list[tuple[str, float, str]] = []
    if is_number(change.old):
        rows.append(("base", change.old, _own_interval(comparison.base, primary)))
    rows.append(("this PR", change.new, _own_interval(comparison.new, primary)))
    production = inputs.production
    if production is not None and is_number(production.metrics.get(primary)):
        value = production.metrics[primary]
        rows.append((f"production {production.version}", value, "— (its own test rows)"))
    rows.append(("threshold", float(inputs.gate.threshold), "—"))
    title = f"{primary}: " + ", ".join(name for name, _, _ in rows)
    lines = bar_chart(title, primary, [(name, value) for name, value, _ in rows])
    lines += ["", f"| | {primary} | 95% interval |", "|---|---:|---:|"]
    lines += [f"| {name} | {value:.4f} | {bounds} |" for name, value, bounds in rows]
    return lines


def _own_interval(outcomes: Outcomes | None, metric: str) -> str:
    if outcomes is None:
        return "—"
    bounds = interval(bootstrap(outcomes, metrics=[metric])[metric])
    return "—" if bounds is None else "{:.4f} to {:.4f}".format(*bounds)


def _slices_section(slices: dict[str, Any] | None) -> list[str]:
    if not slices or not slices.get("slices"):
        return ["No categorical feature to slice by."] if slices else []
    metric, whole = slices["metric"], slices["whole"]
    flagged = sum(1 for row in slices["slices"] if row["worse"])
    lines = [
        f"`{metric}` per category (the {TOP_CATEGORIES} largest of each categorical feature) "
        f"against {_format(whole)} on all test rows: {flagged} slice(s) worse beyond their 95% "
        "interval. A feature that predicts the target lowers ranking metrics inside each of its "
        "groups, so read a flag as a question, not a verdict.",
        "",
        f"| feature | category | rows | {metric} | 95% interval | |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in slices["slices"]:
        bounds = "—" if row["low"] is None else f"{row['low']:.4f} to {row['high']:.4f}"
        flag = "⚠️ worse than all rows" if row["worse"] else ""
        lines.append(
            f"| `{row['feature']}` | `{row['category']}` | {row['rows']} "
            f"| {_format(row['value'])} | {bounds} | {flag} |"
        )
    return lines


def _headline(passed: bool, changes: list[MetricChange]) -> str:
    verdict = "✅ PASS" if passed else "❌ FAIL"
    counts = summary(changes)
    tested = sum(counts.values())
    if not tested:
        return f"## Model report: quality gate {verdict}"
    return (
        f"## Model report: quality gate {verdict} · {counts[BETTER]} metrics better, "
        f"{counts[WORSE]} worse, {counts[NOISE]} within noise"
    )


def fit_comment(lines: list[str], limit: int = COMMENT_LIMIT) -> list[str]:
    """`lines` cut at a line so that the text stays under GitHub's comment limit, with a note
    of what was left out (an open Mermaid or code block is closed)."""
    if len("\n".join(lines)) <= limit:
        return lines
    kept: list[str] = []
    size = 0
    budget = limit - 400  # room for the note and a closing fence
    for line in lines:
        if size + len(line) + 1 > budget:
            break
        kept.append(line)
        size += len(line) + 1
    if sum(line.startswith("```") for line in kept) % 2:
        kept.append("```")
    left = len(lines) - len(kept)
    note = (
        f"> ✂️ {left} more lines were left out to stay under GitHub's {limit:,}-character "
        "comment limit: run `make report` locally for the whole report."
    )
    return [*kept, "", note]


def render_pr_report(inputs: PrReportInputs) -> tuple[str, bool]:
    """The whole report as markdown; its last line states PASS or FAIL."""
    primary = inputs.gate.metric
    changes = metric_changes(inputs.metrics_diff, primary, inputs.comparison.intervals)
    gate_lines, passed = _gate_section(inputs, changes)
    lines = [_headline(passed, changes), ""]
    lines += [f"> {note}" for note in inputs.notes] + ([""] if inputs.notes else [])
    lines += ["### Quality gate", "", *gate_lines, ""]
    lines += _primary_section(inputs, changes)
    lines += ["", f"### Metrics diff against `{inputs.base}`", ""]
    lines += _metrics_section(changes, inputs)
    comparison = inputs.comparison
    curves = curve_charts(comparison.base, comparison.new) if comparison.new else []
    lines += ["", "### Curves", "", *curves] if curves else []
    slices = _slices_section(inputs.slices)
    lines += ["", "### Slices", "", *slices] if slices else []
    lines += ["", "### Data validation", "", *_validation_section(inputs.validation), ""]
    lines += [f"### Params diff against `{inputs.base}`", "", *_params_section(inputs.params_diff)]
    lines += ["", "### Fingerprints", "", f"- commit: `{inputs.commit}`"]
    lines += [f"- {path}: `{digest}`" for path, digest in sorted(inputs.fingerprints.items())]
    verdict_line = f"**Quality gate: {'PASS' if passed else 'FAIL'}**"
    return "\n".join([*fit_comment(lines), "", verdict_line, ""]), passed


def fingerprints_from_lock(lock_path: Path = paths.DVC_LOCK) -> dict[str, str]:
    """{path: md5} of every stage output and of the raw data, as DVC recorded them."""
    text = lock_path.read_text(encoding="utf-8") if lock_path.exists() else ""
    entries = lock_entries(text)
    return {path: e["md5"] for path, e in entries.items() if not path.startswith("src/")}


def collect_pr_inputs(base: str, notes: Iterable[str] = ()) -> PrReportInputs:
    params = load_params()
    workspace_output_text(paths.METRICS)  # refuses metrics that are not this commit's outputs
    validation = None
    if paths.VALIDATION_REPORT.exists():
        validation = json.loads(paths.VALIDATION_REPORT.read_text(encoding="utf-8"))
    production, production_notes = production_for_report()
    slices = json.loads(workspace_output_text(paths.SLICES))
    return PrReportInputs(
        base=base,
        commit=head_commit() or "uncommitted",
        metrics_diff=_dvc_json("metrics", "diff", base, "--all", "--json"),
        params_diff=_dvc_json("params", "diff", base, "--json"),
        validation=validation,
        gate=params.gate,
        production=production,
        fingerprints=fingerprints_from_lock(),
        notes=[*notes, *production_notes],
        comparison=compare_with_base(base),
        slices=slices,
    )


def _dvc_json(*args: str) -> dict[str, Any]:
    code, output = run_dvc(*args)
    if code != 0:
        raise ProjectError(
            f"`dvc {' '.join(args)}` failed: {first_error_line(output)}",
            "check that the base revision exists (fetch it: `git fetch origin <branch>`)",
        )
    return json.loads(output or "{}")


def usable_base(base: str, root: str | Path = ".") -> tuple[str, list[str]]:
    """(`base`, []) when it exists; on a project without that remote branch (a fresh local
    one has no `origin`), the local branch of the same name with a note saying so."""

    def exists(revision: str) -> bool:
        check = ("rev-parse", "--verify", "--quiet", revision + "^{commit}")
        return run_git(*check, cwd=root, check=False).returncode == 0

    if exists(base):
        return base, []
    _, _, branch = base.partition("/")
    if branch and exists(branch):
        note = (
            f"`{base}` does not exist here (no such remote branch yet): compared with the "
            f"local `{branch}`."
        )
        LOGGER.info(note.replace("`", ""))
        return branch, [note]
    raise ProjectError(
        f"the base revision `{base}` does not exist in this repository",
        "fetch it (`git fetch origin main`) or compare with another: `make report BASE=main`",
    )


def write_pr_report(base: str, output: str | Path, notes: Iterable[str] = ()) -> bool:
    """Write the report to `output`; return whether the gate passed."""
    base, base_notes = usable_base(base)
    text, passed = render_pr_report(collect_pr_inputs(base, [*base_notes, *notes]))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text, encoding="utf-8")
    LOGGER.info(f"wrote {output}: quality gate {'PASS' if passed else 'FAIL'}")
    return passed
