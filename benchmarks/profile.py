"""Time the generated profile stage (`profile_file`) on a large training split, with peak memory.

A project is baked from this template with default answers (hooks off) and given a synthetic
contract of 25 columns (18 numeric: normal, lognormal, uniform, whole numbers with many ties,
Poisson counts, some with 2% nulls; 6 category columns of text; the integer target `label` 0/1)
and a logistic model fitted once on 20,000 generated rows by the project's own `fit_pipeline`
(cheap to predict, so the predictions' profile does not hide the column statistics). Per size,
one training-split Parquet file is written in row groups of 250,000 rows (the generator stays
small) and profiled by:

  profile   the baked project's profile_file(params) as `dvc repro` runs it (params.yaml's
            settings, the file at data/split/train.parquet, models/profile.json written); wall
            time around the call (interpreter start and imports excluded).
  baseline  the same from a bake of the template at --baseline REF (git), with the same model
            file: the before column, measured in the same run under the same load.
  read      pyarrow.parquet.read_table of the whole file: the floor for anything that reads
            every value once.

Every figure comes from its own child process (os.wait4 gives its peak RSS); a time is the
median over --runs runs, a peak the largest. With --baseline, the two profiles are compared:
edges, bin counts, null and category counts must be identical, mean/std/min/max within 1e-9
relative.

Run: `make bench-profile` (1M and 5M rows, with --baseline of the commit before the chunked
profile), or `.venv/bin/python benchmarks/profile.py --quick` for 200,000 rows, one run.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from scoring import bake

TEMPLATE = Path(__file__).resolve().parents[1]
GENERATOR_ROWS = 250_000
FIT_ROWS = 20_000
NULL_SHARE = 0.02
NUMERIC_KINDS = ("normal", "lognormal", "uniform", "whole", "poisson", "normal_nulls")
NUMERIC_COLUMNS = [f"num_{index:02d}" for index in range(18)]
CATEGORY_LEVELS = {"cat_0": 3, "cat_1": 5, "cat_2": 8, "cat_3": 12, "cat_4": 20, "cat_5": 40}
TARGET = "label"
TOLERANCE = 1e-9
TARGET_PEAK_MB = 1024  # issue 16: under 1 GB at 5M rows, whatever the row count


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- the data ------------------------------------------------------------------------------


def numeric_kind(column):
    return NUMERIC_KINDS[NUMERIC_COLUMNS.index(column) % len(NUMERIC_KINDS)]


def category_labels(column):
    return [f"{column}_{level:02d}" for level in range(CATEGORY_LEVELS[column])]


def synthetic_schema():
    columns = {}
    for name in NUMERIC_COLUMNS:
        kind = numeric_kind(name)
        dtype = "integer" if kind in ("whole", "poisson") else "float"
        columns[name] = {"dtype": dtype, "nullable": kind == "normal_nulls"}
    for name in CATEGORY_LEVELS:
        columns[name] = {"dtype": "category", "nullable": True, "categories": category_labels(name)}
    columns[TARGET] = {"dtype": "integer", "nullable": False, "categories": [0, 1]}
    return {"target": TARGET, "positive_label": 1, "columns": columns}


def draw_numeric(rng, kind, index, n_rows):
    if kind == "lognormal":
        return rng.lognormal(0.0, 1.0, n_rows)
    if kind == "uniform":
        return rng.uniform(0.0, 100.0, n_rows)
    if kind == "whole":
        return rng.integers(18, 91, n_rows)
    if kind == "poisson":
        return rng.poisson(3.0, n_rows)
    return rng.normal(index, 1 + index / 10, n_rows)


def draw_table(seed, n_rows):
    """One chunk as an Arrow table; each chunk draws from its own seed."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    arrays, score = {}, np.zeros(n_rows)
    for index, name in enumerate(NUMERIC_COLUMNS):
        kind = numeric_kind(name)
        values = draw_numeric(rng, kind, index, n_rows)
        score += (values - values.mean()) / (values.std() or 1) / len(NUMERIC_COLUMNS) ** 0.5
        mask = rng.random(n_rows) < NULL_SHARE if kind == "normal_nulls" else None
        arrays[name] = pa.array(values, mask=mask)
    for name, levels in CATEGORY_LEVELS.items():
        codes = pa.array(rng.integers(0, levels, n_rows), mask=rng.random(n_rows) < NULL_SHARE)
        labels = pa.array(category_labels(name))
        # Plain text, as a pandas frame of strings writes it.
        arrays[name] = pa.DictionaryArray.from_arrays(codes, labels).dictionary_decode()
    arrays[TARGET] = pa.array((score + rng.normal(0, 1, n_rows) > 0).astype(np.int64))
    return pa.table(arrays)


