"""The pull-request report: one markdown document a reviewer can decide from.

`collect_pr_inputs` asks git and DVC for the facts; `render_pr_report` is a pure function of
them, so it is unit tested on fixed inputs. Charts are Mermaid, which GitHub renders in
comments and job summaries without an image host.
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from .. import paths
from ..edge.dvc import first_error_line, lock_entries, run_dvc, workspace_output_text
from ..edge.git import head_commit
from ..errors import ProjectError
from ..params import GateParams, load_params
from ..pipeline.gate import ProductionMetrics, judge
from ..tasks import HIGHER_IS_BETTER


@dataclass(frozen=True)
class MetricChange:
    name: str
    old: object
    new: object

    @property
    def delta(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            return self.new - self.old
        return None

    @property
    def relative(self) -> float | None:
        delta = self.delta
        if delta is None or not _is_number(self.old) or self.old == 0:
            return None
        return delta / abs(self.old)

    @property
    def verdict(self) -> str:
        """'better', 'worse' or '' (unchanged, unknown direction, or not comparable)."""
        delta = self.delta
        if not delta or self.name not in HIGHER_IS_BETTER:
            return ""
        return "better" if (delta > 0) == HIGHER_IS_BETTER[self.name] else "worse"


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


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _format(value: object) -> str:
    if value is None:
        return "—"
    if _is_number(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    return f"`{value}`"


def metric_changes(metrics_diff: dict[str, Any], primary: str) -> list[MetricChange]:
    """Flatten `dvc metrics diff --json` output; the primary metric comes first."""
    changes = [
        MetricChange(name, values.get("old"), values.get("new"))
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


def _metrics_section(changes: list[MetricChange], base: str) -> list[str]:
    if not changes:
        return ["No metrics were found (did the `evaluate` stage run?)."]
    if all(change.old is None for change in changes):
        first = f"The base `{base}` has no metrics yet: this is the first measured model."
        lines = [first, ""]
    else:
        lines = []
    lines += ["| metric | base | this PR | change | relative | |", "|---|---:|---:|---:|---:|---|"]
    for change in changes:
        relative = "—" if change.relative is None else f"{change.relative:+.2%}"
        delta = "—" if change.delta is None else f"{change.delta:+.4f}"
        lines.append(
            f"| `{change.name}` | {_format(change.old)} | {_format(change.new)} | {delta} "
            f"| {relative} | {change.verdict} |"
        )
    return lines


def _gate_section(inputs: PrReportInputs, changes: list[MetricChange]) -> tuple[list[str], bool]:
    """(lines, passed) of the one gate (pipeline/gate.py) on this PR's metrics."""
    current = {change.name: change.new for change in changes if _is_number(change.new)}
    if inputs.gate.metric not in current:
        return [f"Gate metric `{inputs.gate.metric}` was not measured."], False
    report = judge(current, inputs.production, inputs.gate)
    return [f"- {line}" for line in report.lines()], report.passed


def _mermaid_chart(changes: list[MetricChange], primary: str, threshold: float) -> list[str]:
    comparable = [c for c in changes if _is_number(c.new)]
    if not comparable:
        return []
    names = ", ".join(f'"{change.name}"' for change in comparable)
    new = ", ".join(f"{change.new:.4f}" for change in comparable)
    lines = [
        "```mermaid",
        "xychart-beta",
        '  title "Metrics: this PR (bars) vs base (line)"',
        f"  x-axis [{names}]",
        f"  bar [{new}]",
    ]
    if all(_is_number(change.old) for change in comparable):
        lines.append(f"  line [{', '.join(f'{change.old:.4f}' for change in comparable)}]")
    lines.append("```")
    primary_change = next((c for c in comparable if c.name == primary), None)
    if primary_change is not None:
        old = primary_change.old if _is_number(primary_change.old) else 0.0
        lines += [
            "",
            "```mermaid",
            "xychart-beta",
            f'  title "{primary}: base, this PR and the gate threshold"',
            '  x-axis ["base", "this PR", "threshold"]',
            f"  bar [{old:.4f}, {primary_change.new:.4f}, {float(threshold):.4f}]",
            "```",
        ]
    return lines


def render_pr_report(inputs: PrReportInputs) -> tuple[str, bool]:
    """The whole report as markdown; its last line states PASS or FAIL."""
    primary = inputs.gate.metric
    changes = metric_changes(inputs.metrics_diff, primary)
    gate_lines, passed = _gate_section(inputs, changes)
    verdict = "✅ PASS" if passed else "❌ FAIL"
    lines = [f"## Model report: quality gate {verdict}", ""]
    lines += [f"> {note}" for note in inputs.notes] + ([""] if inputs.notes else [])
    lines += ["### Data validation", "", *_validation_section(inputs.validation), ""]
    lines += [f"### Params diff against `{inputs.base}`", "", *_params_section(inputs.params_diff)]
    lines += ["", f"### Metrics diff against `{inputs.base}`", ""]
    lines += _metrics_section(changes, inputs.base)
    lines += ["", "### Quality gate", "", *gate_lines, ""]
    lines += _mermaid_chart(changes, primary, inputs.gate.threshold)
    lines += ["", "### Fingerprints", "", f"- commit: `{inputs.commit}`"]
    lines += [f"- {path}: `{digest}`" for path, digest in sorted(inputs.fingerprints.items())]
    lines += ["", f"**Quality gate: {'PASS' if passed else 'FAIL'}**", ""]
    return "\n".join(lines), passed


def fingerprints_from_lock(lock_path: Path = paths.DVC_LOCK) -> dict[str, str]:
    """{path: md5} of every stage output and of the raw data, as DVC recorded them."""
    text = lock_path.read_text(encoding="utf-8") if lock_path.exists() else ""
    entries = lock_entries(text)
    return {path: e["md5"] for path, e in entries.items() if not path.startswith("src/")}


def production_for_report() -> tuple[ProductionMetrics | None, list[str]]:
    """(ProductionMetrics or None, notes): the production version's committed metrics through
    the registry; a registry that cannot be read is said on top, never guessed."""
    from ..release.baseline import production_metrics
    from ..release.registry import Registry

    try:
        registry = Registry()
        registry.fetch_tags()
        return production_metrics(registry), []
    except ProjectError as error:
        note = (
            f"⚠️ The production model's metrics could not be read ({error.problem}): the gate "
            "below compares with the threshold only."
        )
        return None, [note]


def collect_pr_inputs(base: str, notes: Iterable[str] = ()) -> PrReportInputs:
    params = load_params()
    workspace_output_text(paths.METRICS)  # refuses metrics that are not this commit's outputs
    validation = None
    if paths.VALIDATION_REPORT.exists():
        validation = json.loads(paths.VALIDATION_REPORT.read_text(encoding="utf-8"))
    production, production_notes = production_for_report()
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
    )


def _dvc_json(*args: str) -> dict[str, Any]:
    code, output = run_dvc(*args)
    if code != 0:
        raise ProjectError(
            f"`dvc {' '.join(args)}` failed: {first_error_line(output)}",
            "check that the base revision exists (fetch it: `git fetch origin <branch>`)",
        )
    return json.loads(output or "{}")


def write_pr_report(base: str, output: str | Path, notes: Iterable[str] = ()) -> bool:
    """Write the report to `output`; return whether the gate passed."""
    text, passed = render_pr_report(collect_pr_inputs(base, notes))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text, encoding="utf-8")
    print(f"wrote {output}: quality gate {'PASS' if passed else 'FAIL'}")
    return passed
