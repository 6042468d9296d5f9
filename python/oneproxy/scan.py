"""Scan whole architecture spaces (or index ranges of them) for their Pareto front.

`scan` evaluates *every* candidate of an index range (or `sample` random ones) and keeps the
non-dominated ones with their exact indices. Additive objectives (`LinearLatency` and its
adapted form, the once-for-all Note10 table, anything with per-choice ``weights``) run entirely
in the C++ core (``oneproxy/scan.hpp``): an odometer over the index digits with incremental
sums, one archive per thread, the GIL released, Ctrl-C honoured within a second. Other
objectives (the OFA accuracy MLP, any callable taking rows of choices) are fed batches of rows
decoded by the Numba index kernels.

`exact_front` finds the exact front of a *whole* space under additive objectives without
enumerating it: the front of a sum lies within the Pareto-filtered Minkowski sum of its parts,
so dynamic programming over the digits keeps only non-dominated partial sums.

Long scans can be checkpointed (``checkpoint="scan.ckpt"``: progress and archive saved
atomically every few seconds; the same call resumes) and spread over a Dask cluster
(``client=``).

Examples
--------
>>> from oneproxy import predictors, spaces
>>> from oneproxy.scan import exact_front, scan
>>> fbnet = spaces.FBNet()
>>> a = predictors.linear_latency("fbnet", "pixel3")
>>> b = predictors.linear_latency("fbnet", "gold_6240")
>>> r = scan(fbnet, [a, b], ["min", "max"], stop=10**6, progress=False)
>>> r.n_evaluated, len(r.front) > 0
(1000000, True)
>>> whole = exact_front(fbnet, [a, b], ["min", "max"])   # all 9**22 architectures
>>> len(whole.front) > len(r.front)
True
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from oneproxy import _arguments, _core, _radix, checkpoints
from oneproxy.objectives import Additive, Objective, additive, check, evaluate
from oneproxy.pareto import is_nondominated
from oneproxy.progress import Count
from oneproxy.spaces import Space, get
from oneproxy.threads import resolve

__all__ = ["ScanResult", "scan", "exact_front"]



@dataclass(frozen=True)
class ScanResult:
    """The Pareto front found by `scan` or `exact_front`.

    Attributes
    ----------
    front : ndarray of float64, shape (F, m)
        Objective values of the non-dominated candidates (in the objectives' own units and
        senses), sorted by the first objective: their ``predict`` values, bit for bit, and the
        front is that of these values whatever order the scan sums in.
    choices : ndarray of uint8, shape (F, P)
        Their canonical rows of choices.
    indices : ndarray, shape (F,)
        Their indices in the space: uint64 when the space's indices fit in 64 bits, else Python
        ints (object array).
    n_evaluated : int
        Candidates evaluated (every one in the range, or the sample size; for `exact_front`
        the partial sums the dynamic programme formed).
    seconds : float
        Wall time (over all resumed runs of a checkpointed scan).
    space : Space
    """

    front: NDArray[np.float64]
    choices: NDArray[np.uint8]
    indices: NDArray[Any]
    n_evaluated: int
    seconds: float
    space: Space


# ---------------------------------------------------------------------------- checkpoints

@dataclass
class _State:
    """Where a scan stands: candidates done from the start of its range or sample (`position`),
    how many were evaluated, its front (minimised points tagged with their (hi, lo) indices), the
    seconds earlier runs spent, and whether it finished."""

    archive: _core.ParetoArchive
    position: int = 0
    evaluated: int = 0
    spent: float = 0.0
    done: bool = False


class _Checkpoint:
    """A scan's checkpoint file (none when `path` is None): loaded once, saved atomically at
    most every 2 s while the scan runs and when it ends."""

    def __init__(self, path: str | os.PathLike[str] | None, fingerprint: str, t0: float) -> None:
        self.path = None if path is None else Path(path)
        self.fingerprint, self.t0, self.last = fingerprint, t0, time.perf_counter()

    def load(self, m: int) -> _State:
        saved = None if self.path is None else checkpoints.load(
            self.path, "scan", self.fingerprint, what="scan (space, objectives, senses, range or sample)",
            fields=("position", "evaluated", "seconds", "done"),
            expected={"points": ("f", (None, m)), "hi": ("u", (None,)), "lo": ("u", (None,))})
        archive = _core.ParetoArchive(m)
        if saved is None:
            return _State(archive)
        header, z = saved
        if not len(z["points"]) == len(z["hi"]) == len(z["lo"]):
            raise checkpoints.CheckpointError(f"checkpoint {str(self.path)!r} cannot be used: its arrays differ in "
                                              f"length; delete it, or rerun without it")
        archive.add(z["points"], z["lo"].astype(np.uint64, copy=False), z["hi"].astype(np.uint64, copy=False))
        return _State(archive, int(header["position"]), int(header["evaluated"]), float(header["seconds"]),
                      header["done"])

    def save(self, state: _State, seconds: float, done: bool = False) -> None:
        if self.path is None:
            return
        header = {"position": str(state.position), "evaluated": state.evaluated, "seconds": seconds, "done": done}
        a = state.archive
        checkpoints.save(self.path, "scan", self.fingerprint, header, points=a.points, hi=a.tags_hi, lo=a.tags)

    def tick(self, state: _State) -> None:
        """Save if the last save is more than 2 s old."""
        if self.path is not None and time.perf_counter() - self.last > 2.0:
            self.save(state, state.spent + time.perf_counter() - self.t0)
            self.last = time.perf_counter()


# ---------------------------------------------------------------------------- scan

def scan(space: Space | str, objectives: Sequence[Objective], sense: Sequence[str] | None = None, *,
         start: int = 0, stop: int | None = None, sample: int | None = None, seed: int = 0,
         threads: int | None = None, progress: bool = True, checkpoint: str | os.PathLike[str] | None = None,
         client: Any = None, batch: int = 1 << 17, senses: Sequence[str] | None = None) -> ScanResult:
    """Evaluate every architecture with index in [start, stop) (or `sample` random ones) and
    keep the Pareto front.

    Parameters
    ----------
    space : Space or name
    objectives : sequence of predictors or callables
        Each maps rows of choices (n, P) to values (n,). Additive ones (with per-choice
        ``weights``) are scanned in C++ when all of them are additive and the space's indices
        are an odometer over its digits (FBNet, OFA; NAS-Bench-201 when scanned whole).
    sense : sequence of {"min", "max"}, optional
        Direction of each objective; default all minimised. (``senses``, its old name, is
        deprecated.)
    start, stop : int
        Index range (Python ints; default the whole space).
    sample : int, optional
        Instead of a range, this many architectures drawn uniformly (with replacement) with `seed`.
    threads : int, optional
        C++ threads (default: `oneproxy.get_threads()`).
    progress : bool
        A progress bar (rate, ETA) on stderr.
    checkpoint : path, optional
        Save progress and archive atomically every few seconds; rerunning the same call resumes
        (and a finished one returns at once). Other arguments with an old file raise ValueError.
    client : dask.distributed.Client, "local" or a scheduler address, optional
        Split the range into chunks run as Dask tasks (additive objectives only); see docs/scan.md.
    batch : int
        Rows per batch for non-additive objectives.

    Raises
    ------
    ValueError
        An argument out of range or of the wrong kind (a float or bool index, ...), named.
    TypeError
        A `client` that is not a Dask client, "local" or an address.
    """
    t0 = time.perf_counter()
    threads = resolve(threads)
    batch = _arguments.integer(batch, "batch", 1)
    seed = _arguments.seed(seed)
    _check_client(client)
    space = get(space)
    objs, maximise = check(space, objectives, _arguments.renamed(sense, senses, "sense", "senses"))
    sign = np.where(maximise, -1.0, 1.0)
    start, stop, sample = _check_range(space, start, stop, sample)
    adds = [additive(space, o) for o in objs]
    is_additive = sample is None and all(a is not None for a in adds) and \
        (space.odometer_index or (start == 0 and stop == space.size))
    if client is not None and not is_additive:
        raise ValueError("client= (Dask) scans additive objectives over an index range; these "
                         "objectives or arguments are not")
    ckpt = _Checkpoint(checkpoint, "" if checkpoint is None else checkpoints.fingerprint(
        space, objs, maximise, {"start": str(start), "stop": str(stop), "sample": sample, "seed": seed}), t0)
    state = ckpt.load(len(objs))
    if state.done:
        return _result(space, state.archive, sign, state.evaluated, state.spent)
    bar = Count(sample if sample is not None else stop - start, progress, state.position)
    if is_additive:
        problems = _problems(space, [a for a in adds if a is not None], sign)
        if client is not None:
            state.evaluated += _scan_dask(client, space, objs, sign, problems, start + state.position, stop,
                                          state.archive, bar, state.evaluated)
            state.position = stop - start
        else:
            _scan_segments(space, objs, sign, problems, start, stop, threads, state, bar, ckpt)
    else:
        _scan_batches(space, objs, sign, start, sample, stop - start if sample is None else sample,
                      batch, seed, state, bar, ckpt)
    bar(state.evaluated, final=True)
    state.spent += time.perf_counter() - t0
    ckpt.save(state, state.spent, True)
    return _result(space, state.archive, sign, state.evaluated, state.spent)


def _scan_segments(space: Space, objs: Sequence[Objective], sign: NDArray, problems: list[_Problem], start: int,
                   stop: int, threads: int, state: _State, bar: Count, ckpt: _Checkpoint) -> None:
    """The rest of [start, stop) in C++, in segments sized to take about 1.5 s each (so that
    progress and checkpoints keep coming)."""
    seg = 1 << 22
    while start + state.position < stop:
        lo_idx = start + state.position
        hi_idx = min(stop, lo_idx + seg)
        s0 = time.perf_counter()
        state.evaluated += _scan_range(space, objs, sign, problems, lo_idx, hi_idx, threads, state.archive,
                                       functools.partial(_offset, bar, state.evaluated))
        state.position = hi_idx - start
        bar(state.evaluated)
        dt = time.perf_counter() - s0
        seg = int(min(max(seg * 1.5 / max(dt, 1e-3), 1 << 20), 1 << 36))
        ckpt.tick(state)


def _scan_batches(space: Space, objs: Sequence[Objective], sign: NDArray, start: int, sample: int | None, total: int,
                  batch: int, seed: int, state: _State, bar: Count, ckpt: _Checkpoint) -> None:
    """The rest of the range (or of the sample) in batches of rows decoded here and evaluated
    by the objectives themselves."""
    step = batch if sample is None else max(_DRAW_BLOCK, batch // _DRAW_BLOCK * _DRAW_BLOCK)
    while state.position < total:
        n = min(step, total - state.position)
        if sample is not None:
            c = _sampled_rows(space, seed, state.position, n)
            hi, lo = space.encode(c, wide=True)
        else:
            first = start + state.position
            values = np.arange(n, dtype=np.uint64)
            base_hi, base_lo = _radix.split128(first)
            lo = values + np.uint64(base_lo)
            hi = np.full(n, base_hi, dtype=np.uint64) + (lo < np.uint64(base_lo)).astype(np.uint64)
            c = space.decode((hi, lo))
        state.archive.add(_values(objs, c) * sign, lo, hi)
        state.position += n
        state.evaluated += n
        bar(state.evaluated)
        ckpt.tick(state)


def _values(objs: Sequence[Objective], c: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The objectives' values (n, m) on rows `c` (n, P); NaN refused."""
    values = evaluate(objs, c)
    if np.isnan(values).any():
        raise ValueError("an objective returned NaN")
    return values


