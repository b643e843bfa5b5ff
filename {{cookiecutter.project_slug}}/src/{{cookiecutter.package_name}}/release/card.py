"""The release bundle and its model card, built from the released commit's own outputs."""

import csv
import json
import logging
import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .. import paths
from ..edge.dvc import CommitOutputs, lock_entries
from ..edge.git import show_file
from ..errors import ProjectError
from ..params import Params
from ..pipeline.gate import GateReport
from .baseline import params_at
from .pictures import card_pictures, unwritten_sections
from .tags import Version, model_artifact

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .registry import Registry

# ("per-class" or "per-segment", its rows): the model card's breakdown of the results.
Breakdown = tuple[str, list[dict[str, Any]]]

# The notebook reads its facts from this file in the folder it runs in.
CARD_CONTEXT = "model_card.json"
# Pipeline outputs copied into the bundle, each checked against the release's dvc.lock.
BUNDLED_OUTPUTS = (paths.METRICS, paths.PROFILE, paths.MODEL_METADATA)
# Files committed in git, copied as they are at the released commit (dvc.yaml is read for the
# card's description and removed).
COMMITTED_FILES = (paths.PARAMS, paths.SCHEMA, paths.DVC_LOCK, paths.CONSTRAINTS, paths.DVC_YAML)
SEGMENTS = 4


def per_class_results(confusion_csv: str | Path) -> list[dict[str, Any]]:
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


def per_segment_results(
    predictions_csv: str | Path, segments: int = SEGMENTS
) -> list[dict[str, Any]]:
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


def breakdown(outputs: CommitOutputs, task: str, folder: str | Path) -> Breakdown:
    """("per-class" or "per-segment", rows) from the release's own plot tables (CommitOutputs,
    checked against its dvc.lock)."""
    if task == "regression":
        table = outputs.get(paths.PLOTS / "predictions.csv", Path(folder) / "predictions.csv")
        return "per-segment", per_segment_results(table)
    table = outputs.get(paths.PLOTS / "confusion_matrix.csv", Path(folder) / "confusion.csv")
    return "per-class", per_class_results(table)


def data_fingerprints(lock_text: str | None) -> dict[str, dict[str, Any]]:
    """{path: {"md5", "size"}} of the data files dvc.lock records (raw, validated, splits)."""
    return {path: e for path, e in lock_entries(lock_text).items() if path.startswith("data/")}


def latency_record(version: Version, root: str | Path = ".") -> dict[str, Any] | None:
    """The service's latency figures for this release (`latency --tag`, run on the candidate
    before the bundle), or None when there are none or they are about another model: a card
    quotes figures of its own version and commit only."""
    path = Path(root) / paths.LATENCY_REPORT
    if not path.is_file():
        return None
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    measured = (report.get("version"), report.get("commit"))
    if measured != (version.version, version.commit):
        LOGGER.warning(
            f"{path} measured {measured[0]} at {str(measured[1])[:7]}, not {version.tag}: "
            "the model card shows no latency"
        )
        return None
    return report


