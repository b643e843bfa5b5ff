"""The data contract: reading schema.yaml, and inferring one from a user's CSV.

schema.yaml names the `target` column, for binary tasks its `positive_label`, and describes
every column: `dtype` (integer | float | category), `nullable`, optional `min`/`max` for numbers
and an optional `categories` list of allowed values. The validate stage enforces it.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from . import config
from .errors import ProjectError

DTYPES = ("integer", "float", "category")
NUMERIC_DTYPES = ("integer", "float")
SCHEMA_KEYS = ("target", "positive_label", "columns")
COLUMN_KEYS = ("dtype", "nullable", "min", "max", "categories")
# Inferred text columns with at most this many distinct values get a `categories` list; it is
# also the most classes a multiclass target may have.
MAX_CATEGORIES = 50
MIN_MULTICLASS_CLASSES = 3
# Values that usually mean "yes, it happened" when a binary target is text or 0/1.
POSITIVE_WORDS = ("1", "true", "yes", "y", "t", "positive", "pos")
INFER_COMMAND = f"python -m {__package__} schema infer <csv> --target <column>"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple | None = None

    @property
    def is_numeric(self):
        return self.dtype in NUMERIC_DTYPES

    @property
    def is_categorical(self):
        """Text categories, and numbers limited to a list (codes), are one-hot encoded."""
        return self.dtype == "category" or self.categories is not None


@dataclass(frozen=True)
class Schema:
    target: str
    columns: dict  # name -> Column, in the file's order
    positive_label: object = None

    @property
    def features(self):
        return [name for name in self.columns if name != self.target]

    @property
    def categorical_features(self):
        return [name for name in self.features if self.columns[name].is_categorical]

    @property
    def numeric_features(self):
        return [name for name in self.features if not self.columns[name].is_categorical]


# --- reading schema.yaml ----------------------------------------------------------------------


def load_schema(path=config.SCHEMA):
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(
            f"{path} not found",
            f"run from the project's root folder, or write one with `{INFER_COMMAND}`",
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProjectError(f"{path} is not valid YAML: {error}", f"correct {path}") from None
    return parse_schema(document, source=path)


def parse_schema(document, source=config.SCHEMA):
    """A Schema from the loaded YAML, or a ProjectError naming the offending key."""
    if not isinstance(document, dict):
        _malformed(source, "(top level)", "is not a mapping", "start from `target:` and `columns:`")
    for key in document:
        if key not in SCHEMA_KEYS:
            _malformed(source, key, "is not a schema setting", f"use only {', '.join(SCHEMA_KEYS)}")
    columns_spec = document.get("columns")
    if not isinstance(columns_spec, dict) or not columns_spec:
        _malformed(
            source, "columns", "is missing or empty", "list every column as `name: {dtype: ...}`"
        )
    columns = {
        str(name): parse_column(str(name), spec, source) for name, spec in columns_spec.items()
    }
    target = document.get("target")
    if target not in columns:
        _malformed(
            source, "target", f"is {target!r}, which is not one of the columns", "name a column"
        )
    if columns[target].nullable:
        _malformed(
            source,
            f"columns.{target}.nullable",
            "is true for the target",
            "set it to false: rows without a target cannot train or score a model",
        )
    positive_label = _positive_label(document.get("positive_label"), columns[target], source)
    return Schema(target=target, columns=columns, positive_label=positive_label)


def parse_column(name, spec, source=config.SCHEMA):
    key = f"columns.{name}"
    if not isinstance(spec, dict):
        _malformed(source, key, "is not a mapping", "write it as `{dtype: float, nullable: false}`")
    for setting in spec:
        if setting not in COLUMN_KEYS:
            _malformed(
                source,
                f"{key}.{setting}",
                "is not a column setting",
                f"use {', '.join(COLUMN_KEYS)}",
            )
    dtype = spec.get("dtype")
    if dtype not in DTYPES:
        _malformed(source, f"{key}.dtype", f"is {dtype!r}", f"use one of {', '.join(DTYPES)}")
    nullable = spec.get("nullable", False)
    if not isinstance(nullable, bool):
        _malformed(source, f"{key}.nullable", f"is {nullable!r}", "use true or false")
    low, high = (_bound(spec, bound, dtype, f"{key}.{bound}", source) for bound in ("min", "max"))
    if low is not None and high is not None and low > high:
        _malformed(source, f"{key}.min", f"({low}) is above max ({high})", "swap or correct them")
    categories = _categories(spec.get("categories"), dtype, f"{key}.categories", source)
    return Column(name, dtype, nullable, low, high, categories)


def _bound(spec, bound, dtype, key, source):
    value = spec.get(bound)
    if value is None:
        return None
    if dtype == "category":
        _malformed(source, key, "is set on a category column", "remove it, or list `categories`")
    if isinstance(value, bool) or not isinstance(value, int | float):
        _malformed(source, key, f"is {value!r}, not a number", f"give a number or remove {bound}")
    return value


def _categories(values, dtype, key, source):
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        _malformed(source, key, "is not a non-empty list", "write it as `[a, b, c]` or remove it")
    for value in values:
        if isinstance(value, bool) or value is None:
            # YAML 1.1 reads unquoted yes/no/on/off/true/false as booleans and ~/null as None.
            _malformed(source, key, f"holds {value!r}", "quote text values, e.g. ['yes', 'no']")
        if dtype in NUMERIC_DTYPES and not isinstance(value, int | float):
            _malformed(source, key, f"holds text {value!r}", f"list numbers for a {dtype} column")
        if dtype == "integer" and value != int(value):
            _malformed(source, key, f"holds {value!r}", "list whole numbers for an integer column")
    # CSV cells are text, so a category column compares its values as text.
    normalized = tuple(str(v) for v in values) if dtype == "category" else tuple(values)
    if len(set(normalized)) != len(normalized):
        _malformed(source, key, "lists a value twice", "remove the duplicates")
    return normalized


def _positive_label(label, target, source):
    if label is None:
        return None
    if target.dtype == "category":
        label = str(label)
    if target.categories is not None and label not in target.categories:
        _malformed(
            source,
            "positive_label",
            f"is {label!r}, not one of the target's categories {list(target.categories)}",
            "use one of the target's categories",
        )
    return label


def _malformed(source, key, problem, fix):
    raise ProjectError(f"{source}: `{key}` {problem}", fix)


# --- inferring a schema from data -------------------------------------------------------------


def infer_schema(frame, target, task):
    """schema.yaml's content (a dict) for a frame of CSV text, and notes for the user."""
    if target not in frame.columns:
        raise ProjectError(
            f"--target {target!r} is not a column of the CSV",
            f"use one of: {', '.join(map(str, frame.columns))}",
        )
    notes = []
    columns = {}
    for name in frame.columns:
        columns[str(name)], note = infer_column(frame[name])
        if note:
            notes.append(note)
    columns[target], positive_label, note = target_column(frame[target], columns[target], task)
    notes.append(note)
    document = {"target": target}
    if positive_label is not None:
        document["positive_label"] = positive_label
    document["columns"] = columns
    return document, notes


