"""One exception family: every message names the problem and the fix."""


class ProjectError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""

    exit_code = 2

    def __init__(self, problem, fix=""):
        super().__init__(f"{problem}\n  fix: {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix


class ContractViolation(ProjectError):
    """The data broke its contract (schema.yaml)."""

    exit_code = 1


class GateFailed(ProjectError):
    """The model misses its quality gate (params.yaml: gate)."""

    exit_code = 1
