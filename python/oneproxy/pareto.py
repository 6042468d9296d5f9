"""Pareto fronts: which architectures are optimal in (accuracy, latency, ...) at once.

A point dominates another when it is at least as good in every objective and better in one;
the non-dominated points form the Pareto front, and non-dominated sorting peels the points
into successive fronts (NSGA-II's ranks). Objectives are minimised unless ``sense`` says
``"max"`` for them. Identical points do not dominate each other: they share a front.

The compiled core works on the lexicographic order of the points (a radix sort): a sweep for
two objectives, a staircase for three, pairwise checks against earlier non-dominated points
for more. Results equal ``moocore.is_nondominated`` / ``moocore.pareto_rank``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _core

_SENSES = ("min", "max")


def _objectives(F: ArrayLike, sense: Sequence[str] | None) -> tuple[NDArray[np.float64], list[bool]]:
    """F as a C-contiguous float64 (n, m) array without NaN, and the maximise flags."""
    arr = np.asarray(F)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"F must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"F must be 2-dimensional (points x objectives), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"F must have at least one objective (column), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    nan_rows = np.flatnonzero(np.isnan(arr).any(axis=1))
    if nan_rows.size:
        raise ValueError(f"F has NaN in row {int(nan_rows[0])}"
                         + (f" (and {nan_rows.size - 1} more rows)" if nan_rows.size > 1 else ""))
    m = arr.shape[1]
    if sense is None:
        return arr, [False] * m
    if isinstance(sense, str):
        raise ValueError(f"sense must be a sequence of 'min'/'max', one per objective, got {sense!r}")
    sense = list(sense)
    if len(sense) != m:
        raise ValueError(f"sense must have one entry per objective ({m}), got {len(sense)}")
    unknown = [s for s in sense if s not in _SENSES]
    if unknown:
        raise ValueError(f"sense entries must be 'min' or 'max', got {unknown[0]!r}")
    return arr, [s == "max" for s in sense]


def is_nondominated(
    F: ArrayLike, sense: Sequence[str] | None = None, *, keep_duplicates: bool = True
) -> NDArray[np.bool_]:
    """Mask of the non-dominated points of `F`.

    Parameters
    ----------
    F : array_like, shape (n, m)
        n points, m >= 1 objectives (e.g. latency in ms, error in %). Any real dtype; ±inf is
        allowed, NaN raises ValueError naming the row.
    sense : sequence of {"min", "max"}, length m, optional
        Direction of each objective (default: all minimised).
    keep_duplicates : bool
        Keep every copy of a non-dominated point (default), or only the first in input order
        (``moocore.is_nondominated(..., keep_weakly=False)``).

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> is_nondominated([[1, 5], [2, 2], [3, 3], [2, 2]]).tolist()
    [True, True, False, True]
    >>> is_nondominated([[1, 5], [2, 2], [3, 6]], sense=["min", "max"]).tolist()
    [True, False, True]
    """
    arr, maximise = _objectives(F, sense)
    return _core.is_nondominated(arr, maximise, keep_duplicates=bool(keep_duplicates))


def pareto_front(F: ArrayLike, sense: Sequence[str] | None = None) -> NDArray[np.intp]:
    """Indices of the non-dominated rows of `F` (duplicates included), in input order.

    Parameters as :func:`is_nondominated`.

    Examples
    --------
    >>> pareto_front([[3, 1], [1, 3], [2, 2], [3, 3]]).tolist()
    [0, 1, 2]
    """
    return np.flatnonzero(is_nondominated(F, sense))


def nondominated_sort(F: ArrayLike, sense: Sequence[str] | None = None) -> NDArray[np.int64]:
    """Front of every point: 0 for the non-dominated ones, 1 for those non-dominated once the
    first front is removed, and so on (the partition of ``moocore.pareto_rank``).

    Parameters as :func:`is_nondominated`.

    Returns
    -------
    ndarray of int64, shape (n,)

    Examples
    --------
    >>> nondominated_sort([[1, 1], [2, 2], [3, 3], [1, 3], [2, 2]]).tolist()
    [0, 1, 2, 1, 1]
    """
    arr, maximise = _objectives(F, sense)
    return _core.nondominated_sort(arr, maximise)
