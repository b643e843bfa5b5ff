"""The data contract: reading schema.yaml, and inferring one from a user's CSV.

schema.yaml names the `target` column, for binary tasks its `positive_label`, and describes
every column: `dtype` (integer: whole numbers within int64 | float | category), `nullable`,
optional `min`/`max` for numbers and an optional `categories` list of allowed values. The
validate stage enforces it. Optional
`ids` lists identifier columns (a customer number): never features, allowed in the data, and
carried through batch scoring so each prediction can be joined back to its row.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .. import paths
from ..errors import ProjectError

DTYPES = ("integer", "float", "category")
NUMERIC_DTYPES = ("integer", "float")
SCHEMA_KEYS = ("target", "positive_label", "ids", "columns")
COLUMN_KEYS = ("dtype", "nullable", "min", "max", "categories")
# Inferred text columns with at most this many distinct values get a `categories` list; it is
# also the most classes a multiclass target may have.
MAX_CATEGORIES = 50
# Values that usually mean "yes, it happened" when a binary target is text or 0/1.
POSITIVE_WORDS = ("1", "true", "yes", "y", "t", "positive", "pos")
INFER_COMMAND = f"python -m {__package__.rpartition('.')[0]} schema infer <csv> --target <column>"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str | float, ...] | None = None

    @property
    def is_numeric(self) -> bool:
        return self.dtype in NUMERIC_DTYPES

    @property
    def is_categorical(self) -> bool:
        """Text categories, and numbers limited to a list (codes), are one-hot encoded."""
        return self.dtype == "category" or self.categories is not None


@dataclass(frozen=True)
class Schema:
    target: str
    columns: dict[str, Column]  # in the file's order
    positive_label: object = None
    ids: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        return [name for name in self.columns if name != self.target]

    @property
    def categorical_features(self) -> list[str]:
        return [name for name in self.features if self.columns[name].is_categorical]

    @property
    def numeric_features(self) -> list[str]:
        return [name for name in self.features if not self.columns[name].is_categorical]


# --- reading schema.yaml ----------------------------------------------------------------------


def load_schema(path: str | Path = paths.SCHEMA) -> Schema:
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


def parse_schema(document: object, source: str | Path = paths.SCHEMA) -> Schema:
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
    ids = _ids(document.get("ids", []), columns, source)
    return Schema(target=target, columns=columns, positive_label=positive_label, ids=ids)


def _ids(ids: object, columns: dict[str, Column], source: str | Path) -> tuple[str, ...]:
    if not isinstance(ids, list) or not all(isinstance(name, str) and name for name in ids):
        _malformed(source, "ids", f"is {ids!r}", "list column names, e.g. `ids: [customer_id]`")
    clashes = [name for name in ids if name in columns]
    if clashes:
        _malformed(
            source,
            "ids",
            f"names {', '.join(clashes)}, which `columns` also describes",
            "an identifier is never a feature: keep it under `ids` only",
        )
    return tuple(dict.fromkeys(ids))


def parse_column(name: str, spec: object, source: str | Path = paths.SCHEMA) -> Column:
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


def _bound(
    spec: dict[str, Any], bound: str, dtype: str, key: str, source: str | Path
) -> float | None:
    value = spec.get(bound)
    if value is None:
        return None
    if dtype == "category":
        _malformed(source, key, "is set on a category column", "remove it, or list `categories`")
    if isinstance(value, bool) or not isinstance(value, int | float):
        _malformed(source, key, f"is {value!r}, not a number", f"give a number or remove {bound}")
    return value


def _categories(
    values: object, dtype: str, key: str, source: str | Path
) -> tuple[str | float, ...] | None:
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


def _positive_label(label: object, target: Column, source: str | Path) -> object:
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


def _malformed(source: str | Path, key: str, problem: str, fix: str) -> NoReturn:
    raise ProjectError(f"{source}: `{key}` {problem}", fix)
