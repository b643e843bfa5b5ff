"""A refused input leaves the tracked state as it was (DVC rewrites a changed `dvc add`
pointer before the stages run; a failed run puts it back)."""

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline.remote import repro

POINTER = "outs:\n- md5: 1111\n  path: demo.csv\n"


def test_a_failed_repro_restores_the_data_pointer(workspace):
    pointer = workspace / "data" / "raw" / "demo.csv.dvc"
    pointer.parent.mkdir(parents=True)
    pointer.write_text(POINTER)

    def failing_dvc(*args, env=None):
        pointer.write_text("outs:\n- md5: 2222\n  path: demo.csv\n")  # as DVC does
        return 1, "ERROR: failed to reproduce 'validate'"

    with pytest.raises(ProjectError, match="left as recorded before"):
        repro(workspace / "notes.md", dvc=failing_dvc)
    assert pointer.read_text() == POINTER
    assert "failed to reproduce" in (workspace / "notes.md").read_text()


def test_a_successful_repro_keeps_what_dvc_recorded(workspace):
    pointer = workspace / "demo.csv.dvc"
    pointer.write_text(POINTER)

    def dvc(*args, env=None):
        pointer.write_text("outs:\n- md5: 3333\n  path: demo.csv\n")
        return 0, "done"

    repro(workspace / "notes.md", dvc=dvc)
    assert "3333" in pointer.read_text()
