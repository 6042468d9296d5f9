"""Rank correlation between devices: "latency monotonicity".

Two devices are monotonic for a set of architectures when they rank the architectures' latencies
alike. Lu et al. (SIGMETRICS 2022) measure it with Spearman's rank correlation (SRCC); Kendall's
tau-b is the stricter pairwise alternative. Both are computed by the compiled core
(``oneproxy._core``) by radix-sorting the IEEE-754 bit patterns, and agree with
``scipy.stats.spearmanr`` / ``scipy.stats.kendalltau`` to rounding.

Every function here checks its arguments once and names the one at fault. NaN is handled by
``nan_policy``: ``"raise"`` (default) raises ValueError, ``"omit"`` drops the pairs holding a
NaN (pairwise for matrices), ``"propagate"`` returns nan.
"""
from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from oneproxy import _arguments, _core
from oneproxy.threads import resolve

NanPolicy = Literal["raise", "omit", "propagate"]
_NAN_POLICIES = ("raise", "omit", "propagate")


class ConstantInputWarning(RuntimeWarning):
    """An input is constant (or has fewer than two observations): its correlation is nan."""


# ---------------------------------------------------------------------------- validation


def _numeric(a: ArrayLike, name: str, ndim: int) -> NDArray:
    """`a` as a C-contiguous float64, int64 or uint64 array of `ndim` dimensions, not empty."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers (float, integer or bool), got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        return np.ascontiguousarray(arr, dtype=np.float64)
    if arr.dtype == np.uint64:
        return np.ascontiguousarray(arr)
    return np.ascontiguousarray(arr, dtype=np.int64)


def _nan_positions(arr: NDArray) -> NDArray:
    """Boolean mask of NaN entries (all False for integer arrays)."""
    return np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(arr.shape, dtype=bool)


def _check_policy(nan_policy: str) -> None:
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {_NAN_POLICIES}, got {nan_policy!r}")


def _check_threads(threads: int | None) -> int:
    return resolve(threads)  # None: oneproxy's thread setting (oneproxy.set_threads)


def _vectors(x: ArrayLike, y: ArrayLike, nan_policy: str) -> tuple[NDArray, NDArray, bool]:
    """Checked x, y and whether the result is nan by NaN propagation."""
    _check_policy(nan_policy)
    xa, ya = _numeric(x, "x", 1), _numeric(y, "y", 1)
    if xa.size != ya.size:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    has_nan = False
    for name, arr in (("x", xa), ("y", ya)):
        nan = _nan_positions(arr)
        if nan.any():
            has_nan = True
            if nan_policy == "raise":
                raise ValueError(
                    f"{name} contains NaN (first at index {int(np.argmax(nan))}); "
                    "pass nan_policy='omit' to drop pairs with a NaN"
                )
    return xa, ya, has_nan and nan_policy == "propagate"


def _pair_correlation(core_function, x: ArrayLike, y: ArrayLike, nan_policy: str,
                      threads: int | None) -> float:
    """Checks, applies nan_policy, calls the core, and says why a nan result is nan."""
    xa, ya, propagate = _vectors(x, y, nan_policy)
    threads_ = _check_threads(threads)
    if propagate:
        return float("nan")
    r = core_function(xa, ya, omit=nan_policy == "omit", threads=threads_)
    if np.isnan(r):
        _warn_degenerate(xa, ya)
    return r


def _warn_degenerate(xa: NDArray, ya: NDArray) -> None:
    """Says why a pair correlation came out nan: too few complete pairs, or constant input."""
    keep = ~(_nan_positions(xa) | _nan_positions(ya))
    if keep.sum() < 2:
        msg = f"at least 2 complete pairs are needed, got {int(keep.sum())}; the correlation is nan"
    else:
        constant = [n for n, a in (("x", xa), ("y", ya)) if np.all(a[keep] == a[keep][0])]
        msg = f"{' and '.join(constant)} is constant; the correlation is not defined (nan)"
    warnings.warn(msg, ConstantInputWarning, stacklevel=4)


# ---------------------------------------------------------------------------- API


def rank(x: ArrayLike, *, nan_policy: NanPolicy = "raise") -> NDArray[np.float64]:
    """Average ranks of `x`, 1-based, ties sharing the mean of their positions.

    Parameters
    ----------
    x : array_like, shape (n,)
        Real values (float, integer or bool).
    nan_policy : {"raise", "omit", "propagate"}
        NaN entries raise, keep NaN as their rank (others ranked among themselves), or make
        every rank NaN.

    Returns
    -------
    ndarray of float64, shape (n,)
        As ``scipy.stats.rankdata(x)``.

    Examples
    --------
    >>> rank([10.0, 30.0, 20.0, 20.0]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    _check_policy(nan_policy)
    xa = _numeric(x, "x", 1)
    nan = _nan_positions(xa)
    if not nan.any():
        return _core.rank(xa)
    if nan_policy == "raise":
        raise ValueError(
            f"x contains NaN (first at index {int(np.argmax(nan))}); "
            "pass nan_policy='omit' to rank the other values"
        )
    out = np.full(xa.size, np.nan)
    if nan_policy == "omit":
        out[~nan] = _core.rank(np.ascontiguousarray(xa[~nan]))
    return out


def spearman(
    x: ArrayLike, y: ArrayLike, *, nan_policy: NanPolicy = "raise", threads: int | None = None
) -> float:
    """Spearman's rank correlation (SRCC) of `x` and `y`.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired observations, e.g. the latencies (ms) of n architectures on two devices.
    nan_policy : {"raise", "omit", "propagate"}
        What a NaN in either input does: raise ValueError, drop that pair, or return nan.
    threads : int, optional
        Worker threads (default: `oneproxy.get_threads()`). Long inputs rank x and y in parallel.

    Returns
    -------
    float
        In [-1, 1]; nan with a :class:`ConstantInputWarning` when an input is constant or
        there are fewer than two pairs. Equal to ``scipy.stats.spearmanr(x, y).statistic``.

    Examples
    --------
    >>> spearman([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 40.0, 30.0])
    0.8
    """
    return _pair_correlation(_core.spearman, x, y, nan_policy, threads)


def kendall(
    x: ArrayLike, y: ArrayLike, *, nan_policy: NanPolicy = "raise", threads: int | None = None
) -> float:
    """Kendall's tau-b of `x` and `y` (tie-corrected), in O(n log n).

    Parameters and NaN handling as :func:`spearman`.

    Returns
    -------
    float
        In [-1, 1]; nan with a :class:`ConstantInputWarning` for constant input or fewer than
        two pairs. Equal to ``scipy.stats.kendalltau(x, y).statistic``.

    Examples
    --------
    >>> round(kendall([1, 2, 3, 4], [1, 3, 2, 4]), 6)
    0.666667
    """
    return _pair_correlation(_core.kendall, x, y, nan_policy, threads)


def _correlation_matrix(core_function, L: ArrayLike, nan_policy: str, threads: int | None) -> NDArray:
    """Checks, calls the core (which also reports the rows holding NaN), applies nan_policy."""
    _check_policy(nan_policy)
    La = _numeric(L, "L", 2)
    R, nan_rows = core_function(La, pairwise=nan_policy == "omit", threads=_check_threads(threads))
    if nan_policy == "raise" and nan_rows.any():
        rows = np.flatnonzero(nan_rows)
        raise ValueError(
            f"L contains NaN in rows {rows[:10].tolist()}{' ...' if rows.size > 10 else ''}; "
            "pass nan_policy='omit' to use pairwise complete observations"
        )
    degenerate = np.isnan(np.diag(R)) & ~(nan_rows if nan_policy == "propagate" else False)
    if degenerate.any():
        warnings.warn(
            f"rows {np.flatnonzero(degenerate).tolist()} of L are constant or have fewer than "
            "2 observations; their correlations are nan",
            ConstantInputWarning,
            stacklevel=3,
        )
    return R


def spearman_matrix(
    L: ArrayLike, *, nan_policy: NanPolicy = "raise", threads: int | None = None
) -> NDArray[np.float64]:
    """SRCC between every pair of rows of `L`.

    Parameters
    ----------
    L : array_like, shape (d, n)
        Rows are variables, columns observations: e.g. d devices' latencies (ms) of n
        architectures.
    nan_policy : {"raise", "omit", "propagate"}
        NaN raises; is dropped per pair of rows (pairwise complete observations); or makes the
        row's correlations nan.
    threads : int, optional
        Worker threads (default: `oneproxy.get_threads()`); rows are ranked in parallel.

    Returns
    -------
    ndarray of float64, shape (d, d)
        Symmetric, 1 on the diagonal; a constant row gives nan with a
        :class:`ConstantInputWarning`. Equal to ``scipy.stats.spearmanr(L, axis=1)`` for d > 2.

    Examples
    --------
    >>> spearman_matrix([[1, 2, 3], [3, 2, 1], [1, 3, 2]]).round(3).tolist()
    [[1.0, -1.0, 0.5], [-1.0, 1.0, -0.5], [0.5, -0.5, 1.0]]
    """
    return _correlation_matrix(_core.spearman_matrix, L, nan_policy, threads)


def kendall_matrix(
    L: ArrayLike, *, nan_policy: NanPolicy = "raise", threads: int | None = None
) -> NDArray[np.float64]:
    """Kendall's tau-b between every pair of rows of `L` (d, n) → (d, d).

    Parameters, NaN handling and warnings as :func:`spearman_matrix`.

    Examples
    --------
    >>> kendall_matrix([[1, 2, 3], [3, 2, 1]]).round(3).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    return _correlation_matrix(_core.kendall_matrix, L, nan_policy, threads)


def spearman_ci(
    x: ArrayLike, y: ArrayLike, confidence: float = 0.95, *, nan_policy: NanPolicy = "raise"
) -> tuple[float, float]:
    """Confidence interval of the SRCC by Fisher's z with the Bonett–Wright variance.

    ``z = atanh(r)`` is taken as normal with variance ``(1 + r**2 / 2) / (n - 3)``
    (Bonett & Wright, Psychometrika 2000), and the interval mapped back with ``tanh``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired observations; at least 4 complete pairs.
    confidence : float
        Coverage in (0, 1), e.g. 0.95.
    nan_policy : {"raise", "omit", "propagate"}
        As :func:`spearman`; "propagate" gives (nan, nan) when a NaN is present.

    Returns
    -------
    (low, high) : tuple of float
        Bounds in [-1, 1]; nan when the SRCC is nan (constant input).

    Examples
    --------
    >>> low, high = spearman_ci(range(20), [0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 18, 19])
    >>> round(low, 3), round(high, 3)
    (0.971, 0.997)
    """
    confidence = _arguments.real(confidence, "confidence", 0.0, 1.0, open_low=True, open_high=True)
    xa, ya, propagate = _vectors(x, y, nan_policy)
    if propagate:
        return float("nan"), float("nan")
    n = int((~(_nan_positions(xa) | _nan_positions(ya))).sum())
    if n < 4:
        raise ValueError(f"spearman_ci needs at least 4 complete pairs, got {n}")
    r = spearman(xa, ya, nan_policy=nan_policy)
    if np.isnan(r):
        return float("nan"), float("nan")
    half = float(ndtri(0.5 + confidence / 2)) * np.sqrt((1 + r * r / 2) / (n - 3))
    with np.errstate(divide="ignore"):  # |r| = 1: z is infinite and the interval is [r, r]
        z = np.arctanh(r)
    return float(np.tanh(z - half)), float(np.tanh(z + half))
