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

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments, _core
from oneproxy.threads import get_threads

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
    # one reduction finds whether there is a NaN (min propagates it); rows only then
    if check_nan and arr.size and np.isnan(arr.min()):
        nan_rows = np.flatnonzero(np.isnan(arr).any(axis=1))
        raise ValueError(f"{name} has NaN in row {int(nan_rows[0])}"
                         + (f" (and {nan_rows.size - 1} more rows)" if nan_rows.size > 1 else ""))
    return arr, _arguments.sense(sense, arr.shape[1])


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
    return _core.is_nondominated(arr, maximise, keep_duplicates=_arguments.flag(keep_duplicates, "keep_duplicates"))


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
    return _negated(arr, maximise)


def _negated(arr: NDArray[np.float64], maximise: list[bool]) -> NDArray[np.float64]:
    return np.where(maximise, -arr, arr) if any(maximise) else arr


def _reference_point(ref: ArrayLike, maximise: list[bool]) -> NDArray[np.float64]:
    """Checked ref (one value per objective) with its maximised objectives negated (NaN is left
    to the core, which finds it in no time)."""
    r = np.asarray(ref)
    if r.dtype.kind not in "biuf":
        raise TypeError(f"ref must hold real numbers, got dtype {r.dtype}")
    if r.shape != (len(maximise),):
        raise ValueError(f"ref must have one value per objective ({len(maximise)}), got shape {r.shape}")
    r = np.ascontiguousarray(r, dtype=np.float64)
    return _negated(r, maximise)


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
        HV4D+ for m = 4: Guerreiro & Fonseca 2018, WFG ending in HV4D+ for m >= 5: While,
        Bradstreet & Barone 2012). For m >= 4 the call can take long
        (the work grows steeply with m); Ctrl-C stops it with KeyboardInterrupt.

    Examples
    --------
    >>> hypervolume([[1, 3], [2, 2], [3, 1]], ref=[4, 4])
    6.0
    """
    arr, maximise = _objectives(F, sense, check_nan=False)  # the core checks F and ref for NaN
    return _core.hypervolume(_negated(arr, maximise), _reference_point(ref, maximise))


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
    kept; an (objectives, id) pair already present is not added twice (-0.0 equals 0.0).

    Ids keep the kind the first batch gives them. Integer ids stay exact integers: int64, or
    uint64, or an object array of Python ints, whichever holds them all (ids past 2**64 too).
    Ids of another kind (strings, floats, ...) must come in that same kind in later batches:
    mixing kinds (integers after strings, floats after integers) raises TypeError rather than
    converting ids, which would turn 3 into '3' or round 2**53 + 1 (a list that mixes kinds
    within one batch is kept as an object array, as it is).

    The front lives in the compiled core (``oneproxy/archive.hpp``, the archive the scans use
    too): a batch costs one non-dominated filter over the archive and the batch.

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
        self.n_objectives = _arguments.integer(n_objectives, "n_objectives", 1)
        _, self._maximise = _objectives(np.zeros((0, self.n_objectives)), sense)  # checks sense
        self.sense = None if sense is None else tuple(sense)
        self._archive = _core.ParetoArchive(self.n_objectives, copies="per_tag")  # minimised, a tag per id
        self._ids: np.ndarray = np.zeros(0, dtype=np.int64)  # in the core archive's order
        self._tags: dict[object, int] = {}  # the tags of ids that are not 64-bit integers
        self._next_tag = _FIRST_COUNTED_TAG

    @property
    def front(self) -> NDArray[np.float64]:
        """Objectives of the archived points, shape (len, m) (a copy)."""
        return _negated(self._archive.points, self._maximise)

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
            One id per point: integers (Python ints beyond 2**64 too), or hashable objects
            of the kind the archive's first batch had (see the class docstring).
        """
        batch, _ = _objectives(F, self.sense)
        if batch.shape[1] != self.n_objectives:
            raise ValueError(f"F must have {self.n_objectives} objectives, got {batch.shape[1]}")
        new_ids = np.asarray(ids)
        if not isinstance(ids, np.ndarray) and new_ids.dtype != object and new_ids.ndim == 1:
            exact = np.asarray(ids, dtype=object)
            if any(type(a) is not type(b) for a, b in zip(new_ids.tolist(), exact.tolist())):
                new_ids = exact  # NumPy coerced mixed ids (3 beside 'x' to '3', -1 beside 2**63 to float)
        if new_ids.shape != (batch.shape[0],):
            raise ValueError(f"ids must have one entry per row of F ({batch.shape[0]}), got shape {new_ids.shape}")
        if batch.shape[0] == 0:
            return 0
        all_ids = _joined_ids(self._ids if len(self) else None, new_ids)
        first_new = len(all_ids) - batch.shape[0]
        tags, tags_hi = self._tags_of(all_ids[first_new:])
        kept = self._archive.add(_negated(batch, self._maximise), tags, tags_hi)
        self._ids = all_ids[kept]
        self._forget_dropped_ids()
        return int((kept >= first_new).sum())

    def merge(self, other: ParetoArchive) -> int:
        """Add another archive's points (same objectives and senses); returns how many stay."""
        if not isinstance(other, ParetoArchive):
            raise TypeError(f"other must be a ParetoArchive, got {type(other).__name__}")
        if (other.n_objectives, other.sense) != (self.n_objectives, self.sense):
            raise ValueError("archives must have the same n_objectives and sense to merge")
        return self.add(other.front, other._ids)

    def _tags_of(self, ids: np.ndarray) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        """The core's 128-bit tags of `ids` as (low, high) words, equal for equal ids: a 64-bit
        integer's own value (two's complement), another id's number in `_tags`."""
        if ids.dtype == np.int64:
            return ids.view(np.uint64), np.where(ids < 0, np.uint64(_M64), np.uint64(0))
        if ids.dtype == np.uint64:
            return ids, np.zeros(len(ids), dtype=np.uint64)
        tags = [self._tag(v) for v in ids.tolist()]
        return (np.array([t & _M64 for t in tags], dtype=np.uint64),
                np.array([t >> 64 for t in tags], dtype=np.uint64))

    def _tag(self, v: object) -> int:
        tag = self._tags.get(v)
        if tag is None:
            if isinstance(v, numbers.Integral) and not isinstance(v, bool) and -(1 << 63) <= int(v) < (1 << 64):
                tag = int(v) & _M128  # as an int64 or uint64 id of the same value
            else:
                tag, self._next_tag = self._next_tag, self._next_tag + 1
            self._tags[v] = tag
        return tag

    def _forget_dropped_ids(self) -> None:
        """Keep `_tags` to about the archived ids (a stream of ids must not grow it forever)."""
        if len(self._tags) > 2 * len(self._ids) + 1024:
            tags = (self._archive.tags_hi.astype(object) << 64) | self._archive.tags.astype(object)
            self._tags = dict(zip(self._ids.tolist(), tags.tolist()))

    def __repr__(self) -> str:
        return f"ParetoArchive({len(self)} points, {self.n_objectives} objectives)"


