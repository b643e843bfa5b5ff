"""Inferring schema.yaml from a user's CSV or Parquet file: bringing your own data in one
command."""

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import ProjectError
from ..params import load_params
from .raw_parquet import read_parquet_text
from .reading import read_csv_text
from .rules import beyond_int64
from .schema import MAX_CATEGORIES, POSITIVE_WORDS
from .stream import suffix_format

LOGGER = logging.getLogger(__name__)

MIN_MULTICLASS_CLASSES = 3

# --- inferring a schema from data -------------------------------------------------------------


def infer_schema(frame: pd.DataFrame, target: str, task: str) -> tuple[dict[str, Any], list[str]]:
    """schema.yaml's content (a dict) for a frame of the data's text (as a CSV holds it), and
    notes for the user."""
    if target not in frame.columns:
        raise ProjectError(
            f"--target {target!r} is not a column of the data",
            f"use one of: {', '.join(map(str, frame.columns))}",
        )
    notes: list[str] = []
    columns: dict[str, dict[str, Any]] = {}
    for name in frame.columns:
        columns[str(name)], note = infer_column(frame[name])
        if note:
            notes.append(note)
    columns[target], positive_label, note = target_column(frame[target], columns[target], task)
    notes.append(note)
    document: dict[str, Any] = {"target": target}
    if positive_label is not None:
        document["positive_label"] = positive_label
    document["columns"] = columns
    return document, notes


def infer_column(values: pd.Series) -> tuple[dict[str, Any], str | None]:
    """One column's contract from its text values, and a note when a choice needs review."""
    present = values.dropna()
    if present.empty:
        raise ProjectError(
            f"column {values.name!r} has no values at all",
            "drop it from the data or fill it: an empty column cannot be checked or learned from",
        )
    spec: dict[str, Any] = {"dtype": "category", "nullable": bool(values.isna().any())}
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        written_as_whole = not present.str.contains(r"[.eE]").any()
        # An integer column is validated as int64: one holding more is not integer.
        too_wide = written_as_whole and bool(beyond_int64(present, numbers).any())
        spec["dtype"] = "integer" if written_as_whole and not too_wide else "float"
        # Bounds catch impossible values, not unusual ones. A column seen entirely
        # non-negative (counts, prices, ages) gets min 0. No max: the largest value seen so far
        # is no limit, and the drift check watches how the distribution moves.
        if (numbers >= 0).all():
            spec["min"] = 0 if spec["dtype"] == "integer" else 0.0
        return spec, _too_wide_note(values.name) if too_wide else None
    distinct = sorted(present.unique())
    if len(distinct) <= MAX_CATEGORIES:
        spec["categories"] = [str(value) for value in distinct]
        return spec, None
    return spec, (
        f"column {values.name!r} has {len(distinct)} distinct text values: any value is "
        "accepted. If it is an identifier or free text, drop it from the data."
    )


def _too_wide_note(name: object) -> str:
    return (
        f"column {name!r} holds whole numbers beyond int64: inferred as float, exact only to "
        "2**53. If it is an identifier, drop it from the data."
    )


def target_column(
    values: pd.Series, spec: dict[str, Any], task: str
) -> tuple[dict[str, Any], object, str]:
    """The target's contract for the task: (spec, positive label or None, note)."""
    name = values.name
    if values.isna().any():
        raise ProjectError(
            f"target {name!r} is missing in {int(values.isna().sum())} rows",
            "remove those rows: a row without a target can neither train nor score the model",
        )
    spec = {**spec, "nullable": False}
    if task == "regression":
        if spec["dtype"] == "category":
            raise ProjectError(
                f"target {name!r} holds text, but this project does regression (numbers)",
                "choose a numeric --target, or generate a classification project",
            )
        return spec, None, f"target {name!r}: numeric, for regression"
    # A class target is governed by its list of classes, not by bounds.
    spec = {key: value for key, value in spec.items() if key not in ("min", "max")}
    classes = _sorted_classes(values, spec["dtype"])
    low, high = (
        (2, 2) if task == "binary_classification" else (MIN_MULTICLASS_CLASSES, MAX_CATEGORIES)
    )
    if not low <= len(classes) <= high:
        wanted = "exactly 2" if low == high else f"{low} to {high}"
        shown = ", ".join(map(str, classes[:10])) + (", ..." if len(classes) > 10 else "")
        raise ProjectError(
            f"target {name!r} has {len(classes)} classes ({shown}); {task} needs {wanted}",
            "choose another --target, or generate a project for the task that fits the data",
        )
    spec["categories"] = classes
    if task == "multiclass_classification":
        return spec, None, f"target {name!r}: {len(classes)} classes"
    positive = _positive_class(values, classes)
    note = (
        f"target {name!r}: classes {classes}, positive_label {positive!r} "
        "(edit schema.yaml if the other class is the one to detect)"
    )
    return spec, positive, note


