"""Time the generated project's validate stage against plain vectorized pandas, with peak memory.

Synthetic files that meet their contract (every check runs to the end and the Parquet is
written), one per shape, size and format (CSV; also Parquet for --parquet-shapes, typed as a
user's Parquet is: int64, float64, string):

  wide          25 columns: 15 numeric (floats with and without bounds, bounded integers),
                9 category columns of 3-30 labels, an integer 0/1 target.
  narrow        3 columns: a float, a bounded integer, the target.
  categories    5 numeric and 10 category columns of 1,000 labels each, the target.
  nulls         the wide shape with every column but the target nullable and 40% missing.

Each file is validated by:

  validate   the baked project's `contract.validate.validate_file` (default answers, hooks off,
             imported from the baked src/): CSV read, every contract rule, report and Parquet
             written. Its laps say where the time goes: read, check, write (the functions the
             stage calls for each, timed by wrapping them in the child; see LAPS).
  pandas     the same checks, vectorized, as a plain script would do them: pd.read_csv with
             the contract's dtypes (Int64, float64, str), or pd.read_parquet, null counts,
             non-finite numbers, min/max and category membership per column, then to_parquet.

Every figure comes from its own child process, so the generator's memory is not counted: wall
time is measured in the child around the work (interpreter start and imports excluded), peak
memory is the child's peak RSS (os.wait4, after it exits). A time is the median of --runs runs
(default 3), a peak the largest. Targets (issue 16): validate within 2x of pandas' time and
1.5x of its peak memory.

Run: `make bench-validate` (wide at 1M and 5M rows as CSV and as Parquet, the other shapes at
1M as CSV; about 9 minutes on 2 cores) or `.venv/bin/python benchmarks/validate.py --quick`
(100k rows, every shape, 1 run).
`--template DIR` bakes another checkout instead, for before/after figures (e.g. DIR from
`git archive <commit> | tar -x -C DIR`).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scoring import bake

TEMPLATE = Path(__file__).resolve().parents[1]
CHUNK_ROWS = 500_000  # rows generated and written at a time: bounds the generator's memory
TARGET_TIME_RATIO = 2.0
TARGET_PEAK_RATIO = 1.5
NULL_SHARE = 0.4
# The validate module's functions whose time makes each lap, whichever of them it has.
LAPS = {
    "read": ("read_csv_text", "read_table", "read_parquet"),
    "check": ("find_violations", "check_table"),
    "write": ("typed_frame", "write_parquet"),
}
NUMERIC_KINDS = ("normal", "uniform", "age", "count", "lognormal")
CONTRACTS = {
    "normal": {"dtype": "float"},
    "uniform": {"dtype": "float", "min": 0.0, "max": 100.0},
    "age": {"dtype": "integer", "min": 18, "max": 90},
    "count": {"dtype": "integer", "min": 0},
    "lognormal": {"dtype": "float", "min": 0.0},
}


def shape_columns(shape):
    """{column: (kind, number of labels or None)} of a shape, the target `label` last."""
    if shape == "narrow":
        columns = {"x": ("normal", None), "n": ("age", None)}
    elif shape == "categories":
        columns = {f"num_{i:02d}": (NUMERIC_KINDS[i], None) for i in range(5)}
        columns |= {f"cat_{i}": ("category", 1000) for i in range(10)}
    else:
        columns = {f"num_{i:02d}": (NUMERIC_KINDS[i % 5], None) for i in range(15)}
        columns |= {f"cat_{i}": ("category", 3 + i * 27 // 8) for i in range(9)}
    return columns | {"label": ("target", None)}


def labels(column, count):
    return [f"{column}_{level:04d}" for level in range(count)]


def schema_document(shape):
    columns = {}
    for name, (kind, levels) in shape_columns(shape).items():
        if kind == "target":
            columns[name] = {"dtype": "integer", "nullable": False, "categories": [0, 1]}
            continue
        spec = CONTRACTS.get(kind) or {"dtype": "category", "categories": labels(name, levels)}
        columns[name] = {**spec, "nullable": shape == "nulls"}
    return {"target": "label", "columns": columns}


def draw(rng, kind, levels, n_rows):
    """Numbers as drawn; for a category column, codes into its labels."""
    import numpy as np

    return {
        "category": lambda: rng.integers(0, levels or 1, n_rows, dtype=np.int32),
        "normal": lambda: rng.normal(50.0, 20.0, n_rows),
        "uniform": lambda: rng.uniform(0.0, 100.0, n_rows),
        "age": lambda: rng.integers(18, 91, n_rows),
        "count": lambda: rng.poisson(3.0, n_rows),
        "lognormal": lambda: rng.lognormal(0.0, 1.0, n_rows),
        "target": lambda: rng.integers(0, 2, n_rows),
    }[kind]()


def write_file(path, shape, n_rows, seed=0):
    """The shape's rows as CSV (pyarrow's writer: strings quoted, missing cells empty) or, for a
    .parquet path, as Parquet (numbers typed, categories as strings)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import csv

    rng = np.random.default_rng(seed)
    writer = None
    writer_class = pq.ParquetWriter if str(path).endswith(".parquet") else csv.CSVWriter
    for start in range(0, n_rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, n_rows - start)
        arrays = {}
        for name, (kind, levels) in shape_columns(shape).items():
            missing = rng.random(n) < NULL_SHARE if shape == "nulls" and kind != "target" else None
            values = pa.array(draw(rng, kind, levels, n), mask=missing)
            if kind == "category":
                values = pa.DictionaryArray.from_arrays(values, pa.array(labels(name, levels)))
                values = values.dictionary_decode()
            arrays[name] = values
        table = pa.table(arrays)
        writer = writer or writer_class(path, table.schema)
        writer.write_table(table)
    writer.close()


