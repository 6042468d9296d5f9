"""The OneProxy workflow (Lu et al., SIGMETRICS 2022), measured on real device data.

1. `monotonicity`: how alike devices rank architectures by latency (device x device SRCC), which
   device is the best proxy for a set of targets, and which pairs fall below 0.9.
2. `pareto_set` and `reuse`: the architectures Pareto-optimal in accuracy and latency on one
   device, and what reusing a proxy's Pareto set on a target costs (hypervolume ratio, IGD+,
   accuracy regret under latency budgets, overlap).
3. `~oneproxy.adaptation.adapt`: adapt the proxy's predictor with a few target measurements.
4. `study` and `samples_curve`: all of it over every (proxy, target) pair of a dataset.

`reuse_pair` and `adapt_pair` do steps 2 and 3 for two devices of a dataset (``oneproxy reuse``
and ``adapt`` call them).

Examples
--------
>>> from oneproxy import datasets, monotonicity, reuse
>>> ds = datasets.load("nb201")
>>> mono = monotonicity(ds)
>>> mono.best_proxy(["pixel3", "raspi4", "eyeriss"])
'fpga'
>>> r = reuse(ds.accuracy, ds.latency_of("gold_6240"), ds.latency_of("pixel3"))
>>> round(r.hv_ratio, 3), len(r.proxy_set), len(r.target_set)
(0.993, 37, 47)
"""
from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments
from oneproxy.adaptation import adapt
from oneproxy.correlation import kendall_matrix, spearman, spearman_matrix
from oneproxy.datasets import Dataset
from oneproxy.datasets import as_dataset
from oneproxy.pareto import hypervolume, igd_plus, is_nondominated
from oneproxy.predictors import AdaptedLatency, LinearLatency, linear_latency

__all__ = ["Monotonicity", "monotonicity", "pareto_set", "Reuse", "reuse", "PairReuse", "reuse_pair",
           "PairAdaptation", "adapt_pair", "Study", "study", "samples_curve", "split", "proxy_predictors"]


# ---------------------------------------------------------------------------- monotonicity

