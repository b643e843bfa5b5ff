"""Bringing your own CSV: one command (`schema infer`) and every command that follows works,
the project's own test suite included (it runs in every pull request)."""

import random
import sys

from combinations import COMBINATIONS
from conftest import WITHOUT_ENGINE_TESTS, dvc, project_env, resolved_answers, run

MULTICLASS = next(a for a in COMBINATIONS.values() if a.get("task") == "multiclass_classification")
COLOURS = ("red", "green", "yellow")
FRUIT = {"red": "cherry", "green": "apple", "yellow": "banana"}


def fruit_csv(path, n_rows=600, seed=3):
    """A dataset with none of the demo's columns: fruit by weight, colour and sweetness."""
    rng = random.Random(seed)
    lines = ["weight_g,colour,sweetness,fruit"]
    for _ in range(n_rows):
        colour = rng.choice(COLOURS)
        fruit = FRUIT[colour] if rng.random() < 0.85 else rng.choice(list(FRUIT.values()))
        weight = {"cherry": 8, "apple": 180, "banana": 120}[fruit] * rng.uniform(0.7, 1.3)
        lines.append(f"{weight:.1f},{colour},{rng.randint(1, 10)},{fruit}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_own_csv_then_every_command_and_the_projects_tests(baked, project_copy):
    project = project_copy(baked(**MULTICLASS))
    package = resolved_answers(MULTICLASS)["package_name"]
    fruit_csv(project / "data" / "raw" / "fruit.csv")
    cli = [sys.executable, "-m", package]
    env = project_env(project)
    inferred = run(
        [*cli, "schema", "infer", "data/raw/fruit.csv", "--target", "fruit"], project, env=env
    )
    assert "drift.simulate is now false" in inferred.stdout
    dvc("add", "--quiet", "data/raw/fruit.csv", cwd=project)
    dvc("repro", cwd=project)
    prepared = run([*cli, "drift", "prepare"], project, env=env, check=False)
    assert prepared.returncode == 0, prepared.stderr
    assert "Traceback" not in prepared.stderr
    suite = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        project,
        env={**env, **WITHOUT_ENGINE_TESTS},  # the engines' tests build their own data
        check=False,
    )
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-2000:]


def test_own_parquet_then_the_pipeline(baked, project_copy):
    """The README's commands with a Parquet file's name: the pipeline runs on it."""
    import json

    import pandas as pd

    project = project_copy(baked(**MULTICLASS))
    package = resolved_answers(MULTICLASS)["package_name"]
    frame = pd.read_csv(fruit_csv(project / "data" / "raw" / "fruit.csv"))
    (project / "data" / "raw" / "fruit.csv").unlink()
    frame.astype({"colour": "category"}).to_parquet(project / "data/raw/fruit.parquet")
    cli = [sys.executable, "-m", package]
    env = project_env(project)
    run([*cli, "schema", "infer", "data/raw/fruit.parquet", "--target", "fruit"], project, env=env)
    dvc("add", "--quiet", "data/raw/fruit.parquet", cwd=project)
    dvc("repro", cwd=project)
    report = json.loads((project / "reports" / "validation.json").read_text())
    assert report["valid"] and report["rows"] == 600
    assert (project / "metrics.json").is_file()