def write_split(path, n_rows, seed=0):
    import pyarrow.parquet as pq

    writer = None
    for chunk, start in enumerate(range(0, n_rows, GENERATOR_ROWS)):
        table = draw_table([seed, chunk], min(GENERATOR_ROWS, n_rows - start))
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


# --- child processes: each prints one JSON line --------------------------------------------


def import_package(project, *modules):
    import importlib

    os.chdir(project)
    sys.path.insert(0, str(Path(project) / "src"))
    package = Path(project).name.replace("-", "_")
    return [importlib.import_module(f"{package}.{name}") for name in modules]


def child_fit(project):
    """Fit the project's logistic pipeline on FIT_ROWS generated rows; write models/."""
    import joblib

    paths, params, schema, train = import_package(
        project, "paths", "params", "contract.schema", "pipeline.train"
    )
    settings = params.load_params()
    model_params = settings.model.model_copy(update={"family": "logistic"})
    frame = draw_table([99], FIT_ROWS).to_pandas()
    pipeline = train.fit_pipeline(frame, schema.load_schema(), settings.task, model_params)
    paths.MODEL.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, paths.MODEL)
    return {"model": str(Path(project) / paths.MODEL)}


def child_profile(project):
    params, profile = import_package(project, "params", "pipeline.profile")
    settings = params.load_params()
    started = time.perf_counter()
    profile.profile_file(settings)
    return {"seconds": time.perf_counter() - started}


def child_write(source):
    """The split file, written in a child so the parent stays small: a forked child's peak RSS
    counts the parent's pages until it execs."""
    n_rows = int(Path(source).stem.rsplit("-", 1)[-1])
    write_split(source, n_rows)
    return {"rows": n_rows}


def child_read(source):
    import pyarrow.dataset  # noqa: F401  (read_table's first call imports it: not reading)
    import pyarrow.parquet as pq

    started = time.perf_counter()
    table = pq.read_table(source)
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows}


CHILDREN = {"write": child_write, "fit": child_fit, "profile": child_profile, "read": child_read}


# --- the parent ------------------------------------------------------------------------------


def run_child(kind, argument, workdir):
    """The child's JSON figures plus its peak RSS in MB (os.wait4, kilobytes on Linux)."""
    command = [sys.executable, __file__, "--child", kind, str(argument)]
    stdout_path, stderr_path = workdir / f"{kind}.out", workdir / f"{kind}.err"
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = stderr_path.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{kind} child failed (exit {process.returncode}):\n{tail}")
    figures = json.loads(stdout_path.read_text().strip().splitlines()[-1])
    return {**figures, "peak_mb": usage.ru_maxrss / 1024}


def template_at(ref, folder):
    """The template's files at git `ref`, unpacked into folder."""
    archive = folder / "template.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(TEMPLATE), "archive", ref], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "template", filter="data")
    return folder / "template"


def prepare(project, model, workdir):
    """The synthetic contract and one model (fitted once, copied to every project)."""
    (project / "schema.yaml").write_text(json.dumps(synthetic_schema(), indent=1), "utf-8")
    if model is None:
        run_child("fit", project, workdir)
        model = project / "models" / "model.joblib"
    else:
        (project / "models").mkdir(exist_ok=True)
        shutil.copy(model, project / "models" / "model.joblib")
    (project / "data" / "split").mkdir(parents=True, exist_ok=True)
    return model