@dataclass(frozen=True)
class Monotonicity:
    """Device x device rank correlation of latencies.

    Attributes
    ----------
    devices : tuple of str
    matrix : ndarray of float64, shape (d, d)
        SRCC (or Kendall's tau) of each pair over the architectures both measured.
    method : {"spearman", "kendall"}
    """

    devices: tuple[str, ...]
    matrix: NDArray[np.float64]
    method: str

    def _index(self, device: str, name: str = "device") -> int:
        if device not in self.devices:
            raise ValueError(f"{name} {device!r} is not one of {', '.join(self.devices)}")
        return self.devices.index(device)

    def __getitem__(self, pair: tuple[str, str]) -> float:
        """``mono["pixel3", "raspi4"]``: the correlation of two devices."""
        a, b = pair
        return float(self.matrix[self._index(a), self._index(b)])

    def best_proxy(self, targets: Sequence[str] | None = None,
                   criterion: Literal["worst", "mean"] = "worst") -> str:
        """The device whose worst (or mean) correlation to the other `targets` is highest.

        Every device may serve, a target included (its correlation to itself is left out);
        `targets` defaults to all devices.
        """
        if criterion not in ("worst", "mean"):
            raise ValueError(f"criterion must be 'worst' or 'mean', got {criterion!r}")
        cols = [self._index(t, "target") for t in (self.devices if targets is None else targets)]
        if not cols:
            raise ValueError("targets must not be empty")
        scores = []
        for i in range(len(self.devices)):
            r = np.array([self.matrix[i, j] for j in cols if j != i])
            r = r[~np.isnan(r)]
            scores.append(-np.inf if not len(r) else r.min() if criterion == "worst" else r.mean())
        return self.devices[int(np.argmax(scores))]

    def summary(self, threshold: float = 0.9) -> dict[str, Any]:
        """Figures over the unordered pairs that have a correlation (NaN ones left out):
        ``pairs`` (how many), ``median``, ``min``, ``lowest`` (that pair of devices, the first
        in the matrix's order on a tie; None without pairs) and ``at_least`` (the share of
        pairs >= `threshold`); NaN figures without pairs.

        >>> m = Monotonicity(("a", "b", "c"), np.array([[1, .9, .5], [.9, 1, .8], [.5, .8, 1]]), "spearman")
        >>> s = m.summary(); s["pairs"], s["median"], s["lowest"], round(s["at_least"], 3)
        (3, 0.8, ('a', 'c'), 0.333)
        """
        rows, cols = np.triu_indices(len(self.devices), k=1)
        upper = self.matrix[rows, cols]
        finite = np.flatnonzero(np.isfinite(upper))
        if not len(finite):
            return {"pairs": 0, "median": math.nan, "min": math.nan, "lowest": None, "at_least": math.nan}
        worst = int(finite[np.argmin(upper[finite])])
        values = upper[finite]
        return {"pairs": int(values.size), "median": float(np.median(values)), "min": float(values.min()),
                "lowest": (self.devices[rows[worst]], self.devices[cols[worst]]),
                "at_least": float(np.mean(values >= threshold))}

    @property
    def statistic(self) -> str:
        """The correlation's name: ``"SRCC"`` (Spearman) or ``"Kendall tau-b"``."""
        return "SRCC" if self.method == "spearman" else "Kendall tau-b"

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the matrix as CSV: a header ``device,<devices>``, then one row per device (its
        name, then its correlations to 6 decimals, ``nan`` where undefined); returns `path`.

        >>> import tempfile
        >>> m = Monotonicity(("a", "b"), np.array([[1.0, 0.25], [0.25, 1.0]]), "spearman")
        >>> print(m.to_csv(os.path.join(tempfile.mkdtemp(), "m.csv")).read_text(), end="")
        device,a,b
        a,1.000000,0.250000
        b,0.250000,1.000000
        """
        path = Path(path)
        lines = [",".join(["device", *self.devices])]
        lines += [",".join([d, *(f"{v:.6f}" for v in self.matrix[k])]) for k, d in enumerate(self.devices)]
        path.write_text("\n".join(lines) + "\n")
        return path

    def pairs_below(self, threshold: float = 0.9) -> list[tuple[str, str, float]]:
        """Unordered pairs whose correlation is below `threshold`, lowest first."""
        d = len(self.devices)
        pairs = [(self.devices[i], self.devices[j], float(self.matrix[i, j]))
                 for i in range(d) for j in range(i + 1, d) if self.matrix[i, j] < threshold]
        return sorted(pairs, key=lambda p: p[2])


def monotonicity(latency: Dataset | str | ArrayLike, devices: Sequence[str] | None = None,
                 method: Literal["spearman", "kendall"] = "spearman") -> Monotonicity:
    """Latency monotonicity between devices.

    Parameters
    ----------
    latency : Dataset, dataset name, or array of float, shape (d, n)
        Latency of n architectures on d devices (ms); NaN where not measured (left out
        pairwise).
    devices : sequence of str, optional
        For a Dataset, a subset of its devices; for an array, its row names (default
        ``"0"``, ``"1"``, ...).
    method : {"spearman", "kendall"}
    """
    if method not in ("spearman", "kendall"):
        raise ValueError(f"method must be 'spearman' or 'kendall', got {method!r}")
    if isinstance(latency, (Dataset, str)):
        ds = as_dataset(latency, "latency")
        names = tuple(ds.devices if devices is None else devices)
        L = np.stack([ds.latency_of(d) for d in names])
    else:
        L = np.asarray(latency, dtype=np.float64)
        if L.ndim != 2:
            raise ValueError(f"latency must have shape (n_devices, n_archs), got {L.shape}")
        names = tuple(str(k) for k in range(len(L))) if devices is None else tuple(devices)
        if len(names) != len(L):
            raise ValueError(f"devices must name the {len(L)} rows of latency, got {len(names)} names")
    if len(names) < 2:
        raise ValueError(f"monotonicity needs at least 2 devices, got {len(names)}")
    R = (spearman_matrix if method == "spearman" else kendall_matrix)(L, nan_policy="omit")
    return Monotonicity(names, np.asarray(R), method)


# ---------------------------------------------------------------------------- reuse

def pareto_set(accuracy: ArrayLike, latency: ArrayLike) -> NDArray[np.intp]:
    """Indices of the architectures Pareto-optimal in (higher accuracy, lower latency),
    ties kept, ordered by latency."""
    acc, lat = _pair(accuracy, latency, "latency")
    idx = np.flatnonzero(is_nondominated(np.column_stack([acc, lat]), ["max", "min"]))
    return idx[np.argsort(lat[idx], kind="stable")]


@dataclass(frozen=True)
class Reuse:
    """What reusing a proxy's Pareto set on a target costs (see `reuse`)."""

    proxy_set: NDArray[np.intp]
    target_set: NDArray[np.intp]
    hv_ratio: float
    igd_plus: float
    budgets: NDArray[np.float64]
    regret: NDArray[np.float64]
    jaccard: float

    @property
    def mean_regret(self) -> float:
        """Mean accuracy regret over the budgets the proxy's set can meet."""
        r = self.regret[~np.isnan(self.regret)]
        return float(r.mean()) if len(r) else math.nan

    @property
    def max_regret(self) -> float:
        """Largest accuracy regret over the budgets the proxy's set can meet (NaN if it meets none)."""
        r = self.regret[~np.isnan(self.regret)]
        return float(r.max()) if len(r) else math.nan

    @property
    def infeasible(self) -> float:
        """Share of budgets that no architecture of the proxy's set meets on the target."""
        return float(np.isnan(self.regret).mean()) if len(self.regret) else 0.0


