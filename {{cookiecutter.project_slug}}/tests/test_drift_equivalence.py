"""The drift check's reader against the one it replaced, kept here as the reference: Arrow
parses CSV numbers and looks up text categories, and the frames are not consolidated. The
check must say the same: drift.json identical on data with nulls, ties, out-of-range values,
unseen categories, numbers written as text in many ways and empty chunks, and the same message
for data it cannot check."""

import contextlib
import json
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract import stream
from {{ cookiecutter.package_name }}.contract.schema import Column, Schema, load_schema
from {{ cookiecutter.package_name }}.contract.stream import (
    FATAL_RULES,
    ContractTally,
    filesystem,
    format_of,
    number_violations,
    text_violations,
)
from {{ cookiecutter.package_name }}.drift import check
from {{ cookiecutter.package_name }}.errors import CouldNotCheck
from {{ cookiecutter.package_name }}.params import load_params

ROWS = 3000
CHUNK_ROWS = 700
CSV_BLOCK_BYTES = 16_384  # several blocks (chunks) per file
UNSEEN = "never-seen"
EXACT_INTEGERS = 2**53


# --- the reader before (the reference) ----------------------------------------------------------


def reference_chunks(path, file_format, chunk_rows):
    """arrow_chunks as it was: a CSV block is cut into chunks, never joined to the next."""
    block_bytes = stream.CSV_BLOCK_BYTES
    from pyarrow import csv as arrow_csv

    fs, inner = filesystem(path)
    with fs.open(inner, "rb", compression="infer") as handle:
        if file_format == "parquet":
            parquet = pq.ParquetFile(handle, pre_buffer=False)
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                yield pa.Table.from_batches([batch])
            return
        header = stream._csv_header(handle, path)
        reader = arrow_csv.open_csv(
            handle,
            read_options=arrow_csv.ReadOptions(block_size=block_bytes),
            convert_options=arrow_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
            ),
        )
        for batch in reader:
            for start in range(0, batch.num_rows, chunk_rows):
                yield pa.Table.from_batches([batch.slice(start, chunk_rows)])


def reference_frame(table, schema, path, tally):
    """checked_frame as it was: every column that is not plain numbers is checked as text."""
    typed = {}
    for name, column in schema.columns.items():
        if name not in table.column_names:
            continue
        values = table.column(name)
        if column.is_numeric and stream.is_plain_number(values.type):
            violations, typed[name] = number_violations(values, column)
        else:
            violations, typed[name] = text_violations(values, column)
        for violation in violations:
            if violation.rule in FATAL_RULES:
                raise CouldNotCheck(
                    f"{path} breaks the data contract: {violation.describe()}",
                    "fix the data, or schema.yaml if the column's type really changed",
                )
            tally.add(violation)
    return pd.DataFrame(typed, index=pd.RangeIndex(table.num_rows))


def reference_batches(files, schema, chunk_rows, tally, keep=()):
    for path in files.paths:
        for table in reference_chunks(path, format_of(path, files.format), chunk_rows):
            frame = reference_frame(table, schema, path, tally)
            for name in keep:
                frame[name] = table.column(name).cast(pa.string()).to_pandas()
            yield frame


# --- data ---------------------------------------------------------------------------------------


def numbers_of(rng, column, n_rows):
    """Values around the contract's range (some outside it), with ties; whole for integers."""
    low = column.min if column.min is not None else -50.0
    high = column.max if column.max is not None else 50.0
    span = high - low
    values = rng.uniform(low - 0.05 * span, high + 0.05 * span, n_rows)
    values[rng.random(n_rows) < 0.3] = values[0]  # ties
    if column.dtype == "integer":
        values = np.round(values) + 0.0  # no -0: "-0" is in a test of its own
    if column.categories is not None:
        values = rng.choice([*column.categories, max(column.categories) + 1], n_rows)
    return values.astype(float)


def labels_of(rng, column, n_rows):
    labels = [*(column.categories or ("a", "b")), UNSEEN]
    weights = np.linspace(1, 2, len(labels))
    return rng.choice(labels, n_rows, p=weights / weights.sum()).astype(object)


