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
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from oneproxy import _arguments, _core, checkpoints
from oneproxy.pareto import is_nondominated
from oneproxy.predictors import LinearLatency
from oneproxy.spaces import Space, get
from oneproxy.threads import resolve

__all__ = ["ScanResult", "scan", "exact_front"]

_M64 = (1 << 64) - 1


@dataclass(frozen=True)
class ScanResult:
    """The Pareto front found by `scan` or `exact_front`.

    Attributes
    ----------
    front : ndarray of float64, shape (F, m)
        Objective values of the non-dominated candidates (in the objectives' own units and
        senses), sorted by the first objective: their ``predict`` values, bit for bit, and the
        front is that of these values whatever order the scan sums in.
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
    indices: NDArray[Any]
    n_evaluated: int
    seconds: float
    space: Space

    @property
    def choices(self) -> NDArray[np.uint8]:
        """Rows of choices of the front's architectures (F, space.n_positions)."""
        return self.space.decode(np.array([int(i) for i in self.indices], dtype=object)) \
            if len(self.indices) else np.zeros((0, self.space.n_positions), dtype=np.uint8)


# ---------------------------------------------------------------------------- objectives

@dataclass(frozen=True)
class _Additive:
    """An objective as digit tables: ``tables[r]`` (digits, max radix) and ``constant[r]`` for
    each value r of digit 0 (one entry when it does not depend on digit 0); ``slack[r]``, twice
    the most by which two orders of summing an architecture's terms can differ (`_slack`); and
    whether ``predict`` sums exactly as the scan's archive does: the constant, then the digits'
    entries left to right."""

    tables: NDArray[np.float64]  # (R, D, C)
    constant: NDArray[np.float64]  # (R,)
    slack: NDArray[np.float64]  # (R,)
    exact: bool

    @property
    def conditional(self) -> bool:
        return len(self.constant) > 1


def _additive(space: Space, obj: Any) -> _Additive | None:
    weights, constant = getattr(obj, "weights", None), getattr(obj, "constant", None)
    if not isinstance(weights, np.ndarray) or constant is None:
        return None
    shape = (len(space.group_sizes), max(space.group_sizes))
    if weights.shape == shape and np.ndim(constant) == 0:
        tables = space.digit_tables(weights)
        # LinearLatency's kernel adds the constant, then group 0, 1, ...: where the digits are
        # the groups (NAS-Bench-201, FBNet), that is the order of the archive's sums
        exact = type(obj).predict is LinearLatency.predict and tables.shape[0] == len(space.group_sizes) \
            and [int(r) for r in space.radices] == list(space.group_sizes) \
            and np.array_equal(tables, weights[:, :tables.shape[1]])
        return _Additive(tables[None], np.array([float(constant)]), np.array([_slack(weights, float(constant))]),
                         exact)
    if weights.ndim == 3 and weights.shape[1:] == shape and np.shape(constant) == (len(weights),) \
            and len(weights) == int(space.radices[0]):
        tables = np.stack([space.digit_tables(np.nan_to_num(w)) for w in weights])
        tables[:, 0] = 0.0  # the conditioning digit adds nothing itself
        constants = np.asarray(constant, dtype=np.float64)
        return _Additive(tables, constants, np.array([_slack(w[1:], c) for w, c in zip(weights, constants)]), False)
    return None


def _slack(weights: NDArray[np.float64], constant: float) -> float:
    """Twice the most by which two sums of one architecture's terms (the constant and one weight
    per group) in different orders can differ.

    Adding n terms x_i in any order errs by at most gamma_(n-1) sum |x_i|, gamma_k = k u / (1 - k u),
    u = 2**-53 (Higham, Accuracy and Stability of Numerical Algorithms, 2002, sec. 4.2), and
    sum |x_i| <= |constant| + sum_g max_c |weights[g, c]|. Comparing two points needs twice the
    distance of two orders, about 4 n u sum |x_i|; 16 (n + 2) u leaves room for the rounding of
    the comparisons themselves. The core takes the larger of this and its own bound over the
    digit tables (it cannot see the terms a digit groups). A NaN constant (a resolution the
    table lacks, refused when scanned) gives 0.
    """
    w = np.nan_to_num(np.abs(weights), nan=0.0, posinf=0.0)
    magnitude = abs(constant) + float(w.max(axis=1).sum()) if np.isfinite(constant) else 0.0
    return 16.0 * (len(weights) + 3) * 2.0**-53 * magnitude


