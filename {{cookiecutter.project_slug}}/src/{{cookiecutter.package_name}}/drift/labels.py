"""Labels that arrive after the predictions: `drift.labels` names files (CSV or Parquet, local
or object storage, `{date}` filled in) holding the target and a key, and the performance-decay
check joins them to the current data (the service's prediction log, or any batch).

The key is the schema's `ids` when the labels carry them (one row per record), otherwise
`request_id` (the prediction log's): then every request of the current data must hold one
record, since a request's records share its id.
"""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from ..contract.schema import Schema
from ..contract.stream import ContractTally, arrow_chunks, checked_frame, format_of
from ..errors import CouldNotCheck
from .source import resolve

REQUEST_ID = "request_id"  # the prediction log's column (serving/log.py)
FIX = (
    "check drift.labels in params.yaml: files with the target and either the ids of schema.yaml "
    "or the prediction log's request_id, one row per key"
)


@dataclass
class Labels:
    """The target by key, and how many current rows found theirs."""

    source: str
    keys: tuple[str, ...]
    targets: dict[tuple[str, ...], Any]
    dtype: Any  # the target's type by the contract (Int64, Float64, string)
    rows: int = 0
    matched: int = 0
    seen: set[tuple[str, ...]] = field(default_factory=set)

    def attach(self, frame: pd.DataFrame, target: str) -> pd.DataFrame:
        """The chunk with its labels in `target` (missing where none arrived yet)."""
        keys = list(zip(*(frame[name].astype("string") for name in self.keys), strict=True))
        if self.keys == (REQUEST_ID,):
            repeated = len(keys) != len(set(keys)) or not self.seen.isdisjoint(keys)
            if repeated:
                raise CouldNotCheck(
                    "labels keyed by request_id, but a request of the current data holds "
                    "several records",
                    "declare the records' ids in schema.yaml (ids: [...]) and key the labels "
                    "by them",
                )
            self.seen.update(keys)
        found = [self.targets.get(key) for key in keys]
        self.rows += len(found)
        self.matched += sum(value is not None for value in found)
        return frame.assign(**{target: pd.Series(found, dtype=self.dtype, index=frame.index)})

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "keys": list(self.keys),
            "rows": self.rows,
            "labelled_rows": self.matched,
        }


def key_columns(names: list[str], schema: Schema, source: str) -> tuple[str, ...]:
    if schema.ids and all(name in names for name in schema.ids):
        return schema.ids
    if REQUEST_ID in names:
        return (REQUEST_ID,)
    ids = f"the ids {list(schema.ids)} or " if schema.ids else ""
    raise CouldNotCheck(f"the labels at {source} have neither {ids}a request_id column", FIX)


def load_labels(spec: str | None, date: str, schema: Schema) -> Labels | None:
    """The labels `drift.labels` names for `date`, or None when it names none."""
    if not spec:
        return None
    files = resolve(spec, date)
    tables = [
        table
        for path in files.paths
        for table in arrow_chunks(path, format_of(path, "auto"), 1_000_000)
    ]
    table = pa.concat_tables(tables, promote_options="permissive")
    if schema.target not in table.column_names:
        raise CouldNotCheck(f"the labels at {files.source} have no {schema.target} column", FIX)
    keys = key_columns(table.column_names, schema, files.source)
    frame = table.select(list(keys)).to_pandas()
    index = list(zip(*(frame[name].astype("string") for name in keys), strict=True))
    if len(index) != len(set(index)):
        raise CouldNotCheck(f"the labels at {files.source} repeat a key {list(keys)}", FIX)
    # Typed by the contract, as the current data's target would be (and checked like it).
    typed = checked_frame(table.select([schema.target]), schema, files.source, ContractTally())
    target = typed[schema.target]
    return Labels(files.source, keys, dict(zip(index, target.tolist(), strict=True)), target.dtype)
