"""The validate stage: check a raw CSV against schema.yaml, then write it typed as Parquet.

Every rule is checked before failing, so one run lists every problem. The JSON report is
always written (pull-request comments read it); the input file is only ever read.
"""

import io
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ContractViolation, ProjectError
from .schema import load_schema

MAX_EXAMPLES = 5
# Separators that, found in the header more often than commas, mean the file is not
# comma-separated.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
DTYPE_TEXT = {"integer": "not whole numbers", "float": "not numbers"}


@dataclass(frozen=True)
class Violation:
    column: str | None  # None: the file as a whole
    rule: str
    count: int  # rows affected
    examples: list = field(default_factory=list)  # up to MAX_EXAMPLES values, as in the file
    message: str = ""

    def describe(self):
        where = self.column if self.column is not None else "(file)"
        shown = f"; e.g. {', '.join(map(repr, self.examples))}" if self.examples else ""
        return f"{where}: {self.rule} in {self.count} rows: {self.message}{shown}"


class UnreadableCsv(ContractViolation):
    """The file cannot be read as a comma-separated UTF-8 table at all."""

    def __init__(self, path, violation, fix):
        super().__init__(f"{path} cannot be read as CSV: {violation.message}", fix)
        self.violation = violation


# --- reading ----------------------------------------------------------------------------------


