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
from oneproxy.threads import get_threads

_SENSES = ("min", "max")


def _objectives(F: ArrayLike, sense: Sequence[str] | None, check_nan: bool = True,
                name: str = "F") -> tuple[NDArray[np.float64], list[bool]]:
    """F as a C-contiguous float64 (n, m) array, and the maximise flags. NaN raises here, or
    with check_nan=False in the core (which finds it in the pass that builds its keys)."""
    arr = np.asarray(F)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional (points x objectives), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one objective (column), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    nan_rows = np.flatnonzero(np.isnan(arr).any(axis=1)) if check_nan else np.zeros(0)
    if nan_rows.size:
        raise ValueError(f"{name} has NaN in row {int(nan_rows[0])}"
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
    arr, maximise = _objectives(F, sense, check_nan=False)
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
    arr, maximise = _objectives(F, sense, check_nan=False)
    return _core.nondominated_sort(arr, maximise)


# ---------------------------------------------------------------------------- front quality


def _minimised(F: ArrayLike, sense: Sequence[str] | None, name: str = "F") -> NDArray[np.float64]:
    """Checked F with its maximised objectives negated, so that all are minimised."""
    arr, maximise = _objectives(F, sense, name=name)
    return np.where(maximise, -arr, arr) if any(maximise) else arr


def _reference_point(ref: ArrayLike, m: int, sense: Sequence[str] | None) -> NDArray[np.float64]:
    r = np.asarray(ref, dtype=np.float64)
    if r.shape != (m,):
        raise ValueError(f"ref must have one value per objective ({m}), got shape {r.shape}")
    if np.isnan(r).any():
        raise ValueError("ref contains NaN")
    return _minimised(r[None, :], sense, "ref")[0]


def hypervolume(F: ArrayLike, ref: ArrayLike, sense: Sequence[str] | None = None) -> float:
    """Hypervolume dominated by the points of `F` and bounded by the reference point `ref`.

    Parameters
    ----------
    F : array_like, shape (n, m)
        Points (any of them may be dominated or outside the box: they add nothing).
    ref : array_like, shape (m,)
        Reference point, worse than the points of interest in every objective.
    sense : sequence of {"min", "max"}, optional
        Direction of each objective (default: all minimised).

    Returns
    -------
    float
        In the product of the objectives' units; 0 when no point is better than `ref`
        everywhere. Equal to ``moocore.hypervolume`` (2-D sweep, 3-D staircase sweep,
        WFG for m >= 4: While, Bradstreet & Barone 2012). For m >= 4 the call can take long
        (the work grows steeply with m); Ctrl-C stops it with KeyboardInterrupt.

    Examples
    --------
    >>> hypervolume([[1, 3], [2, 2], [3, 1]], ref=[4, 4])
    6.0
    """
    P = _minimised(F, sense)
    return _core.hypervolume(P, _reference_point(ref, P.shape[1], sense))


def hypervolume_ratio(F: ArrayLike, G: ArrayLike, ref: ArrayLike,
                      sense: Sequence[str] | None = None) -> float:
    """``hypervolume(F) / hypervolume(G)`` with the same reference point: how much of the
    reference front `G`'s hypervolume the front `F` reaches (1 when it is as good).

    Examples
    --------
    >>> hypervolume_ratio([[2, 2]], [[1, 3], [2, 2], [3, 1]], ref=[4, 4])
    0.6666666666666666
    """
    base = hypervolume(G, ref, sense)
    if base == 0:
        raise ValueError("the reference front G has zero hypervolume within ref (no point of it is "
                         "better than ref in every objective): the ratio is undefined")
    return hypervolume(F, ref, sense) / base


def igd(F: ArrayLike, reference_front: ArrayLike, sense: Sequence[str] | None = None) -> float:
    """Inverted generational distance: the mean, over the points of `reference_front`, of the
    Euclidean distance to the nearest point of `F` (0 when F covers the reference front).

    Parameters
    ----------
    F : array_like, shape (n, m)
    reference_front : array_like, shape (r, m)
    sense : sequence of {"min", "max"}, optional

    Examples
    --------
    >>> igd([[1, 2], [2, 1]], [[0, 0], [3, 3]])
    2.23606797749979
    """
    return _core.igd(_minimised(F, sense), _minimised(reference_front, sense, "reference_front"),
                     threads=get_threads())


def igd_plus(F: ArrayLike, reference_front: ArrayLike, sense: Sequence[str] | None = None) -> float:
    """IGD+ (Ishibuchi et al., 2015): as :func:`igd`, but a point of F is only charged for the
    objectives in which it is worse than the reference point, which makes the measure weakly
    Pareto-compliant.

    Examples
    --------
    >>> igd_plus([[1, 2], [2, 1]], [[0, 0], [3, 3]])
    1.118033988749895
    """
    return _core.igd(_minimised(F, sense), _minimised(reference_front, sense, "reference_front"),
                     plus=True, threads=get_threads())


def crowding_distance(F: ArrayLike, fronts: ArrayLike | None = None) -> NDArray[np.float64]:
    """NSGA-II's crowding distance of each point of a front, or of each point within its front.

    Per objective, the gap between a point's two neighbours in that objective over the
    objective's range, summed over objectives; the extremes of every objective get ``inf``.
    Ties are ordered by row; a constant objective adds nothing.

    Parameters
    ----------
    F : array_like, shape (n, m)
    fronts : array_like of int, shape (n,), optional
        Front labels in [0, n) (as `nondominated_sort` gives): distances are then computed
        within each front, in one call. Without it all rows form one front.

    Returns
    -------
    ndarray of float64, shape (n,)

    Examples
    --------
    >>> crowding_distance([[1, 4], [2, 2], [4, 1]]).tolist()
    [inf, 2.0, inf]
    >>> crowding_distance([[1, 4], [2, 2], [4, 1], [3, 3]], fronts=[0, 0, 0, 1]).tolist()
    [inf, 2.0, inf, inf]
    """
    arr, _ = _objectives(F, None)
    if fronts is None:
        return _core.crowding_distance(arr)
    labels = np.asarray(fronts)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"fronts must hold integer front labels, got dtype {labels.dtype}")
    return _core.crowding_distance(arr, labels.astype(np.int64, copy=False))