def reuse(accuracy: ArrayLike, proxy_latency: ArrayLike, target_latency: ArrayLike,
          budgets: ArrayLike | None = None) -> Reuse:
    """Reuse the Pareto set found with the proxy's latency on the target, and measure the loss.

    Parameters
    ----------
    accuracy : array of float, shape (n,)
        Higher is better (any unit); finite, as the latencies (NaN or inf raises ValueError).
    proxy_latency, target_latency : array of float, shape (n,)
        Latency (ms) on the proxy (measured or predicted) and measured on the target.
    budgets : array of float, optional
        Target latency budgets (ms) for the regret; default: the latencies of the target's own
        Pareto set.

    Returns
    -------
    Reuse
        ``hv_ratio``: hypervolume of the proxy's set evaluated on the target over that of the
        target's own set (reference point: the lowest accuracy and the highest target latency
        of all n); ``igd_plus``: IGD+ of the proxy's set to the target's, both objectives scaled
        to [0, 1] by their ranges over all n; ``regret[k]``: best accuracy within ``budgets[k]``
        with the target's set minus with the proxy's (nan where none of the proxy's set fits);
        ``jaccard``: overlap of the two sets.
    """
    acc, p_lat = _pair(accuracy, proxy_latency, "proxy_latency")
    _, t_lat = _pair(accuracy, target_latency, "target_latency")
    P, T = pareto_set(acc, p_lat), pareto_set(acc, t_lat)
    ref = [acc.min(), t_lat.max()]
    hv_t = hypervolume(np.column_stack([acc[T], t_lat[T]]), ref, ["max", "min"])
    hv_p = hypervolume(np.column_stack([acc[P], t_lat[P]]), ref, ["max", "min"])
    span = np.array([np.ptp(acc) or 1.0, np.ptp(t_lat) or 1.0])
    scaled = lambda S: np.column_stack([acc[S], t_lat[S]]) / span  # noqa: E731
    b = np.unique(t_lat[T]) if budgets is None else np.asarray(budgets, dtype=np.float64).ravel()
    regret = np.array([_best_within(acc[T], t_lat[T], x) - _best_within(acc[P], t_lat[P], x) for x in b])
    inter = len(np.intersect1d(P, T))
    return Reuse(P, T, hv_p / hv_t if hv_t > 0 else math.nan,
                 igd_plus(scaled(P), scaled(T), ["max", "min"]), b, regret,
                 inter / (len(P) + len(T) - inter))


def _best_within(acc: NDArray, lat: NDArray, budget: float) -> float:
    ok = lat <= budget
    return float(acc[ok].max()) if ok.any() else math.nan


