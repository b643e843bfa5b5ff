"""The counts the engines make in SQL, written once for DuckDB and Spark SQL: rows, missing
values and contract findings in one aggregate query, a column's distinct values and their
counts (GROUP BY), the first examples of a finding in the files' order, and the values in
ranges. The engines differ only in their `Dialect` (how a name is quoted).

The SQL is correct under ANSI mode (Spark 4's default): no cast or arithmetic can overflow.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

SOURCE = "current"  # the view an engine registers the current data as
FILE, ROW = "_file", "_row"  # each row's file (index) and position in it, for examples' order
FILE_STRIDE = 1 << 40  # more rows than any one file holds


class Dialect(Protocol):
    def name(self, column: str) -> str:
        """The column's name quoted for this engine."""
        ...


def double(value: float) -> str:
    """A float64 literal, exactly: text cast to DOUBLE is parsed correctly rounded by both
    engines, where a decimal literal may be rounded twice."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def text(value: str) -> str:
    """A string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of the summary query: its alias and SQL."""

    alias: str
    sql: str


def number(dialect: Dialect, column: str) -> str:
    return f"CAST({dialect.name(column)} AS DOUBLE)"


def beyond_int64(dialect: Dialect, column: str) -> str:
    """A number no int64 holds, which breaks an integer column's dtype rule (rules.py). TRY_CAST
    finds it exactly on integers, decimals and floats, but for one value: Spark casts a float of
    exactly 2**63 to 2**63 - 1 (its range check compares with 2**63 - 1 made a double, 2**63)."""
    name = dialect.name(column)
    floating = f"lower(typeof({name})) IN ('double', 'float')"
    top = f"{floating} AND {number(dialect, column)} >= {double(2.0**63)}"
    return f"(TRY_CAST({name} AS BIGINT) IS NULL OR ({top}))"


def missing(dialect: Dialect, column: str, can_be_nan: bool) -> str:
    """A value's missing: null, or NaN in a column that can hold it (as pandas reads them)."""
    name = dialect.name(column)
    if can_be_nan:
        return f"({name} IS NULL OR isnan({number(dialect, column)}))"
    return f"({name} IS NULL)"


def count_where(alias: str, condition: str) -> Aggregate:
    return Aggregate(alias, counted(condition))


def counted(condition: str) -> str:
    """The rows meeting `condition`, as an aggregate of the summary query."""
    return f"count(CASE WHEN {condition} THEN 1 END)"


def counted_outside(value: str, present: str, allowed: str, source: str = SOURCE) -> str:
    """The rows whose `value` (where `present`) is none of `allowed` (a list of literals), as a
    scalar subquery of the summary query: counted over the distinct values, which on DuckDB is
    15x faster than testing every row (dictionary-encoded text groups without decoding). A
    column with categories has few values; with millions, the grouping spills to disk."""
    grouped = (
        f"SELECT {value} AS value, count(*) AS n FROM {source} WHERE {present} GROUP BY {value}"
    )
    return (
        f"(SELECT coalesce(sum(n), 0) FROM ({grouped}) AS grouped WHERE NOT value IN ({allowed}))"
    )


def select(aggregates: Iterable[Aggregate], source: str = SOURCE) -> str:
    columns = ",\n  ".join(f"{item.sql} AS {item.alias}" for item in aggregates)
    return f"SELECT\n  count(*) AS rows_,\n  {columns}\nFROM {source}"


def value_counts(dialect: Dialect, column: str, exclude: str, source: str = SOURCE) -> str:
    """Each distinct present value of a column and its count."""
    name = dialect.name(column)
    return (
        f"SELECT {name} AS value, count(*) AS n FROM {source} WHERE NOT {exclude} GROUP BY {name}"
    )


def first_examples(
    dialect: Dialect, column: str, condition: str, limit: int, source: str = SOURCE
) -> str:
    """The first `limit` distinct values meeting `condition` in the files' order, each with
    where it first is: file * FILE_STRIDE + row."""
    name = dialect.name(column)
    first = f"min({FILE} * {FILE_STRIDE} + {ROW})"
    return (
        f"SELECT {name} AS value, {first} AS first_ FROM {source} WHERE {condition} "
        f"GROUP BY {name} ORDER BY first_ LIMIT {limit}"
    )


def between(dialect: Dialect, column: str, ranges: list[tuple[float, float]]) -> str:
    """The column's values in any of the [low, high) ranges."""
    value = number(dialect, column)
    inside = " OR ".join(
        f"({value} >= {double(low)} AND {value} < {double(high)})" for low, high in ranges
    )
    return f"SELECT {value} AS value FROM {SOURCE} WHERE {inside}"
