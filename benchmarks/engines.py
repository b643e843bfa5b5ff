"""Time the drift check's counting, or the validate stage, on each data engine against a full read.

Data: benchmarks/drift.py's synthetic current data (20 numeric, 5 category columns and a label
column, Parquet in row groups of 500,000 rows, written chunk by chunk so the generator stays
small) at each size, and a reference profile of 1M rows of the same generator (1,000 quantile
edges per numeric column, as params.yaml's profile.quantiles).

Each figure comes from its own child process (wall time around the work, interpreter start and
imports excluded; peak RSS of that Python process from os.wait4: Spark's JVM is not in it):

  read        pyarrow's iter_batches over every column of the file (batches of 200,000 rows, no
              pre-buffering, as the product reads), discarding them: the floor for anything that
              looks at every value, in bounded memory.
  pyarrow     the drift check's own reader (chunks of drift.chunk_rows, each held to the
              contract and typed) + summarize_batches + compare: what `engine: pyarrow` does.
  duckdb      drift/counted.py's summarize_current on the DuckDB engine (one aggregate query:
              rows, the category columns' nulls and findings; one GROUP BY per category
              column; examples when a rule is broken; the numeric columns streamed once, read
              ahead, with their contract conditions as boolean columns, binned by numpy two
              columns at a time) + compare.
  spark       the same on the Spark engine, local[*] in the child's own JVM (its start
              counted: a drift check pays it; a 4 GB heap, SPARK_CONFIG); the numeric
              columns come to Python in order.

With `--stage validate`, a second floor, `copy`, reads the file as `read` does and writes it
again as Parquet (snappy, row groups of 1Mi rows, as the validated file is written); each
engine runs the validate stage on an unshifted file (which meets
the contract; the label column the drift data lacks is left out of it), the whole stage: the
report and the validated Parquet written. pyarrow's path reads the file whole; the engines
count in SQL and stream the file to the writer.

The drift figures do not count the model's predictions (a Python pass over the rows on every
engine: see benchmarks/drift.py's command figures). The files are read from a warm page cache.

Run: `.venv/bin/python benchmarks/engines.py` (5M and 50M rows, 3 runs each, every engine;
hours with Spark at 50M: `--engines pyarrow,duckdb` for the DuckDB target), or
`--sizes 1000000 --runs 1` for a smoke check. BENCH_DIR names a disk with room (50M: ~6 GB).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
REFERENCE_ROWS = 1_000_000
CHILD_TIMEOUT_S = 3600
ENGINES = ("read", "pyarrow", "duckdb", "spark")
FLOORS = ("read", "copy")
# Spark's local JVM gets this heap: the default 1 GB ran out at 5M rows (the README says so).
SPARK_CONFIG = {"spark.driver.memory": "4g"}


def on_engine(params, engine):
    spark = params.spark.model_copy(update={"config": SPARK_CONFIG})
    return params.model_copy(update={"engine": engine, "spark": spark})


def drift_bench():
    """benchmarks/drift.py, for its data generator and child runner. The folder goes last on
    the path (Python put it first, running this script): its profile.py would shadow the
    standard library's, which pyspark imports."""
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
    sys.path.append(str(HERE))
    import drift

    return drift


def child_read(current):
    import pyarrow.parquet as pq

    start = time.perf_counter()
    # pre_buffer=False, as the product reads: buffering whole row groups ahead is slower here.
    parquet = pq.ParquetFile(current, pre_buffer=False)
    rows = sum(batch.num_rows for batch in parquet.iter_batches(200_000))
    return {"seconds": time.perf_counter() - start, "rows": rows}