def _pair(accuracy: ArrayLike, latency: ArrayLike, name: str) -> tuple[NDArray, NDArray]:
    acc = np.asarray(accuracy, dtype=np.float64)
    lat = np.asarray(latency, dtype=np.float64)
    if acc.ndim != 1 or lat.shape != acc.shape:
        raise ValueError(f"accuracy and {name} must be 1-D of one length, got {acc.shape} and {lat.shape}")
    if len(acc) == 0:
        raise ValueError("accuracy must not be empty")
    for a, label in ((acc, "accuracy"), (lat, name)):
        if not np.isfinite(a).all():
            k = int(np.argmax(~np.isfinite(a)))
            raise ValueError(f"{label} holds {'NaN' if np.isnan(a[k]) else f'an infinite value ({a[k]})'} at {k}; "
                             f"leave those architectures out")
    return acc, lat


@dataclass(frozen=True)
class PairReuse:
    """`reuse` between two devices of a dataset (`reuse_pair`).

    Attributes
    ----------
    rows : ndarray of intp, shape (k,)
        The dataset's architectures measured on both devices, which the figures are over.
    srcc : float
        SRCC of the proxy's latency (or the predictor's) with the target's over `rows`.
    reuse : Reuse
        The reuse figures; its index sets are positions in `rows`.
    accuracy, target_latency : ndarray of float64, shape (k,)
        The dataset's accuracy and the target's latency (ms) over `rows`: what the index sets
        of `reuse` pick from (e.g. to plot the two sets, `oneproxy.plots.reuse_fronts`).
    """

    rows: NDArray[np.intp]
    srcc: float
    reuse: Reuse
    accuracy: NDArray[np.float64]
    target_latency: NDArray[np.float64]


def reuse_pair(dataset: Dataset | str, proxy: str, target: str, *, predictor: Any = None) -> PairReuse:
    """`reuse` of the Pareto set found with device `proxy`'s measured latency (or `predictor`'s,
    e.g. an adapted one, standing in for it) on device `target` of `dataset`, over the
    architectures that have both latencies; the dataset needs accuracies.

    >>> from oneproxy import datasets
    >>> r = reuse_pair(datasets.load("nb201"), "gold_6240", "pixel3")
    >>> len(r.rows), round(r.reuse.hv_ratio, 3)
    (15625, 0.993)
    """
    ds = as_dataset(dataset)
    if ds.accuracy is None:
        raise ValueError(f"dataset {ds.name!r} has no accuracies; reuse needs them")
    x, y = ds.latency_of(proxy), ds.latency_of(target)
    if predictor is not None:
        x = np.asarray(predictor.predict(ds.choices), dtype=np.float64)
    rows = _measured_on_both(x, y)
    acc = ds.accuracy[rows]
    return PairReuse(rows, float(spearman(x[rows], y[rows])), reuse(acc, x[rows], y[rows]), acc, y[rows])


def _measured_on_both(x: NDArray[np.float64], y: NDArray[np.float64],
                      among: NDArray[np.intp] | None = None) -> NDArray[np.intp]:
    """The rows (of `among`, default all) where latencies `x` and `y` (n,) are both known (not
    NaN): what a figure between two devices is over."""
    rows = np.arange(len(x)) if among is None else among
    return rows[~np.isnan(x[rows]) & ~np.isnan(y[rows])]


# ---------------------------------------------------------------------------- adapting one pair

@dataclass(frozen=True)
class PairAdaptation:
    """A proxy's predictor adapted to a target device of a dataset (`adapt_pair`).

    Attributes
    ----------
    model : AdaptedLatency
        The adapted predictor (``model.candidates``: each method's CV SRCC and lambda).
    drawn : ndarray of intp, shape (samples,)
        The target's rows it was adapted from.
    test : ndarray of intp
        The target's other rows, those the proxy has too: where `before` and `after` are measured.
    before, after : float
        SRCC with the target's latency on `test`: of the proxy's measured latency, and of the
        adapted predictor's.
    """

    model: AdaptedLatency
    drawn: NDArray[np.intp]
    test: NDArray[np.intp]
    before: float
    after: float


