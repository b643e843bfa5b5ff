"""Time the generated project's drift check against Evidently and a plain Parquet read.

Synthetic data with planted shifts, per size (reference and current of the same row count,
20 numeric and 5 category columns): one shifted current, where 3 numeric columns move (mean
+0.1 sd, variance x1.3, shape: skewed with the same mean and sd) and 1 category column is
reweighted (its rarest category +3 points), and 5 currents of unshifted data (null seeds).

The generated package comes from baking the template (default answers, hooks off) into a temp
folder; its src/ is imported by child processes of this script, which drive the drift API
(`summarize_batches`, `compare`, `params.load_params(...).drift` from the baked params.yaml) the way
`drift check` does, minus the model's predictions and the report files. Every figure comes from
its own child process, so the data generator's memory is not counted: wall time is measured in
the child around the work (interpreter start and imports excluded), peak memory is the child's
peak RSS (os.wait4, after it exits). A time is the median over the size's runs of that
kind (its files differ in values only: see Detection for which ran), a peak the largest.

  ours        reference profile (profile.py's column_profile on the reference data, params.yaml's
              profile.quantiles; built beforehand, as the profile stage does) + the current file
              read in chunks of drift.chunk_rows by drift/source.py's read_batches (the product's
              reader: each chunk held to schema.yaml and typed), then summarize_batches + compare.
  ours, pyarrow reader   the same statistics on plain pyarrow iter_batches frames (no contract
              check): what the statistics themselves cost.
  Evidently   0.7.x DataDriftPreset in its own virtualenv (it needs pandas<3): both files loaded
              with pandas, then Report.run. A size whose time, extrapolated linearly from the
              previous size, exceeds 10 minutes is skipped; a run is stopped after 10 minutes.
  read        pyarrow.parquet.read_table of the whole current file (all columns, into Arrow):
              the floor for anything that looks at every value.
  CSV         the shifted current written as CSV: ours through drift_source (the product's CSV
              reader) against pyarrow.csv.read_csv of the whole file (its own type inference),
              alternating, --runs times each.
  command     `python -m <package> drift check` as a process on demo-shaped rows (the default
              contract's 9 columns, 3% of one missing) in a baked project trained by its own
              stages on 20,000 demo rows (its profile, model and metrics as --reference-dir):
              interpreter start, imports, predictions, metrics, the three reports; wall time
              and peak RSS (os.wait4). Against it, the statistics alone on the same file in a
              child (the product's reader, summarize_batches, compare; no model), alternating,
              --runs times each.

Detection: the shifted current and the 5 null seeds, through the pyarrow reader at every size,
through drift_source's (slower) at the first size, through Evidently at the first size it runs.
The files are written once per size and read from a warm page cache by every run.

Run: `make bench-drift` (or `.venv/bin/python benchmarks/drift.py --quick` for 200k rows only,
one run); `--template DIR` bakes another checkout, for before/after figures.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
REQUIREMENTS = Path(__file__).with_name("evidently-requirements.txt")
CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DEFAULT_VENV = CACHE_HOME / "cookiecutter-gitops-ml" / "evidently-venv"
EVIDENTLY_TIMEOUT_S = 600
CHILD_TIMEOUT_S = 3600

# Rows per generated chunk and per Parquet row group: bounds the generator's memory.
CHUNK_ROWS = 500_000
COMMAND_REFERENCE = "bench-reference"  # the trained project's reference folder
TARGETS = {"statistics/read": 2.5, "csv/read_csv": 2.0, "command/statistics": 2.0}
TARGET_PEAK_MB = 1024

REFERENCE_SEED = 0
SHIFTED_SEED = 1
NULL_SEEDS = (2, 3, 4, 5, 6)

# The planted shifts, each about as visible as the others (two-sample KS distance 0.03-0.04).
MEAN_SHIFT_SD = 0.1
VARIANCE_RATIO = 1.3
SHAPE_GAMMA_K = 16  # standardized gamma(16): skewness 2 / sqrt(16) = 0.5
CATEGORY_SHIFT = 0.03  # the rarest category of the column gains this share
SHIFTS = {
    "num_00": f"mean +{MEAN_SHIFT_SD} sd",
    "num_01": f"variance x{VARIANCE_RATIO}",
    "num_02": "shape (skewed, same mean and sd)",
    "cat_0": f"rarest category +{CATEGORY_SHIFT * 100:.0f} points of share",
}

# Numeric columns: the three shifted ones are normal; the others cycle through shapes a real
# table has, including whole numbers with many ties.
SHIFTED_NORMALS = {"num_00": (50.0, 10.0), "num_01": (0.0, 1.0), "num_02": (100.0, 15.0)}
OTHER_KINDS = ("normal", "lognormal", "uniform", "exponential", "poisson", "age")
NUMERIC_COLUMNS = [f"num_{index:02d}" for index in range(20)]
CATEGORY_LEVELS = {"cat_0": 4, "cat_1": 3, "cat_2": 7, "cat_3": 12, "cat_4": 30}
COLUMNS = [*NUMERIC_COLUMNS, *CATEGORY_LEVELS]


def numeric_kind(column):
    if column in SHIFTED_NORMALS:
        return "normal"
    return OTHER_KINDS[NUMERIC_COLUMNS.index(column) % len(OTHER_KINDS)]


def category_labels(column):
    return [f"{column}_{level:02d}" for level in range(CATEGORY_LEVELS[column])]


def category_weights(column, shifted):
    """Geometrically falling shares; the shifted column's rarest category gains CATEGORY_SHIFT."""
    import numpy as np

    weights = 0.8 ** np.arange(CATEGORY_LEVELS[column])
    weights /= weights.sum()
    if shifted and column in SHIFTS:
        rarest = weights[-1]
        weights *= (1 - rarest - CATEGORY_SHIFT) / (1 - rarest)
        weights[-1] = rarest + CATEGORY_SHIFT
    return weights


