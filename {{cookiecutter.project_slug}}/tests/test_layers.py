"""The package's shape: lower layers never import upper ones, no cycles, small modules."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "{{ cookiecutter.package_name }}"
# Each name may import only names to its left (and itself).
LAYERS = [
    {
        "__init__",
        "console",
        "binning",
        "errors",
        "paths",
        "tasks",
        "demo_data",
        "axes",
        "progress",
        "svgchart",
    },
    {"params", "bootstrap"},
    {"edge"},
    {"contract"},
    {"engines"},
    {"pipeline"},
    {"release"},
    {"review", "drift", "scoring", "template"},
    {"serving"},
    {"ops"},
    {"cli", "__main__"},
]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def capability(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def layer_of(name):
    return next(i for i, names in enumerate(LAYERS) if name in names)


def imported_capabilities(path):
    depth = len(path.relative_to(PACKAGE).parts) - 1
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            up = node.level - 1
            if up > depth:
                continue
            base = list(path.relative_to(PACKAGE).parts[: depth - up])
            target = [*base, *(node.module.split(".") if node.module else [])]
            if target:
                found.add(target[0])
            else:
                found |= {alias.name for alias in node.names}
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = layer_of(capability(path))
    higher = {name for name in imported_capabilities(path) if layer_of(name) > own}
    assert not higher, f"{path.relative_to(PACKAGE)} imports {higher}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} has {length} lines"