def adapt_pair(dataset: Dataset | str, proxy: str, target: str, samples: int = 70, seed: int = 0
               ) -> PairAdaptation:
    """Adapt device `proxy`'s `linear_latency` (fitted on all its rows) to device `target` of
    `dataset` from `samples` of the target's measured rows (`split` with `seed`), and measure the
    SRCC before and after on the target's other rows.

    >>> a = adapt_pair("nb201-oneproxy", "eagle_gtx", "true_vpu", samples=40)
    >>> len(a.drawn), a.after > a.before
    (40, True)
    """
    ds = as_dataset(dataset)
    x, y = ds.latency_of(proxy), ds.latency_of(target)
    measured = int(np.count_nonzero(~np.isnan(y)))
    samples = _arguments.integer(samples, "samples", 1, measured - 1)
    drawn, test = split(y, samples, _arguments.seed(seed))
    test = _measured_on_both(x, y, test)
    model = adapt(linear_latency(ds, proxy), ds.choices[drawn], y[drawn], seed=seed)
    return PairAdaptation(model, drawn, test, float(spearman(x[test], y[test])),
                          float(spearman(model.predict(ds.choices[test]), y[test])))


# ---------------------------------------------------------------------------- study

@dataclass(frozen=True)
class Study:
    """Every ordered (proxy, target) pair of a dataset, adapted from a few target samples.

    One row per (seed, proxy, target). SRCCs are on the target's test rows (never the
    samples): ``before`` between the proxy's and the target's measured latency (the paper's
    monotonicity), the others between a predictor and the target's measured latency.
    Reuse figures (NaN without accuracies) reuse the proxy's measured (``*_before``) or the
    adapted predictor's (``*_after``) Pareto set on the target, over all rows measured on both.
    """

    dataset: str
    devices: tuple[str, ...]
    samples: int
    seed: NDArray[np.int64]
    proxy: NDArray[np.int64]
    target: NDArray[np.int64]
    full_srcc: NDArray[np.float64]  # measured proxy vs target over all rows both measured
    before: NDArray[np.float64]
    adaproxy: NDArray[np.float64]  # single-proxy adaptation (with its guard)
    method: NDArray[np.str_]  # which candidate it kept
    target_only: NDArray[np.float64]  # ridge on the same samples, no proxy
    multi: NDArray[np.float64]  # every other device as a basis (per target and seed)
    hv_ratio_before: NDArray[np.float64]
    hv_ratio_after: NDArray[np.float64]
    regret_before: NDArray[np.float64]
    regret_after: NDArray[np.float64]
    seconds_per_adapt: float

    def below(self, threshold: float = 0.9) -> NDArray[np.bool_]:
        """Rows whose pair's measured SRCC is below `threshold` (the paper's adaptation cases)."""
        return self.full_srcc < threshold

    def summary(self, threshold: float = 0.9) -> dict[str, float]:
        """Headline figures over the rows (pair and seed) below `threshold`; multi-proxy once per
        (seed, target) that has such a row. ``pairs`` counts rows; NaN figures when none."""
        m = self.below(threshold)
        if not m.any():
            return {"pairs": 0, **{key: math.nan for key in (
                "before", "adaproxy", "adaproxy_at_least_0.9", "adaproxy_worst_change", "adaproxy_min",
                "target_only", "target_only_at_least_0.9", "multi", "multi_at_least_0.9")},
                "ms_per_adapt": 1e3 * self.seconds_per_adapt}
        rows = np.flatnonzero(m)  # one multi-proxy figure per (seed, target) with a pair below
        first = rows[np.unique(np.column_stack([self.seed[rows], self.target[rows]]), axis=0,
                               return_index=True)[1]]
        multi = self.multi[first]
        return {
            "pairs": int(m.sum()),
            "before": float(self.before[m].mean()),
            "adaproxy": float(self.adaproxy[m].mean()),
            "adaproxy_at_least_0.9": float((self.adaproxy[m] >= 0.9).mean()),
            "adaproxy_worst_change": float((self.adaproxy[m] - self.before[m]).min()),
            "adaproxy_min": float(self.adaproxy[m].min()),
            "target_only": float(self.target_only[m].mean()),
            "target_only_at_least_0.9": float((self.target_only[m] >= 0.9).mean()),
            "multi": float(multi.mean()),
            "multi_at_least_0.9": float((multi >= 0.9).mean()),
            "ms_per_adapt": 1e3 * self.seconds_per_adapt,
        }

    def to_frame(self) -> Any:
        """The rows as a pandas DataFrame (device names instead of indices); needs pandas."""
        import pandas as pd

        cols = {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}
        cols["proxy"] = np.array(self.devices)[self.proxy]
        cols["target"] = np.array(self.devices)[self.target]
        return pd.DataFrame(cols)