def child_count(project, schema_path, profile_path, current, engine):
    """The drift check's counting and decision on `engine`, without the model."""
    bench = drift_bench()
    names = ("params", "drift.summary", "drift.decision", "drift.source", "drift.counted")
    modules = bench.import_project(project, *names, "engines", "pipeline.features", "contract")
    params = modules["params"].load_params(Path(project) / "params.yaml")
    params = on_engine(params, engine)
    schema = modules["contract"].schema.load_schema(schema_path)
    start = time.perf_counter()
    profile = json.loads(Path(profile_path).read_text(encoding="utf-8"))
    files = modules["drift.source"].resolve(str(current), "2026-01-01", "auto")
    tally = modules["contract"].stream.ContractTally()
    with modules["pipeline.features"].limited_threads():
        if engine == "pyarrow":
            chunk_rows = params.drift.chunk_rows
            batches = modules["drift.source"].read_batches(files, schema, chunk_rows, tally)
            summary = modules["drift.summary"].summarize_batches(profile, batches)
        else:
            counted = modules["drift.counted"]
            engine_ = modules["engines"].open_engine(params)
            summary = counted.summarize_current(engine_, files, schema, profile, tally)
    result = modules["drift.decision"].compare(profile, summary, params.drift)
    drifted = sorted(column.column for column in result.columns if column.drifted)
    return {"seconds": time.perf_counter() - start, "rows": summary.rows, "drifted": drifted}


def child_validate(project, schema_path, current, engine, output):
    """The validate stage on `engine` (pyarrow: contract/validate.py's own reader)."""
    bench = drift_bench()
    modules = bench.import_project(project, "params", "contract.validate")
    params = modules["params"].load_params(Path(project) / "params.yaml")
    params = on_engine(params, engine)
    checker = None
    start = time.perf_counter()
    if engine != "pyarrow":
        checker = bench.import_project(project, "pipeline.validate_on_engine")[
            "pipeline.validate_on_engine"
        ].engine_checker(params)
    report = Path(output) / "validation.json"
    validated = Path(output) / "validated.parquet"
    modules["contract.validate"].validate_file(current, schema_path, validated, report, checker)
    seconds = time.perf_counter() - start
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    validated.unlink()  # validate_file raised had the file broken the contract
    return {"seconds": seconds, "rows": rows, "drifted": []}


