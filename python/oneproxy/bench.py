"""``oneproxy bench``: time the compiled routines against what users run today.

Each routine runs on the same generated data as its baselines — a plain NumPy version, and
scipy or moocore where installed — in the same process, the answers are checked to agree,
and the median times and ratios are reported. ``benchmarks/`` (pytest-benchmark) is the
developers' version of the same comparison.
"""
from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

import oneproxy
from oneproxy import _arguments


@dataclass
class Row:
    """One routine at one size: seconds (median) per implementation, and whether all agree."""

    routine: str
    n: int
    seconds: dict[str, float] = field(default_factory=dict)
    agree: bool = True

    def ratio(self, baseline: str) -> float:
        """Baseline time / oneproxy time (how many times faster oneproxy is)."""
        return self.seconds[baseline] / self.seconds["oneproxy"]

    def to_dict(self) -> dict:
        return asdict(self) | {"ratios": {k: self.ratio(k) for k in self.seconds if k != "oneproxy"}}


def _median_seconds(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls after one untimed warm-up call, and the result."""
    result = function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


# ---------------------------------------------------------------------------- NumPy baselines

def _numpy_ranks(x: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


def _numpy_spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(_numpy_ranks(x), _numpy_ranks(y))[0, 1])


def _numpy_front_2d(F: np.ndarray) -> np.ndarray:
    """Non-dominated mask for two minimised objectives: lexicographic sort, running minimum."""
    order = np.lexsort((F[:, 1], F[:, 0]))
    f1, f2 = F[order, 0], F[order, 1]
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(f2)[:-1]])
    same_as_previous = np.concatenate([[False], (f1[1:] == f1[:-1]) & (f2[1:] == f2[:-1])])
    free = f2 < best_before
    for i in np.flatnonzero(same_as_previous):  # duplicates share their first copy's fate
        free[i] = free[i - 1]
    mask = np.empty(len(F), dtype=bool)
    mask[order] = free
    return mask


def _numpy_hypervolume_2d(F: np.ndarray, ref: np.ndarray) -> float:
    F = F[np.all(F < ref, axis=1)]
    F = F[np.lexsort((F[:, 1], F[:, 0]))]
    heights = np.concatenate([[ref[1]], np.minimum.accumulate(F[:, 1])])
    return float(np.sum((ref[0] - F[:, 0]) * np.maximum(heights[:-1] - F[:, 1], 0)))


def _deb_sort(F: np.ndarray) -> np.ndarray:
    """Deb's fast non-dominated sort with a dominance matrix (O(n^2) memory)."""
    le = np.all(F[:, None, :] <= F[None, :, :], axis=2)
    lt = np.any(F[:, None, :] < F[None, :, :], axis=2)
    dominates = le & lt
    count = dominates.sum(axis=0)
    ranks = np.full(len(F), -1)
    front, level = np.flatnonzero(count == 0), 0
    while front.size:
        ranks[front] = level
        count = count - dominates[front].sum(axis=0)
        count[ranks >= 0] = -1
        front, level = np.flatnonzero(count == 0), level + 1
    return ranks


# ---------------------------------------------------------------------------- the table

def run(n: int = 1_000_000, *, quick: bool = False, seed: int = 0,
        progress: Callable[[str], None] | None = None) -> list[Row]:
    """Time every routine on n generated points (``quick``: fewer repeats, smaller matrices).

    Returns one :class:`Row` per routine with the median seconds of each implementation.
    """
    n = _arguments.integer(n, "n", 10)
    rng = np.random.default_rng(_arguments.seed(seed))
    repeats = 1 if quick else 3
    have_scipy = importlib.util.find_spec("scipy") is not None
    have_moocore = importlib.util.find_spec("moocore") is not None
    x = rng.random(n)
    y = x + rng.random(n)
    L = rng.random((20, n // 10 if quick else n // 4))
    anti = rng.random((n, 2))
    anti /= anti.sum(axis=1, keepdims=True)
    anti3 = rng.random((n, 3))
    anti3 /= anti3.sum(axis=1, keepdims=True)
    small = rng.random((min(n, 2000), 2))

    cases: list[tuple[str, int, dict[str, Callable[[], object]]]] = []
    cases.append(("spearman", n, {"oneproxy": lambda: oneproxy.spearman(x, y),
                                  "numpy": lambda: _numpy_spearman(x, y)}))
    cases.append(("kendall", n, {"oneproxy": lambda: oneproxy.kendall(x, y)}))
    cases.append((f"spearman_matrix {L.shape[0]}x{L.shape[1]}", L.shape[1],
                  {"oneproxy": lambda: oneproxy.spearman_matrix(L)}))
    cases.append(("is_nondominated 2-D", n, {"oneproxy": lambda: oneproxy.is_nondominated(anti),
                                             "numpy": lambda: _numpy_front_2d(anti)}))
    cases.append(("nondominated_sort 2-D", len(small), {"oneproxy": lambda: oneproxy.nondominated_sort(small),
                                                        "numpy": lambda: _deb_sort(small)}))
    cases.append(("hypervolume 2-D", n, {"oneproxy": lambda: oneproxy.hypervolume(anti, [1.1, 1.1]),
                                         "numpy": lambda: _numpy_hypervolume_2d(anti, np.array([1.1, 1.1]))}))
    cases.append(("hypervolume 3-D", n, {"oneproxy": lambda: oneproxy.hypervolume(anti3, [1.1, 1.1, 1.1])}))
    if have_scipy:
        from scipy import stats

        cases[0][2]["scipy"] = lambda: stats.spearmanr(x, y).statistic
        cases[1][2]["scipy"] = lambda: stats.kendalltau(x, y).statistic
        cases[2][2]["scipy"] = lambda: stats.spearmanr(L, axis=1).statistic
    if have_moocore:
        import moocore

        cases[3][2]["moocore"] = lambda: moocore.is_nondominated(anti, keep_weakly=True)
        cases[4][2]["moocore"] = lambda: moocore.pareto_rank(small)
        cases[5][2]["moocore"] = lambda: moocore.hypervolume(anti, ref=[1.1, 1.1])
        cases[6][2]["moocore"] = lambda: moocore.hypervolume(anti3, ref=[1.1, 1.1, 1.1])

    rows = []
    for routine, size, implementations in cases:
        if progress:
            progress(routine)
        row = Row(routine, size)
        results = {}
        for name, function in implementations.items():
            row.seconds[name], results[name] = _median_seconds(function, repeats)
        ours = np.asarray(results["oneproxy"], dtype=float)
        row.agree = all(np.allclose(np.asarray(r, dtype=float), ours, rtol=1e-9, atol=1e-12)
                        for r in results.values())
        rows.append(row)
    return rows


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table: routine, n, oneproxy, each baseline, ratio."""
    lines = [f"{'routine':<30} {'n':>9} {'oneproxy':>10}  baselines (time, oneproxy speed-up)   agree"]
    for row in rows:
        baselines = "  ".join(f"{k} {v * 1e3:.1f} ms ({row.ratio(k):.1f}x)"
                              for k, v in row.seconds.items() if k != "oneproxy")
        lines.append(f"{row.routine:<30} {row.n:>9} {row.seconds['oneproxy'] * 1e3:>7.1f} ms  "
                     f"{baselines or '-':<37} {'yes' if row.agree else 'NO'}")
    return "\n".join(lines)