def draw_numeric(rng, column, n_rows, shifted):
    if column in SHIFTED_NORMALS:
        mean, sd = SHIFTED_NORMALS[column]
        if shifted and column == "num_00":
            mean += MEAN_SHIFT_SD * sd
        if shifted and column == "num_01":
            sd *= VARIANCE_RATIO**0.5
        if shifted and column == "num_02":
            gamma = rng.gamma(SHAPE_GAMMA_K, size=n_rows)
            return mean + sd * (gamma - SHAPE_GAMMA_K) / SHAPE_GAMMA_K**0.5
        return rng.normal(mean, sd, n_rows)
    index, kind = NUMERIC_COLUMNS.index(column), numeric_kind(column)
    if kind == "normal":
        return rng.normal(index, 1 + index / 10, n_rows)
    if kind == "lognormal":
        return rng.lognormal(0.0, 0.5, n_rows)
    if kind == "uniform":
        return rng.uniform(0.0, 100.0, n_rows)
    if kind == "exponential":
        return rng.exponential(2.0, n_rows)
    if kind == "poisson":
        return rng.poisson(3.0, n_rows)
    return rng.integers(18, 91, n_rows)  # age in whole years


# The data contract of each kind of numeric column (schema.yaml's dtype and bounds).
CONTRACTS = {
    "normal": {"dtype": "float"},
    "lognormal": {"dtype": "float", "min": 0.0},
    "uniform": {"dtype": "float", "min": 0.0, "max": 100.0},
    "exponential": {"dtype": "float", "min": 0.0},
    "poisson": {"dtype": "integer", "min": 0},
    "age": {"dtype": "integer", "min": 18, "max": 90},
}


def synthetic_schema():
    """schema.yaml's content for the synthetic data. A contract names a target; the current
    data may lack it (the drift check allows that), and here every file does."""
    columns = {"label": {"dtype": "integer", "nullable": False, "categories": [0, 1]}}
    for name in NUMERIC_COLUMNS:
        columns[name] = {**CONTRACTS[numeric_kind(name)], "nullable": False}
    for name in CATEGORY_LEVELS:
        columns[name] = {
            "dtype": "category",
            "nullable": False,
            "categories": category_labels(name),
        }
    return {"target": "label", "columns": columns}


def draw_chunk(seed, n_rows, shifted):
    """One chunk as numpy arrays: numbers as drawn, categories as codes into category_labels.

    Each column draws from its own stream of `seed` (an int or a list of ints), so with the
    same seed, shifted and unshifted data differ in the planted columns only."""
    import numpy as np

    def stream(name):
        return np.random.default_rng([*np.atleast_1d(seed), COLUMNS.index(name)])

    columns = {name: draw_numeric(stream(name), name, n_rows, shifted) for name in NUMERIC_COLUMNS}
    for name in CATEGORY_LEVELS:
        cumulative = np.cumsum(category_weights(name, shifted))
        uniform = stream(name).random(n_rows) * cumulative[-1]
        columns[name] = np.searchsorted(cumulative, uniform, side="right").astype(np.int32)
    return columns


def chunk_table(columns):
    import pyarrow as pa

    arrays = {}
    for name, values in columns.items():
        if name in CATEGORY_LEVELS:
            labels = pa.array(category_labels(name))
            # Plain strings, as a pandas frame of text writes them.
            values = pa.DictionaryArray.from_arrays(pa.array(values), labels).dictionary_decode()
        arrays[name] = values
    return pa.table(arrays)


def write_dataset(path, n_rows, seed, shifted):
    import pyarrow.parquet as pq

    writer = None
    for chunk, start in enumerate(range(0, n_rows, CHUNK_ROWS)):
        table = chunk_table(draw_chunk([seed, chunk], min(CHUNK_ROWS, n_rows - start), shifted))
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


# --- child processes: each prints one JSON line with its figures ---------------------------


