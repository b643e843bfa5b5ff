"""Every exception the project raises on purpose, and the exit status each one means.

A command exits with one of four codes, whatever it does:

- 0 `OK`: done, or the check passed;
- 1 `CHECK_FAILED`: the check ran and failed (a gate, a data contract, drift found);
- 2 `USAGE`: the settings, arguments or project state are wrong; the message says how to fix them;
- 3 `COULD_NOT_CHECK`: the input to check is missing, unreadable or unreachable.
"""

from pathlib import Path
from typing import Any

OK = 0
CHECK_FAILED = 1
USAGE = 2
COULD_NOT_CHECK = 3

EXIT_STATUS_HELP = (
    "exit status: 0 done or passed; 1 a check failed (gate, data contract, drift found); "
    "2 a usage or settings error (the message names the fix); 3 could not check (input "
    "missing, unreadable or unreachable)"
)


class ProjectError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""

    exit_code = USAGE
    # How the CLI introduces it: a check that ran and failed is a finding, not an error.
    heading = "error"

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem}\n  fix: {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix


class ContractViolation(ProjectError):
    """The data broke its contract (schema.yaml)."""

    exit_code = CHECK_FAILED
    heading = "contract violated"


class UnreadableCsv(ContractViolation):
    """The file cannot be read as a comma-separated UTF-8 table at all; `violation` is the
    contract finding the validation report records for it (contract/reading.py's Violation,
    which this module, the lowest layer, does not import)."""

    file_format = "CSV"

    def __init__(self, path: str | Path, violation: Any, fix: str) -> None:
        super().__init__(f"{path} cannot be read as {self.file_format}: {violation.message}", fix)
        self.violation = violation


class UnreadableParquet(UnreadableCsv):
    """The file cannot be read as a Parquet table with rows at all."""

    file_format = "Parquet"


class GateFailed(ProjectError):
    """The model misses its quality gate (params.yaml: gate)."""

    exit_code = CHECK_FAILED
    heading = "gate failed"


class DriftDetected(ProjectError):
    """The current data drifted from the reference: a finding, not a failure to run."""

    exit_code = CHECK_FAILED
    heading = "drift found"


class RegistryOutOfStep(ProjectError):
    """Local registry tags that origin lacks: the registry is not what others see."""

    exit_code = CHECK_FAILED
    heading = "registry out of step"


class CouldNotCheck(ProjectError):
    """The data to check is missing, empty, unreadable or off the contract."""

    exit_code = COULD_NOT_CHECK


class NoVersionInStage(ProjectError):
    """No version of the model holds the stage yet."""

    exit_code = COULD_NOT_CHECK


class BootstrapError(ProjectError):
    """A step of turning a generated folder into a repository failed (generation hook)."""


class OutputMismatch(ProjectError):
    """A pipeline output differs from what dvc.lock records at its commit (stale or damaged)."""

    exit_code = USAGE