def child_copy(current, output):
    """The validate stage's floor: the file read as child_read reads it and written again as
    Parquet (snappy, pyarrow's row groups), as validated.parquet is written."""
    import pyarrow.parquet as pq

    start = time.perf_counter()
    parquet = pq.ParquetFile(current, pre_buffer=False)
    rows = 0
    with pq.ParquetWriter(Path(output) / "copy.parquet", parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches(1024 * 1024):
            writer.write_batch(batch)
            rows += batch.num_rows
    seconds = time.perf_counter() - start
    (Path(output) / "copy.parquet").unlink()
    return {"seconds": seconds, "rows": rows}


CHILDREN = {
    "read": child_read,
    "copy": child_copy,
    "count": child_count,
    "validate": child_validate,
}


def measure(bench, project, state, current, runs, workdir, engines, stage):
    """{engine: [figures of each run]}, the engines alternating run by run."""
    floors = ("read", "copy") if stage == "validate" else ("read",)
    found = {engine: [] for engine in (*floors, *engines)}
    for run in range(runs):
        for engine in found:
            if engine == "read":
                arguments = [str(current)]
                kind = "read"
            elif engine == "copy":
                arguments, kind = [str(current), str(workdir)], "copy"
            elif stage == "validate":
                arguments = [str(project), str(state["validate_schema"]), str(current)]
                arguments += [engine, str(workdir)]
                kind = "validate"
            else:
                arguments = [str(project), str(state["schema"]), str(state["profile"])]
                arguments += [str(current), engine]
                kind = "count"
            figures = bench.run_child(sys.executable, kind, arguments, CHILD_TIMEOUT_S, workdir)
            found[engine].append(figures)
            bench.log(f"  run {run + 1} {engine}: {bench.describe(figures)}")
    return found


def median(runs, key):
    values = [run[key] for run in runs if run.get("status") == "ok"]
    return statistics.median(values) if values else None


def table(rows):
    lines = [
        "| rows | engine | seconds (median) | / read | / copy | peak MB (max) | runs | drifted |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for n_rows, found in rows:
        floors = [median(found.get(name, []), "seconds") for name in FLOORS]
        for engine, runs in found.items():
            seconds = median(runs, "seconds")
            ratios = [f"{seconds / floor:.2f}" if seconds and floor else "-" for floor in floors]
            peaks = [run["peak_mb"] for run in runs if run.get("status") == "ok"]
            peak = f"{max(peaks):,.0f}" if peaks else "-"
            ok = sum(run.get("status") == "ok" for run in runs)
            drifted = ", ".join(runs[0].get("drifted", [])) if engine not in FLOORS else ""
            shown = f"{seconds:.2f}" if seconds else "-"
            lines.append(
                f"| {n_rows:,} | {engine} | {shown} | {' | '.join(ratios)} | {peak} | "
                f"{ok}/{len(runs)} | {drifted} |"
            )
    return "\n".join(lines)


def prepare(bench, workdir):
    """The baked project, the synthetic contract and a reference profile of it."""
    import yaml
    from scoring import bake

    project = bake(workdir / "bake", TEMPLATE)
    schema = workdir / "schema.yaml"
    schema.write_text(yaml.safe_dump(bench.synthetic_schema(), sort_keys=False), encoding="utf-8")
    validate_schema = workdir / "validate-schema.yaml"
    document = bench.synthetic_schema()
    del document["columns"]["label"]  # the synthetic files have none
    document["target"] = bench.NUMERIC_COLUMNS[0]
    validate_schema.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    reference = workdir / "reference.parquet"
    bench.write_dataset(reference, REFERENCE_ROWS, bench.REFERENCE_SEED, shifted=False)
    profile = workdir / "profile.json"
    arguments = [str(project), str(schema), str(reference), str(profile)]
    made = bench.run_child(sys.executable, "profile", arguments, CHILD_TIMEOUT_S, workdir)
    if made["status"] != "ok":
        sys.exit("profiling the reference failed; see the error above")
    reference.unlink()
    return project, {"schema": schema, "profile": profile, "validate_schema": validate_schema}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        kind, arguments = sys.argv[2], json.loads(sys.argv[3])
        children = {**drift_bench().CHILDREN, **CHILDREN}
        print(json.dumps(children[kind](*arguments)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--engines",
        type=lambda text: text.split(","),
        default=list(ENGINES[1:]),
        help="which engines to time beside the read (pyarrow,duckdb,spark)",
    )
    parser.add_argument(
        "--stage",
        choices=("drift", "validate"),
        default="drift",
        help="what to time: the drift check's counting, or the validate stage",
    )
    args = parser.parse_args()
    sizes = args.sizes or [5_000_000, 50_000_000]
    bench = drift_bench()
    bench.__file__ = __file__  # the children run this script, which knows both sets
    rows, load_before = [], os.getloadavg()[0]
    scratch = os.environ.get("BENCH_DIR")  # a disk with room for the 50M file (~6 GB)
    with tempfile.TemporaryDirectory(prefix="bench-engines-", dir=scratch) as tmp:
        workdir = Path(tmp)
        project, state = prepare(bench, workdir)
        for n_rows in sizes:
            current = workdir / f"current-{n_rows}.parquet"
            start = time.perf_counter()
            shifted = args.stage == "drift"  # unshifted data meets the contract
            bench.write_dataset(current, n_rows, bench.SHIFTED_SEED, shifted=shifted)
            size_mb = current.stat().st_size / 1e6
            seconds = time.perf_counter() - start
            bench.log(f"{n_rows:,} rows: {size_mb:,.0f} MB written in {seconds:.0f} s")
            found = measure(
                bench, project, state, current, args.runs, workdir, args.engines, args.stage
            )
            rows.append((n_rows, found))
            current.unlink()
    load = f"1-min load {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    what = "the validate stage" if args.stage == "validate" else "the drift check's counting"
    print(f"Engines: {what}, {os.cpu_count()} cores ({load})\n")
    print(table(rows))


if __name__ == "__main__":
    main()
