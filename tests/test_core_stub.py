"""The extension's stub `_core.pyi` says what the compiled module really has."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.resources import files

import pytest

from oneproxy import _core


Signatures = dict[str, list[tuple[str, str | None]]]


def stub_arguments(node: ast.FunctionDef) -> list[tuple[str, str | None]]:
    args = node.args.args
    defaults = [None] * (len(args) - len(node.args.defaults)) + [ast.unparse(d) for d in node.args.defaults]
    return [(a.arg, d) for a, d in zip(args, defaults)]


def stub_functions() -> Signatures:
    """name -> [(argument, default as source text or None)] from _core.pyi; a class's methods
    as "Class.method" (self included), its properties left out."""
    tree = ast.parse((files("oneproxy") / "_core.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = stub_arguments(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.decorator_list and \
                        item.name not in ("__getstate__", "__setstate__"):
                    out[f"{node.name}.{item.name}"] = stub_arguments(item)
    return out


def signature_arguments(doc: str) -> list[tuple[str, str | None]]:
    """[(argument, default)] from the signature line pybind11 writes first into a __doc__."""
    signature = doc.splitlines()[0]
    inside = signature[signature.index("(") + 1 : signature.rindex(") ->")]
    args = []
    for part in re.split(r",\s*(?![^\[]*\])", inside) if inside else []:
        arg, _, default = part.partition("=")
        args.append((arg.split(":")[0].strip(), default.strip() or None))
    return args


def module_functions() -> Signatures:
    """The same from the compiled module: functions, and the methods of its classes."""
    out = {}
    for name in dir(_core):
        obj = getattr(_core, name)
        if name.startswith("_") or not callable(obj):
            continue
        if not isinstance(obj, type):
            out[name] = signature_arguments(obj.__doc__)
            continue
        for method in ("__init__", *(k for k in vars(obj) if not k.startswith("_")), "__len__"):
            member = vars(obj).get(method)
            if member is not None and not isinstance(member, property):
                out[f"{name}.{method}"] = signature_arguments(member.__doc__)
    return out


def test_stub_names_arguments_and_defaults_match_the_module():
    assert stub_functions() == module_functions()


def test_stubtest_finds_nothing():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "oneproxy._core"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