def read_csv_text(path):
    """The CSV as a frame of text (missing cells as NaN), or UnreadableCsv saying why not."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(
            f"{path} not found", "check the path, or `dvc pull` to fetch DVC-tracked data"
        ) from None
    text = _decode(path, data)
    if not text.strip():
        violation = Violation(None, "empty_file", 0, [], "the file is empty")
        raise UnreadableCsv(path, violation, "export the data again: the file has no content")
    _check_delimiter(path, text.split("\n", 1)[0])
    try:
        # index_col=False: rows with one field more than the header must not silently turn
        # their first field into the index. pandas then drops that field with a warning
        # instead; as an error, the file is rejected rather than quietly losing data.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as error:
        violation = Violation(None, "csv_format", 1, [], str(error).strip())
        raise UnreadableCsv(
            path, violation, "give every row as many fields as the header (check the quoting)"
        ) from None
    if frame.empty:
        violation = Violation(None, "no_rows", 0, [], "the file has a header but no rows")
        raise UnreadableCsv(path, violation, "export the rows too, not only the header")
    return frame


def _decode(path, data):
    try:
        return data.decode("utf-8-sig")  # -sig: a byte-order mark is not part of the header
    except UnicodeDecodeError as error:
        bad_lines = _undecodable_lines(data)
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"it is not UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start} "
            f"(line {line}) is not valid UTF-8"
        )
        violation = Violation(None, "encoding", len(bad_lines), bad_lines[:MAX_EXAMPLES], message)
        fix = "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`)"
        raise UnreadableCsv(path, violation, fix) from None


def _undecodable_lines(data):
    found, offset = [], 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            found.append(f"line {number}, byte offset {offset + error.start}")
        offset += len(line) + 1
    return found


def _check_delimiter(path, header):
    counts = {delimiter: header.count(delimiter) for delimiter in OTHER_DELIMITERS}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] > header.count(","):
        name = OTHER_DELIMITERS[delimiter]
        violation = Violation(
            None,
            "delimiter",
            1,
            [header[:80]],
            f"the header is {name}-separated; the pipeline reads comma-separated files",
        )
        fix = "save the file comma-separated (e.g. pandas `to_csv(path, index=False)`)"
        raise UnreadableCsv(path, violation, fix)


# --- checking ---------------------------------------------------------------------------------


def find_violations(frame, schema):
    """Every way the text frame breaks the schema, file order, one entry per column and rule."""
    found = []
    for name in schema.columns:
        if name not in frame.columns:
            found.append(
                Violation(name, "missing_column", len(frame), [], "column not in the file")
            )
    for name in frame.columns:
        if name not in schema.columns:
            message = "column not in schema.yaml"
            found.append(_value_violation(name, "extra_column", frame[name].dropna(), message))
    for name, column in schema.columns.items():
        if name in frame.columns:
            found += column_violations(frame[name], column)
    return found


def column_violations(values, column):
    """The rules one column of text values breaks: all_null, null, dtype, range, category."""
    present = values.dropna()
    if present.empty:
        return [Violation(column.name, "all_null", len(values), [], "every value is missing")]
    found = []
    missing = int(values.isna().sum())
    if missing and not column.nullable:
        found.append(Violation(column.name, "null", missing, [], "missing values; not nullable"))
    comparable = present  # what the categories are compared with: text, or numbers below
    if column.is_numeric:
        numbers = pd.to_numeric(present, errors="coerce")
        wrong_type = _not_of_dtype(numbers, column.dtype)
        found += _value_violations(column, "dtype", present[wrong_type], DTYPE_TEXT[column.dtype])
        present, comparable = present[~wrong_type], numbers[~wrong_type]
        outside = present[_outside(comparable, column)]
        found += _value_violations(column, "out_of_range", outside, f"outside {_range(column)}")
    if column.categories is not None:
        unknown = present[~comparable.isin(column.categories)]
        shown = ", ".join(map(str, column.categories))
        found += _value_violations(column, "category", unknown, f"not in [{shown}]")
    return found


def _not_of_dtype(numbers, dtype):
    """Text that did not parse (NaN after to_numeric), infinities, and fractions for integers."""
    wrong = numbers.isna() | numbers.isin([float("inf"), float("-inf")])
    if dtype == "integer":
        wrong |= numbers != numbers.round()
    return wrong


def _outside(numbers, column):
    outside = pd.Series(False, index=numbers.index)
    if column.min is not None:
        outside |= numbers < column.min
    if column.max is not None:
        outside |= numbers > column.max
    return outside


def _value_violations(column, rule, offending, message):
    return [_value_violation(column.name, rule, offending, message)] if len(offending) else []


def _value_violation(name, rule, offending, message):
    examples = [str(value) for value in pd.unique(offending)[:MAX_EXAMPLES]]
    return Violation(name, rule, len(offending), examples, message)


def _range(column):
    low = "-inf" if column.min is None else column.min
    high = "inf" if column.max is None else column.max
    return f"[{low}, {high}]"


def typed_frame(frame, schema):
    """The checked text frame with schema dtypes, in schema order; categories stay text."""
    typed = {}
    for name, column in schema.columns.items():
        values = frame[name]
        if column.dtype == "integer":
            typed[name] = pd.to_numeric(values).astype("Int64" if column.nullable else "int64")
        elif column.dtype == "float":
            typed[name] = pd.to_numeric(values).astype("float64")
        else:
            typed[name] = values
    return pd.DataFrame(typed)


# --- the stage --------------------------------------------------------------------------------


def write_report(path, rows, columns, violations):
    report = {
        "valid": not violations,
        "rows": rows,
        "columns": columns,
        "violations": [asdict(violation) for violation in violations],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def contract_violation(data, schema_path, target, violations):
    lines = [f"{data} breaks the data contract in {schema_path} ({len(violations)} problems):"]
    lines += [f"  - {violation.describe()}" for violation in violations]
    infer = f"python -m {__package__} schema infer {data} --target {target}"
    fix = f"correct the data or update {schema_path} (`{infer}` writes one from the data)"
    return ContractViolation("\n".join(lines), fix)


def validate_file(data, schema, output, report):
    """Check `data` against the `schema` file; write the report, and on success the Parquet."""
    contract = load_schema(schema)
    # Data that broke the contract must not leave an older validated file looking current.
    Path(output).unlink(missing_ok=True)
    try:
        frame = read_csv_text(data)
    except UnreadableCsv as error:
        write_report(report, 0, 0, [error.violation])
        raise
    violations = find_violations(frame, contract)
    write_report(report, len(frame), len(frame.columns), violations)
    if violations:
        raise contract_violation(data, schema, contract.target, violations)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    typed_frame(frame, contract).to_parquet(output, index=False)
    print(f"{data}: {len(frame)} rows meet the contract in {schema}; wrote {output}")
