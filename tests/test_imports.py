"""The package's import graph: every module imports alone, dependencies run one way (no
cycle, lazy imports inside functions included), and no module takes another's private name."""
from __future__ import annotations

import ast
import subprocess
import sys
from importlib.resources import files

import pytest

PACKAGE = files("oneproxy")
MODULES = sorted(p.name[:-3] for p in PACKAGE.iterdir() if p.name.endswith(".py") and p.name != "__main__.py")
# private modules made to be shared: the extension, the argument checks, the 128-bit radix code
SHARED_PRIVATE = {"_core", "_arguments", "_radix", "_additive", "_mlp"}


def imports(module: str) -> dict[str, set[str]]:
    """{imported oneproxy module: names taken from it} for one module's source."""
    tree = ast.parse(PACKAGE.joinpath(f"{module}.py").read_text())
    found: dict[str, set[str]] = {}
    bound: dict[str, str] = {}  # local name -> the oneproxy module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("oneproxy"):
            parent = node.module.removeprefix("oneproxy").lstrip(".")
            for alias in node.names:
                if not parent and alias.name in MODULES + ["_core"]:  # from oneproxy import spaces
                    found.setdefault(alias.name, set())
                    bound[alias.asname or alias.name] = alias.name
                elif parent:
                    found.setdefault(parent.split(".")[0], set()).add(alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("oneproxy."):
                    found.setdefault(alias.name.split(".")[1], set())
    for node in ast.walk(tree):  # spaces._seed(...) after `from oneproxy import spaces`
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            found[bound[node.value.id]].add(node.attr)
    found.pop(module, None)
    return found


GRAPH = {m: imports(m) for m in MODULES}


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    done = subprocess.run([sys.executable, "-c", f"import oneproxy.{module}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_import_graph_has_no_cycle():
    """Imports inside functions count too: a lazy import hides a cycle, it does not break it."""
    graph = {m: sorted(d for d in deps if d != "__init__") for m, deps in GRAPH.items() if m != "__init__"}
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        for d in graph.get(m, []):
            assert d not in path + [m], "import cycle: " + " -> ".join(path[path.index(d):] + [m, d]
                                                                       if d in path else [m, d])
            if d not in done:
                visit(d, path + [m])
        done.add(m)

    for m in graph:
        visit(m, [])

def test_no_module_takes_another_modules_private_name():
    taken = [f"{m} takes {d}.{name}" for m, deps in GRAPH.items() for d, names in deps.items()
             for name in names if name.startswith("_") and not name.startswith("__") and d not in SHARED_PRIVATE]
    assert not taken, taken