def _check_objectives(space: Space, objectives: Sequence[Any], senses: Sequence[str] | None
                      ) -> tuple[list[Any], NDArray[np.bool_]]:
    objs = list(objectives)
    if not objs:
        raise ValueError("objectives must not be empty")
    senses = ["min"] * len(objs) if senses is None else list(senses)
    if len(senses) != len(objs):
        raise ValueError(f"senses must give one of 'min'/'max' per objective: {len(objs)} objectives, "
                         f"{len(senses)} senses")
    for k, (obj, sense) in enumerate(zip(objs, senses)):
        if sense not in ("min", "max"):
            raise ValueError(f"senses[{k}] must be 'min' or 'max', got {sense!r}")
        own = getattr(obj, "space", None)
        if own is not None and own != space:
            raise ValueError(f"objectives[{k}] is over {own!r}, not over the scanned space {space!r}")
        if not callable(obj) and not hasattr(obj, "predict"):
            raise ValueError(f"objectives[{k}] must be a predictor (with predict) or a callable "
                             f"taking rows of choices, got {type(obj).__name__}")
    return objs, np.array([s == "max" for s in senses])


def _evaluate(objs: Sequence[Any], choices: NDArray[np.uint8]) -> NDArray[np.float64]:
    cols = []
    for k, obj in enumerate(objs):
        v = np.asarray(obj.predict(choices) if hasattr(obj, "predict") else obj(choices), dtype=np.float64)
        if v.shape != (len(choices),):
            raise ValueError(f"objectives[{k}] returned shape {v.shape} for {len(choices)} architectures")
        cols.append(v)
    return np.column_stack(cols)