def import_project(project, *modules):
    """Modules of the baked project's package, imported as the product imports them."""
    import importlib

    sys.path.insert(0, str(Path(project) / "src"))
    package = Path(project).name.replace("-", "_")
    return {name: importlib.import_module(f"{package}.{name}") for name in modules}


def child_profile(project, schema_path, reference, output):
    """The reference profile, built column by column with profile.py's column_profile (as the
    profile stage builds it, minus the model's predictions), shaped as build_profile's."""
    import pyarrow.parquet as pq

    modules = import_project(project, "params", "pipeline.profile", "contract.schema")
    params = modules["params"].load_params(Path(project) / "params.yaml")
    n_quantiles = params.profile.quantiles
    schema = modules["contract.schema"].load_schema(schema_path)
    start = time.perf_counter()
    columns = {}
    for name in schema.features:
        values = pq.read_table(reference, columns=[name]).column(name).to_pandas()
        columns[name] = modules["pipeline.profile"].column_profile(
            values, schema.columns[name], n_quantiles
        )
    profile = {
        "rows": pq.ParquetFile(reference).metadata.num_rows,
        "target": schema.target,
        "quantiles": n_quantiles,
        "columns": columns,
    }
    Path(output).write_text(json.dumps(profile, separators=(",", ":")), encoding="utf-8")
    return {"seconds": time.perf_counter() - start}


def product_batches(modules, settings, schema_path, current):
    """The drift check's own reader: the source resolved, chunks of settings.chunk_rows rows,
    each held to the data contract and typed (drift/source.py's read_batches)."""
    source = modules["drift.source"]
    files = source.resolve(str(current), "2026-01-01", settings.format)  # no {date} in the path
    schema = modules["contract.schema"].load_schema(schema_path)
    return source.read_batches(files, schema, settings.chunk_rows, source.ContractTally())


def arrow_batches(settings, current, columns):
    """Plain pyarrow batches of settings.chunk_rows rows as frames: no contract check."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(current, pre_buffer=False)  # as drift_source reads it
    batches = parquet.iter_batches(settings.chunk_rows, columns=columns)
    return (batch.to_pandas() for batch in batches)


def child_ours(project, schema_path, profile_path, current, reader):
    """summarize_batches + compare on the current file, read by `reader` (drift_source or
    pyarrow), with the threads capped as `drift check` caps them."""
    names = ("params", "drift.summary", "drift.decision", "drift.source")
    modules = import_project(project, *names, "pipeline.features", "contract.schema")
    settings = modules["params"].load_params(Path(project) / "params.yaml").drift
    start, cpu_start = time.perf_counter(), time.process_time()
    profile = json.loads(Path(profile_path).read_text(encoding="utf-8"))
    if reader == "drift_source":
        batches = product_batches(modules, settings, schema_path, current)
    else:
        batches = arrow_batches(settings, current, list(profile["columns"]))
    with modules["pipeline.features"].limited_threads():
        summary = modules["drift.summary"].summarize_batches(profile, batches)
    result = modules["drift.decision"].compare(profile, summary, settings)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    drifted = sorted(column.column for column in result.columns if column.drifted)
    planted = {
        column.column: f"{column.effect_name} {column.effect:.3f}, p {column.corrected_p_value:.1e}"
        for column in result.columns
        if column.column in SHIFTS
    }
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "drifted": drifted,
        "rows": summary.rows,
        "planted": planted,
    }


def child_read(current):
    import pyarrow.dataset  # noqa: F401  (read_table's first call imports it: 0.5 s, not reading)
    import pyarrow.parquet as pq

    start, cpu_start = time.perf_counter(), time.process_time()
    table = pq.read_table(current)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": table.num_rows}


def child_evidently(reference, current):
    """Runs in the Evidently virtualenv (pandas<3): load both files, run DataDriftPreset."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=NUMERIC_COLUMNS, categorical_columns=list(CATEGORY_LEVELS)
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    frames = [pd.read_parquet(path) for path in (reference, current)]
    loaded = time.perf_counter()
    reference_data, current_data = (
        Dataset.from_pandas(f, data_definition=definition) for f in frames
    )
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        current_data=current_data, reference_data=reference_data
    )
    finished, cpu_seconds = time.perf_counter(), time.process_time() - cpu_start
    result = snapshot.dict()
    # Per-column verdicts are the ValueDrift tests: FAIL means drift detected.
    drifted = sorted(
        test["metric_config"]["params"]["column"]
        for test in result["tests"]
        if test["metric_config"]["params"]["type"].endswith(":ValueDrift")
        and test["status"] == "FAIL"
    )
    value_drifts = [
        metric for metric in result["metrics"] if metric["config"]["type"].endswith(":ValueDrift")
    ]
    methods = {metric["config"]["method"] for metric in value_drifts}
    planted = {
        metric["config"]["column"]: f"{metric['config']['method']} {metric['value']:.3f}"
        for metric in value_drifts
        if metric["config"]["column"] in SHIFTS
    }
    return {
        "seconds": finished - start,
        "cpu_seconds": cpu_seconds,
        "load_seconds": loaded - start,
        "drifted": drifted,
        "methods": sorted(methods),
        "planted": planted,
    }


