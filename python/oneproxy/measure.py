"""Measure real latency on this machine: a space's networks as ONNX graphs (`oneproxy.networks`),
timed by a runtime backend, stored in SQLite so that an interrupted run resumes.

A *device* is the CPU together with the runtime that runs the network, its version, its thread
count and the batch: ONNX Runtime and OpenVINO rank the same networks differently on one CPU.
Backends (`get_backend`):

- ``"onnxruntime"``: ONNX Runtime's CPU provider (extra ``oneproxy[measure]``);
- ``"openvino"``: OpenVINO on the CPU, at the CPU's default inference precision (bf16 on CPUs
  with AMX, f32 elsewhere; the fingerprint names it) (extra ``oneproxy[openvino]``);
- ``"onnxruntime-cuda"``: ONNX Runtime's CUDA provider (needs ``onnxruntime-gpu`` and a GPU).

The store keeps one row per (space, device fingerprint, architecture), the architecture in the
space's string notation, so that it does not depend on the resolutions a space object was made
with; failures are kept beside, with their error.
"""
from __future__ import annotations

import math
import os
import platform
import sqlite3
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from oneproxy import _arguments, fronts, networks, spaces
from oneproxy.networks import build_nb201, parameter_count  # noqa: F401  (measure's API since 0.1)
from oneproxy.spaces import Space
from oneproxy.threads import check_threads

__all__ = ["Backend", "BackendUnavailable", "get_backend", "BACKENDS", "Device", "this_device", "measure",
           "Measured", "run", "stored", "failures", "devices", "measured_latency", "export_csv", "sample_indices",
           "build_nb201", "parameter_count"]

#: Backend names accepted by `backend`, with the extra that installs each.
BACKENDS = {"onnxruntime": "measure", "openvino": "openvino", "onnxruntime-cuda": "onnxruntime-gpu"}


class BackendUnavailable(RuntimeError):
    """The backend is installed but cannot run here (e.g. no GPU for the CUDA provider)."""


def _import(module: str, name: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        extra = BACKENDS[name]
        how = "pip install onnxruntime-gpu" if extra == "onnxruntime-gpu" else f"pip install 'oneproxy[{extra}]'"
        raise ImportError(f"backend {name!r} needs the {module} package: {how}") from None


# ---------------------------------------------------------------------------- backends

class Backend(Protocol):
    """Opens an ONNX model and returns a function that runs it once on an input."""

    name: str
    runtime: str  # the runtime, its version and target, as the device fingerprint names it
    threads: int

    def load(self, model: bytes) -> Callable[[NDArray[np.float32]], Any]: ...


class OnnxRuntime:
    """ONNX Runtime with all graph optimisations, `threads` intra-op threads, one inter-op."""

    name = "onnxruntime"
    provider = "CPUExecutionProvider"

    def __init__(self, threads: int = 1) -> None:
        self.ort = _import("onnxruntime", self.name)
        self.threads = threads
        self.runtime = f"onnxruntime {self.ort.__version__} CPU"

    def load(self, model: bytes) -> Callable[[NDArray[np.float32]], Any]:
        options = self.ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = self.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = self.ort.InferenceSession(model, options, providers=[self.provider])
        if self.provider not in session.get_providers():  # ONNX Runtime fell back to another
            raise BackendUnavailable(f"{self.provider} could not run this model here; the session "
                                     f"uses {', '.join(session.get_providers())}")
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})


class OnnxRuntimeCUDA(OnnxRuntime):
    """ONNX Runtime's CUDA provider (``onnxruntime-gpu`` and a CUDA GPU)."""

    name = "onnxruntime-cuda"
    provider = "CUDAExecutionProvider"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        available = self.ort.get_available_providers()
        if self.provider not in available:
            raise BackendUnavailable(
                f"backend 'onnxruntime-cuda' needs onnxruntime-gpu and a CUDA GPU; this onnxruntime "
                f"offers {', '.join(available)} (pip install onnxruntime-gpu on a machine with a GPU)")
        self.runtime = f"onnxruntime {self.ort.__version__} CUDA"


