"""Time the split, train and evaluate stages against their floors, per model family, with peak
memory.

A project is baked with default answers (hooks off). Per size, its own `demo-data` command
writes a demo CSV of that many rows and its `validate` command writes data/validated.parquet
from it (setup, not timed). Then, per model family (params.yaml `model.family`; the
hyperparameters are the template's), each stage is timed as the project runs it:

  stage     `python -m <package> split|train|evaluate` in the project, whole process
            (interpreter start, imports, the stage's reads, work and every output it writes):
            wall time around the process. split does not depend on the family: it is timed once
            per size.
  floor     one child doing only the stage's essential work on the same files, timed around
            that work (imports excluded):
              split     pyarrow reads data/validated.parquet, scikit-learn's train_test_split
                        splits the row numbers (same seed, test size and stratification), and
                        pyarrow writes the two parts. The rows are checked equal to the stage's.
              train     pyarrow reads the train split into a pandas frame; the pipeline the
                        project builds (features.build_pipeline: the same estimator) is fitted
                        under the same thread limit and written with joblib.
              evaluate  joblib loads the model, pyarrow reads the test split, one
                        predict_proba (predict for a regressor) and the metrics of metrics.json
                        (metrics.compute_metrics, i.e. scikit-learn); they are checked equal to
                        the stage's metrics.json.
  start     the floor child's wall time less its timed work: interpreter start, imports and
            exit, the fixed cost any process running the stage pays.

ratio = stage / (floor + start): both whole processes. Each time is the median of --runs runs
(default 3); a peak is the child's peak RSS (os.wait4), the largest over the runs. Then the
stage and family at the largest size with the most time above its floor run once more under
cProfile, and its top functions by own time are printed: where the time goes.

Measured (1M demo rows, 2 shared cores; medians of 3): split 1.7 s against 0.4 s + 0.9 s
start, the rest its heavier imports (the CLI, pandas); train at its floor for every family (the
fit is the stage: random forest ~3 min, gradient boosting ~9 s, logistic ~2 s); evaluate
9.6-16 s against 1.6-6.7 s. Evaluate's excess is the per-slice 95% intervals in
reports/slices.json: 1,000 bootstrap resamples of each category's rows (12 slices, covering the
200k test rows three times: 6e8 row counts), drawn and summed into the gate metric (ROC AUC:
one running count per resample) - about 7 s of a 14 s cProfile run; then permutation importance
(25 predictions of 1,000 rows) and imports. Before issue 16's fix every resample computed all
seven metrics (82.9 s for logistic, 62.5 s for gradient boosting, single runs).

Run: `make bench-stages` (1M rows, every family; about 30 minutes on 2 cores, most of it the
random forest's 200 trees) or `.venv/bin/python benchmarks/stages.py --quick` (100k rows,
1 run). `--sizes`, `--families` and `--runs` choose the work; `--template DIR` bakes another
checkout, for before/after figures (e.g. DIR from `git archive <commit> | tar -x -C DIR`).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scoring import bake, package_of

TEMPLATE = Path(__file__).resolve().parents[1]
FAMILIES = ("logistic", "random_forest", "hist_gradient_boosting")
STAGES = ("split", "train", "evaluate")
PROFILE_LINES = 12


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- child processes: each prints one JSON line with its figures ---------------------------


def project_modules(project, *names):
    """The baked project's modules, imported from its src/, with the project as working folder
    (its paths are relative to it)."""
    import importlib

    os.chdir(project)
    sys.path.insert(0, str(Path(project) / "src"))
    package = package_of(Path(project))
    return [importlib.import_module(f"{package}.{name}") for name in names]


def child_split_floor(project, output_dir):
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.model_selection import train_test_split

    paths, params_module, schema_module = project_modules(
        project, "paths", "params", "contract.schema"
    )
    params, target = params_module.load_params(), schema_module.load_schema(paths.SCHEMA).target
    started = time.perf_counter()
    table = pq.read_table(paths.VALIDATED)
    train_rows, test_rows = train_test_split(
        np.arange(table.num_rows),
        test_size=params.split.test_size,
        random_state=params.split.seed,
        stratify=table.column(target).to_numpy(),
    )
    for rows, name in ((train_rows, "train"), (test_rows, "test")):
        pq.write_table(table.take(rows), Path(output_dir) / f"{name}.parquet")
    return {"seconds": time.perf_counter() - started}


def child_same_split(project, output_dir):
    """Whether the floor's parts hold the stage's rows in the stage's order."""
    import pyarrow.parquet as pq

    (paths,) = project_modules(project, "paths")
    parts = (("train", paths.TRAIN_SPLIT), ("test", paths.TEST_SPLIT))
    floor = {name: Path(output_dir) / f"{name}.parquet" for name, _ in parts}
    same = all(
        pq.read_table(stage).to_pandas().equals(pq.read_table(floor[name]).to_pandas())
        for name, stage in parts
    )
    return {"same": same}