def child_to_csv(parquet, csv_path):
    """The same rows as CSV (pyarrow's writer), for the CSV reader's figures."""
    import pyarrow.csv as arrow_csv
    import pyarrow.parquet as pq

    arrow_csv.write_csv(pq.read_table(parquet), csv_path)
    return {"bytes": Path(csv_path).stat().st_size}


def child_read_csv(current):
    """pyarrow.csv.read_csv of the whole file with its own type inference: the CSV floor."""
    import pyarrow.csv as arrow_csv

    start, cpu_start = time.perf_counter(), time.process_time()
    table = arrow_csv.read_csv(current)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": table.num_rows}


def child_train(project):
    """The baked project's own stages on 20,000 demo rows (validate, split, train, evaluate,
    profile), and the reference folder `drift check --reference-dir` reads."""
    modules = import_project(
        project,
        "demo_data",
        "paths",
        "params",
        "contract.validate",
        "pipeline.split",
        "pipeline.train",
        "pipeline.evaluate",
        "pipeline.profile",
    )
    os.chdir(project)
    paths, params = modules["paths"], modules["params"].load_params()
    start = time.perf_counter()
    modules["demo_data"].write_csv(params.data.raw, params.task, n_rows=20_000)
    modules["contract.validate"].validate_file(
        params.data.raw, paths.SCHEMA, paths.VALIDATED, paths.VALIDATION_REPORT
    )
    for stage in ("split.split_file", "train.train_file", "evaluate.evaluate_file"):
        module, function = stage.split(".")
        getattr(modules[f"pipeline.{module}"], function)(params)
    modules["pipeline.profile"].profile_file(params)
    folder = Path(project) / COMMAND_REFERENCE
    folder.mkdir()
    for name, path in (
        ("profile.json", paths.PROFILE),
        ("model.joblib", paths.MODEL),
        ("metrics.json", paths.METRICS),
    ):
        shutil.copy(path, folder / name)
    return {"seconds": time.perf_counter() - start, "family": params.model.family}


def child_demo_rows(path, n_rows):
    """Demo-shaped rows (the default contract's 8 features and the target, 3% of one column
    missing) as Parquet in row groups of CHUNK_ROWS, drawn chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    writer = None
    for start in range(0, n_rows, CHUNK_ROWS):
        size = min(CHUNK_ROWS, n_rows - start)
        usage = rng.gamma(2.0, 40.0, size).clip(0, 1000)
        choices = {
            "contract": ["month-to-month", "one-year", "two-year"],
            "payment_method": ["bank-transfer", "card", "electronic-check", "mailed-check"],
            "region": ["east", "north", "south", "west"],
        }
        table = pa.table(
            {
                "customer_age": rng.integers(18, 90, size),
                "tenure_months": rng.integers(0, 120, size),
                "monthly_charges": rng.uniform(10, 200, size).round(2),
                "support_calls": rng.poisson(1.5, size).clip(0, 50),
                "data_usage_gb": pa.array(usage, mask=rng.random(size) < 0.03),
                **{name: rng.choice(labels, size) for name, labels in choices.items()},
                "churned": rng.integers(0, 2, size),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return {"rows": n_rows}


def child_statistics(project, current):
    """The statistics alone on the command's data: the product's reader, summarize_batches and
    compare, against the trained project's reference profile, without the model."""
    names = ("params", "paths", "drift.summary", "drift.decision", "drift.source")
    modules = import_project(project, *names, "pipeline.features", "contract.schema")
    os.chdir(project)
    settings = modules["params"].load_params().drift
    start = time.perf_counter()
    reference = Path(project) / COMMAND_REFERENCE / "profile.json"
    profile = json.loads(reference.read_text(encoding="utf-8"))
    batches = product_batches(modules, settings, modules["paths"].SCHEMA, current)
    with modules["pipeline.features"].limited_threads():
        summary = modules["drift.summary"].summarize_batches(profile, batches)
    result = modules["drift.decision"].compare(profile, summary, settings)
    return {"seconds": time.perf_counter() - start, "decision": result.decision}


CHILDREN = {
    "profile": child_profile,
    "ours": child_ours,
    "read": child_read,
    "to_csv": child_to_csv,
    "read_csv": child_read_csv,
    "evidently": child_evidently,
    "train": child_train,
    "demo_rows": child_demo_rows,
    "statistics": child_statistics,
}


# --- the parent: bake, generate, run children, print tables ---------------------------------


def log(message):
    print(message, file=sys.stderr, flush=True)