def infer_column(values):
    """One column's contract from its text values, and a note when a choice needs review."""
    present = values.dropna()
    if present.empty:
        raise ProjectError(
            f"column {values.name!r} has no values at all",
            "drop it from the CSV or fill it: an empty column cannot be checked or learned from",
        )
    spec = {"dtype": "category", "nullable": bool(values.isna().any())}
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        written_as_whole = not present.str.contains(r"[.eE]").any()
        spec["dtype"] = "integer" if written_as_whole else "float"
        # Bounds catch impossible values, not unusual ones. A column seen entirely
        # non-negative (counts, prices, ages) gets min 0. No max: the largest value seen so far
        # is no limit, and the drift check watches how the distribution moves.
        if (numbers >= 0).all():
            spec["min"] = 0 if spec["dtype"] == "integer" else 0.0
        return spec, None
    distinct = sorted(present.unique())
    if len(distinct) <= MAX_CATEGORIES:
        spec["categories"] = [str(value) for value in distinct]
        return spec, None
    return spec, (
        f"column {values.name!r} has {len(distinct)} distinct text values: any value is "
        "accepted. If it is an identifier or free text, drop it from the CSV."
    )


def target_column(values, spec, task):
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


def _sorted_classes(values, dtype):
    distinct = values.unique()
    if dtype == "integer":
        return sorted(int(value) for value in pd.to_numeric(pd.Series(distinct)))
    if dtype == "float":
        return sorted(float(value) for value in pd.to_numeric(pd.Series(distinct)))
    return sorted(str(value) for value in distinct)


def _positive_class(values, classes):
    for word in POSITIVE_WORDS:
        for label in classes:
            if str(label).lower() == word:
                return label
    # No telling name: the rarer class is usually the one worth detecting.
    counts = values.value_counts()
    frequency = {label: counts.get(str(label), 0) for label in classes}
    return min(classes, key=lambda label: (frequency[label], -classes.index(label)))


# --- writing files ----------------------------------------------------------------------------


def schema_yaml(document, source):
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


def _flow(value):
    """One YAML value on one line, quoted where YAML needs it (e.g. 'yes', '007', 'a: b')."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


RAW_LINE = re.compile(r"^(?P<key>[ \t]+raw:[ \t]*)(?P<value>.*?)(?P<comment>[ \t]+#.*)?$")


def with_raw_data(params_text, raw_path):
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


def project_relative(path):
    """The path as DVC and params.yaml need it: inside the project, relative, with '/'."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        raise ProjectError(
            f"{path} is outside the project",
            "copy it into the project first (e.g. data/raw/): DVC tracks files inside the repo",
        ) from None


def infer_file(csv, target, output, params_path):
    """Write schema.yaml inferred from `csv`, point params.yaml at it, print the next steps."""
    from .validate import read_csv_text  # validate imports this module at its top

    raw_path = project_relative(csv)
    task = config.task_of(config.load_params(params_path))
    document, notes = infer_schema(read_csv_text(csv), target, task)
    Path(output).write_text(schema_yaml(document, raw_path), encoding="utf-8")
    params_path = Path(params_path)
    params_text = params_path.read_text(encoding="utf-8")
    params_path.write_text(with_raw_data(params_text, raw_path), encoding="utf-8")
    print(
        f"wrote {output} ({len(document['columns'])} columns); {params_path} data.raw = {raw_path}"
    )
    for note in notes:
        print(f"  note: {note}")
    git_ignore = f"{Path(raw_path).parent.as_posix()}/.gitignore"  # written by `dvc add`
    print(
        "next steps:\n"
        f"  dvc add {raw_path}\n"
        f"  git add {output} {params_path} {raw_path}.dvc {git_ignore}\n"
        "  dvc repro"
    )