def _fingerprint(space: Space, objs: Sequence[Any], maximise: NDArray[np.bool_], extra: dict[str, Any]) -> str:
    # "sums": the archive holds values summed in predict's order (earlier checkpoints do not)
    h = hashlib.sha256(json.dumps({"space": space.name, "params": space.params, "sums": "predict",
                                   "maximise": maximise.tolist(), **extra}, sort_keys=True).encode())
    for obj in objs:
        add = _additive(space, obj)
        if add is not None:
            h.update(add.tables.tobytes() + add.constant.tobytes())
        else:  # what it computes: its values on a fixed probe of the space
            h.update(f"{type(obj).__module__}.{type(obj).__qualname__}".encode())
            h.update(_evaluate([obj], _probe(space)).tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def _probe(space: Space) -> NDArray[np.uint8]:
    probe = space.sample(256, np.random.default_rng(20221))
    probe.flags.writeable = False
    return probe


# ---------------------------------------------------------------------------- the archive

class _Archive:
    """Running front of minimised points with (hi, lo) indices; duplicates kept."""

    def __init__(self, m: int) -> None:
        self.points = np.zeros((0, m))
        self.hi = np.zeros(0, dtype=np.uint64)
        self.lo = np.zeros(0, dtype=np.uint64)

    def add(self, points: NDArray, hi: NDArray, lo: NDArray) -> None:
        if not len(points):
            return
        P = np.concatenate([self.points, points])
        H = np.concatenate([self.hi, np.asarray(hi, dtype=np.uint64)])
        L = np.concatenate([self.lo, np.asarray(lo, dtype=np.uint64)])
        if np.isnan(P).any():
            raise ValueError("an objective returned NaN")
        keep = is_nondominated(P)
        self.points, self.hi, self.lo = P[keep], H[keep], L[keep]


# ---------------------------------------------------------------------------- checkpoints

def _save_checkpoint(path: Path, fingerprint: str, position: int, archive: _Archive, evaluated: int,
                     seconds: float, done: bool) -> None:
    header = {"position": str(position), "evaluated": evaluated, "seconds": seconds, "done": done}
    checkpoints.save(path, "scan", fingerprint, header, points=archive.points, hi=archive.hi, lo=archive.lo)


def _load_checkpoint(path: Path, fingerprint: str, m: int) -> tuple[int, _Archive, int, float, bool] | None:
    saved = checkpoints.load(path, "scan", fingerprint, what="scan (space, objectives, senses, range or sample)",
                             fields=("position", "evaluated", "seconds", "done"),
                             expected={"points": ("f", (None, m)), "hi": ("u", (None,)), "lo": ("u", (None,))})
    if saved is None:
        return None
    header, z = saved
    if not len(z["points"]) == len(z["hi"]) == len(z["lo"]):
        raise checkpoints.CheckpointError(f"checkpoint {str(path)!r} cannot be used: its arrays differ in "
                                          f"length; delete it, or rerun without it")
    archive = _Archive(m)
    archive.points, archive.hi, archive.lo = z["points"], z["hi"], z["lo"]
    return int(header["position"]), archive, int(header["evaluated"]), float(header["seconds"]), header["done"]


class _Bar:
    """Progress on stderr: share done, rate and time left (a line every 10 s off a terminal)."""

    def __init__(self, total: int, enabled: bool, start: int = 0) -> None:
        self.total, self.enabled, self.t0, self.base = total, enabled, time.perf_counter(), start
        self.tty, self.last = sys.stderr.isatty(), 0.0

    def __call__(self, done: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self.last < (0.2 if self.tty else 10.0):
            return
        self.last = now
        rate = (done - self.base) / max(now - self.t0, 1e-9)
        left = (self.total - done) / rate if rate > 0 else float("inf")
        share = done / self.total if self.total else 1.0
        line = (f"[{'#' * int(30 * share):<30}] {100 * share:5.1f}%  {done:.3g}/{self.total:.3g}  "
                f"{rate:.3g}/s  ETA {left:.0f}s")
        print(("\r" + line) if self.tty else line, end="\n" if final or not self.tty else "",
              file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- scan

def scan(space: Space | str, objectives: Sequence[Any], senses: Sequence[str] | None = None, *,
         start: int = 0, stop: int | None = None, sample: int | None = None, seed: int = 0,
         threads: int | None = None, progress: bool = True, checkpoint: str | os.PathLike[str] | None = None,
         client: Any = None, batch: int = 1 << 17) -> ScanResult:
    """Evaluate every architecture with index in [start, stop) (or `sample` random ones) and
    keep the Pareto front.

    Parameters
    ----------
    space : Space or name
    objectives : sequence of predictors or callables
        Each maps rows of choices (n, P) to values (n,). Additive ones (with per-choice
        ``weights``) are scanned in C++ when all of them are additive and the space's indices
        are an odometer over its digits (FBNet, OFA; NAS-Bench-201 when scanned whole).
    senses : sequence of {"min", "max"}, optional
        Default: all minimised.
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
    objs, maximise = _check_objectives(space, objectives, senses)
    sign = np.where(maximise, -1.0, 1.0)
    m = len(objs)
    start, stop, sample = _check_range(space, start, stop, sample)
    total = sample if sample is not None else stop - start
    adds = [_additive(space, o) for o in objs]
    additive = sample is None and all(a is not None for a in adds) and \
        (space.odometer_index or (start == 0 and stop == space.size))
    if client is not None and not additive:
        raise ValueError("client= (Dask) scans additive objectives over an index range; these "
                         "objectives or arguments are not")

    path = None if checkpoint is None else Path(checkpoint)
    fingerprint = "" if path is None else _fingerprint(
        space, objs, maximise, {"start": str(start), "stop": str(stop), "sample": sample, "seed": seed})
    archive, position, evaluated, spent = _Archive(m), 0, 0, 0.0
    if path is not None:
        state = _load_checkpoint(path, fingerprint, m)
        if state is not None:
            position, archive, evaluated, spent, finished = state
            if finished:
                return _result(space, archive, maximise, sign, evaluated, spent)
    bar = _Bar(total, progress, position)

    def save(done: bool = False) -> None:
        if path is not None:
            _save_checkpoint(path, fingerprint, position, archive, evaluated, spent + time.perf_counter() - t0, done)

    last_save = time.perf_counter()
    if additive:
        problems = _problems(space, [a for a in adds if a is not None], sign)
        if client is not None:
            done = _scan_dask(client, space, objs, sign, problems, start + position, stop, archive, bar, evaluated)
            position, evaluated = stop - start, evaluated + done
        else:
            seg = 1 << 22
            while start + position < stop:
                lo_idx = start + position
                hi_idx = min(stop, lo_idx + seg)
                s0 = time.perf_counter()
                done = _scan_range(space, objs, sign, problems, lo_idx, hi_idx, threads, archive,
                                   functools.partial(_offset, bar, evaluated))
                evaluated += done
                position = hi_idx - start
                bar(evaluated)
                dt = time.perf_counter() - s0
                seg = int(min(max(seg * 1.5 / max(dt, 1e-3), 1 << 20), 1 << 36))
                if path is not None and time.perf_counter() - last_save > 2.0:
                    save()
                    last_save = time.perf_counter()
    else:
        step = batch if sample is None else max(_DRAW_BLOCK, batch // _DRAW_BLOCK * _DRAW_BLOCK)
        while position < total:
            n = min(step, total - position)
            if sample is not None:
                c = _sampled_rows(space, seed, position, n)
                hi, lo = space.encode(c, wide=True)
            else:
                first = start + position
                values = np.arange(n, dtype=np.uint64)
                base_hi, base_lo = first >> 64, first & _M64
                lo = values + np.uint64(base_lo)
                hi = np.full(n, base_hi, dtype=np.uint64) + (lo < np.uint64(base_lo)).astype(np.uint64)
                c = space.decode((hi, lo))
            archive.add(_evaluate(objs, c) * sign, hi, lo)
            position += n
            evaluated += n
            bar(evaluated)
            if path is not None and time.perf_counter() - last_save > 2.0:
                save()
                last_save = time.perf_counter()
    bar(evaluated, final=True)
    spent += time.perf_counter() - t0
    if path is not None:
        _save_checkpoint(path, fingerprint, position, archive, evaluated, spent, True)
    return _result(space, archive, maximise, sign, evaluated, spent)


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


def _result(space: Space, archive: _Archive, maximise: NDArray, sign: NDArray, evaluated: int,
            seconds: float) -> ScanResult:
    front = archive.points * sign
    order = np.lexsort(front.T[::-1]) if len(front) else np.zeros(0, dtype=np.intp)
    hi, lo = archive.hi[order], archive.lo[order]
    if space.fits_64_bits:
        indices: NDArray[Any] = lo.copy()
    else:
        indices = (hi.astype(object) << 64) | lo.astype(object)
    return ScanResult(front[order], indices, int(evaluated), float(seconds), space)


class _Problem(NamedTuple):
    """The objectives' digit tables for one value of digit 0, minimised."""

    tables: NDArray[np.float64]  # (D, C, m)
    constant: NDArray[np.float64]  # (m,)
    slack: NDArray[np.float64]  # (m,)
    exact: NDArray[np.bool_]  # (m,)


def _problems(space: Space, adds: Sequence[_Additive], sign: NDArray) -> list[_Problem]:
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


def _scan_range(space: Space, objs: Sequence[Any], sign: NDArray, problems: list[_Problem], start: int,
                stop: int, threads: int | None, archive: _Archive, progress: Callable[[int], None] | None) -> int:
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
        pts, hi, lo, n = _core.scan_additive(pr.tables, radix, pr.constant, lo_idx >> 64, lo_idx & _M64,
                                             hi_idx >> 64, hi_idx & _M64, resolve(threads),
                                             None if progress is None else functools.partial(_offset, progress, done),
                                             pr.slack, pr.exact)
        if not space.odometer_index:  # NAS-Bench-201 scanned whole: map numbers to official indices
            lo = space._index_from_number(lo)
        again = [k for k in range(len(objs)) if not pr.exact[k]]
        if again and len(pts):
            pts[:, again] = _evaluate([objs[k] for k in again], space.decode((hi, lo))) * sign[again]
        archive.add(pts, hi, lo)
        done += int(n)
    return done


def _offset(report: Callable[[int], None], base: int, done: int) -> None:
    report(base + done)


def _scan_dask(client: Any, space: Space, objs: Sequence[Any], sign: NDArray, problems: list[_Problem],
               start: int, stop: int, archive: _Archive, bar: _Bar, before: int) -> int:
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
            pts, hi, lo, n = future.result()
            archive.add(pts, hi, lo)
            evaluated += n
            bar(before + evaluated)
        return evaluated
    finally:
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()


def _dask_chunk(space: Space, objs: Sequence[Any], sign: NDArray, problems: list[_Problem], start: int,
                stop: int) -> tuple[NDArray, NDArray, NDArray, int]:
    archive = _Archive(len(objs))
    n = _scan_range(space, objs, sign, problems, start, stop, None, archive, None)  # None: the worker's threads
    return archive.points, archive.hi, archive.lo, n


# ---------------------------------------------------------------------------- exact fronts

def exact_front(space: Space | str, objectives: Sequence[Any], senses: Sequence[str] | None = None
                ) -> ScanResult:
    """The exact Pareto front of the whole space under additive objectives, without enumerating
    it: dynamic programming over the index digits, keeping the non-dominated partial sums (one
    architecture per distinct front point).

    A non-additive objective raises ValueError naming it.
    """
    t0 = time.perf_counter()
    space = get(space)
    objs, maximise = _check_objectives(space, objectives, senses)
    sign = np.where(maximise, -1.0, 1.0)
    adds = []
    for k, obj in enumerate(objs):
        a = _additive(space, obj)
        if a is None:
            raise ValueError(f"objectives[{k}] ({type(obj).__name__}) is not additive (no per-choice "
                             f"weights); exact_front needs additive objectives, use scan(sample=...)")
        adds.append(a)
    radix = [int(r) for r in space.radices]
    archive, formed = _Archive(len(objs)), 0
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
        values = [_number(row, radix) for row in digits]
        if not space.odometer_index:
            lo[:] = space._index_from_number(np.array(values, dtype=np.uint64))
            hi[:] = 0
        else:
            hi[:] = [v >> 64 for v in values]
            lo[:] = [v & _M64 for v in values]
        archive.add(points, hi, lo)
    keep = is_nondominated(archive.points, keep_duplicates=False)
    archive.points, archive.hi, archive.lo = archive.points[keep], archive.hi[keep], archive.lo[keep]
    return _result(space, archive, maximise, sign, formed, time.perf_counter() - t0)


def _number(digits: NDArray, radix: Sequence[int]) -> int:
    v = 0
    for d, r in zip(digits.tolist(), radix):
        v = v * r + int(d)
    return v