def run_child(python, kind, arguments, timeout, workdir, env=None):
    """Run one child to completion; its JSON figures plus peak RSS, or a status saying why not."""
    stdout_path, stderr_path = workdir / f"{kind}.out", workdir / f"{kind}.err"
    command = [python, __file__, "--child", kind, json.dumps(arguments)]
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return {"status": f"skipped (>{timeout // 60} min)"}
        time.sleep(0.1)
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    if process.returncode != 0:
        tail = stderr_path.read_text(errors="replace").strip().splitlines()[-15:]
        log(f"{kind} child failed (exit {process.returncode}):\n  " + "\n  ".join(tail))
        return {"status": f"failed (exit {process.returncode})"}
    figures = json.loads(stdout_path.read_text().strip().splitlines()[-1])
    return {"status": "ok", "peak_mb": peak_mb, **figures}


def evidently_python(venv):
    """Create the Evidently virtualenv on first use; sync it to the pinned requirements."""
    uv = Path(sys.executable).with_name("uv")
    uv = str(uv) if uv.exists() else shutil.which("uv")
    if uv is None:
        sys.exit("uv not found: run `make venv` in the template (it installs uv into .venv)")
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating the Evidently virtualenv {venv}")
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    sync = [uv, "pip", "sync", "--quiet", "--python", str(python), str(REQUIREMENTS)]
    subprocess.run(sync, check=True)
    return str(python)


def generate(size_dir, n_rows):
    start = time.perf_counter()
    files = {"reference": size_dir / "reference.parquet", "shifted": size_dir / "shifted.parquet"}
    files.update({f"null{seed}": size_dir / f"null{seed}.parquet" for seed in NULL_SEEDS})
    write_dataset(files["reference"], n_rows, REFERENCE_SEED, shifted=False)
    write_dataset(files["shifted"], n_rows, SHIFTED_SEED, shifted=True)
    for seed in NULL_SEEDS:
        write_dataset(files[f"null{seed}"], n_rows, seed, shifted=False)
    log(f"  generated 7 files of {n_rows:,} rows in {time.perf_counter() - start:.1f} s")
    return files


def currents(files):
    return [name for name in files if name != "reference"]


def measure_size(n_rows, project, evidently, state, workdir, nulls_through_product, runs):
    """All runs for one size. The drift_source reader's null-seed runs (slow: it checks the
    contract on text) happen at the first size only; the pyarrow-reader runs cover every size."""
    size_dir = workdir / f"rows{n_rows}"
    size_dir.mkdir()
    files = generate(size_dir, n_rows)
    schema_path = size_dir / "schema.yaml"
    schema_path.write_text(json.dumps(synthetic_schema(), indent=1), encoding="utf-8")
    profile_path = size_dir / "profile.json"
    arguments = [str(project), str(schema_path), str(files["reference"]), str(profile_path)]
    built = run_child(sys.executable, "profile", arguments, CHILD_TIMEOUT_S, size_dir)
    if built["status"] != "ok":
        sys.exit("building the reference profile failed; see the error above")
    log(f"  reference profile in {built['seconds']:.1f} s")
    row = {"rows": n_rows, "profile_s": built["seconds"]}
    nulls = [f"null{seed}" for seed in NULL_SEEDS]

    def ours(reader, name):
        arguments = [str(project), str(schema_path), str(profile_path), str(files[name]), reader]
        run = run_child(sys.executable, "ours", arguments, CHILD_TIMEOUT_S, size_dir)
        log(f"  {name}: ours ({reader} reader) {describe(run)}")
        return run

    row["read"] = {}
    for name in currents(files):
        arguments = [str(files[name])]
        row["read"][name] = run_child(sys.executable, "read", arguments, CHILD_TIMEOUT_S, size_dir)
        log(f"  {name}: read {describe(row['read'][name])}")
    row["ours_arrow"] = {name: ours("pyarrow", name) for name in ["shifted", *nulls]}
    product_files = ["shifted", *nulls] if nulls_through_product else ["shifted"]
    row["ours"] = {name: ours("drift_source", name) for name in product_files}
    row.update(measure_csv(project, schema_path, profile_path, files["shifted"], runs, size_dir))
    row["evidently"] = measure_evidently(n_rows, files, evidently, state, size_dir)
    shutil.rmtree(size_dir)
    return row


def measure_csv(project, schema_path, profile_path, shifted, runs, size_dir):
    """The shifted current as CSV: pyarrow's read_csv of it, and ours through drift_source
    (the product's CSV reader), alternating, `runs` times each."""
    csv_path = size_dir / "shifted.csv"
    written = run_child(sys.executable, "to_csv", [str(shifted), str(csv_path)], 3600, size_dir)
    log(f"  shifted as CSV: {written['bytes'] / 1e6:,.0f} MB")
    figures = {"csv_read": {}, "ours_csv": {}}
    ours = [str(project), str(schema_path), str(profile_path), str(csv_path), "drift_source"]
    for index in range(runs):
        read = run_child(sys.executable, "read_csv", [str(csv_path)], CHILD_TIMEOUT_S, size_dir)
        figures["csv_read"][f"run{index}"] = read
        ours_run = run_child(sys.executable, "ours", ours, CHILD_TIMEOUT_S, size_dir)
        figures["ours_csv"][f"run{index}"] = ours_run
        log(f"  CSV run {index + 1}: read_csv {describe(read)}, ours {describe(ours_run)}")
    csv_path.unlink()
    return figures