def child_train_floor(project, output_dir):
    import joblib
    import pyarrow.parquet as pq

    paths, params_module, schema_module, features = project_modules(
        project, "paths", "params", "contract.schema", "pipeline.features"
    )
    params, schema = params_module.load_params(), schema_module.load_schema(paths.SCHEMA)
    pipeline = features.build_pipeline(schema, params.task, params.model)
    started = time.perf_counter()
    frame = pq.read_table(paths.TRAIN_SPLIT).to_pandas()
    with features.limited_threads():
        pipeline.fit(frame[schema.features], frame[schema.target])
    joblib.dump(pipeline, Path(output_dir) / "model.joblib")
    return {"seconds": time.perf_counter() - started}


def child_evaluate_floor(project):
    import joblib
    import numpy as np
    import pyarrow.parquet as pq

    paths, params_module, schema_module, features, metrics = project_modules(
        project, "paths", "params", "contract.schema", "pipeline.features", "pipeline.metrics"
    )
    params, schema = params_module.load_params(), schema_module.load_schema(paths.SCHEMA)
    started = time.perf_counter()
    model = joblib.load(paths.MODEL)
    frame = pq.read_table(paths.TEST_SPLIT).to_pandas()
    y_true = frame[schema.target].to_numpy()
    with features.limited_threads():
        if params.task == "regression":
            values = metrics.compute_metrics(
                params.task, y_true, model.predict(frame[schema.features])
            )
        else:
            probabilities = model.predict_proba(frame[schema.features])
            classes = list(model.classes_)
            y_pred = np.asarray(classes)[probabilities.argmax(axis=1)]
            positive = metrics.positive_label_of(schema, classes)
            values = metrics.compute_metrics(
                params.task, y_true, y_pred, probabilities, classes, positive
            )
    return {"seconds": time.perf_counter() - started, "metrics": values}


CHILDREN = {
    "split": child_split_floor,
    "same-split": child_same_split,
    "train": child_train_floor,
    "evaluate": child_evaluate_floor,
}


# --- the measuring process: stays small, so that a child's peak RSS is the child's own -----


def run(command, cwd=None, env=None):
    """(wall seconds, peak RSS MB, the last stdout line) of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.stdout.read().decode(), process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[1:5])} failed:\n{stderr[-3000:]}")
    lines = stdout.splitlines()
    return seconds, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def child(kind, *arguments):
    return [sys.executable, __file__, "--child", kind, *map(str, arguments)]


def set_family(project, family):
    params = project / "params.yaml"
    text, count = re.subn(r"(?m)^  family: \S+", f"  family: {family}", params.read_text())
    if count != 1:
        raise SystemExit(f"{params} has no single `model.family` line to set")
    params.write_text(text)


class Project:
    """The baked project's commands as child processes, with its src/ importable."""

    def __init__(self, path):
        self.path = path
        self.package = package_of(path)
        self.env = dict(os.environ, PYTHONPATH=str(path / "src"))
        self.env.pop("OMP_NUM_THREADS", None)  # the stages' default thread limit: 1

    def command(self, *arguments):
        return [sys.executable, "-m", self.package, *map(str, arguments)]

    def run(self, *arguments):
        return run(self.command(*arguments), cwd=self.path, env=self.env)

    def floor(self, stage, output_dir):
        extra = () if stage == "evaluate" else (output_dir,)
        seconds, peak, line = run(child(stage, self.path, *extra), env=self.env)
        result = json.loads(line)
        return {"seconds": result["seconds"], "start": seconds - result["seconds"]}, peak, result


def prepare(project, n_rows):
    log(f"{n_rows:,} rows: demo-data and validate")
    raw = "data/raw/demo.csv"
    project.run("demo-data", raw, "--rows", n_rows)
    project.run("validate", raw)


