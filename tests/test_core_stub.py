"""The extension's stub `_core.pyi` says what the compiled module really has."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.resources import files

import pytest

from oneproxy import _core


def stub_functions() -> dict[str, list[tuple[str, str | None]]]:
    """name -> [(argument, default as source text or None)] from _core.pyi."""
    tree = ast.parse((files("oneproxy") / "_core.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args.args
            defaults = [None] * (len(args) - len(node.args.defaults)) + [ast.unparse(d) for d in node.args.defaults]
            out[node.name] = [(a.arg, d) for a, d in zip(args, defaults)]
    return out


def module_functions() -> dict[str, list[tuple[str, str | None]]]:
    """name -> [(argument, default)] from the signature line pybind11 writes into each __doc__."""
    out = {}
    for name in dir(_core):
        obj = getattr(_core, name)
        if name.startswith("_") or not callable(obj):
            continue
        signature = obj.__doc__.splitlines()[0]
        inside = signature[signature.index("(") + 1 : signature.rindex(") ->")]
        args = []
        for part in re.split(r",\s*(?![^\[]*\])", inside) if inside else []:
            arg, _, default = part.partition("=")
            args.append((arg.split(":")[0].strip(), default.strip() or None))
        out[name] = args
    return out


def test_stub_names_arguments_and_defaults_match_the_module():
    assert stub_functions() == module_functions()


def test_stubtest_finds_nothing():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "oneproxy._core"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
