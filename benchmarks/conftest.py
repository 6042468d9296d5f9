"""Benchmark plumbing: each case is timed for oneproxy and for its reference in the same run
(the tests of a case share a pytest-benchmark group), and the session ends with a table of
speed ratios, reference median / oneproxy median, beside the goal set for it."""
from __future__ import annotations

import platform

import pytest

# Goals from the issues (ratio of the reference's time to oneproxy's).
GOALS: dict[str, float] = {}


RATE_GOALS: dict[str, float] = {}


def goal(group: str, ratio: float | None = None, *, rate: float | None = None) -> str:
    """Register a case's goals: a speed ratio to its reference and/or items per second."""
    if ratio is not None:
        GOALS[group] = ratio
    if rate is not None:
        RATE_GOALS[group] = rate
    return group


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.benchmarks:
        return
    by_group: dict[str, dict[str, float]] = {}
    items: dict[str, int] = {}  # architectures (or other items) per call, where a case says
    for bench in session.benchmarks:
        impl = bench.extra_info.get("impl", (bench.params or {}).get("impl", bench.name))
        by_group.setdefault(bench.group or bench.name, {})[impl] = bench.stats.median
        if "items" in bench.extra_info:
            items[bench.group or bench.name] = bench.extra_info["items"]
    write = terminalreporter.write_line
    write("")
    write(f"speed ratios (reference median / oneproxy median), {platform.machine()}, "
          f"{platform.python_implementation()} {platform.python_version()}")
    write(f"{'case':<44} {'oneproxy':>11} {'reference':>11} {'ratio':>7} {'goal':>6}")
    for group, times in by_group.items():
        ours = times.get("oneproxy")
        refs = {k: v for k, v in times.items() if k != "oneproxy"}
        if ours is None:
            continue
        for name, ref in refs.items():
            ratio = ref / ours if ours else float("nan")
            target = GOALS.get(group)
            mark = "" if target is None else f"{target:>5g}x" + (" " if ratio >= target else " MISSED")
            write(f"{group + ' vs ' + name:<44} {ours * 1e3:>9.2f}ms {ref * 1e3:>9.2f}ms "
                  f"{ratio:>6.1f}x {mark}")
        if group in items and ours:
            rate, target = items[group] / ours, RATE_GOALS.get(group)
            mark = "" if target is None else f"  goal {target:.0e}/s" + ("" if rate >= target else " MISSED")
            write(f"{'':<4}{group}: {rate:.3g} per second{mark}")


@pytest.fixture(scope="session")
def rng():
    import numpy as np

    return np.random.default_rng(2022)
