"""The package namespace: submodules load on first use, without slowing ``import oneproxy``."""
from __future__ import annotations

import subprocess
import sys

import pytest


def test_submodules_load_on_first_access():
    code = ("import sys, oneproxy; assert 'oneproxy.scan' not in sys.modules; "
            "print(oneproxy.scan.scan.__name__, oneproxy.search.evolve.__name__, oneproxy.datasets.load.__name__, "
            "oneproxy.export.export.__name__, 'scan' in dir(oneproxy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["scan", "evolve", "load", "export", "True"]


def test_unknown_attribute_is_an_attribute_error():
    import oneproxy

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        oneproxy.nope  # noqa: B018


def test_every_public_module_loads_as_an_attribute():
    from importlib.resources import files

    import oneproxy

    public = {p.name[:-3] for p in files("oneproxy").iterdir()
              if p.name.endswith(".py") and not p.name.startswith("_")}
    assert public == set(oneproxy._SUBMODULES)
    assert all(getattr(oneproxy, name).__name__ == f"oneproxy.{name}" for name in public)


def test_every_exported_name_exists():
    """The package's and every public module's ``__all__`` name things that are there; the
    workflow's steps for two devices of a dataset are exported beside the rest of it."""
    import oneproxy

    for name in oneproxy.__all__:
        assert getattr(oneproxy, name) is not None, name
    for module in sorted(oneproxy._SUBMODULES):
        mod = getattr(oneproxy, module)
        missing = [name for name in getattr(mod, "__all__", []) if not hasattr(mod, name)]
        assert not missing, (module, missing)
    assert {"reuse_pair", "adapt_pair", "PairReuse", "PairAdaptation"} <= set(oneproxy.__all__)
    assert oneproxy.reuse_pair is oneproxy.workflow.reuse_pair