def _check_range(space: Space, start: Any, stop: Any, sample: Any) -> tuple[int, int, int | None]:
    """(start, stop, sample) checked: integers, a range within the space or a positive sample."""
    start = _arguments.integer(start, "start")
    if sample is not None:
        if stop is not None or start != 0:
            raise ValueError("give either sample or a range (start, stop), not both")
        sample = _arguments.integer(sample, "sample", 1)
    stop = space.size if stop is None else _arguments.integer(stop, "stop")
    if not 0 <= start <= stop <= space.size:
        raise ValueError(f"the range must satisfy 0 <= start <= stop <= size = {space.size}, got "
                         f"start={start}, stop={stop}")
    return start, stop, sample


def _check_client(client: Any) -> None:
    if client is None or isinstance(client, str):
        return
    from dask.distributed import Client

    if not isinstance(client, Client):
        raise TypeError(f"client must be a dask.distributed.Client, \"local\" or a scheduler address, "
                        f"got {type(client).__name__}")


_DRAW_BLOCK = 1 << 16


def _sampled_rows(space: Space, seed: int, first: int, n: int) -> NDArray[np.uint8]:
    """Rows [first, first + n) of the sample stream of `seed`: fixed blocks of draws, each from
    its own generator, so the sample depends on the seed only (not on batch or on resuming)."""
    rows = []
    for block in range(first // _DRAW_BLOCK, (first + n - 1) // _DRAW_BLOCK + 1):
        drawn = space.sample(_DRAW_BLOCK, np.random.default_rng([seed, block]))
        lo = max(first, block * _DRAW_BLOCK) - block * _DRAW_BLOCK
        hi = min(first + n, (block + 1) * _DRAW_BLOCK) - block * _DRAW_BLOCK
        rows.append(drawn[lo:hi])
    return np.concatenate(rows)


def _result(space: Space, archive: _core.ParetoArchive, sign: NDArray, evaluated: int,
            seconds: float) -> ScanResult:
    front = archive.points * sign
    order = np.lexsort(front.T[::-1]) if len(front) else np.zeros(0, dtype=np.intp)
    hi, lo = archive.tags_hi[order], archive.tags[order]
    if space.fits_64_bits:
        indices: NDArray[Any] = lo.copy()
    else:
        indices = _radix.join128(hi, lo)
    choices = space.decode(indices) if len(indices) else np.zeros((0, space.n_positions), dtype=np.uint8)
    return ScanResult(front[order], choices, indices, int(evaluated), float(seconds), space)


class _Problem(NamedTuple):
    """The objectives' digit tables for one value of digit 0, minimised."""

    tables: NDArray[np.float64]  # (D, C, m)
    constant: NDArray[np.float64]  # (m,)
    slack: NDArray[np.float64]  # (m,)
    exact: NDArray[np.bool_]  # (m,)


def _problems(space: Space, adds: Sequence[Additive], sign: NDArray) -> list[_Problem]:
    """One problem per value of digit 0 (a single one when no objective depends on digit 0)."""
    R = int(space.radices[0]) if any(a.conditional for a in adds) else 1
    exact = np.array([a.exact for a in adds])
    out = []
    for r in range(R):
        tables = np.stack([a.tables[r if a.conditional else 0] for a in adds], axis=2) * sign
        constant = np.array([a.constant[r if a.conditional else 0] for a in adds]) * sign
        slack = np.array([a.slack[r if a.conditional else 0] for a in adds])
        out.append(_Problem(np.ascontiguousarray(tables), constant, slack, exact))
    return out


def _scan_range(space: Space, objs: Sequence[Objective], sign: NDArray, problems: list[_Problem], start: int,
                stop: int, threads: int | None, archive: _core.ParetoArchive,
                progress: Callable[[int], None] | None) -> int:
    """Scan [start, stop) in C++ (split where digit 0 changes if the tables depend on it).

    The front and its values are those of ``predict``, bit for bit: the core's archive sums
    left to right as `LinearLatency` does (``exact`` objectives). For the others (a
    once-for-all stage digit groups several blocks' terms) it keeps every point within the
    slack of the front, and those columns are evaluated again here with ``predict``."""
    radix = space.radices.astype(np.uint32)
    block = space.size // int(radix[0])  # indices per value of digit 0
    done = 0
    pieces = [(start, stop, 0)] if len(problems) == 1 else \
        [(max(start, r * block), min(stop, (r + 1) * block), r) for r in range(start // block, (stop - 1) // block + 1)]
    for lo_idx, hi_idx, r in pieces:
        if hi_idx <= lo_idx:
            continue
        pr = problems[r]
        if not np.isfinite(pr.constant).all() or not np.isfinite(pr.tables).all():
            raise ValueError(f"an objective has no value for {space.names[0]} = {space.values(0)[r]} "
                             f"(e.g. the Note10 table outside 160-224 px); scan a range without it")
        pts, hi, lo, n = _core.scan_additive(pr.tables, radix, pr.constant, *_radix.split128(lo_idx),
                                             *_radix.split128(hi_idx), resolve(threads),
                                             None if progress is None else functools.partial(_offset, progress, done),
                                             pr.slack, pr.exact)
        if not space.odometer_index:  # NAS-Bench-201 scanned whole: map numbers to official indices
            lo = space.index_from_number(lo)
        again = [k for k in range(len(objs)) if not pr.exact[k]]
        if again and len(pts):
            pts[:, again] = _values([objs[k] for k in again], space.decode((hi, lo))) * sign[again]
        archive.add(pts, lo, hi)
        done += int(n)
    return done


def _offset(report: Callable[[int], None], base: int, done: int) -> None:
    report(base + done)


def _scan_dask(client: Any, space: Space, objs: Sequence[Objective], sign: NDArray, problems: list[_Problem],
               start: int, stop: int, archive: _core.ParetoArchive, bar: Count, before: int) -> int:
    """Chunks of the range as Dask tasks, each returning its small archive; merged as they come."""
    from dask.distributed import Client, LocalCluster, as_completed

    own = None
    if isinstance(client, str):
        own = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True)) if client == "local" \
            else Client(client)
        client = own
    try:
        # Chunks of about 2**28 candidates (a fraction of a second on one core): few enough that
        # task overhead stays small, small enough that a lost worker costs little.
        n_chunks = max(8, min(1 << 16, (stop - start) >> 28))
        edges = [start + (stop - start) * k // n_chunks for k in range(n_chunks + 1)]
        futures = [client.submit(_dask_chunk, space, objs, sign, problems, a, b, pure=False)
                   for a, b in zip(edges[:-1], edges[1:]) if b > a]
        evaluated = 0
        for future in as_completed(futures):
            chunk, n = future.result()
            archive.merge(chunk)
            evaluated += n
            bar(before + evaluated)
        return evaluated
    finally:
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()


def _dask_chunk(space: Space, objs: Sequence[Objective], sign: NDArray, problems: list[_Problem], start: int,
                stop: int) -> tuple[_core.ParetoArchive, int]:
    archive = _core.ParetoArchive(len(objs))
    n = _scan_range(space, objs, sign, problems, start, stop, None, archive, None)  # None: the worker's threads
    return archive, n


# ---------------------------------------------------------------------------- exact fronts

def exact_front(space: Space | str, objectives: Sequence[Objective], sense: Sequence[str] | None = None,
                *, senses: Sequence[str] | None = None) -> ScanResult:
    """The exact Pareto front of the whole space under additive objectives, without enumerating
    it: dynamic programming over the index digits, keeping the non-dominated partial sums (one
    architecture per distinct front point). `sense` as in `scan` (``senses`` deprecated).

    A non-additive objective raises ValueError naming it.
    """
    t0 = time.perf_counter()
    space = get(space)
    objs, maximise = check(space, objectives, _arguments.renamed(sense, senses, "sense", "senses"))
    sign = np.where(maximise, -1.0, 1.0)
    adds = []
    for k, obj in enumerate(objs):
        a = additive(space, obj)
        if a is None:
            raise ValueError(f"objectives[{k}] ({type(obj).__name__}) is not additive (no per-choice "
                             f"weights); exact_front needs additive objectives, use scan(sample=...)")
        adds.append(a)
    radix = [int(r) for r in space.radices]
    archive, formed = _core.ParetoArchive(len(objs), copies="first"), 0  # one architecture a point
    problems = _problems(space, adds, sign)
    first_values = range(radix[0]) if len(problems) > 1 else [None]
    for r in first_values:
        tables, constant = problems[0 if r is None else r][:2]
        if not np.isfinite(tables).all() or not np.isfinite(constant).all():
            continue  # no value for this first digit (the Note10 table outside 160-224 px)
        points = constant[None, :].copy()
        digits = np.zeros((1, 0), dtype=np.int64)
        for p, R in enumerate(radix):
            # Only a digit's non-dominated options can contribute: if option u's entries are
            # all no better than option v's, every sum with u is no better than the same with v.
            options = tables[p, :R]
            choices = np.flatnonzero(is_nondominated(options, keep_duplicates=False)) \
                if r is None or p > 0 else np.array([r])
            cand = (points[:, None, :] + tables[p, choices][None, :, :]).reshape(-1, len(objs))
            parent = np.repeat(np.arange(len(points)), len(choices))
            digit = np.tile(choices, len(points))
            formed += len(cand)
            keep = is_nondominated(cand, keep_duplicates=False)
            points, digits = cand[keep], np.column_stack([digits[parent[keep]], digit[keep]])
        hi = np.empty(len(points), dtype=np.uint64)
        lo = np.empty(len(points), dtype=np.uint64)
        values = _radix.encode_reference(digits.tolist(), radix)
        if not space.odometer_index:
            lo[:] = space.index_from_number(np.array(values, dtype=np.uint64))
            hi[:] = 0
        else:
            hi[:], lo[:] = _radix.split128_array(values)
        archive.add(points, lo, hi)
    return _result(space, archive, sign, formed, time.perf_counter() - t0)

