"""The drift check's counts as SQL, written once for DuckDB and Spark SQL.

Everything the statistics need from the current data is a count or an exact integer sum: rows,
nulls, contract findings per rule, the category counts (a GROUP BY on the value) and the tails'
fixed-point parts (drift/tails.py's arithmetic, written here in SQL). One query scans the data
for all of them; the statistics and the decision then run in Python on the counts, shared by
every engine. The engines differ in two places only, their `Dialect`: quoting names, and how
the values per reference bin are counted (DuckDB's `histogram` with bin boundaries; Spark's
Bucketizer), which SQL has no portable binary search for.

The SQL is correct under ANSI mode (Spark 4's default): every cast and division is in range,
and CASE guards the arithmetic of rows a sum does not take.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ..contract.schema import Column

SOURCE = "current"  # the view an engine registers the current data as
FILE, ROW = "_file", "_row"  # each row's file (index) and position in it, for examples' order


class Dialect(Protocol):
    def name(self, column: str) -> str:
        """The column's name quoted for this engine."""
        ...


def double(value: float) -> str:
    """A float64 literal, exactly: text cast to DOUBLE is parsed correctly rounded by both
    engines, where a decimal literal may be rounded twice."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def floor(expression: str) -> str:
    # For values >= 0; Spark's floor() returns a 64-bit integer, which 2^120 overflows, while
    # x - fmod(x, 1) is exact and stays a double in every engine.
    return f"(({expression}) - (({expression}) % {double(1.0)}))"


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of the summary query: its alias and SQL."""

    alias: str
    sql: str


def number(dialect: Dialect, column: str) -> str:
    return f"CAST({dialect.name(column)} AS DOUBLE)"


def missing(dialect: Dialect, column: Column, numeric_type: bool) -> str:
    """A value's missing: null, or NaN in a number column (as pandas reads them)."""
    name = dialect.name(column.name)
    return (
        f"({name} IS NULL OR isnan({number(dialect, column.name)}))"
        if numeric_type
        else (f"({name} IS NULL)")
    )


def count_where(alias: str, condition: str) -> Aggregate:
    return Aggregate(alias, f"count(CASE WHEN {condition} THEN 1 END)")


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
    """The first `limit` distinct values meeting `condition`, in the files' order."""
    name = dialect.name(column)
    return (
        f"SELECT {name} AS value, min({FILE}) AS file_, min_by({ROW}, {FILE} * 1099511627776 + "
        f"{ROW}) AS row_ FROM {source} WHERE {condition} GROUP BY {name} "
        f"ORDER BY min({FILE} * 1099511627776 + {ROW}) LIMIT {limit}"
    )


def between(dialect: Dialect, column: str, ranges: list[tuple[float, float]]) -> str:
    """The column's values in any of the [low, high) ranges."""
    value = number(dialect, column)
    inside = " OR ".join(
        f"({value} >= {double(low)} AND {value} < {double(high)})" for low, high in ranges
    )
    return f"SELECT {value} AS value FROM {SOURCE} WHERE {inside}"
