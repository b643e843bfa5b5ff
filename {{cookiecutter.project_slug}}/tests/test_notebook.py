"""notebooks/explore.ipynb runs, from the project root and from notebooks/, on the demo data."""

import shutil

import nbformat
import pytest
from conftest import PROJECT_ROOT, new_workspace, read_yaml
from nbconvert.preprocessors import ExecutePreprocessor

from {{ cookiecutter.package_name }} import demo_data

NOTEBOOK = PROJECT_ROOT / "notebooks" / "explore.ipynb"


def test_the_notebook_is_saved_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("run_from", [".", "notebooks"])
def test_the_notebook_runs_on_the_demo_data(tmp_path, task, run_from):
    project = new_workspace(tmp_path / "project")
    raw = read_yaml(project / "params.yaml")["data"]["raw"]
    demo_data.write_csv(project / raw, task, n_rows=300)
    (project / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, project / "notebooks" / NOTEBOOK.name)
    notebook = nbformat.read(project / "notebooks" / NOTEBOOK.name, as_version=4)

    executor = ExecutePreprocessor(timeout=120, kernel_name="python3")
    executor.preprocess(notebook, {"metadata": {"path": str(project / run_from)}})

    printed = "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert f"{raw}: 300 rows x 9 columns" in printed
    shown = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert sum(output.get("output_type") == "execute_result" for output in shown) == 3
