"""Time the Spark engine's bin_counts (engines/spark.py) against pyarrow and numpy.

Per size, one Parquet file of 25 columns (20 float64 with 2% nulls, 5 int64), in row groups of
500,000 rows, and 1000 edges per column (the profile's quantiles of the first 200,000 rows,
made unique). Every figure comes from its own child process of this script, which imports the
baked template's src/ (default answers, hooks off); the time is measured in the child around
the work (interpreter start and imports excluded) and is the median over --runs children:

  session        spark_session(SparkParams()) in a fresh process: local[*], the JVM's start.
  spark, cold    bin_counts(spark.read.parquet(file), edges), the first job of a fresh JVM:
                 what one drift check pays (class loading, code generation, JIT).
  spark, warm    the same again in that JVM.
  spark scan     then, in that JVM, the sum of every column: Spark's own reading of the file,
                 the floor for bin_counts in Spark.
  read           pyarrow.parquet.read_table of the whole file: the floor for anything that
                 looks at every value.
  numpy          read_table, then pipeline/profile.py's bin_count_array per column on its
                 present values (the pyarrow engine's way); `numpy, counting` is that part alone.

Peak memory: the child's peak RSS (os.wait4) and, for Spark, the JVM's (its VmHWM in /proc,
read before the child stops it); the largest over the runs.

Run: `.venv/bin/python benchmarks/engines_spark.py` (1M and 5M rows, 3 runs, ~6 min on 2 cores)
or `--quick` (200,000 rows, one run).
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

COLUMNS, INTEGER_COLUMNS = 25, 5
EDGES = 1000
GENERATOR_ROWS = 500_000
KINDS = ("session", "spark", "read", "numpy")


def log(message):
    print(message, file=sys.stderr, flush=True)


def child_write(path, edges_path, n_rows):
    """The data and its edges, in a child: this process stays small, as a child's peak RSS
    starts at its parent's size when forked."""
    write_file(path, n_rows)
    write_edges(path, edges_path)
    return {}


def write_file(path, n_rows, seed=0):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, n_rows, GENERATOR_ROWS):
        n = min(GENERATOR_ROWS, n_rows - start)
        columns = {}
        for index in range(COLUMNS - INTEGER_COLUMNS):
            values = rng.gamma(2.0 + index, 10.0, n).round(2)
            columns[f"float{index}"] = pa.array(values, mask=rng.random(n) < 0.02)
        for index in range(INTEGER_COLUMNS):
            columns[f"int{index}"] = rng.poisson(3.0 * (index + 1), n)
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def write_edges(source, path):
    import numpy as np
    import pyarrow.parquet as pq

    first = pq.ParquetFile(source).read_row_group(0)
    quantiles = np.linspace(0, 1, EDGES)
    edges = {
        name: np.unique(np.quantile(first[name].drop_null().to_numpy().astype(float), quantiles))
        for name in first.column_names
    }
    np.savez(path, **edges)


def load_edges(path):
    import numpy as np

    with np.load(path) as stored:
        return {name: stored[name] for name in stored.files}


def module(src, name):
    """The baked package's module `name` (e.g. "engines.spark"), imported from `src`."""
    import importlib

    # In place of this script's folder, whose profile.py would hide the standard library's
    # (pyspark imports cProfile).
    sys.path[0] = src
    package = next(p.name for p in Path(src).iterdir() if (p / "cli.py").is_file())
    return importlib.import_module(f"{package}.{name}")


def child_session(src):
    engine, params = module(src, "engines.spark"), module(src, "params")
    started = time.perf_counter()
    engine.spark_session(params.SparkParams())
    return {"seconds": time.perf_counter() - started}