def demo_like(schema, seed):
    """Columns of the project's contract: nulls in every column (allowed or not), values
    outside the range, unseen categories, ties; the first rows hold one of each finding, so
    chunks of any size meet the findings in the same order."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, column in schema.columns.items():
        make = numbers_of if column.is_numeric and column.dtype != "category" else labels_of
        values = pd.Series(make(rng, column, ROWS), dtype=object)
        if name == schema.target and column.categories is not None:
            # A class the model never saw has no metric to compare: the target's stay known.
            values[~values.isin(column.categories)] = column.categories[0]
        values[rng.random(ROWS) < 0.02] = None
        values[0] = None
        columns[name] = values
    return pd.DataFrame(columns)


def as_written(value, column, rng):
    """A number as a CSV may hold it: plainly, signed, padded, in exponent form."""
    if value is None or pd.isna(value):
        return rng.choice(["", "NA", "nan"])
    if column.dtype == "category":
        return str(value)
    if column.dtype == "integer":
        forms = [f"{value:.0f}", f"{value:+.0f}", f"{value:.1f}", f"{value:.0e}"]
        forms += [f"00{value:.0f}" if value >= 0 else f"{value:.0f}"]
    else:
        forms = [repr(float(value)), f"{value:.3e}", f"{value:.2f}", f"{value:+.6g}"]
    return str(rng.choice(forms))


def write_csv(frame, schema, path, seed, extra=()):
    rng = np.random.default_rng(seed)
    text = pd.DataFrame(
        {
            name: [as_written(value, schema.columns[name], rng) for value in frame[name]]
            for name in frame.columns
        }
    )
    for name, row, cell in extra:
        text.loc[row, name] = cell
    text.to_csv(path, index=False)


def write_parquet(frame, schema, path, as_text=False):
    """Typed Parquet (nullable integers, floats, text) in row groups of 600 with an empty
    one among them; as_text: every column as text, as some exports write numbers."""
    arrays = {}
    for name, column in schema.columns.items():
        values = frame[name]
        if as_text or column.dtype == "category":
            arrays[name] = pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())
        else:
            kind = pa.int64() if column.dtype == "integer" else pa.float64()
            arrays[name] = pa.array(values.astype(float), kind, from_pandas=True)
    table = pa.table(arrays)
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table.slice(0, 600))
        writer.write_table(table.slice(0, 0))
        writer.write_table(table.slice(600), row_group_size=600)


# --- the check, both ways -----------------------------------------------------------------------


@pytest.fixture
def workspace(trained_project, tmp_path, monkeypatch):
    folder = tmp_path / "project"
    shutil.copytree(trained_project, folder)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(stream, "CSV_BLOCK_BYTES", CSV_BLOCK_BYTES)
    params = load_params()
    small = params.drift.model_copy(update={"chunk_rows": CHUNK_ROWS, "min_rows": 1})
    return params.model_copy(update={"drift": small}), load_schema(paths.SCHEMA)


def both_ways(params, current, tmp_path, monkeypatch):
    """drift.json of the check with the reader as it is, then with the reference reader."""
    documents = []
    for name in ("now", "before"):
        output = tmp_path / name
        with monkeypatch.context() as patch:
            if name == "before":
                patch.setattr(check, "read_batches", reference_batches)
            with contextlib.suppress(CouldNotCheck):  # drift.json says why
                check.run_check(params, str(current), "2030-01-01", None, output)
        documents.append(json.loads((output / "drift.json").read_text(encoding="utf-8")))
    return documents


def run_both(workspace, tmp_path, monkeypatch, write):
    params, schema = workspace
    current = tmp_path / "current"
    current.mkdir()
    for seed in (1, 2):  # two files: the chunks run on from one file into the next
        write(demo_like(schema, seed), schema, current, seed)
    now, before = both_ways(params, current, tmp_path, monkeypatch)
    assert now["status"] != "could_not_check", now["problem"]
    assert now["contract"]  # the data breaks the contract in several ways
    assert now == before


def test_csv_gives_the_same_drift_json(workspace, tmp_path, monkeypatch):
    def write(frame, schema, folder, seed):
        write_csv(frame, schema, folder / f"part-{seed}.csv", seed)

    run_both(workspace, tmp_path, monkeypatch, write)


def test_csv_numbers_pandas_parses_otherwise_give_the_same_drift_json(
    workspace, tmp_path, monkeypatch
):
    """-0 and whole numbers beyond 2**53 (Arrow's doubles differ from pandas' numbers there),
    and numbers with spaces around them (pandas reads them, Arrow does not)."""
    schema = workspace[1]
    numeric = [name for name, column in schema.columns.items() if column.dtype != "category"]
    cells = [(numeric[0], 5, "-0"), (numeric[1], 7, str(EXACT_INTEGERS + 1)), (numeric[2], 9, " 1")]

    def write(frame, schema, folder, seed):
        write_csv(frame, schema, folder / f"part-{seed}.csv", seed, cells)

    run_both(workspace, tmp_path, monkeypatch, write)


@pytest.mark.parametrize("as_text", [False, True], ids=["typed", "text"])
def test_parquet_gives_the_same_drift_json(workspace, tmp_path, monkeypatch, as_text):
    def write(frame, schema, folder, seed):
        write_parquet(frame, schema, folder / f"part-{seed}.parquet", as_text)

    run_both(workspace, tmp_path, monkeypatch, write)


BAD_CELLS = ["abc", "inf", "-Infinity", "1,5", "0x1A", "2.5", "1e20", str(-(2**63) - 1)]


@pytest.mark.parametrize("cell", BAD_CELLS)
def test_values_of_the_wrong_type_are_refused_with_the_same_message(
    workspace, tmp_path, monkeypatch, cell
):
    params, schema = workspace
    name = next(name for name, column in schema.columns.items() if column.dtype == "integer")
    path = tmp_path / "bad.csv"
    cells = [(name, row, cell) for row in (100, 110, 900, 2500)]
    write_csv(demo_like(schema, 3), schema, path, 3, cells)
    now, before = both_ways(params, path, tmp_path, monkeypatch)
    assert now["status"] == "could_not_check" and "breaks the data contract" in now["problem"]
    assert now == before


CELLS = ["1", "+2", "-0", "3.0", "1e1", None, "11", "-1.5", "a", "b", "z", None, "0"]
CELLS += [str(EXACT_INTEGERS + 1), "0.5", "1", "1"]
# Parts of CELLS as (start, stop): all of them, ones that take the fast way or refuse, nulls only.
PARTS = [(0, len(CELLS)), (0, 5), (8, 11), (5, 6), (13, len(CELLS)), (14, len(CELLS))]


def outcome(checker, part, schema):
    """(problem, findings, frame) of one reader's check of a chunk."""
    tally = ContractTally()
    try:
        frame = checker(part, schema, "batch.csv", tally)
    except CouldNotCheck as error:
        return error.problem, None, None
    return None, tally.as_list(), frame


