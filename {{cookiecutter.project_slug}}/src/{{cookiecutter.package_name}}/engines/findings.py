"""The data contract checked on an engine, reported as the pyarrow path reports it: the
findings of count_contract (with their first examples, as text) added to a ContractTally, and
a refusal naming the first file with values of the wrong type. The drift check and batch
scoring on an engine both check the data through here before they read it.

The contract is checked on the data as a whole, where the pyarrow path checks each chunk: a
column missing in every row is `all_null` here, and a refusal counts the wrong values of the
first file that has them.
"""

import pandas as pd

from ..contract.reading import Violation
from ..contract.rules import rule_message
from ..contract.schema import Schema
from ..contract.stream import FATAL_RULES, ContractTally, CurrentFiles, as_text
from ..errors import CouldNotCheck
from . import Engine, Kind, sql
from .contract import ContractCounts, Rule, count_contract, first_examples


def check_kinds(engine: Engine, schema: Schema, kinds: dict[str, Kind]) -> None:
    """The engines read numbers as numbers: a number column typed as text is refused."""
    for name, column in schema.columns.items():
        if column.is_numeric and kinds.get(name) == "text":
            raise CouldNotCheck(
                f"the number column {name!r} is text in the current data, which the {engine.label} "
                "engine does not parse",
                "deliver it typed as numbers (Parquet), or read it with engine: pyarrow in "
                "params.yaml",
            )


def check_contract(
    engine: Engine,
    files: CurrentFiles,
    schema: Schema,
    present: list[str],
    kinds: dict[str, Kind],
    tally: ContractTally,
) -> ContractCounts:
    """count_contract's counts, the findings added to `tally`; CouldNotCheck on a fatal one
    (values of the wrong type), counted in the first file that has them."""
    counts = count_contract(engine, schema, present, kinds)
    report_counts(engine, files, schema, kinds, counts, tally)
    return counts


def report_counts(
    engine: Engine,
    files: CurrentFiles,
    schema: Schema,
    kinds: dict[str, Kind],
    counts: ContractCounts,
    tally: ContractTally,
) -> None:
    """The findings of `counts` (with their examples) added to `tally`; CouldNotCheck on a
    fatal one, counted in the first file that has it."""
    for name in counts.empty:
        message = rule_message(schema.columns[name], "all_null")
        tally.add(Violation(name, "all_null", counts.rows, [], message))
    for rule, count in counts.broken:
        message = rule_message(rule.column, rule.rule)
        if rule.rule == "null":
            tally.add(Violation(rule.column.name, rule.rule, count, [], message))
            continue
        shown, first_file = examples(engine, rule, kinds[rule.column.name])
        if rule.rule in FATAL_RULES and first_file is not None:
            in_file = f"{rule.condition} AND {sql.FILE} = {first_file}"
            count = int(engine.query(sql.select([sql.count_where("n", in_file)]))[0][1])
            violation = Violation(rule.column.name, rule.rule, count, shown, message)
            raise CouldNotCheck(
                f"{files.paths[first_file]} breaks the data contract: {violation.describe()}",
                "fix the data, or schema.yaml if the column's type really changed",
            )
        tally.add(Violation(rule.column.name, rule.rule, count, shown, message))


def examples(engine: Engine, rule: Rule, kind: Kind) -> tuple[list[str], int | None]:
    """The first distinct values breaking the rule, as text (as_text writes them), and the file
    the first of them is in."""
    found = first_examples(engine, rule.column.name, rule.condition)
    values = pd.Series(
        found.column("value").to_pylist(),
        dtype="float64" if kind == "number" and rule.column.dtype == "float" else None,
    )
    first = found.column("first_").to_pylist()
    return as_text(values).tolist(), (int(first[0]) // sql.FILE_STRIDE if first else None)
