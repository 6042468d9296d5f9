"""The public API's type hints hold up under mypy."""
import subprocess
import sys

import pytest


def test_package_type_checks():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "-p", "oneproxy"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
