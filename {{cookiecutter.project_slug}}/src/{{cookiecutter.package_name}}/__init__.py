"""The model's pipeline stages, data contract and GitOps commands."""

# The package's log lines reach the console however it is entered (the CLI, a test, a notebook).
from . import console  # noqa: F401

__version__ = "0.1.0"