# ---------------------------------------------------------------------------- archive


class ParetoArchive:
    """The non-dominated (objectives, id) pairs of everything added so far.

    Built for streaming: ``add`` a batch at a time, ``merge`` archives built elsewhere (e.g. on
    Dask workers; archives pickle). Identical objective vectors with different ids are all
    kept; an (objectives, id) pair already present is not added twice.

    Parameters
    ----------
    n_objectives : int
        m, the number of objectives.
    sense : sequence of {"min", "max"}, optional
        Direction of each objective (default: all minimised).

    Examples
    --------
    >>> archive = ParetoArchive(2)
    >>> archive.add([[1, 5], [3, 3], [4, 4]], ids=[10, 11, 12])
    2
    >>> archive.add([[2, 2]], ids=[13])
    1
    >>> archive.ids.tolist(), len(archive)
    ([10, 13], 2)
    """

    def __init__(self, n_objectives: int, sense: Sequence[str] | None = None) -> None:
        if not isinstance(n_objectives, (int, np.integer)) or n_objectives < 1:
            raise ValueError(f"n_objectives must be a positive integer, got {n_objectives!r}")
        _objectives(np.zeros((0, int(n_objectives))), sense)  # checks sense
        self.n_objectives = int(n_objectives)
        self.sense = None if sense is None else tuple(sense)
        self._front = np.zeros((0, self.n_objectives))
        self._ids: np.ndarray = np.zeros(0, dtype=np.int64)

    @property
    def front(self) -> NDArray[np.float64]:
        """Objectives of the archived points, shape (len, m) (a copy)."""
        return self._front.copy()

    @property
    def ids(self) -> np.ndarray:
        """Ids of the archived points, shape (len,) (a copy)."""
        return self._ids.copy()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, F: ArrayLike, ids: ArrayLike) -> int:
        """Add a batch of points; returns how many of them are in the archive afterwards.

        Parameters
        ----------
        F : array_like, shape (b, m)
            Objectives of the batch.
        ids : array_like, shape (b,)
            One id per point (integers, or any hashable objects such as Python ints beyond
            2**64).
        """
        batch, _ = _objectives(F, self.sense)
        if batch.shape[1] != self.n_objectives:
            raise ValueError(f"F must have {self.n_objectives} objectives, got {batch.shape[1]}")
        new_ids = np.asarray(ids)
        if new_ids.shape != (batch.shape[0],):
            raise ValueError(f"ids must have one entry per row of F ({batch.shape[0]}), got shape {new_ids.shape}")
        if batch.shape[0] == 0:
            return 0
        front = np.vstack([self._front, batch])
        try:
            all_ids = np.concatenate([self._ids, new_ids]) if len(self) else new_ids
        except (TypeError, ValueError):  # e.g. integer ids joined by Python ints beyond 2**64
            all_ids = np.concatenate([self._ids.astype(object), new_ids.astype(object)])
        keep = is_nondominated(front, self.sense)
        seen: set[tuple[bytes, object]] = set()
        for i in np.flatnonzero(keep):  # one copy of each (objectives, id) pair
            pair = (front[i].tobytes(), all_ids[i])
            keep[i] = pair not in seen
            seen.add(pair)
        self._front, self._ids = front[keep], all_ids[keep]
        return int(keep[len(keep) - batch.shape[0]:].sum())

    def merge(self, other: ParetoArchive) -> int:
        """Add another archive's points (same objectives and senses); returns how many stay."""
        if not isinstance(other, ParetoArchive):
            raise TypeError(f"other must be a ParetoArchive, got {type(other).__name__}")
        if (other.n_objectives, other.sense) != (self.n_objectives, self.sense):
            raise ValueError("archives must have the same n_objectives and sense to merge")
        return self.add(other._front, other._ids)

    def __repr__(self) -> str:
        return f"ParetoArchive({len(self)} points, {self.n_objectives} objectives)"
