"""What a command prints: status through logging (-v/-q), results always, bars on a terminal."""

import io
import logging
import shutil
import subprocess

import pytest
from conftest import PROJECT_ROOT

from {{ cookiecutter.package_name }} import console, progress
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.edge import dvc


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def default_level():
    yield
    console.set_verbosity()


def test_status_goes_to_stdout_and_warnings_to_stderr(capsys):
    logger = logging.getLogger(f"{console.__package__}.pipeline.example")
    logger.info("trained on 10 rows")
    logger.warning("the remote could not be read")
    logger.debug("`dvc pull`: exit 0 in 0.1 s")
    out, err = capsys.readouterr()
    assert out == "trained on 10 rows\n"
    assert err == "warning: the remote could not be read\n"


@pytest.mark.parametrize(
    ("verbose", "quiet", "level"),
    [
        (0, 0, logging.INFO),
        (1, 0, logging.DEBUG),
        (3, 0, logging.DEBUG),
        (0, 1, logging.WARNING),
        (0, 2, logging.ERROR),
        (0, 5, logging.ERROR),
        (1, 1, logging.INFO),
    ],
)
def test_each_flag_moves_one_level(verbose, quiet, level):
    assert console.set_verbosity(verbose, quiet) == level
    assert console.PACKAGE_LOGGER.level == level


@pytest.mark.parametrize(
    "argv",
    [["-q", "demo-data", "out.csv", "--rows", "5"], ["demo-data", "out.csv", "--rows", "5", "-q"]],
    ids=["before the command", "after it"],
)
def test_quiet_hides_status_before_or_after_the_command(workspace, capsys, argv):
    assert main(argv) == 0
    assert (workspace / "out.csv").is_file()
    assert capsys.readouterr().out == ""


def test_quiet_never_hides_a_result_a_script_reads(workspace, capsys):
    subprocess.run(["git", "init", "--quiet"], cwd=workspace, check=True)
    shutil.copy(PROJECT_ROOT / "dvc.yaml", workspace)  # the model's name
    assert main(["registry", "show", "--json", "-q"]) == 0
    assert '"stages"' in capsys.readouterr().out


def test_verbose_names_each_dvc_command_and_its_time(workspace, capsys, monkeypatch):
    monkeypatch.setattr(subprocess, "run", _finished(0, "Everything is up to date."))
    console.set_verbosity(verbose=1)
    assert dvc.run_dvc("status") == (0, "Everything is up to date.")
    assert "debug: `dvc status`: exit 0 in " in capsys.readouterr().out
    console.set_verbosity()
    dvc.run_dvc("status")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("command", "terminal", "shown"),
    [("pull", True, True), ("push", True, True), ("pull", False, False), ("repro", True, False)],
)
def test_a_transfer_on_a_terminal_leaves_dvc_its_progress_bars(
    monkeypatch, command, terminal, shown
):
    calls = []
    monkeypatch.setattr(subprocess, "run", _finished(1, "", calls))
    monkeypatch.setattr("sys.stderr", Terminal() if terminal else io.StringIO())
    code, output = dvc.run_dvc(command)
    # DVC draws its bars on its stderr when that is a terminal: left uncaptured, it is ours.
    assert (calls[0]["stderr"] is None) is shown
    assert code == 1
    assert ("DVC's own message is above" in dvc.first_error_line(output)) is shown


def test_a_fetch_draws_a_byte_bar_on_a_terminal_only(monkeypatch):
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        with progress.transfer_progress("fetching models/model.joblib", stream) as callback:
            callback.set_size(4 << 20)
            callback.relative_update(2 << 20)
    assert piped.getvalue() == ""
    assert "fetching models/model.joblib: " in terminal.getvalue()
    assert "/4.00M" in terminal.getvalue()  # the size, in bytes


def _finished(code, stdout, calls=None):
    def run(command, **kwargs):
        if calls is not None:
            calls.append(kwargs)
        stderr = None if kwargs.get("stderr") is None else ""
        return subprocess.CompletedProcess(command, code, stdout, stderr)

    return run
