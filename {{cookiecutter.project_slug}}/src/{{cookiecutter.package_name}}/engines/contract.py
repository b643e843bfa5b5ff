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


@dataclass(frozen=True)
class Counting:
    """What count_contract counts: the present columns' missing values and every rule, each
    as the SQL of its count in the summary query (a condition counted once: a required
    column's null rule is its missing values)."""

    present: list[str]
    missing: list[str]  # the present columns' missing-value conditions, in their order
    rules: list[Rule]

    def conditions_of(self, columns: set[str]) -> list[str]:
        """The row conditions on `columns` counted as sql.counted(condition): a stream of
        those columns can count them as it goes."""
        found = [
            text for name, text in zip(self.present, self.missing, strict=True) if name in columns
        ]
        found += [
            rule.condition
            for rule in self.rules
            if rule.column.name in columns and not rule.counted
        ]
        return list(dict.fromkeys(found))

    def counting_sql(self) -> list[str]:
        """Each count's SQL (the keys of `counted` in counts())."""
        missing = [sql.counted(text) for text in self.missing]
        return list(dict.fromkeys([*missing, *(rule.count_sql for rule in self.rules)]))

    def counts(self, rows: int, counted: dict[str, int]) -> ContractCounts:
        """The ContractCounts of `counted` ({counting SQL: rows meeting it})."""
        found = ContractCounts(
            rows=rows,
            missing={
                name: counted[sql.counted(text)]
                for name, text in zip(self.present, self.missing, strict=True)
            },
        )
        empty = set(found.empty)
        for rule in self.rules:
            count = counted[rule.count_sql]
            if count and rule.column.name not in empty:
                found.broken.append((rule, count))
        return found


def counting(
    engine: Engine, schema: Schema, present: list[str], kinds: dict[str, Kind]
) -> Counting:
    """The counts for the `present` columns' missing values and every rule of the schema's
    columns the data has."""
    rules = [
        rule
        for name in schema.columns
        if name in kinds
        for rule in rules_of(engine, schema.columns[name], kinds[name])
    ]
    missing = [sql.missing(engine.dialect, name, kinds[name] == "number") for name in present]
    return Counting(present, missing, rules)


def query_counts(engine: Engine, counting_sql: list[str]) -> tuple[int, dict[str, int]]:
    """One query: the rows, and the rows each of `counting_sql` counts."""
    aggregates = [sql.Aggregate(f"n{index}", text) for index, text in enumerate(counting_sql)]
    rows, *values = engine.query(sql.select(aggregates))[0]
    return int(rows), {
        text: int(value or 0) for text, value in zip(counting_sql, values, strict=True)
    }


def count_contract(
    engine: Engine, schema: Schema, present: list[str], kinds: dict[str, Kind]
) -> ContractCounts:
    """One query: the rows, the missing values of the `present` columns, and every rule of the
    schema's columns the data has."""
    plan = counting(engine, schema, present, kinds)
    return plan.counts(*query_counts(engine, plan.counting_sql()))


def first_examples(engine: Engine, column: str, condition: str) -> pa.Table:
    """The first MAX_EXAMPLES distinct values meeting `condition` in the files' order (`value`),
    each with where it first is (`first_`: file * sql.FILE_STRIDE + row), as the engine types
    them."""
    return engine.arrow(sql.first_examples(engine.dialect, column, condition, MAX_EXAMPLES))
