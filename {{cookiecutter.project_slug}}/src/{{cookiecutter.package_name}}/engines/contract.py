"""The data contract's rules as SQL on an engine's view of the data (sql.SOURCE): each rule as a
condition on one column, every rule counted in one aggregate query, and the first examples of a
broken rule in the files' order. The drift check and the validate stage on an engine count with
these, so a value breaks the same rule on every engine.
"""

import math
from dataclasses import dataclass, field

import pyarrow as pa

from ..contract.reading import MAX_EXAMPLES
from ..contract.schema import Column, Schema
from . import Engine, Kind, sql


@dataclass(frozen=True)
class Rule:
    """A contract rule as SQL on one column: the rows that break it."""

    column: Column
    rule: str
    condition: str
    counted: str = ""  # how the summary query counts it, where not sql.counted(condition)

    @property
    def count_sql(self) -> str:
        return self.counted or sql.counted(self.condition)


def rules_of(engine: Engine, column: Column, kind: Kind) -> list[Rule]:
    """The rules column_violations checks, on a column the engine typed as `kind`."""
    dialect = engine.dialect
    missing = sql.missing(dialect, column.name, kind == "number")
    found = [] if column.nullable else [Rule(column, "null", missing)]
    if kind == "text":
        comparable = dialect.name(column.name)
    elif column.dtype == "category":  # whole numbers (validate refuses others): compared as text
        comparable = f"CAST({dialect.name(column.name)} AS STRING)"
    else:
        comparable = sql.number(dialect, column.name)
    if column.dtype == "category":
        listed = ", ".join(sql.text(str(value)) for value in column.categories or ())
    else:
        listed = ", ".join(sql.double(float(value)) for value in column.categories or ())
    valid = f"NOT {missing}"
    if column.is_numeric:
        wrong = wrong_type(dialect, column, comparable, kind)
        if wrong is not None:
            found.append(Rule(column, "dtype", f"{valid} AND {wrong}"))
            valid = f"{valid} AND NOT {wrong}"
        bounds = [f"{comparable} < {sql.double(column.min)}"] if column.min is not None else []
        bounds += [f"{comparable} > {sql.double(column.max)}"] if column.max is not None else []
        if bounds:
            found.append(Rule(column, "out_of_range", f"{valid} AND ({' OR '.join(bounds)})"))
    if column.categories is not None:
        condition = f"{valid} AND NOT {comparable} IN ({listed})"
        counted = sql.counted_outside(comparable, valid, listed)
        found.append(Rule(column, "category", condition, counted))
    return found


def wrong_type(dialect: sql.Dialect, column: Column, comparable: str, kind: Kind) -> str | None:
    """The present values breaking a number column's dtype rule: infinities, and for an
    integer column fractions and numbers beyond int64. None where the engine stores the column
    as int64 integers, which hold none of them (and the check would cost a third of the
    query)."""
    if kind == "integer":
        return None
    infinite = f"abs({comparable}) = {sql.double(math.inf)}"
    if column.dtype != "integer":
        return f"({infinite})"
    fraction = f"{comparable} % {sql.double(1.0)} <> {sql.double(0.0)}"
    return f"({infinite} OR {fraction} OR {sql.beyond_int64(dialect, column.name)})"


@dataclass
class ContractCounts:
    """The aggregate query's answer: rows, each present column's missing values, and the rules
    broken (with their rows) on the columns that are not missing in every row."""

    rows: int
    missing: dict[str, int]
    broken: list[tuple[Rule, int]] = field(default_factory=list)

    @property
    def empty(self) -> list[str]:
        """The columns missing in every row (all_null), when there are rows."""
        return [name for name, count in self.missing.items() if self.rows and count == self.rows]


def count_contract(
    engine: Engine, schema: Schema, present: list[str], kinds: dict[str, Kind]
) -> ContractCounts:
    """One query: the rows, the missing values of the `present` columns, and every rule of the
    schema's columns the data has."""
    rules = [
        rule
        for name in schema.columns
        if name in kinds
        for rule in rules_of(engine, schema.columns[name], kinds[name])
    ]
    missing = [
        sql.counted(sql.missing(engine.dialect, name, kinds[name] == "number")) for name in present
    ]
    # Counted once: a required column's null rule is its missing values.
    counting = list(dict.fromkeys([*missing, *(rule.count_sql for rule in rules)]))
    aggregates = [sql.Aggregate(f"n{index}", text) for index, text in enumerate(counting)]
    values = engine.query(sql.select(aggregates))[0]
    counts = dict(zip(["rows_", *counting], values, strict=True))
    found = ContractCounts(
        rows=int(counts["rows_"]),
        missing={name: int(counts[text] or 0) for name, text in zip(present, missing, strict=True)},
    )
    empty = set(found.empty)
    for rule in rules:
        count = int(counts[rule.count_sql] or 0)
        if count and rule.column.name not in empty:
            found.broken.append((rule, count))
    return found


def first_examples(engine: Engine, column: str, condition: str) -> pa.Table:
    """The first MAX_EXAMPLES distinct values meeting `condition` in the files' order (`value`),
    each with where it first is (`first_`: file * sql.FILE_STRIDE + row), as the engine types
    them."""
    return engine.arrow(sql.first_examples(engine.dialect, column, condition, MAX_EXAMPLES))