def child_spark(src, source, edges_path):
    engine, params = module(src, "engines.spark"), module(src, "params")
    from pyspark.sql.functions import sum as sum_of

    spark = engine.spark_session(params.SparkParams())
    edges = load_edges(edges_path)
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        engine.bin_counts(spark.read.parquet(source), edges)
        seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    frame = spark.read.parquet(source)
    frame.agg(*[sum_of(frame[name]) for name in edges]).collect()
    seconds.append(time.perf_counter() - started)
    # The JVM is a child of this process, which stops it without waiting: its own peak.
    jvm = spark.sparkContext._gateway.proc.pid
    status = Path(f"/proc/{jvm}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line)
    spark.stop()
    return {**dict(zip(("cold", "warm", "scan"), seconds, strict=True)), "jvm_mb": peak_kb / 1024}


def child_read(source):
    import pyarrow.parquet as pq

    started = time.perf_counter()
    pq.read_table(source)
    return {"seconds": time.perf_counter() - started}


def child_numpy(src, source, edges_path):
    import numpy as np
    import pyarrow.parquet as pq

    bin_count_array = module(src, "pipeline.profile").bin_count_array
    edges = load_edges(edges_path)
    started = time.perf_counter()
    table = pq.read_table(source)
    read = time.perf_counter()
    for name, own in edges.items():
        values = table[name].drop_null().to_numpy().astype(float)
        bin_count_array(values[~np.isnan(values)], own)
    done = time.perf_counter()
    return {"seconds": done - started, "counting": done - read}


CHILDREN = {"session": child_session, "spark": child_spark, "read": child_read}
CHILDREN |= {"numpy": child_numpy, "write": child_write}


def run_child(folder, kind, *arguments):
    """(result, peak RSS MB) of one child; its output goes to files, so it cannot fill a pipe
    while this process waits in os.wait4."""
    command = [sys.executable, __file__, "--child", kind, json.dumps(arguments)]
    out, err = Path(folder, "child.out"), Path(folder, "child.err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {kind} failed:\n{err.read_text()[-3000:]}")
    return json.loads(out.read_text().splitlines()[-1]), usage.ru_maxrss / 1024


def measure(src, folder, n_rows, runs):
    source, edges = folder / f"rows-{n_rows}.parquet", folder / f"edges-{n_rows}.npz"
    log(f"{n_rows:,} rows: writing {source.name}")
    run_child(folder, "write", str(source), str(edges), n_rows)
    times = {name: [] for name in ("session", "cold", "warm", "scan", "read", "numpy", "counting")}
    peaks = {name: 0.0 for name in ("spark", "jvm", "read", "numpy")}
    for run in range(runs):
        session, _ = run_child(folder, "session", src)
        spark, spark_peak = run_child(folder, "spark", src, str(source), str(edges))
        read, read_peak = run_child(folder, "read", str(source))
        numpy, numpy_peak = run_child(folder, "numpy", src, str(source), str(edges))
        figures = {"session": session["seconds"], "read": read["seconds"], **spark}
        figures |= {"numpy": numpy["seconds"], "counting": numpy["counting"]}
        for name, values in times.items():
            values.append(figures[name])
        own = {"spark": spark_peak, "jvm": spark["jvm_mb"], "read": read_peak, "numpy": numpy_peak}
        peaks = {name: max(peaks[name], own[name]) for name in peaks}
        log(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    source.unlink()
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {"rows": n_rows, "median_s": medians, "peak_mb": peaks}


def table(results):
    lines = [
        "| rows | session start (s) | spark cold (s) | spark warm (s) | spark scan (s) "
        "| read_table (s) "
        "| numpy: read + count (s) | numpy counting (s) | warm / read | warm / numpy "
        "| peak MB: spark child + JVM | read | numpy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        m, peak = row["median_s"], row["peak_mb"]
        lines.append(
            f"| {row['rows']:,} | {m['session']:.1f} | {m['cold']:.2f} | {m['warm']:.2f} "
            f"| {m['scan']:.2f} | {m['read']:.2f} | {m['numpy']:.2f} | {m['counting']:.2f} "
            f"| {m['warm'] / m['read']:.1f} | {m['warm'] / m['numpy']:.1f} "
            f"| {peak['spark']:.0f} + {peak['jvm']:.0f} | {peak['read']:.0f} "
            f"| {peak['numpy']:.0f} |"
        )
    return "\n".join(lines)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](*json.loads(sys.argv[3]))))
        return
    from scoring import bake

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200,000 rows, one run")
    args = parser.parse_args()
    sizes = [200_000] if args.quick else [int(size) for size in args.sizes.split(",")]
    runs = 1 if args.quick else args.runs
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-engines-spark-") as folder:
        src = str(bake(Path(folder) / "bake") / "src")
        results = [measure(src, Path(folder), n_rows, runs) for n_rows in sizes]
    load = f"1-min load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(f"Spark engine's bin_counts, {COLUMNS} columns, {EDGES} edges each, medians of {runs}")
    print(f"runs; {os.cpu_count()} cores ({load})\n")
    print(table(results))


if __name__ == "__main__":
    main()