def study(dataset: Dataset | str, samples: int = 70, seed: int | None = None, *,
          seeds: Sequence[int] | None = None, threshold: float | None = None, reuse_metrics: bool = True,
          progress: Callable[[int, int], None] | None = None) -> Study:
    """Adapt every device's predictor to every other device from `samples` measurements.

    Protocol (the issue's, after the paper): each proxy's predictor is `linear_latency` fitted
    on all its rows; for each target and seed, `samples` rows measured on the target are drawn
    (`split`, the same for every proxy of that target) and the rest are the test rows.

    Parameters
    ----------
    dataset : Dataset or name
    samples : int
        Target measurements per adaptation (cv=5 needs at least 10).
    seed : int, optional
        Seed of the draws (default 0).
    seeds : sequence of int, optional
        Several seeds instead of `seed` (giving both is a ValueError).
    threshold : float, optional
        Only pairs whose measured SRCC over all rows is below it (default: every pair).
    reuse_metrics : bool
        Compute the reuse figures (where the dataset has accuracies); they are NaN otherwise.
    progress : callable(done, total), optional
        Called after each target and seed.
    """
    ds = as_dataset(dataset)
    samples = _arguments.integer(samples, "samples", 1)
    if seed is not None and seeds is not None:
        raise ValueError(f"give seed or seeds, not both (got seed={seed!r} and seeds={seeds!r})")
    seeds = [_arguments.seed(0 if seed is None else seed)] if seeds is None else \
        [_arguments.seed(s, f"seeds[{k}]") for k, s in enumerate(seeds)]
    if threshold is not None:
        threshold = _arguments.real(threshold, "threshold")
    reuse_metrics = _arguments.flag(reuse_metrics, "reuse_metrics")
    full = np.asarray(spearman_matrix(ds.latency, nan_policy="omit"))
    rows: dict[str, list[Any]] = {f.name: [] for f in fields(Study) if f.name not in
                                  ("dataset", "devices", "samples", "seconds_per_adapt")}
    seconds: list[float] = []  # of each single-proxy adaptation
    for k, s in enumerate(seeds):
        for t in range(ds.n_devices):
            for row in _study_target(ds, t, s, samples, full, threshold, reuse_metrics and ds.accuracy is not None,
                                     seconds):
                for key, value in row.items():
                    rows[key].append(value)
            if progress is not None:
                progress(k * ds.n_devices + t + 1, len(seeds) * ds.n_devices)
    arrays: dict[str, Any] = {key: np.array(v, dtype=np.str_ if key == "method" else
                              np.int64 if key in ("seed", "proxy", "target") else np.float64)
                              for key, v in rows.items()}
    return Study(ds.name, ds.devices, samples, seconds_per_adapt=sum(seconds) / max(len(seconds), 1), **arrays)


