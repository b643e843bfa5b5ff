"""Time batch scoring (`python -m <package> predict`) against its floor, with peak memory.

A project is baked with default answers (hooks off), trained on 20,000 demo rows by its own
stage functions, and its model put in a folder as `registry fetch` writes it. Per size, one
Parquet file of demo-shaped rows (the contract's 8 feature columns and the target; written in
chunks, so the generator stays small) is scored by:

  predict   the generated command, whole process (interpreter start, imports, chunks of
            params.yaml score.chunk_rows checked against the contract, Parquet written with
            ids, prediction, probabilities and model version): wall time around the process.
  floor     one child that reads the whole file with pyarrow into pandas and calls
            model.predict_proba on the features in one frame: wall time of that work (imports
            excluded), the least any scorer of this file could do.
  floor as a process   the same child's whole wall time (interpreter start, imports, loading
            the model, then the work): what predict's own wall time includes besides its work,
            so the second ratio compares like with like.

Each figure is the median of --runs runs (default 3); peak memory is the child's peak RSS
(os.wait4), the largest over the runs. Targets (issue: production that is used): predict
within 1.5x of the floor, and under 1 GB peak at 5M rows.

Run: `.venv/bin/python benchmarks/scoring.py` (1M and 5M rows, ~5 min on 2 cores) or
`--sizes 200000 --runs 1` for a quick look.
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

TEMPLATE = Path(__file__).resolve().parents[1]
GENERATOR_ROWS = 500_000
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 1024


def log(message):
    print(message, file=sys.stderr, flush=True)


def bake(output_dir, template=TEMPLATE):
    """The template (this checkout, or another, e.g. an older commit's archive for "before"
    figures) rendered with default answers, hooks off: the package and params.yaml are all a
    benchmark needs, and git/DVC setup would only add time."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            output_dir=str(output_dir),
            accept_hooks=False,
            extra_context={"dvc_remote_url": str(Path(output_dir) / "remote")},
        )
    )


def package_of(project):
    return next(p.name for p in (project / "src").iterdir() if (p / "cli.py").is_file())


def child_train(project):
    """Train the baked project on demo data; write the fetched-model folder."""
    import importlib
    import shutil

    project = Path(project)
    os.chdir(project)
    sys.path.insert(0, str(project / "src"))
    package = package_of(project)
    modules = {
        name: importlib.import_module(f"{package}.{name}")
        for name in (
            "demo_data",
            "paths",
            "params",
            "contract.validate",
            "pipeline.split",
            "pipeline.train",
        )
    }
    paths, params = modules["paths"], modules["params"].load_params()
    modules["demo_data"].write_csv(params.data.raw, params.task, n_rows=20_000)
    modules["contract.validate"].validate_file(
        params.data.raw, paths.SCHEMA, paths.VALIDATED, paths.VALIDATION_REPORT
    )
    modules["pipeline.split"].split_file(params)
    modules["pipeline.train"].train_file(params)
    folder = project / "fetched"
    folder.mkdir()
    shutil.copy(paths.MODEL, folder / "model.joblib")
    shutil.copy(paths.SCHEMA, folder / "schema.yaml")
    record = {"model": "bench", "version": "v1.0.0", "stage": None, "commit": "0" * 40}
    (folder / "version.json").write_text(json.dumps(record))
    return {"family": params.model.family}


