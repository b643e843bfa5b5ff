"""The post-generation hook stops with a message naming the fix when git or DVC is missing,
before it changes anything."""

import subprocess
import venv
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake, resolved_answers
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter


def test_missing_git_stops_generation_and_says_how_to_fix_it(tmp_path, monkeypatch, capfd):
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    monkeypatch.setenv("PATH", str(no_tools))
    output = tmp_path / "out"
    with pytest.raises(FailedHookException):
        bake(output, dvc_remote_url=str(tmp_path / "remote"))
    stderr = capfd.readouterr().err
    assert "git is not on PATH" in stderr
    assert "generate again" in stderr
    assert not (output / "customer-churn").exists()


def rendered_post_gen_hook(answers, folder):
    """hooks/post_gen_project.py with its ANSWERS line filled in, as cookiecutter renders it."""
    lines = (TEMPLATE / "hooks" / "post_gen_project.py").read_text().splitlines()
    [index] = [i for i, line in enumerate(lines) if line.startswith("ANSWERS = ")]
    lines[index] = f"ANSWERS = {answers!r}"
    script = folder / "post_gen_project.py"
    script.write_text("\n".join(lines) + "\n")
    return script


def test_missing_dvc_stops_before_git_init_and_says_how_to_fix_it(tmp_path):
    answers = {"dvc_remote_url": str(tmp_path / "remote")}
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            accept_hooks=False,
            extra_context=answers,
            output_dir=str(tmp_path / "out"),
        )
    )
    # A virtualenv without packages: its python has git on PATH but cannot import dvc.
    venv.create(tmp_path / "bare", with_pip=False)
    bare_python = tmp_path / "bare" / "bin" / "python"
    hook = rendered_post_gen_hook(resolved_answers(answers), tmp_path)
    result = subprocess.run(
        [str(bare_python), str(hook)], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DVC is not installed in the Python running cookiecutter" in result.stderr
    assert "pip install dvc cookiecutter" in result.stderr
    assert not (project / ".git").exists()


def test_generation_ends_with_what_to_type_next(tmp_path, capfd):
    project = bake(tmp_path / "out", project_name="Churn Model", dvc_remote_url=str(tmp_path / "r"))
    output = capfd.readouterr()
    lines = output.out.strip().splitlines()
    # DVC's own hints name steps the hook has taken (init, git add, autostage): not shown.
    for hint in ("You can now commit", "To track the changes with git", "autostage"):
        assert hint not in output.out + output.err
    assert lines[-5:] == [
        "Generated churn-model/. Next:",
        "  cd churn-model",
        "  make setup repro    # its .venv, then the pipeline on the demo data",
        "  . .venv/bin/activate && python -m churn_model --help",
        "The project's README.md goes on from there (your own data, GitHub, releases).",
    ]
    assert (project / "Makefile").read_text().count("\nsetup:") == 1