def measure_command(project, n_rows, runs, workdir):
    """`drift check` as a process on demo-shaped rows (the trained project's reference), and
    the statistics alone on the same file in a child, alternating, `runs` times each."""
    size_dir = workdir / f"command{n_rows}"
    size_dir.mkdir()
    current = size_dir / "current.parquet"
    run_child(sys.executable, "demo_rows", [str(current), n_rows], CHILD_TIMEOUT_S, size_dir)
    package = Path(project).name.replace("-", "_")
    command = [sys.executable, "-m", package, "drift", "check", "--current", str(current)]
    command += ["--date", "2026-01-01", "--reference-dir", COMMAND_REFERENCE]
    command += ["--output-dir", str(size_dir / "reports")]
    env = dict(os.environ, PYTHONPATH=str(Path(project) / "src"))
    figures = {"command": {}, "statistics": {}}
    for index in range(runs):
        figures["command"][f"run{index}"] = run_process(command, project, env, size_dir)
        figures["statistics"][f"run{index}"] = run_child(
            sys.executable, "statistics", [str(project), str(current)], CHILD_TIMEOUT_S, size_dir
        )
        last = {kind: describe(values[f"run{index}"]) for kind, values in figures.items()}
        log(f"  command run {index + 1}: {last['command']}; statistics {last['statistics']}")
    shutil.rmtree(size_dir)
    return figures


