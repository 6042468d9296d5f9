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
    for line in machine():
        write(line)
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


def machine() -> list[str]:
    """What a speed figure depends on: the CPU, the BLAS libraries and their threads, and
    oneproxy's own thread setting."""
    from threadpoolctl import threadpool_info

    import oneproxy
    import scipy.linalg  # noqa: F401  (its BLAS loaded too)

    cpu = vendor = "?"
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                cpu = value.strip()
            elif key.strip() == "vendor_id":
                vendor = value.strip()
    except OSError:
        cpu = platform.processor() or cpu
    blas = ", ".join(f"{i['internal_api']} {i.get('version') or ''} {i.get('architecture') or ''} "
                     f"({i['num_threads']} threads)".replace("  ", " ")
                     for i in threadpool_info() if i["user_api"] == "blas") or "none found"
    return [f"CPU: {cpu} ({vendor}); BLAS: {blas}; oneproxy threads: {oneproxy.get_threads()}"]


@pytest.fixture(scope="session")
def rng():
    import numpy as np

    return np.random.default_rng(2022)