def _sorted_classes(values: pd.Series, dtype: str) -> list[int] | list[float] | list[str]:
    distinct = values.unique()
    if dtype == "integer":
        return sorted(int(value) for value in pd.to_numeric(pd.Series(distinct)))
    if dtype == "float":
        return sorted(float(value) for value in pd.to_numeric(pd.Series(distinct)))
    return sorted(str(value) for value in distinct)


def _positive_class(values: pd.Series, classes: Sequence[int | float | str]) -> object:
    for word in POSITIVE_WORDS:
        for label in classes:
            if str(label).lower() == word:
                return label
    # No telling name: the rarer class is usually the one worth detecting.
    counts = values.value_counts()
    frequency = {label: counts.get(str(label), 0) for label in classes}
    return min(classes, key=lambda label: (frequency[label], -classes.index(label)))


# --- writing files ----------------------------------------------------------------------------


def schema_yaml(document: Mapping[str, Any], source: str) -> str:
    """schema.yaml text: one flow-style line per column, like the template's own file."""
    lines = [
        f"# The data contract, inferred from {source} by `python -m {__package__} schema infer`.",
        "# Review it: min 0 marks columns seen non-negative; add max, tighten bounds or fix",
        "# category lists where you know the domain. dtype: integer | float | category.",
        f"target: {_flow(document['target'])}",
    ]
    if "positive_label" in document:
        lines.append(f"positive_label: {_flow(document['positive_label'])}")
    lines.append("columns:")
    for name, spec in document["columns"].items():
        lines.append(f"  {_flow(name)}: {_flow(spec)}")
    return "\n".join(lines) + "\n"


def _flow(value: object) -> str:
    """One YAML value on one line, quoted where YAML needs it (e.g. 'yes', '007', 'a: b')."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


RAW_LINE = re.compile(r"^(?P<key>[ \t]+raw:[ \t]*)(?P<value>.*?)(?P<comment>[ \t]+#.*)?$")


def with_raw_data(params_text: str, raw_path: str) -> str:
    """params.yaml text with `data.raw` set to raw_path; every other line (comments too) kept."""
    lines = params_text.splitlines(keepends=True)
    in_data = False
    for index, line in enumerate(lines):
        if re.match(r"^data:[ \t]*(#.*)?$", line):
            in_data = True
        elif in_data and re.match(r"^\S", line):
            break  # the next top-level key: `data:` has no `raw:` line
        elif in_data and (match := RAW_LINE.match(line.rstrip("\r\n"))):
            ending = line[len(line.rstrip("\r\n")) :]
            lines[index] = f"{match['key']}{_flow(raw_path)}{match['comment'] or ''}{ending}"
            updated = "".join(lines)
            if yaml.safe_load(updated)["data"]["raw"] == raw_path:
                return updated
            break
    raise ProjectError(
        "could not find the `data:` / `raw:` lines in params.yaml",
        f"set `data: raw: {raw_path}` in params.yaml by hand",
    )


def project_relative(path: str | Path) -> str:
    """The path as DVC and params.yaml need it: inside the project, relative, with '/'."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        raise ProjectError(
            f"{path} is outside the project",
            "copy it into the project first (e.g. data/raw/): DVC tracks files inside the repo",
        ) from None


def infer_file(data: str | Path, target: str, output: str | Path, params_path: str | Path) -> None:
    """Write schema.yaml inferred from `data` (CSV, or Parquet by its name), point params.yaml
    at it, print the next steps."""
    raw_path = project_relative(data)
    task = load_params(params_path).task
    is_parquet = suffix_format(str(data)) == "parquet"
    frame = read_parquet_text(data) if is_parquet else read_csv_text(data)
    document, notes = infer_schema(frame, target, task)
    Path(output).write_text(schema_yaml(document, raw_path), encoding="utf-8")
    params_path = Path(params_path)
    params_text = params_path.read_text(encoding="utf-8")
    params_text, simulation_off = without_demo_simulation(with_raw_data(params_text, raw_path))
    params_path.write_text(params_text, encoding="utf-8")
    LOGGER.info(
        f"wrote {output} ({len(document['columns'])} columns); {params_path} data.raw = {raw_path}"
    )
    if simulation_off:
        notes.append(
            "drift.simulate is now false: the demo's simulated batches do not fit your columns; "
            "point drift.source in params.yaml at your current data"
        )
    for note in notes:
        LOGGER.info(f"  note: {note}")
    git_ignore = f"{Path(raw_path).parent.as_posix()}/.gitignore"  # written by `dvc add`
    LOGGER.info(
        "next steps:\n"
        f"  dvc add {raw_path}\n"
        f"  git add {output} {params_path} {raw_path}.dvc {git_ignore}\n"
        "  dvc repro"
    )


SIMULATE_LINE = re.compile(r"^(?P<key>[ \t]+simulate:[ \t]*)true\b", re.MULTILINE)


def without_demo_simulation(params_text: str) -> tuple[str, bool]:
    """(params text with drift.simulate off, whether it was on): the simulator writes the
    demo's columns, which a user's own data does not have."""
    updated, count = SIMULATE_LINE.subn(r"\g<key>false", params_text, count=1)
    return updated, bool(count)