def run_process(command, cwd, env, workdir):
    """Wall time and peak RSS (os.wait4) of a command run to completion; exit 0 (no drift) and
    1 (drift) are both a finished check."""
    stderr_path = workdir / "command.err"
    start = time.perf_counter()
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        tail = stderr_path.read_text(errors="replace").strip().splitlines()[-15:]
        log(f"drift check failed (exit {process.returncode}):\n  " + "\n  ".join(tail))
        return {"status": f"failed (exit {process.returncode})"}
    return {"status": "ok", "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def measure_evidently(n_rows, files, evidently, state, size_dir):
    """Evidently on the shifted current, and on the null seeds the first time it runs."""
    if evidently is None:
        return {"shifted": {"status": "skipped (--skip-evidently)"}}
    per_row = state.get("evidently_s_per_row")
    if per_row is not None and per_row * n_rows > EVIDENTLY_TIMEOUT_S:
        estimate = per_row * n_rows / 60
        return {"shifted": {"status": f"skipped (est. {estimate:.0f} min > 10 min)"}}
    env = dict(os.environ, DO_NOT_TRACK="1")  # Evidently's usage telemetry
    names = ["shifted"] if state.get("evidently_nulls_done") else currents(files)
    runs = {}
    for name in names:
        arguments = [str(files["reference"]), str(files[name])]
        runs[name] = run_child(
            evidently, "evidently", arguments, EVIDENTLY_TIMEOUT_S, size_dir, env=env
        )
        log(f"  {name}: Evidently {describe(runs[name])}")
        if runs[name]["status"] != "ok":
            break
    if runs["shifted"]["status"].startswith("skipped"):
        # Stopped at the time limit: a larger size would be too, so skip it by estimate.
        state["evidently_s_per_row"] = EVIDENTLY_TIMEOUT_S / n_rows
    if runs["shifted"]["status"] == "ok":
        state["evidently_s_per_row"] = runs["shifted"]["seconds"] / n_rows
        state["evidently_nulls_done"] = len(runs) > 1 and all(
            run["status"] == "ok" for run in runs.values()
        )
    return runs


def describe(run):
    if run["status"] != "ok":
        return run["status"]
    return f"{run['seconds']:.2f} s, {run['peak_mb']:.0f} MB"


# --- tables --------------------------------------------------------------------------------

CHECKS = {
    "ours": "ours (drift_source reader)",
    "ours_arrow": "ours (pyarrow reader)",
    "evidently": "Evidently",
}


def size_figure(row, variant, key):
    """Median time over the size's runs of a variant (the files differ in values only), or
    the largest peak memory; None when no run finished."""
    values = [run[key] for run in row[variant].values() if run.get("status") == "ok"]
    if not values:
        return None
    return max(values) if key == "peak_mb" else statistics.median(values)


def runs_count(row, variant):
    return sum(run.get("status") == "ok" for run in row[variant].values())


def ratio(numerator, denominator):
    return numerator / denominator if numerator and denominator else None


def figure(value, digits=2, suffix=""):
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def timing_table(rows):
    lines = [
        "| rows | ours s | ours peak MB | Evidently s | Evidently peak MB | read s | ours/read "
        "| Evidently/ours | ours, pyarrow reader s | its peak MB | its time/read |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, read = size_figure(row, "ours", "seconds"), size_figure(row, "read", "seconds")
        plain = size_figure(row, "ours_arrow", "seconds")
        evidently = size_figure(row, "evidently", "seconds")
        evidently_cell = (
            figure(evidently, 1) if evidently else row["evidently"]["shifted"]["status"]
        )
        cells = [
            f"{row['rows']:,}",
            figure(ours),
            figure(size_figure(row, "ours", "peak_mb"), 0),
            evidently_cell,
            figure(size_figure(row, "evidently", "peak_mb"), 0),
            figure(read),
            figure(ratio(ours, read), 1, "x"),
            figure(ratio(evidently, ours), 0, "x"),
            figure(plain),
            figure(size_figure(row, "ours_arrow", "peak_mb"), 0),
            figure(ratio(plain, read), 1, "x"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def quality(runs):
    """Planted shifts flagged and other columns flagged on the shifted current, and columns
    flagged over the null seeds (None when those runs did not all happen)."""
    shifted = runs.get("shifted", {})
    if shifted.get("status") != "ok":
        return None
    flagged = set(shifted["drifted"])
    nulls = [runs.get(f"null{seed}", {}) for seed in NULL_SEEDS]
    done = all(run.get("status") == "ok" for run in nulls)
    return {
        "caught": [column for column in SHIFTS if column in flagged],
        "other": sorted(flagged - set(SHIFTS)),
        "null_alarms": [column for run in nulls for column in run["drifted"]] if done else None,
    }


def quality_table(rows):
    lines = [
        "| rows | check | "
        + " | ".join(f"{column}: {shift}" for column, shift in SHIFTS.items())
        + " | shifts flagged | others flagged (shifted) | false alarms (5 null seeds) |",
        "|---:|---|" + "---|" * len(SHIFTS) + "---:|---|---|",
    ]
    for row in rows:
        for variant, name in CHECKS.items():
            result = quality(row[variant])
            if result is None:
                continue
            marks = [("yes" if column in result["caught"] else "**no**") for column in SHIFTS]
            alarms = result["null_alarms"]
            cells = [
                f"{row['rows']:,}",
                name,
                *marks,
                f"{len(result['caught'])}/{len(SHIFTS)}",
                ", ".join(result["other"]) or "none",
                "not run" if alarms is None else alarm_text(alarms),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def alarm_text(alarms):
    return f"{len(alarms)} ({', '.join(alarms)})" if alarms else "0"


def targets_table(rows):
    lines = ["| target | measured | met |", "|---|---|---|"]
    for row in rows:
        for variant in ("ours", "ours_arrow"):
            result = quality(row[variant])
            if result is None or result["null_alarms"] is None:
                continue
            caught, alarms = len(result["caught"]), len(result["null_alarms"])
            lines.append(
                f"| {row['rows']:,} rows, {CHECKS[variant]}: 4/4 shifts flagged, <= 1 false "
                f"alarm over 5 null seeds | {caught}/4, {alarms} "
                f"| {verdict(caught, caught == len(SHIFTS) and alarms <= 1)} |"
            )
    by_rows = {row["rows"]: row for row in rows}
    if 1_000_000 in by_rows:
        row = by_rows[1_000_000]
        evidently = size_figure(row, "evidently", "seconds")
        for variant in ("ours", "ours_arrow"):
            speedup = ratio(evidently, size_figure(row, variant, "seconds"))
            lines.append(
                f"| 1,000,000 rows, {CHECKS[variant]}: >= 50x faster than Evidently "
                f"| {figure(speedup, 0, 'x')} | {verdict(speedup, speedup and speedup >= 50)} |"
            )
    if 5_000_000 in by_rows:
        row = by_rows[5_000_000]
        read = size_figure(row, "read", "seconds")
        for variant in ("ours", "ours_arrow"):
            within = ratio(size_figure(row, variant, "seconds"), read)
            peak = size_figure(row, variant, "peak_mb")
            lines.append(
                f"| 5,000,000 rows, {CHECKS[variant]}: within 3x of the read time "
                f"| {figure(within, 1, 'x')} | {verdict(within, within and within <= 3)} |"
            )
            lines.append(
                f"| 5,000,000 rows, {CHECKS[variant]}: peak memory < 1.5 GB "
                f"| {figure(peak, 0, ' MB')} | {verdict(peak, peak and peak < 1536)} |"
            )
    return "\n".join(lines)


def speed_table(rows):
    """The three speed targets: the statistics through the product's reader against the
    Parquet read, the CSV path against pyarrow's read_csv, the whole command against the
    statistics alone on the same demo-shaped file (and its peak memory)."""
    lines = [
        "| rows | statistics s | read s | statistics/read (<= 2.5x) | CSV s | read_csv s "
        "| CSV/read_csv (<= 2x) | command s | statistics alone s | command/statistics (<= 2x) "
        "| command peak MB (< 1024) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        seconds = {
            variant: size_figure(row, variant, "seconds")
            for variant in ("ours", "read", "ours_csv", "csv_read", "command", "statistics")
        }
        peak = size_figure(row, "command", "peak_mb")
        cells = [f"{row['rows']:,}"]
        for numerator, denominator, key in (
            ("ours", "read", "statistics/read"),
            ("ours_csv", "csv_read", "csv/read_csv"),
            ("command", "statistics", "command/statistics"),
        ):
            within = ratio(seconds[numerator], seconds[denominator])
            met = verdict(within, within and within <= TARGETS[key])
            cells += [figure(seconds[numerator]), figure(seconds[denominator])]
            cells.append(f"{figure(within, 2, 'x')} {met}")
        cells.append(f"{figure(peak, 0)} {verdict(peak, peak and peak < TARGET_PEAK_MB)}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(measured, met):
    if measured is None:
        return "n/a"
    return "yes" if met else "**no**"


def notes(rows, evidently_version):
    lines = []
    for row in rows:
        lines.append(
            f"- {row['rows']:,} rows: reference profile built in {row['profile_s']:.1f} s "
            "(the profile stage's work, not part of the check)"
        )
        both = [name for name in row["ours"] if name in row["ours_arrow"]]
        same = all(
            row["ours"][name].get("drifted") == row["ours_arrow"][name].get("drifted")
            for name in both
        )
        agreement = "every" if same else "**not every**"
        lines.append(
            f"  - the two readers flagged the same columns on {agreement} file both read "
            f"({len(both)})"
        )
        for variant, name in CHECKS.items():
            run = row[variant].get("shifted", {})
            if run.get("status") != "ok":
                continue
            planted = "; ".join(f"{column}: {text}" for column, text in run["planted"].items())
            lines.append(f"  - {name} on the planted columns: {planted}")
        variants = [*CHECKS.items(), ("read", "read")]
        cpu = [f"{name} {figure(size_figure(row, v, 'cpu_seconds'))}" for v, name in variants]
        lines.append(f"  - CPU s in the timed part (all threads): {', '.join(cpu)}")
        counts = [f"{name} {runs_count(row, v)}" for v, name in variants]
        lines.append(f"  - runs behind each median: {', '.join(counts)}")
        evidently = row["evidently"].get("shifted", {})
        if evidently.get("status") == "ok":
            lines.append(
                f"  - Evidently's time: {evidently['load_seconds']:.1f} s pandas load of both "
                f"files + {evidently['seconds'] - evidently['load_seconds']:.1f} s report"
            )
    if evidently_version:
        lines.append(f"- Evidently {evidently_version}")
    return "\n".join(lines)


def parse_sizes(text):
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"give row counts like 200000,1000000: {text!r}") from None
    if any(size < 1000 for size in sizes):
        raise argparse.ArgumentTypeError(f"every size must be at least 1000 rows: {text!r}")
    return sorted(set(sizes))


def evidently_description(python, venv):
    command = [
        python,
        "-c",
        "import evidently, pandas; print(evidently.__version__, pandas.__version__)",
    ]
    found = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return f"{found[0]} with pandas {found[1]}, in {venv}"


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](*json.loads(sys.argv[3]))))
        return
    # Here, not at the top: the template's tests load this file by path to reuse its data
    # generator, where this folder is not importable.
    from scoring import bake

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[200_000, 1_000_000, 5_000_000])
    parser.add_argument("--quick", action="store_true", help="200,000 rows only (smoke check)")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--evidently-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--runs", type=int, default=3, help="runs of the CSV and command figures")
    parser.add_argument(
        "--template", default=TEMPLATE, help="the template to bake (e.g. an older checkout)"
    )
    args = parser.parse_args()
    sizes = [200_000] if args.quick else args.sizes
    evidently, version = None, None
    if not args.skip_evidently:
        evidently = evidently_python(args.evidently_venv)
        version = evidently_description(evidently, args.evidently_venv)
    runs = 1 if args.quick else args.runs
    rows, state = [], {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        project = bake(Path(tmp) / "bake", args.template)
        trained = run_child(sys.executable, "train", [str(project)], CHILD_TIMEOUT_S, Path(tmp))
        if trained["status"] != "ok":
            sys.exit("training the baked project failed; see the error above")
        log(f"trained the baked project ({trained['family']}) in {trained['seconds']:.1f} s")
        for n_rows in sizes:
            log(f"{n_rows:,} rows")
            first = n_rows == sizes[0]
            row = measure_size(n_rows, project, evidently, state, Path(tmp), first, runs)
            row.update(measure_command(project, n_rows, runs, Path(tmp)))
            rows.append(row)
    load = f"1-min load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(f"Drift benchmark: {os.cpu_count()} cores ({load})")
    print("\nTiming (median of a size's runs; peak: largest)\n")
    print(timing_table(rows))
    print("\nDetection\n")
    print(quality_table(rows))
    print("\nTargets\n")
    print(targets_table(rows))
    print(f"\nSpeed targets (issue 16): medians of {runs} runs for CSV and the command\n")
    print(speed_table(rows))
    print("\nNotes\n")
    print(notes(rows, version))


if __name__ == "__main__":
    main()