@pytest.mark.parametrize(
    "column",
    [
        Column("n", "integer", nullable=True, min=0, max=10),
        Column("x", "float", min=-1.0, max=1.0),
        Column("c", "integer", categories=(0, 1)),
        Column("k", "category", nullable=False, categories=("a", "b")),
        Column("f", "category", categories=None),
    ],
    ids=lambda column: column.name,
)
def test_text_columns_break_the_rules_the_text_reader_finds(column):
    table = pa.table({column.name: pa.array(CELLS, pa.string())})
    schema = Schema(target="label", columns={column.name: column})
    for start, stop in PARTS:
        part = table.slice(start, stop - start)
        problem, found, frame = outcome(stream.checked_frame, part, schema)
        expected_problem, expected, reference = outcome(reference_frame, part, schema)
        assert (problem, found) == (expected_problem, expected)
        if frame is not None:
            pd.testing.assert_frame_equal(frame, reference)


def test_typed_chunk_types_a_checked_chunk_as_checked_frame_does(tmp_path):
    """The engines' way to type what they checked already: the same frame, for every kind of
    column (nullable integers, floats with NaN and nulls, text and whole-number categories, and
    float32 numbers, which take checked_frame's way)."""
    table = pa.table(
        {
            "n": pa.array([1, None, 3, 4], pa.int64()),
            "x": pa.array([0.5, float("nan"), None, -0.0], pa.float64()),
            "c": pa.array([0, 1, None, 1], pa.int8()),
            "k": pa.array(["a", None, "b", "a"], pa.string()),
            "f": pa.array([7, 8, None, 7], pa.int32()),
            "g": pa.array([1.5, None, 2.25, 3.0], pa.float32()),
        }
    )
    schema = Schema(
        target="k",
        columns={
            "n": Column("n", "integer", nullable=True, min=0, max=10),
            "x": Column("x", "float", min=-1.0, max=1.0),
            "c": Column("c", "integer", categories=(0, 1)),
            "k": Column("k", "category", categories=("a", "b")),
            "f": Column("f", "category"),
            "g": Column("g", "float"),
        },
    )
    for start in range(4):
        part = table.slice(start)
        expected = stream.checked_frame(part, schema, "batch.parquet", ContractTally())
        pd.testing.assert_frame_equal(stream.typed_chunk(part, schema), expected)