def _study_target(ds: Dataset, t: int, s: int, samples: int, full: NDArray[np.float64], threshold: float | None,
                  with_reuse: bool, seconds: list[float]) -> list[dict[str, Any]]:
    """`study`'s rows for target `t` and seed `s`: one draw, the multi-proxy and target-only fits
    on it, and every proxy (below `threshold`) adapted from it; each adaptation's time is
    appended to `seconds`."""
    proxies = proxy_predictors(ds)
    y = ds.latency[t]
    measured = int(np.count_nonzero(~np.isnan(y)))
    if measured < samples + 10:
        raise ValueError(f"target {ds.devices[t]!r} has {measured} measured rows, too few "
                         f"for {samples} samples and a test set")
    drawn, test = split(y, samples, [s, t])
    X_s, y_s = ds.choices[drawn], y[drawn]
    others = [proxies[p] for p in range(ds.n_devices) if p != t]
    multi = spearman(adapt(proxies=others, choices=X_s, target_latency_ms=y_s, seed=s)
                     .predict(ds.choices[test]), y[test])
    alone = adapt(proxies[0], X_s, y_s, seed=s, methods=["target-only"])
    target_only = spearman(alone.predict(ds.choices[test]), y[test])
    out = []
    for p in range(ds.n_devices):
        if p == t or (threshold is not None and not full[p, t] < threshold):
            continue
        x = ds.latency[p]
        tt = _measured_on_both(x, y, test)
        start = time.perf_counter()
        model = adapt(proxies[p], X_s, y_s, seed=s)
        seconds.append(time.perf_counter() - start)
        pred = model.predict(ds.choices)
        out.append({"seed": s, "proxy": p, "target": t, "full_srcc": full[p, t],
                    "before": spearman(x[tt], y[tt]), "adaproxy": spearman(pred[tt], y[tt]),
                    "method": model.method, "target_only": target_only, "multi": multi,
                    **_reuse_figures(ds, x, y, pred, with_reuse)})
    return out


def _reuse_figures(ds: Dataset, x: NDArray[np.float64], y: NDArray[np.float64], pred: NDArray[np.float64],
                   with_reuse: bool) -> dict[str, float]:
    """`Study`'s reuse columns for proxy latency `x` and its adapted prediction `pred` against
    target latency `y`, over the rows measured on both (NaN without `with_reuse`)."""
    if not with_reuse:
        return dict.fromkeys(("hv_ratio_before", "hv_ratio_after", "regret_before", "regret_after"), math.nan)
    assert ds.accuracy is not None
    both = _measured_on_both(x, y)
    rb = reuse(ds.accuracy[both], x[both], y[both])
    ra = reuse(ds.accuracy[both], pred[both], y[both])
    return {"hv_ratio_before": rb.hv_ratio, "hv_ratio_after": ra.hv_ratio,
            "regret_before": rb.mean_regret, "regret_after": ra.mean_regret}


def split(target_latency: ArrayLike, samples: int, seed: Any) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(drawn, test): `samples` of the architectures measured on a target (its non-NaN latencies,
    (n,) ms) drawn without replacement by ``numpy.random.default_rng(seed)``, and the other
    measured ones in index order. `study` draws with seed ``[seed, target]``.

    >>> drawn, test = split([1.0, float("nan"), 3.0, 4.0, 5.0], 2, seed=0)
    >>> sorted(np.concatenate([drawn, test]).tolist()), len(drawn)
    ([0, 2, 3, 4], 2)
    """
    y = np.asarray(target_latency, dtype=np.float64)
    measured = np.flatnonzero(~np.isnan(y))
    drawn = np.random.default_rng(seed).choice(measured, samples, replace=False)
    return drawn, np.setdiff1d(measured, drawn)


@functools.lru_cache(maxsize=8)
def proxy_predictors(ds: Dataset) -> tuple[LinearLatency, ...]:
    """`linear_latency` of every device of `ds`, in its order (cached per dataset: the bundled
    datasets are cached too)."""
    return tuple(linear_latency(ds, dev) for dev in ds.devices)


def samples_curve(dataset: Dataset | str, sizes: Sequence[int] = (10, 20, 30, 50, 70, 100, 200),
                  seeds: Sequence[int] = (0, 1, 2), threshold: float = 0.9,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, NDArray[np.float64]]:
    """Mean SRCC after adaptation against the number of target samples, over the pairs below
    `threshold`: ``{"sizes", "before", "adaproxy", "multi", "target_only"}``, each (len(sizes),)."""
    out: dict[str, list[float]] = {"sizes": [], "before": [], "adaproxy": [], "multi": [], "target_only": []}
    for k, n in enumerate(sizes):
        n = _arguments.integer(n, f"sizes[{k}]", 1)
        summary = study(dataset, samples=n, seeds=seeds, threshold=threshold,
                        reuse_metrics=False).summary(threshold)
        out["sizes"].append(n)
        for key in ("before", "adaproxy", "multi", "target_only"):
            out[key].append(summary[key])
        if progress is not None:
            progress(k + 1, len(sizes))
    return {key: np.array(v, dtype=np.float64) for key, v in out.items()}