def card_context(
    bundle: str | Path,
    version: Version,
    params: Params,
    report: GateReport,
    results: Breakdown,
    latency: dict[str, Any] | None = None,
    pictures: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the model card shows, as JSON-able data, from the release's files copied
    into `bundle` (see build_bundle) and its per-class or per-segment `results`."""
    bundle = Path(bundle)
    metadata = json.loads((bundle / paths.MODEL_METADATA.name).read_text(encoding="utf-8"))
    profile = json.loads((bundle / paths.PROFILE.name).read_text(encoding="utf-8"))
    schema = yaml.safe_load((bundle / paths.SCHEMA.name).read_text(encoding="utf-8"))
    lock_text = (bundle / paths.DVC_LOCK.name).read_text(encoding="utf-8")
    kind, rows = results
    _, model_path = model_artifact(bundle / paths.DVC_YAML.name)
    return {
        "model": version.model,
        "version": version.version,
        "tag": version.tag,
        "commit": version.commit,
        "released_by": version.author,
        "released_at": version.created_at.isoformat(),
        "release_message": version.message,
        "task": params.task,
        "description": artifact_description(bundle),
        "target": metadata.get("target"),
        "features": metadata.get("features", []),
        "classes": metadata.get("classes"),
        "model_params": params.model.model_dump(),
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
        "metrics": json.loads((bundle / paths.METRICS.name).read_text(encoding="utf-8")),
        "gate": report.as_dict(),
        "breakdown": {"kind": kind, "rows": rows},
        "slices": _optional_json(bundle / paths.SLICES.name),
        "pictures": pictures or {"charts": [], "confusion": None},
        "latency": latency,
        "lineage": {
            "model_md5": lock_entries(lock_text).get(model_path, {}).get("md5"),
            "data": data_fingerprints(lock_text),
            "params_file": "params.yaml",
        },
    }


def _optional_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def artifact_description(root: str | Path) -> str:
    document = yaml.safe_load((Path(root) / "dvc.yaml").read_text(encoding="utf-8"))
    name, _ = model_artifact(Path(root) / "dvc.yaml")
    return document["artifacts"][name].get("desc", "")


def render_model_card(
    context: dict[str, Any],
    output_dir: str | Path,
    notebook: str | Path = paths.MODEL_CARD_NOTEBOOK,
) -> list[Path]:
    """Execute the model card notebook on `context`; write model_card.html and model_card.md."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter, MarkdownExporter
    from nbconvert.preprocessors import ExecutePreprocessor, TagRemovePreprocessor

    output_dir = Path(output_dir)
    context = {**context, "unwritten": unwritten_sections(Path(notebook).read_text("utf-8"))}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / CARD_CONTEXT).write_text(json.dumps(context, indent=2), encoding="utf-8")
        card = nbformat.read(notebook, as_version=4)
        # A local socket, not TCP: nothing listens on the network while the card runs (and the
        # kernel has no unencrypted-TCP warning to print).
        kernel = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(folder) / "kernel")
        )
        ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(
            card, {"metadata": {"path": folder}}, km=kernel
        )
    paths = []
    # Charts are drawn in the HTML card; the markdown card (the release notes, where GitHub
    # shows no inline SVG) has their numbers as tables instead.
    exporters = [
        (HTMLExporter, "model_card.html", "markdown-only"),
        (MarkdownExporter, "model_card.md", "html-only"),
    ]
    for exporter_class, name, left_out in exporters:
        exporter = exporter_class(exclude_input=True, exclude_input_prompt=True)
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={left_out}, enabled=True), enabled=True
        )
        body, _ = exporter.from_notebook_node(card)
        (output_dir / name).write_text(body, encoding="utf-8")
        paths.append(output_dir / name)
    return paths


def bundle_dir(version: Version, root: str | Path = ".") -> Path:
    return Path(root) / paths.RELEASE_BUNDLES / f"{version.model}-{version.version}"


def build_bundle(
    registry: "Registry", version: Version, report: GateReport, output_dir: str | Path | None = None
) -> Path:
    """The release's files in one folder: model, metrics, params, schema, profile, lock,
    constraints, data fingerprints, gate result, lineage, model card (HTML and markdown).

    Every file comes from the released commit (git), or from DVC checked against that
    commit's dvc.lock; nothing is read from the work tree, which may hold another model."""
    output_dir = Path(output_dir or bundle_dir(version, registry.root))
    if output_dir.exists():
        shutil.rmtree(output_dir)  # rebuilt whole: a re-run never mixes two builds
    output_dir.mkdir(parents=True)
    outputs = CommitOutputs(registry.root, version.commit, version.tag)
    _, model_path = model_artifact(registry.root / paths.DVC_YAML)
    for path in (Path(model_path), *BUNDLED_OUTPUTS):
        outputs.get(path, output_dir / path.name)
    if paths.SLICES.as_posix() in outputs.lock:  # versions evaluated before slices have none
        outputs.get(paths.SLICES, output_dir / paths.SLICES.name)
    for path in COMMITTED_FILES:
        text = show_file(version.commit, path.as_posix(), cwd=registry.root)
        if text is None:
            raise ProjectError(f"{path} is not committed at {version.tag}", "commit it")
        (output_dir / path.name).write_text(text, encoding="utf-8")
    params = params_at(registry, version.commit, version.tag)
    with tempfile.TemporaryDirectory() as folder:
        results = breakdown(outputs, params.task, folder)
        pictures = card_pictures(outputs, params.task, folder)
    latency = latency_record(version, registry.root)
    if latency is not None:
        write_json(output_dir / paths.LATENCY_REPORT.name, latency)
    context = card_context(output_dir, version, params, report, results, latency, pictures)
    (output_dir / paths.DVC_YAML.name).unlink()  # read for the card; not part of the bundle
    lineage = {
        key: context[key]
        for key in ("model", "version", "tag", "commit", "released_by", "released_at")
    } | {"lineage": context["lineage"], "gate": context["gate"]}
    write_json(output_dir / "data.json", context["lineage"]["data"])
    write_json(output_dir / "gate.json", context["gate"])
    write_json(output_dir / "release.json", lineage)
    render_model_card(context, output_dir, registry.root / paths.MODEL_CARD_NOTEBOOK)
    files = sorted(p.name for p in output_dir.iterdir())
    LOGGER.info(f"bundle {output_dir}: {', '.join(files)}")
    return output_dir


def write_json(path: str | Path, data: object) -> None:
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