def measure(projects, source, runs, workdir):
    """Median seconds and largest peak per implementation (and the read floor)."""
    figures = {name: [] for name in [*projects, "read"]}
    for index in range(runs):
        for name, project in projects.items():
            split = project / "data" / "split" / "train.parquet"
            split.unlink(missing_ok=True)
            os.link(source, split)
            figures[name].append(run_child("profile", project, workdir))
        figures["read"].append(run_child("read", source, workdir))
        last = ", ".join(
            f"{name} {values[-1]['seconds']:.2f} s" for name, values in figures.items()
        )
        log(f"  run {index + 1}: {last}")
    return {
        name: {
            "seconds": statistics.median(run["seconds"] for run in values),
            "peak_mb": max(run["peak_mb"] for run in values),
        }
        for name, values in figures.items()
    }


def compare_profiles(ours, base):
    """Differences between two profile.json documents: exact for everything counted or chosen
    (edges are observed values), relative tolerance for the floating moments."""
    problems = []

    def walk(left, right, where):
        if isinstance(left, dict) and isinstance(right, dict):
            if list(left) != list(right):
                problems.append(f"{where}: keys differ")
            for key in left.keys() & right.keys():
                walk(left[key], right[key], f"{where}.{key}")
        elif where.rsplit(".", 1)[-1] in ("mean", "std") and left is not None and right is not None:
            if not math.isclose(left, right, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                problems.append(f"{where}: {left!r} != {right!r}")
        elif left != right:
            problems.append(f"{where}: differs")

    walk(ours, base, "profile")
    return problems


def table(results, names):
    header = "| rows | " + " | ".join(f"{name} s | {name} peak MB" for name in names)
    header += " | read s | read peak MB | " + " | ".join(f"{name}/read" for name in names)
    header += " | baseline/profile |" if "baseline" in names else " |"
    lines = [header, "|---:|" + "---:|" * (header.count("|") - 2)]
    for n_rows, row in results:
        cells = [f"{n_rows:,}"]
        for name in [*names, "read"]:
            cells += [f"{row[name]['seconds']:.2f}", f"{row[name]['peak_mb']:.0f}"]
        read = row["read"]["seconds"]
        cells += [f"{row[name]['seconds'] / read:.1f}x" for name in names]
        if "baseline" in names:
            cells.append(f"{row['baseline']['seconds'] / row['profile']['seconds']:.1f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000", help="row counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200,000 rows, one run")
    parser.add_argument("--baseline", metavar="REF", help="also time the template at git REF")
    args = parser.parse_args()
    sizes = [200_000] if args.quick else [int(size) for size in args.sizes.split(",")]
    runs = 1 if args.quick else args.runs
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        workdir = Path(folder)
        projects = {"profile": bake(workdir / "bake")}
        if args.baseline:
            template = template_at(args.baseline, workdir)
            projects["baseline"] = bake(workdir / "baseline", template)
        model = None
        for project in projects.values():
            model = prepare(project, model, workdir)
        results = []
        for n_rows in sizes:
            log(f"{n_rows:,} rows")
            source = workdir / f"train-{n_rows}.parquet"
            run_child("write", source, workdir)
            results.append((n_rows, measure(projects, source, runs, workdir)))
            if args.baseline:
                ours, base = (
                    json.loads((project / "models" / "profile.json").read_text())
                    for project in projects.values()
                )
                problems = compare_profiles(ours, base)
                results[-1][1]["problems"] = problems
            source.unlink()
    load = f"1-min load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(
        f"Profile stage, {len(NUMERIC_COLUMNS) + len(CATEGORY_LEVELS) + 1} columns, medians of "
        f"{runs} runs; peak: largest ({os.cpu_count()} cores, {load})\n"
    )
    print(table(results, list(projects)))
    for n_rows, row in results:
        if "problems" in row:
            verdict = "; ".join(row["problems"][:5]) or (
                f"identical edges, counts and categories; mean/std within {TOLERANCE:g}"
            )
            print(f"\n{n_rows:,} rows, profile vs baseline: {verdict}")
        peak = row["profile"]["peak_mb"]
        met = "met" if peak < TARGET_PEAK_MB else "**missed**"
        print(f"\n{n_rows:,} rows: profile peak {peak:.0f} MB (target < {TARGET_PEAK_MB}: {met})")


if __name__ == "__main__":
    main()