def measure_stage(project, stage, family, n_rows, runs, scratch):
    """{stage, family, rows, stage/floor/start medians, peaks} of one stage."""
    figures = {"stage": [], "floor": [], "start": []}
    peaks = {"stage": 0.0, "floor": 0.0}
    for index in range(runs):
        seconds, peak, _ = project.run(stage)
        figures["stage"].append(seconds)
        peaks["stage"] = max(peaks["stage"], peak)
        floor, peak, result = project.floor(stage, scratch)
        figures["floor"].append(floor["seconds"])
        figures["start"].append(floor["start"])
        peaks["floor"] = max(peaks["floor"], peak)
        check_floor(project, stage, result, scratch)
        log(
            f"  {stage} {family} run {index + 1}: stage {seconds:.1f} s, "
            f"floor {floor['seconds']:.1f} s + start {floor['start']:.1f} s"
        )
    medians = {kind: statistics.median(values) for kind, values in figures.items()}
    return {"stage": stage, "family": family, "rows": n_rows, "median": medians, "peak": peaks}


def check_floor(project, stage, result, scratch):
    """The floor did the stage's work: the same rows, or the same metrics."""
    if stage == "split":
        _, _, line = run(child("same-split", project.path, scratch), env=project.env)
        same = json.loads(line)["same"]
    elif stage == "evaluate":
        same = json.loads((project.path / "metrics.json").read_text()) == result["metrics"]
    else:
        return
    if not same:
        raise SystemExit(f"the {stage} floor's output differs from the stage's: not its floor")


def measure_size(project, n_rows, families, runs, scratch):
    prepare(project, n_rows)
    results = []
    for family in families:
        set_family(project.path, family)
        if not results:  # the split is the same for every family
            results.append(measure_stage(project, "split", "(any)", n_rows, runs, scratch))
        for stage in ("train", "evaluate"):
            results.append(measure_stage(project, stage, family, n_rows, runs, scratch))
        # Kept for the profile: training the random forest again takes minutes.
        shutil.copy(project.path / "models/model.joblib", scratch / f"{family}.joblib")
    return results


def table(results):
    lines = [
        "| stage | family | rows | stage (s) | floor (s) | floor start (s) | ratio "
        "| stage peak (MB) | floor peak (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        median, peak = row["median"], row["peak"]
        ratio = median["stage"] / (median["floor"] + median["start"])
        lines.append(
            f"| {row['stage']} | {row['family']} | {row['rows']:,} | {median['stage']:.2f} "
            f"| {median['floor']:.2f} | {median['start']:.2f} | {ratio:.2f} "
            f"| {peak['stage']:.0f} | {peak['floor']:.0f} |"
        )
    return "\n".join(lines)


def profile_excess(project, results, scratch):
    """The top functions (own time) of the stage with the most time above its floor."""
    import pstats

    largest = max(row["rows"] for row in results)
    row = max(
        (row for row in results if row["rows"] == largest),
        key=lambda r: r["median"]["stage"] - r["median"]["floor"] - r["median"]["start"],
    )
    if row["family"] != "(any)":
        set_family(project.path, row["family"])
    if row["stage"] == "evaluate":  # the model on disk is the last family's
        shutil.copy(Path(scratch) / f"{row['family']}.joblib", project.path / "models/model.joblib")
    output = Path(scratch) / "stage.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(output), "-m", project.package]
    run([*command, row["stage"]], cwd=project.path, env=project.env)
    stats = pstats.Stats(str(output))
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    lines = [
        f"Where the time goes: {row['stage']} ({row['family']}, {row['rows']:,} rows) under "
        f"cProfile, {total:.1f} s; top functions by own time:",
        "",
        "| function | calls | own (s) | with callees (s) |",
        "|---|---:|---:|---:|",
    ]
    for (path, line, name), (_, calls, own, cumulative, _) in entries[:PROFILE_LINES]:
        where = f"{Path(path).name}:{line}" if line else "built-in"
        lines.append(f"| {name} ({where}) | {calls} | {own:.2f} | {cumulative:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, 1 run")
    parser.add_argument("--sizes", default="1000000", help="rows, comma-separated")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
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
        args.sizes, args.runs = "100000", 1
    families = args.families.split(",")
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families {', '.join(unknown)}: use {', '.join(FAMILIES)}")
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as folder:
        project = Project(bake(folder, args.template))
        scratch = Path(folder) / "floor"
        scratch.mkdir()
        results = []
        # Ascending: the data on disk at the end (which the profile runs on) is the largest.
        for n_rows in sorted(int(size) for size in args.sizes.split(",")):
            results += measure_size(project, n_rows, families, args.runs, scratch)
        print(f"Stages against their floors, medians of {args.runs} runs")
        print("(ratio = stage / (floor + floor start): both whole processes):\n")
        print(table(results))
        if not args.no_profile:
            print()
            print(profile_excess(project, results, scratch))


if __name__ == "__main__":
    main()
