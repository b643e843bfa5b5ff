"""Time batch scoring on each data engine (pyarrow, DuckDB, Spark), with peak memory.

A project is baked with default answers (hooks off) and trained on 20,000 demo rows, its model
put in a folder as `registry fetch` writes it (benchmarks/scoring.py's way). Per size, one
Parquet file of demo-shaped rows (benchmarks/scoring.py's generator) is scored by the generated
package's score_file, each run in its own child process of this script, the engines taking
turns run by run:

  pyarrow   engine: pyarrow, the default: chunks of score.chunk_rows read, held to the
            contract and scored in this process.
  duckdb    engine: duckdb: DuckDB counts the contract in SQL and streams the rows; the model
            runs in this process.
  spark     engine: spark, local[*] in the child's own JVM (--driver-memory, 3g): Spark
            counts the contract and runs the model on its executors (mapInArrow, the model
            broadcast); the rows come back in the file's order.

seconds: the child's wall time around opening the engine and score_file (interpreter start
and imports excluded; the JVM's start is in Spark's: a scoring run pays it), the median of
--runs. Peak MB: the child's peak RSS (os.wait4; the largest over the runs) and, for Spark,
the JVM's (VmHWM in /proc, read before the child stops it); Spark's Python workers are in
neither. `same output`: every engine's output file equals pyarrow's, scored_at aside.

Run: `.venv/bin/python benchmarks/scoring_engines.py` (1M rows, 3 runs, ~5 min on 2 cores) or
`--sizes 100000 --runs 1` for a quick look.
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
ENGINES = ("pyarrow", "duckdb", "spark")


def scoring_bench():
    """benchmarks/scoring.py (bake, train, data, child runner). The folder goes last on the
    path (Python put it first, running this script): its profile.py would shadow the standard
    library's, which pyspark imports."""
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
    sys.path.append(str(HERE))
    import scoring

    return scoring


def child_score(project, source, output, engine, driver_memory):
    """score_file on `engine` in the baked project; the figures as JSON."""
    import importlib

    project = Path(project)
    os.chdir(project)
    sys.path.insert(0, str(project / "src"))
    package = scoring_bench().package_of(project)
    settings = importlib.import_module(f"{package}.params")
    batch = importlib.import_module(f"{package}.scoring.batch")
    model_of = importlib.import_module(f"{package}.scoring.model").load_model
    on_engine = importlib.import_module(f"{package}.scoring.on_engine")
    params = settings.load_params()
    memory = {"spark.driver.memory": driver_memory} if driver_memory else {}
    spark = settings.SparkParams(config=memory)
    params = params.model_copy(update={"engine": engine, "spark": spark})
    model = model_of("fetched")
    started = time.perf_counter()
    opened = on_engine.scoring_engine(params, source)
    summary = batch.score_file(model, source, output, params.score.chunk_rows, opened)
    figures = {"seconds": time.perf_counter() - started, "rows": summary.rows}
    if engine == "spark":
        figures["jvm_mb"] = jvm_peak_mb(opened.spark)
        opened.spark.stop()
    return figures


def jvm_peak_mb(spark):
    # The JVM is a child of this process, which stops it without waiting: its own peak.
    jvm = spark.sparkContext._gateway.proc.pid
    status = Path(f"/proc/{jvm}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line) / 1024


def same_output(path, expected):
    import pyarrow.parquet as pq

    tables = [pq.read_table(each).drop_columns("scored_at") for each in (path, expected)]
    return tables[0].equals(tables[1])


def measure(bench, project, folder, n_rows, args):
    source = folder / "batch.parquet"
    bench.log(f"{n_rows:,} rows: writing {source.name}")
    bench.write_rows(source, n_rows)
    env = dict(os.environ, PYTHONPATH=str(project / "src"))  # Spark's Python workers import it
    found = {engine: [] for engine in args.engines}
    for run in range(args.runs):
        for engine in args.engines:
            output = folder / f"{engine}.parquet"
            command = [sys.executable, __file__, "--child", str(project), str(source)]
            command += [str(output), engine, args.driver_memory]
            _, peak, stdout = bench.run(command, env)
            figures = {**json.loads(stdout.splitlines()[-1]), "peak_mb": peak}
            found[engine].append(figures)
            bench.log(f"  run {run + 1} {engine}: {figures['seconds']:.1f} s, {peak:.0f} MB")
    expected = folder / "pyarrow.parquet"
    same = {engine: same_output(folder / f"{engine}.parquet", expected) for engine in found}
    source.unlink()
    return n_rows, found, same


def table(rows):
    lines = [
        "| rows | engine | seconds (median) | / pyarrow | peak MB, Python (max) | JVM peak MB "
        "| same output |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for n_rows, found, same in rows:
        floor = statistics.median(run["seconds"] for run in found["pyarrow"])
        for engine, runs in found.items():
            seconds = statistics.median(run["seconds"] for run in runs)
            peak = max(run["peak_mb"] for run in runs)
            jvm = max((run.get("jvm_mb", 0.0) for run in runs), default=0.0)
            lines.append(
                f"| {n_rows:,} | {engine} | {seconds:.2f} | {seconds / floor:.2f} | {peak:,.0f} "
                f"| {f'{jvm:,.0f}' if jvm else '-'} | {'yes' if same[engine] else 'NO'} |"
            )
    return "\n".join(lines)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child_score(*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES), help="pyarrow first")
    parser.add_argument("--driver-memory", default="3g", help="Spark's JVM heap ('': 1g)")
    args = parser.parse_args()
    args.engines = args.engines.split(",")
    if args.engines[0] != "pyarrow":
        parser.error("--engines must start with pyarrow: the others are compared with it")
    bench = scoring_bench()
    with tempfile.TemporaryDirectory(prefix="bench-scoring-engines-") as tmp:
        folder = Path(tmp)
        project = bench.bake(folder)
        _, _, stdout = bench.run(bench.child("train", project))
        bench.log(f"trained: {json.loads(stdout.splitlines()[-1])}")
        sizes = [int(size) for size in args.sizes.split(",")]
        rows = [measure(bench, project, folder, n, args) for n in sizes]
    load = os.getloadavg()[0]
    print(
        f"Batch scoring per engine, medians of {args.runs} runs, {os.cpu_count()} cores "
        f"(1-min load {load:.1f} at the end)\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
