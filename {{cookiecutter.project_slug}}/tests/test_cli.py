import io
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import PROJECT_ROOT, read_yaml

import {{ cookiecutter.package_name }} as package
from {{ cookiecutter.package_name }} import demo_data
from {{ cookiecutter.package_name }}.cli import build_parser, main


def stage_commands():
    """{stage: cmd}, with dvc.yaml's own `vars` (the package's name) substituted."""
    document = read_yaml(PROJECT_ROOT / "dvc.yaml")
    variables = {}
    for entry in document.get("vars", []):
        if isinstance(entry, dict):
            variables.update(entry)
    commands = {}
    for name, stage in document["stages"].items():
        command = stage["cmd"]
        for key, value in variables.items():
            command = command.replace("${" + key + "}", str(value))
        commands[name] = command
    return commands


@pytest.mark.parametrize("stage", sorted(stage_commands()))
def test_every_dvc_stage_is_a_cli_command(stage):
    command = stage_commands()[stage]
    prefix = f"python -m {package.__name__} "
    assert command.startswith(prefix)
    args = build_parser().parse_args(command.removeprefix(prefix).split())
    assert callable(args.handler)


def test_python_dash_m_runs_the_cli():
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", package.__name__, "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0
    for command in ("validate", "split", "train", "evaluate", "profile", "schema", "demo-data"):
        assert re.search(rf"\b{command}\b", result.stdout), command


def test_demo_data_command_writes_rows_for_the_projects_task(workspace, task, capsys):
    assert main(["demo-data", "out/demo.csv", "--rows", "25", "--seed", "3"]) == 0
    lines = (workspace / "out/demo.csv").read_text().splitlines()
    assert len(lines) == 26
    assert lines[0].endswith(demo_data.TARGET_BY_TASK[task])
    assert "wrote 25 rows" in capsys.readouterr().out


def test_demo_data_as_parquet_validates_as_the_same_rows_as_csv(workspace, task):
    for name in ("demo.parquet", "demo.csv"):
        assert main(["demo-data", f"data/raw/{name}", "--rows", "300", "--seed", "5"]) == 0
    frame = pd.read_parquet(workspace / "data/raw/demo.parquet")
    assert len(frame) == 300 and demo_data.TARGET_BY_TASK[task] in frame.columns
    assert "float64" in set(map(str, frame.dtypes))  # typed, not text
    validated = []
    for name in ("demo.parquet", "demo.csv"):
        assert main(["validate", f"data/raw/{name}"]) == 0
        validated.append(pd.read_parquet(workspace / "data/validated.parquet"))
    pd.testing.assert_frame_equal(*validated)


def test_validate_command_exits_1_on_a_contract_violation(workspace, raw_csv, capsys):
    raw_csv.write_text(raw_csv.read_text().replace(",east,", ",central,"))
    assert main(["validate", str(raw_csv)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("contract violated: ")  # a finding, not "error:"
    assert "region: category" in error
    assert "fix: correct the data" in error
    assert (workspace / "reports/validation.json").exists()


def test_validate_command_succeeds_on_good_data(workspace, raw_csv):
    assert main(["validate", str(raw_csv)]) == 0
    assert (workspace / "data/validated.parquet").exists()


def test_a_stage_outside_the_project_exits_2_and_says_where_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["split"]) == 2
    error = capsys.readouterr().err
    assert "params.yaml not found" in error
    assert "project's root folder" in error


def test_schema_infer_command(workspace, raw_csv, task, capsys):
    target = demo_data.TARGET_BY_TASK[task]
    (workspace / "schema.yaml").unlink()
    assert main(["schema", "infer", str(raw_csv.relative_to(workspace)), "--target", target]) == 0
    assert read_yaml(workspace / "schema.yaml")["target"] == target
    assert "next steps" in capsys.readouterr().out


def test_a_wrong_target_exits_2_with_the_columns(workspace, raw_csv, capsys):
    assert main(["schema", "infer", str(raw_csv.relative_to(workspace)), "--target", "nope"]) == 2
    assert "customer_age" in capsys.readouterr().err


def parser_entries(parser, path=()):
    """(command path, option or None, help) for every command and option, depth first."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), None, helps.get(name)
                yield from parser_entries(sub, (*path, name))
        elif not isinstance(action, argparse._HelpAction):
            yield path, "/".join(action.option_strings) or action.dest, action.help


def test_every_command_and_option_says_what_it_does():
    entries = list(parser_entries(build_parser()))
    silent = [
        f"{' '.join(path)} {option or '(command)'}" for path, option, text in entries if not text
    ]
    assert len(entries) > 100 and silent == []


def test_the_help_names_the_real_package():
    text = build_parser().format_help()
    assert f"python -m {package.__name__}" in text
    assert text.split("\n\n")[1].startswith(f"{package.__name__}: ")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["gaet"], "unknown command 'gaet': did you mean 'gate'?"),
        (["release", "propse"], "unknown command 'propse': did you mean 'propose'?"),
        (["zzz"], "invalid choice: 'zzz'"),
    ],
)
def test_a_misspelt_command_suggests_the_nearest(argv, said, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and said in capsys.readouterr().err


def test_a_bad_flag_shows_the_subcommands_usage(capsys):
    with pytest.raises(SystemExit):
        main(["report", "pr", "--base", "main", "--bogus"])
    err = capsys.readouterr().err
    assert err.startswith(f"usage: python -m {package.__name__} report pr ")
    assert "unrecognized arguments: --bogus" in err


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_only(monkeypatch):
    from {{ cookiecutter.package_name }} import progress

    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        with progress.rows_progress("scoring batch.csv", stream) as advance:
            advance(1500)
    assert piped.getvalue() == ""
    assert "scoring batch.csv: " in terminal.getvalue() and " rows" in terminal.getvalue()