_M64, _M128 = (1 << 64) - 1, (1 << 128) - 1
_FIRST_COUNTED_TAG = 1 << 64  # above the tags of uint64 ids, below those of negative int64 ids
_ID_KINDS = {"integers": "integers", "U": "strings", "S": "bytes", "f": "floats", "b": "bools", "O": "objects"}


def _integer_ids(ids: np.ndarray) -> np.ndarray | None:
    """Integer ids as int64, uint64 or (beyond both) an object array of Python ints; None if
    `ids` are not all integers."""
    if ids.dtype.kind in "iu":
        return ids if ids.dtype in (np.int64, np.uint64) else ids.astype(np.int64)
    if ids.dtype != object or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                      for v in ids.tolist()):
        return None
    ints = [int(v) for v in ids.tolist()]
    for dtype in (np.int64, np.uint64):
        info = np.iinfo(dtype)
        if all(info.min <= v <= info.max for v in ints):
            return np.array(ints, dtype=dtype)
    return np.array(ints, dtype=object)


def _id_kind(ids: np.ndarray, as_integers: np.ndarray | None) -> str:
    return "integers" if as_integers is not None else _ID_KINDS.get(ids.dtype.kind, str(ids.dtype))


def _joined_ids(archived: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    """The archive's ids followed by a batch's, without converting either (see ParetoArchive)."""
    new_ints = _integer_ids(new)
    if archived is None:
        return new if new_ints is None else new_ints
    old_ints = archived if archived.dtype.kind in "iu" else _integer_ids(archived)  # stored as checked
    old_kind, new_kind = _id_kind(archived, old_ints), _id_kind(new, new_ints)
    if old_kind != new_kind:
        raise TypeError(f"ids must be {old_kind} like the archive's (its first batch fixed their kind), "
                        f"got {new_kind} ({new.dtype})")
    if new_ints is None:
        return np.concatenate([archived, new])
    if new_ints.dtype == archived.dtype:
        return np.concatenate([archived, new_ints])
    joined = _integer_ids(np.concatenate([archived.astype(object), new_ints.astype(object)]))
    assert joined is not None  # integers joined by integers
    return joined