# --- child processes: each prints one JSON line with its figures ---------------------------


def child_validate(project, schema_path, source, output):
    """The product's validate_file, with its laps timed by wrapping the stage's functions."""
    sys.path.insert(0, str(Path(project) / "src"))
    import importlib

    package = next(p.name for p in (Path(project) / "src").iterdir() if (p / "cli.py").is_file())
    validate = importlib.import_module(f"{package}.contract.validate")
    laps = dict.fromkeys(LAPS, 0.0)

    def timed(lap, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                laps[lap] += time.perf_counter() - started

        return wrapper

    for lap, names in LAPS.items():
        for name in names:
            if hasattr(validate, name):
                setattr(validate, name, timed(lap, getattr(validate, name)))
    import pandas as pd

    # The text reader's stage writes with DataFrame.to_parquet inside validate_file.
    pd.DataFrame.to_parquet = timed("write", pd.DataFrame.to_parquet)
    report = Path(output).with_suffix(".json")
    started = time.perf_counter()
    validate.validate_file(source, schema_path, output, report)
    seconds = time.perf_counter() - started
    assert json.loads(report.read_text())["valid"], report.read_text()
    return {"seconds": seconds, "laps": laps}


def child_pandas(schema_path, source, output):
    """The contract's checks as plain vectorized pandas."""
    import numpy as np
    import pandas as pd
    import yaml

    columns = yaml.safe_load(Path(schema_path).read_text())["columns"]
    dtypes = {"integer": "Int64", "float": "float64", "category": "str"}
    started = time.perf_counter()
    if source.endswith(".parquet"):
        frame = pd.read_parquet(source)
    else:
        types = {name: dtypes[spec["dtype"]] for name, spec in columns.items()}
        frame = pd.read_csv(source, dtype=types)
    read = time.perf_counter()
    problems = 0
    for name, spec in columns.items():
        values = frame[name]
        missing = values.isna()
        problems += int(missing.all()) + int(not spec["nullable"] and bool(missing.any()))
        present = values[~missing]
        if spec["dtype"] == "float":
            problems += int(not np.isfinite(present.to_numpy()).all())
        if "min" in spec:
            problems += int((present < spec["min"]).any())
        if "max" in spec:
            problems += int((present > spec["max"]).any())
        if "categories" in spec:
            problems += int((~present.isin(spec["categories"])).any())
    checked = time.perf_counter()
    assert problems == 0, f"{problems} problems in data meant to meet the contract"
    frame.to_parquet(output, index=False)
    done = time.perf_counter()
    laps = {"read": read - started, "check": checked - read, "write": done - checked}
    return {"seconds": done - started, "laps": laps}


def child_generate(shape, n_rows, source):
    write_file(source, shape, int(n_rows))
    return {}


CHILDREN = {"validate": child_validate, "pandas": child_pandas, "generate": child_generate}


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command):
    """(peak RSS MB, the child's JSON result) of a child process."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    stdout, stderr = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[3:5]} failed:\n{stderr[-3000:]}")
    return usage.ru_maxrss / 1024, json.loads(stdout.splitlines()[-1])


def child(kind, *arguments):
    return [sys.executable, __file__, "--child", kind, *map(str, arguments)]


def measure(project, folder, shape, n_rows, file_format, runs):
    import yaml

    schema_path, source = folder / f"{shape}.yaml", folder / f"{shape}.{file_format}"
    schema_path.write_text(yaml.safe_dump(schema_document(shape), sort_keys=False))
    log(f"{shape}, {n_rows:,} rows: writing {source.name}")
    # In a child: a child's peak RSS counts its parent's from before the exec (the spawned
    # process starts in the parent's memory), so this process stays small.
    run(child("generate", shape, n_rows, source))
    output = folder / "validated.parquet"
    commands = {
        "validate": child("validate", project, schema_path, source, output),
        "pandas": child("pandas", schema_path, source, output),
    }
    results = {kind: [] for kind in commands}
    peaks = dict.fromkeys(commands, 0.0)
    for index in range(runs):
        for kind, command in commands.items():
            peak, result = run(command)
            results[kind].append(result)
            peaks[kind] = max(peaks[kind], peak)
            output.unlink()
        times = ", ".join(f"{kind} {rows[-1]['seconds']:.1f} s" for kind, rows in results.items())
        log(f"  run {index + 1}: {times}")
    size_mb = source.stat().st_size / 2**20
    source.unlink()
    medians = {
        kind: {
            "seconds": statistics.median(r["seconds"] for r in rows),
            "laps": {lap: statistics.median(r["laps"][lap] for r in rows) for lap in LAPS},
        }
        for kind, rows in results.items()
    }
    return {
        "shape": shape,
        "format": file_format,
        "rows": n_rows,
        "file_mb": size_mb,
        "median": medians,
        "peak": peaks,
    }


def table(results):
    lines = [
        "| shape | format | rows | file (MB) | validate (s) | pandas (s) | time ratio (<= 2) "
        "| validate peak (MB) | pandas peak (MB) | peak ratio (<= 1.5) "
        "| validate read / check / write (s) | pandas read / check / write (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in results:
        ours, theirs = row["median"]["validate"], row["median"]["pandas"]
        time_ratio = ours["seconds"] / theirs["seconds"]
        peak_ratio = row["peak"]["validate"] / row["peak"]["pandas"]

        def laps(figures):
            return " / ".join(f"{figures['laps'][lap]:.1f}" for lap in LAPS)

        lines.append(
            f"| {row['shape']} | {row['format']} | {row['rows']:,} | {row['file_mb']:.0f} "
            f"| {ours['seconds']:.2f} | {theirs['seconds']:.2f} "
            f"| {time_ratio:.2f}{'' if time_ratio <= TARGET_TIME_RATIO else ' (missed)'} "
            f"| {row['peak']['validate']:.0f} | {row['peak']['pandas']:.0f} "
            f"| {peak_ratio:.2f}{'' if peak_ratio <= TARGET_PEAK_RATIO else ' (missed)'} "
            f"| {laps(ours)} | {laps(theirs)} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, every shape, 1 run")
    parser.add_argument("--wide-sizes", default="1000000,5000000", help="rows of the wide shape")
    parser.add_argument("--other-sizes", default="1000000", help="rows of the other shapes")
    parser.add_argument("--shapes", default="wide,narrow,categories,nulls")
    parser.add_argument(
        "--parquet-shapes", default="wide", help="shapes also given as Parquet (none: '')"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--template", default=TEMPLATE, help="the template to bake (e.g. an older checkout)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)))
        return
    if args.quick:
        args.wide_sizes = args.other_sizes = "100000"
        args.runs = 1
    parquet = args.parquet_shapes.split(",")
    plan = [
        (shape, int(size), file_format)
        for shape in args.shapes.split(",")
        for size in (args.wide_sizes if shape == "wide" else args.other_sizes).split(",")
        for file_format in ("csv", "parquet")
        if file_format == "csv" or shape in parquet
    ]
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as folder:
        project = bake(folder, args.template)
        results = [measure(project, Path(folder), *row, runs=args.runs) for row in plan]
    print(f"Validate stage, medians of {args.runs} runs (ratios = validate / pandas):\n")
    print(table(results))


if __name__ == "__main__":
    main()