class OpenVINO:
    """OpenVINO on the CPU: latency hint, one stream, `threads` inference threads."""

    name = "openvino"

    def __init__(self, threads: int = 1) -> None:
        ov = _import("openvino", self.name)
        self.core = ov.Core()
        self.threads = threads
        precision = self.core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
        self.runtime = f"openvino {ov.__version__.split('-')[0]} CPU {precision}"

    def load(self, model: bytes) -> Callable[[NDArray[np.float32]], Any]:
        compiled = self.core.compile_model(self.core.read_model(model), "CPU", {
            "INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})
        request = compiled.create_infer_request()
        return lambda x: request.infer({0: x})


_BACKENDS: dict[str, Callable[[int], Backend]] = {
    "onnxruntime": OnnxRuntime, "openvino": OpenVINO, "onnxruntime-cuda": OnnxRuntimeCUDA}


def get_backend(name: str | Backend = "onnxruntime", threads: int | None = None) -> Backend:
    """A measurement backend by name (see the module docstring) with `threads` threads (default
    1); a Backend passes through (`threads`, if given, must be its own).

    Raises ImportError naming the extra to install when the runtime is missing, and
    `BackendUnavailable` when it cannot run here."""
    if not isinstance(name, str):
        if threads is not None and threads != name.threads:
            raise ValueError(f"threads = {threads} conflicts with the given backend's threads = {name.threads}")
        return name
    if name not in _BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, got {name!r}")
    return _BACKENDS[name](1 if threads is None else check_threads(threads))


# ---------------------------------------------------------------------------- devices

@dataclass(frozen=True)
class Device:
    """What a measurement depends on: the CPU, the runtime and its settings."""

    cpu: str
    runtime: str
    threads: int
    batch: int

    @property
    def fingerprint(self) -> str:
        return f"{self.cpu} | {self.runtime} | threads={self.threads} | batch={self.batch}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def this_device(threads: int | None = None, batch: int = 1, backend: str | Backend = "onnxruntime") -> Device:
    """This machine with `backend` (default ONNX Runtime on the CPU) on `threads` threads (default 1)."""
    run = get_backend(backend, threads)
    return Device(_cpu_model(), run.runtime, int(run.threads), int(batch))


# ---------------------------------------------------------------------------- the store

_SCHEMA = ("""CREATE TABLE IF NOT EXISTS latency (
    space TEXT NOT NULL, device TEXT NOT NULL, arch TEXT NOT NULL, median_ms REAL NOT NULL,
    iqr_ms REAL NOT NULL, repeats INTEGER NOT NULL, measured_at TEXT NOT NULL,
    PRIMARY KEY (space, device, arch))""",
           """CREATE TABLE IF NOT EXISTS failures (
    space TEXT NOT NULL, device TEXT NOT NULL, arch TEXT NOT NULL, error TEXT NOT NULL,
    failed_at TEXT NOT NULL, PRIMARY KEY (space, device, arch))""")


_COLUMNS = {"latency": ["space", "device", "arch", "median_ms", "iqr_ms", "repeats", "measured_at"],
            "failures": ["space", "device", "arch", "error", "failed_at"]}


def _connect(db: str | os.PathLike[str], *, create: bool = False) -> sqlite3.Connection:
    """An open, checked store; `create` makes a new one where there is none (reading never does).
    A file that is not a whole oneproxy store is refused with one ValueError naming it."""
    path = Path(db)
    if path.parent and not path.parent.exists():
        raise ValueError(f"db {str(path)!r}: folder {str(path.parent)!r} does not exist")
    if not create and not path.exists():
        raise ValueError(f"db {str(path)!r} does not exist ('oneproxy measure --db' writes one)")
    deadline = time.monotonic() + 30
    while True:
        con = None
        try:
            # autocommit: every write is its own BEGIN IMMEDIATE ... COMMIT (see _write)
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")  # readers and one writer at a time, crash-safe
            problem = con.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {problem}")
            for statement in _SCHEMA:
                con.execute(statement)
            for table, columns in _COLUMNS.items():
                have = [row[1] for row in con.execute(f"PRAGMA table_info({table})")]
                if have != columns:
                    raise sqlite3.DatabaseError(f"table {table} has columns {have}, expected {columns}")
            _migrate(con)
            return con
        except sqlite3.OperationalError as err:
            if con is not None:
                con.close()
            # Switching a new file to WAL does not wait for another process doing the same.
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise _damaged(path, err) from None
            time.sleep(0.05)
        except sqlite3.Error as err:
            if con is not None:
                con.close()
            raise _damaged(path, err) from None


def _damaged(path: Path, err: Exception) -> ValueError:
    return ValueError(f"db {str(path)!r} is not a usable oneproxy measurement store ({err}); delete "
                      f"it or use another path")


def _migrate(con: sqlite3.Connection) -> None:
    """Move the rows of oneproxy 0.1's table (NAS-Bench-201 only, keyed by official index)."""
    old = "SELECT 1 FROM sqlite_master WHERE name = 'measurements'"
    if not con.execute(old).fetchone():
        return
    nb201 = spaces.NASBench201()
    con.execute("BEGIN IMMEDIATE")
    try:
        if con.execute(old).fetchone():  # another process may have moved them while we waited
            rows = con.execute("SELECT device, arch_index, median_ms, iqr_ms, repeats, measured_at "
                               "FROM measurements").fetchall()
            con.executemany("INSERT OR IGNORE INTO latency VALUES ('nb201', ?, ?, ?, ?, ?, ?)",
                            [(d, nb201.to_string(int(a)), m, q, r, t) for d, a, m, q, r, t in rows])
            con.execute("DROP TABLE measurements")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _write(con: sqlite3.Connection, statement: str, row: tuple[Any, ...]) -> None:
    con.execute("BEGIN IMMEDIATE")  # takes the write lock, waiting for another writer
    con.execute(statement, row)
    con.execute("COMMIT")  # one architecture at a time


def _rows(db: str | os.PathLike[str], table: str, columns: str, space: Space, device: Device | str | None
          ) -> list[tuple[Any, ...]]:
    """(index in `space`, *columns) of `db`'s rows of `table`; architectures outside it are left out."""
    con = _connect(db)
    try:
        query = f"SELECT arch, {columns} FROM {table} WHERE space = ?"
        args: tuple[Any, ...] = (space.name,)
        if device is not None:
            query += " AND device = ?"
            args += (device if isinstance(device, str) else device.fingerprint,)
        rows = con.execute(query, args).fetchall()
    except sqlite3.Error as err:
        raise _damaged(Path(db), err) from None
    finally:
        con.close()
    whole = spaces.get(space.name)  # the space's full default form, to tell damage from range
    out = []
    for arch, *rest in rows:
        try:
            index = space.encode(space.from_string(arch))
        except (ValueError, TypeError):
            try:
                whole.from_string(arch)
            except (ValueError, TypeError):
                raise _damaged(Path(db), ValueError(f"{table} holds {arch!r}, not a {space.name} "
                                                    f"architecture")) from None
            continue  # e.g. a resolution this space object does not have
        if table == "latency" and not (isinstance(rest[0], float) and math.isfinite(rest[0]) and rest[0] > 0):
            raise _damaged(Path(db), ValueError(f"{table} holds the latency {rest[0]!r} for {arch!r}"))
        out.append((index, *rest))
    return out


def stored(db: str | os.PathLike[str], device: Device | str | None = None, *, space: Space | str = "nb201"
           ) -> dict[int, tuple[float, float, int]]:
    """Measurements in `db` of `space` (and of `device`, default: all):
    index -> (median_ms, iqr_ms, repeats)."""
    sp = spaces.get(space)
    return {a: (m, q, int(r)) for a, m, q, r in _rows(db, "latency", "median_ms, iqr_ms, repeats", sp, device)}


def failures(db: str | os.PathLike[str], device: Device | str | None = None, *, space: Space | str = "nb201"
             ) -> dict[int, str]:
    """Architectures of `space` whose last measurement failed: index -> error message."""
    return {a: e for a, e in _rows(db, "failures", "error", spaces.get(space), device)}


def devices(db: str | os.PathLike[str], space: Space | str | None = None) -> dict[str, dict[str, int]]:
    """What `db` holds: space name -> {device fingerprint: measured architectures}."""
    con = _connect(db)
    try:
        rows = con.execute("SELECT space, device, COUNT(*) FROM latency GROUP BY space, device "
                           "ORDER BY space, device").fetchall()
    finally:
        con.close()
    name = None if space is None else spaces.get(space).name
    out: dict[str, dict[str, int]] = {}
    for s, d, k in rows:
        if name is None or s == name:
            out.setdefault(s, {})[d] = int(k)
    return out


def measured_latency(db: str | os.PathLike[str], device: Device | str | None = None, *,
                     space: Space | str = "nb201") -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """(choices (k, P), median_ms (k,)) of the measurements in `db`, in index order."""
    sp = spaces.get(space)
    rows = sorted(stored(db, device, space=sp).items())
    choices = sp.decode([a for a, _ in rows]) if rows else np.zeros((0, sp.n_positions), np.uint8)
    return choices, np.array([m for _, (m, _, _) in rows], dtype=np.float64)


def export_csv(db: str | os.PathLike[str], path: str | os.PathLike[str], device: Device | str | None = None,
               *, space: Space | str = "nb201") -> int:
    """Write ``arch_index,median_ms,iqr_ms,repeats`` for `space`'s measurements in `db`; returns the rows."""
    rows = sorted(stored(db, device, space=space).items())
    lines = ["arch_index,median_ms,iqr_ms,repeats"] + [f"{a},{m!r},{q!r},{r}" for a, (m, q, r) in rows]
    Path(path).write_text("\n".join(lines) + "\n")
    return len(rows)


# ---------------------------------------------------------------------------- measuring

def sample_indices(space: Space | str, n: int, seed: int = 0) -> list[int]:
    """`n` distinct architectures of `space` drawn with `seed`; a larger n extends a smaller one.

    NAS-Bench-201: the first n of a permutation of the official indices. Larger spaces: rows drawn
    uniformly in blocks of 256, block k from ``default_rng([seed, k])``, duplicates dropped.
    """
    sp = spaces.get(space)
    n = _arguments.integer(n, "n", 0)
    if n > sp.size:
        raise ValueError(f"n must be at most the space's size {sp.size}, got {n}")
    seed = _arguments.seed(seed)
    if isinstance(sp, spaces.NASBench201):
        return [int(i) for i in np.random.default_rng(seed).permutation(sp.size)[:n]]
    out: dict[int, None] = {}
    block = 0
    while len(out) < n:
        for index in sp.encode(sp.sample(256, seed=np.random.default_rng([seed, block]))):
            out.setdefault(int(index))
        block += 1
    return list(out)[:n]


@dataclass(frozen=True)
class Measured:
    """What `run` asked for, what the store holds of it and what failed.

    Attributes
    ----------
    space : Space
    device : Device
        The device the measurements are stored under in the db.
    requested : tuple of int
        The architectures asked for, each once, in the order given or drawn.
    results : dict of int to (float, float, int)
        Index -> (median_ms, iqr_ms, repeats) of the requested architectures that have a
        measurement (measured now or earlier), in `requested` order.
    failed : dict of int to str
        Index -> error of the requested architectures without one, in `requested` order: the
        error the store recorded (`failures`), or ``"not measured"``.
    """

    space: Space
    device: Device
    requested: tuple[int, ...]
    results: dict[int, tuple[float, float, int]]
    failed: dict[int, str]


def run(db: str | os.PathLike[str], *, space: Space | str = "nb201", n: int | None = None,
        archs: Sequence[int] | str | os.PathLike[str] | None = None, seed: int = 0,
        backend: str | Backend = "onnxruntime", threads: int | None = None, repeats: int = 30, warmup: int = 10,
        batch: int = 1, group: int = 30, progress: Callable[[int, int], None] | None = None) -> Measured:
    """What ``oneproxy measure`` does: measure `n` architectures of `space` drawn with `seed`
    (`sample_indices`) or exactly `archs` (give one of the two), as `measure` does, and return
    what was requested and what failed instead of warning of the failures.

    Parameters
    ----------
    db : path-like
        The SQLite store; created if missing. What it holds for this device is not measured again.
    archs : sequence of int, or path-like
        Indices in `space`, or the path of a CSV listing architectures (a column ``index`` or
        ``architecture``, e.g. a front written by ``oneproxy search``; `oneproxy.fronts.read_csv`).

    The other arguments are `measure`'s.

    Returns
    -------
    Measured
    """
    sp = spaces.get(space)
    for name, value, low in (("repeats", repeats, 1), ("warmup", warmup, 0), ("batch", batch, 1),
                             ("group", group, 1)):
        _arguments.integer(value, name, low)
    indices = _requested(sp, n, archs, seed)
    networks.builder(sp)  # a space without networks: a clear error before any work
    backend = get_backend(backend, threads)
    device = this_device(batch=batch, backend=backend)
    con = _connect(db, create=True)
    try:
        have = {a for (a, *_) in _rows(db, "latency", "median_ms", sp, device)}
        todo = list(dict.fromkeys(i for i in indices if i not in have))
        done = len(indices) - len(todo)
        for start in range(0, len(todo), group):
            chunk = todo[start:start + group]
            _time_group(con, sp, backend, device, chunk, repeats, warmup, batch)
            done += len(chunk)
            if progress is not None:
                progress(done, len(indices))
    finally:
        con.close()
    results, errors = stored(db, device, space=sp), failures(db, device, space=sp)
    requested = tuple(dict.fromkeys(indices))
    return Measured(sp, device, requested, {i: results[i] for i in requested if i in results},
                    {i: errors.get(i, "not measured") for i in requested if i not in results})


def _requested(space: Space, n: int | None, archs: Sequence[int] | str | os.PathLike[str] | None,
               seed: int) -> list[int]:
    """The architectures `run` is asked for: a sample of `n`, or `archs` (indices, or a CSV of
    architectures) as given; ValueError for both or neither, and for an index not in `space`."""
    if (n is None) == (archs is None):
        raise ValueError("give either n (architectures to sample) or archs (indices), not both")
    if archs is None:
        return sample_indices(space, _arguments.integer(n, "n", 1), seed)
    if isinstance(archs, (str, os.PathLike)):
        return fronts.read_csv(archs, space)
    indices = [_arguments.integer(i, f"archs[{k}]", 0) for k, i in enumerate(archs)]
    if indices:
        space.decode(indices)  # out of range: a clear error
    return indices


def measure(n: int | None = None, *, space: Space | str = "nb201", archs: Sequence[int] | None = None,
            seed: int = 0, db: str | os.PathLike[str], backend: str | Backend = "onnxruntime",
            threads: int | None = None, repeats: int = 30, warmup: int = 10, batch: int = 1, group: int = 30,
            progress: Callable[[int, int], None] | None = None) -> dict[int, tuple[float, float, int]]:
    """Measure `n` architectures of `space` drawn with `seed` (`sample_indices`), or exactly the
    indices `archs`, except those `db` already holds for this device; returns the measurements of
    all of them that succeeded, index -> (median_ms, iqr_ms, repeats).

    Networks are timed in groups of `group`: each is warmed up, then the group's runs are
    interleaved (repeat r of every network before repeat r + 1) to spread slow drift over them
    (this machine's speed wanders by a few % over seconds: with groups of 5, two runs of the same
    30 OpenVINO subnets ranked them at SRCC 0.91; with one group of 30, 0.99),
    and each network's median and interquartile range (ms) is committed as soon as its group is
    done, so an interrupted run loses at most one group. A network that fails to build, load or
    run is recorded in `failures` with its error and skipped; a warning lists them at the end
    (`run` returns them instead).
    """
    done = run(db, space=space, n=n, archs=archs, seed=seed, backend=backend, threads=threads, repeats=repeats,
               warmup=warmup, batch=batch, group=group, progress=progress)
    if done.failed:
        shown = "; ".join(f"{done.space.to_string(i)}: {e}" for i, e in list(done.failed.items())[:3])
        warnings.warn(f"{len(done.failed)} of {len(done.requested)} architectures could not be measured on "
                      f"{done.device.fingerprint} ({shown}); measure.failures(db) lists them", stacklevel=2)
    return done.results


def _time_group(con: sqlite3.Connection, space: Space, run: Backend, device: Device, chunk: list[int],
                repeats: int, warmup: int, batch: int) -> None:
    """Time the networks of `chunk` interleaved and store each one's result or error."""
    runners: dict[int, tuple[Callable[[Any], Any], NDArray[np.float32]]] = {}
    errors: dict[int, str] = {}
    for i in chunk:
        try:
            model = networks.build(space, space.decode(i), batch=batch)
            shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
            call = run.load(model.SerializeToString())
            for _ in range(warmup):
                call(x)
            runners[i] = (call, x)
        except Exception as err:  # noqa: BLE001 -- the runtime's own error, kept with the network
            errors[i] = _message(err)
    times = {i: np.empty(repeats) for i in runners}
    for r in range(repeats):
        for i, (call, x) in list(runners.items()):
            try:
                t = time.perf_counter()
                call(x)
                times[i][r] = (time.perf_counter() - t) * 1e3
            except Exception as err:  # noqa: BLE001
                errors[i] = _message(err)
                del runners[i]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    for i in chunk:
        arch = space.to_string(i)
        if i in runners:
            q1, med, q3 = np.percentile(times[i], [25, 50, 75])
            _write(con, "INSERT OR REPLACE INTO latency VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (space.name, device.fingerprint, arch, float(med), float(q3 - q1), repeats, stamp))
            _write(con, "DELETE FROM failures WHERE space = ? AND device = ? AND arch = ?",
                   (space.name, device.fingerprint, arch))
        else:
            _write(con, "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
                   (space.name, device.fingerprint, arch, errors[i], stamp))


def _message(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}"[:500]
