"""The drift check's summary of the current data on an engine (DuckDB or Spark).

The engine registers the current files as one view (sql.SOURCE). In SQL it counts the rows,
the missing values and every contract rule's findings (with their first examples in the files'
order), and each category column's values (a GROUP BY). The numeric columns are binned by the
pyarrow path's own code on the Arrow batches the engine streams (the same pass that feeds the
model for prediction drift); the contract's conditions on those columns ride the same stream
as boolean columns, so the engine reads them once. Binning against a thousand quantile edges
needs a binary search SQL has no portable form of, and numpy's sort-and-search on a stream of
batches was 5x faster than DuckDB's `histogram` aggregate on the same file. The counts fold
into the CurrentSummary and ContractTally the pyarrow path builds, so drift/decision.py and
the reports cannot tell the paths apart.

The contract is checked as engines/findings.py checks it, on the data as a whole.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..contract.schema import Schema
from ..contract.stream import FATAL_RULES, ContractTally, CurrentFiles
from ..engines import Engine, Kind, sql
from ..engines.contract import ContractCounts, counting, query_counts
from ..engines.findings import check_contract, check_kinds, report_counts
from ..errors import CouldNotCheck
from .summary import CategorySummary, CurrentSummary, summarize_batches


def category_summary(
    engine: Engine, name: str, counts: ContractCounts, kind: Kind
) -> CategorySummary:
    summary = CategorySummary(rows=counts.rows, nulls=counts.missing[name])
    missing = sql.missing(engine.dialect, name, kind == "number")
    found = engine.query(sql.value_counts(engine.dialect, name, missing))
    values = pd.Series([row[0] for row in found])
    summary.counts = Counter(
        dict(zip(values.astype(str), (int(row[1]) for row in found), strict=True))
    )
    return summary


def summarize_current(
    engine: Engine,
    files: CurrentFiles,
    schema: Schema,
    profile: dict[str, Any],
    tally: ContractTally,
    predict: Callable[[pd.DataFrame], npt.ArrayLike] | None = None,
    chunk_rows: int = 200_000,
    keep: tuple[str, ...] = (),
) -> CurrentSummary:
    """drift.summary.summarize_batches's CurrentSummary, and the contract's findings in
    `tally`, read and counted by `engine`."""
    kinds = engine.register(files)
    target = profile.get("target")
    lacking = [name for name in profile["columns"] if name not in kinds and name != target]
    if lacking:
        raise CouldNotCheck(
            f"the current data lacks the column(s) {', '.join(lacking)}",
            "provide every column schema.yaml lists (the target may be left out)",
        )
    check_kinds(engine, schema, kinds)
    present = [name for name in profile["columns"] if name in kinds]
    numeric = {name: spec for name, spec in profile["columns"].items() if spec["kind"] == "numeric"}
    streamed = {**profile, "columns": {name: numeric[name] for name in present if name in numeric}}
    # The model reads every column; the binning, the numeric ones (the engine counts the rest).
    needed = present if predict is not None else list(streamed["columns"])
    plan = counting(engine, schema, present, kinds)
    # The streamed columns' rules are counted on the stream, in the scan that feeds the
    # binning: one pass over them rather than two.
    flags = plan.conditions_of(set(needed))
    in_stream = {sql.counted(text) for text in flags}
    rows, counted = query_counts(
        engine, [text for text in plan.counting_sql() if text not in in_stream]
    )
    fatal = {rule.condition for rule in plan.rules if rule.rule in FATAL_RULES}
    stream = Stream(
        engine, files, schema, kinds, chunk_rows, keep, tuple(needed), tuple(flags), fatal
    )
    try:
        summary = summarize_batches(streamed, stream.frames(), predict)
    except WrongTypes:
        check_contract(engine, files, schema, present, kinds, ContractTally())  # its refusal
        raise
    counts = plan.counts(rows, {**counted, **stream.counted})
    report_counts(engine, files, schema, kinds, counts, tally)
    for name in present:
        if name not in numeric:
            summary.columns[name] = category_summary(engine, name, counts, kinds[name])
    summary.columns = {name: summary.columns[name] for name in present}  # the profile's order
    return summary


class WrongTypes(Exception):
    """A chunk of the stream has values of the wrong type: the contract's check refuses."""


@dataclass(frozen=True)
class Stream:
    """The current data as the engine streams it to Python, typed by the contract as
    checked_frame types it (typed_chunk): the schema's columns it has (those `needed`), and
    the `keep` columns (keys the labels join on) as text."""

    engine: Engine
    files: CurrentFiles
    schema: Schema
    kinds: dict[str, Kind]
    chunk_rows: int
    keep: tuple[str, ...]
    needed: tuple[str, ...]  # the schema's columns to stream
    flags: tuple[str, ...] = ()  # conditions counted on the stream, into `counted`
    fatal: set[str] = field(default_factory=set)  # conditions that stop it (WrongTypes)
    counted: dict[str, int] = field(default_factory=dict)  # sql.counted(condition): rows

    def frames(self) -> Iterator[pd.DataFrame]:
        from ..contract.stream import typed_chunk

        for name in self.keep:
            if name not in self.kinds:
                raise CouldNotCheck(
                    f"the current data has no {name} column to join the labels on",
                    "key drift.labels by columns the current data has",
                )
        columns = [
            name for name in self.schema.columns if name in self.kinds and name in self.needed
        ]
        columns += [name for name in self.keep if name not in columns]
        self.counted.update({sql.counted(text): 0 for text in self.flags})
        for table in self.engine.chunks(columns, self.chunk_rows, self.flags):
            self._count(table.columns[len(columns) :])
            table = table.select(range(len(columns)))
            frame = typed_chunk(table, self.schema)  # no values of the wrong type (_count)
            for name in self.keep:
                frame[name] = table.column(name).cast(pa.string()).to_pandas()
            yield frame

    def _count(self, flags: list[pa.ChunkedArray]) -> None:
        """The chunk's rows meeting each flag's condition, added to `counted`; WrongTypes
        before a value of the wrong type reaches typed_chunk."""
        for text, flag in zip(self.flags, flags, strict=True):
            found = pc.sum(flag).as_py() or 0
            self.counted[sql.counted(text)] += found
            if found and text in self.fatal:
                raise WrongTypes(text)