def write_rows(path, n_rows, seed=0):
    """Demo-shaped rows (the default schema's columns), vectorized, in row groups."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, n_rows, GENERATOR_ROWS):
        n = min(GENERATOR_ROWS, n_rows - start)
        usage = rng.gamma(2.0, 40.0, n).clip(0, 1000)
        table = pa.table(
            {
                "customer_age": rng.integers(18, 90, n),
                "tenure_months": rng.integers(0, 120, n),
                "monthly_charges": rng.uniform(10, 200, n).round(2),
                "support_calls": rng.poisson(1.5, n).clip(0, 50),
                "data_usage_gb": pa.array(usage, mask=rng.random(n) < 0.03),
                "contract": rng.choice(["month-to-month", "one-year", "two-year"], n),
                "payment_method": rng.choice(
                    ["bank-transfer", "card", "electronic-check", "mailed-check"], n
                ),
                "region": rng.choice(["east", "north", "south", "west"], n),
                "churned": rng.integers(0, 2, n),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def child_floor(model_dir, source):
    import joblib
    import pyarrow.parquet as pq

    model = joblib.load(Path(model_dir) / "model.joblib")
    started = time.perf_counter()
    frame = pq.read_table(source).to_pandas()
    model.predict_proba(frame[list(model.feature_names_in_)])
    return {"seconds": time.perf_counter() - started}


def run(command, env=None):
    """(wall seconds, peak RSS MB, stdout) of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def child(kind, *arguments):
    return [sys.executable, __file__, "--child", kind, *map(str, arguments)]


def measure(project, size_dir, n_rows, runs):
    source = size_dir / "batch.parquet"
    log(f"{n_rows:,} rows: writing {source.name}")
    write_rows(source, n_rows)
    env = dict(os.environ, PYTHONPATH=str(project / "src"))
    predict = [sys.executable, "-m", package_of(project), "predict", "--model-dir", "fetched"]
    figures = {"predict": [], "floor": [], "floor process": []}
    peaks = {"predict": 0.0, "floor": 0.0}
    for index in range(runs):
        output = size_dir / f"scored-{index}.parquet"
        command = [*predict, "--input", str(source), "--output", str(output)]
        cwd = os.getcwd()
        os.chdir(project)
        try:
            seconds, peak, _ = run(command, env)
        finally:
            os.chdir(cwd)
        figures["predict"].append(seconds)
        peaks["predict"] = max(peaks["predict"], peak)
        output.unlink()
        wall, peak, stdout = run(child("floor", project / "fetched", source))
        figures["floor"].append(json.loads(stdout.splitlines()[-1])["seconds"])
        figures["floor process"].append(wall)
        peaks["floor"] = max(peaks["floor"], peak)
        last = {kind: values[-1] for kind, values in figures.items()}
        log(f"  run {index + 1}: predict {last['predict']:.1f} s, floor {last['floor']:.1f} s")
    source.unlink()
    medians = {kind: statistics.median(values) for kind, values in figures.items()}
    return {"rows": n_rows, "median_s": medians, "peak_mb": peaks, "runs": runs}


def table(results):
    lines = [
        "| rows | predict (s) | floor (s) | ratio (target <= 1.5) | floor as a process (s) "
        "| ratio to it | predict peak (MB) | floor peak (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        median = row["median_s"]
        ratio = median["predict"] / median["floor"]
        whole = median["predict"] / median["floor process"]
        lines.append(
            f"| {row['rows']:,} | {median['predict']:.2f} | {median['floor']:.2f} "
            f"| {ratio:.2f}{'' if ratio <= TARGET_RATIO else ' (missed)'} "
            f"| {median['floor process']:.2f} | {whole:.2f} "
            f"| {row['peak_mb']['predict']:.0f} | {row['peak_mb']['floor']:.0f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = {"train": child_train, "floor": child_floor}[kind](*rest)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as folder:
        project = bake(folder)
        _, _, stdout = run(child("train", project))
        log(f"trained: {json.loads(stdout.splitlines()[-1])}")
        results = []
        for n_rows in (int(size) for size in args.sizes.split(",")):
            results.append(measure(project, Path(folder), n_rows, args.runs))
        print(f"Batch scoring, medians of {args.runs} runs (ratio = predict / floor):\n")
        print(table(results))
        five_million = [r for r in results if r["rows"] >= 5_000_000]
        for row in five_million:
            verdict = "met" if row["peak_mb"]["predict"] < TARGET_PEAK_MB else "missed"
            print(
                f"\n{row['rows']:,} rows: predict peak {row['peak_mb']['predict']:.0f} MB "
                f"(target < {TARGET_PEAK_MB} MB: {verdict})"
            )


if __name__ == "__main__":
    main()
