"""The validate stage on an engine (params.yaml's engine: duckdb, spark): a raw Parquet file
checked against schema.yaml in SQL, and the typed Parquet written from the engine's stream.

The report and the written file are the pyarrow path's (contract/validate.py) for the same
file: the same rules (engines/contract.py) counted over the whole file in one query, their
examples the first in the file's order, written as the file's text (raw_parquet.text_of), and
the validated Parquet in the same row groups. Only the file's footer is read by pyarrow, for its
columns and their Parquet types.

A column the engines do not compare as the text rules do is refused before anything is
counted, naming the column and the way out: a number column stored as text (the engines do not
parse text), or as numbers whose text is not the float64 the engines compare (float32, decimal,
uint64), and a category column stored as other than text or whole numbers.
"""

import logging
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from ..contract.raw_parquet import decoded_type, read_parquet_schema, text_of, type_problem
from ..contract.reading import Violation
from ..contract.rules import rule_message
from ..contract.schema import Column, Schema
from ..contract.stream import CurrentFiles, is_plain_number
from ..contract.validate import write_tables
from ..engines import Engine, Kind, open_engine, sql
from ..engines.contract import ContractCounts, count_contract, first_examples
from ..errors import ProjectError
from ..params import Params

LOGGER = logging.getLogger(__name__)
STREAM_ROWS = 256 * 1024  # rows the engine streams at a time to the writer
Checked = tuple[tuple[int, int], list[Violation], Callable[[str | Path], None]]


def engine_checker(params: Params) -> Callable[[str | Path, Schema], Checked]:
    """contract.validate's checker, on the engine params.yaml names."""

    def check(data: str | Path, contract: Schema) -> Checked:
        fields, rows = read_parquet_schema(data)
        types = {field.name: decoded_type(field.type) for field in fields}
        refused = {
            name: problem
            for name, column in contract.columns.items()
            if name in types and (problem := type_problem(types[name], column, rows)) is not None
        }
        engine = open_engine(params)
        LOGGER.info(f"checking {data} on {engine.label}")
        refuse_unsupported(engine, contract, types, refused)
        kinds = engine.register(CurrentFiles(str(data), (str(data),), "parquet"))
        kinds = {name: kind for name, kind in kinds.items() if name in types}
        counts, violations = engine_violations(engine, contract, kinds, refused)

        def write(output: str | Path) -> None:
            write_tables(engine.chunks(list(contract.columns), STREAM_ROWS), contract, output)

        return (counts.rows, len(types)), violations, write

    return check


def refuse_unsupported(
    engine: Engine, contract: Schema, types: dict[str, pa.DataType], refused: dict[str, Violation]
) -> None:
    """ProjectError for the first schema column the engine cannot check as its text."""
    for name, column in contract.columns.items():
        if name not in types or name in refused or pa.types.is_null(types[name]):
            continue
        problem = unsupported(column, types[name])
        if problem:
            raise ProjectError(
                f"{name} is {types[name]} in the file: {problem}, so the {engine.label} engine "
                "cannot check it as the contract's rules read its text",
                f"write it as {'float64 or int64' if column.is_numeric else 'text'} numbers "
                "(e.g. pandas `to_parquet`), or validate with engine: pyarrow in params.yaml",
            )


def unsupported(column: Column, arrow_type: pa.DataType) -> str | None:
    if column.is_numeric and pa.types.is_string(arrow_type):
        return "the engines do not parse text as numbers"
    if column.is_numeric and not is_plain_number(arrow_type):
        return "its text is not the float64 the engines compare"
    if column.dtype == "category" and not (
        pa.types.is_string(arrow_type) or pa.types.is_integer(arrow_type)
    ):
        return "the engines write its values' text otherwise than pandas"
    return None


def engine_violations(
    engine: Engine, contract: Schema, kinds: dict[str, Kind], refused: dict[str, Violation]
) -> tuple[ContractCounts, list[Violation]]:
    """The counts, and check_table's violations in its order: missing columns, extra columns
    (the file's order), then each schema column's."""
    checked = {name: kind for name, kind in kinds.items() if name not in refused}
    extra = [name for name in kinds if name not in contract.columns and name not in contract.ids]
    present = [name for name in contract.columns if name in checked]
    counts = count_contract(engine, contract, [*present, *extra], checked)
    found = [
        Violation(name, "missing_column", counts.rows, [], "column not in the file")
        for name in contract.columns
        if name not in kinds
    ]
    for name in extra:
        condition = f"NOT {sql.missing(engine.dialect, name, kinds[name] == 'number')}"
        count = counts.rows - counts.missing[name]
        shown = example_text(engine, name, condition) if count else []
        found.append(Violation(name, "extra_column", count, shown, "column not in schema.yaml"))
    empty = set(counts.empty)
    for name, column in contract.columns.items():
        if name in refused:
            found.append(refused[name])
        elif name in empty:
            message = rule_message(column, "all_null")
            found.append(Violation(name, "all_null", counts.rows, [], message))
        for rule, count in counts.broken:
            if rule.column.name == name:
                shown = [] if rule.rule == "null" else example_text(engine, name, rule.condition)
                message = rule_message(column, rule.rule)
                found.append(Violation(name, rule.rule, count, shown, message))
    return counts, found


def example_text(engine: Engine, name: str, condition: str) -> list[str]:
    """The first distinct values meeting the condition, as the file's text."""
    values = first_examples(engine, name, condition).column("value")
    return [str(value) for value in text_of(values).to_pylist()]
