"""One thread setting for the whole library: the C++ core, the Numba kernels and the BLAS calls
oneproxy makes all run on `get_threads()` threads.

The setting is, in order: a `threads` argument of the call (where a function takes one); the
innermost ``with thread_limit(n):`` of the calling thread; `set_threads`; the environment
variable ``ONEPROXY_NUM_THREADS``; inside a task of a Dask worker, the worker's threads; else
the cores this process may run on. (``OMP_NUM_THREADS`` is not read: a local Dask cluster sets
it to 1 in the process that starts it, and leaves it there.) In another outer pool, give each
task ``thread_limit(1)`` or set ``ONEPROXY_NUM_THREADS=1`` for its processes.

Nothing here changes a process-wide setting of another library for longer than one of our calls:
Numba's thread count is set for the calling thread around a kernel and restored, and BLAS is
limited with threadpoolctl only while our own dense algebra runs. Least-squares fits run BLAS
on `get_threads()` threads; small dense algebra (adaptation's 30 x 30 problems) on one thread
whatever the setting, since waking a BLAS thread team for it costs milliseconds on some CPUs
(AMD EPYC), more than the work.
"""
from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

__all__ = ["get_threads", "set_threads", "thread_limit", "resolve", "cores", "ENV"]

#: The environment variable of the default thread count.
ENV = "ONEPROXY_NUM_THREADS"

_process: int | None = None  # set_threads
_local = threading.local()  # .stack: thread_limit values of this thread, innermost last


def check_threads(value: Any, name: str = "threads") -> int:
    """`value` as a thread count (int >= 1); ValueError naming `name` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    if value > 4096:
        raise ValueError(f"{name} = {value} is more threads than any machine here has (at most 4096)")
    return int(value)


@functools.lru_cache(maxsize=1)
def cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it, read once)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _from_environment() -> int | None:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"the environment variable {ENV} must be a positive integer, got {text!r}") from None
    return check_threads(value, f"the environment variable {ENV}")


def _dask_worker_threads() -> int | None:
    """The thread count of the Dask worker running the current task, if any."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return int(distributed.get_worker().state.nthreads)
    except (ValueError, AttributeError):  # not inside a worker's task
        return None


def get_threads() -> int:
    """The thread count oneproxy's calls use now (see the module docstring for the order)."""
    stack = getattr(_local, "stack", None)
    if stack:
        return int(stack[-1])
    if _process is not None:
        return _process
    return _from_environment() or _dask_worker_threads() or cores()


def set_threads(n: int | None) -> None:
    """Use `n` threads in oneproxy's calls from now on (None: back to the environment/cores).

    It is oneproxy's own setting: NumPy's BLAS and Numba keep theirs outside our calls."""
    global _process
    _process = None if n is None else check_threads(n, "n")


@contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """``with thread_limit(1): ...``: oneproxy's calls in this block (in this thread) use `n`
    threads; the previous setting is back afterwards."""
    value = check_threads(n, "n")
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(value)
    try:
        yield
    finally:
        stack.pop()


def resolve(threads: int | None) -> int:
    """A call's `threads` argument if given (checked), else `get_threads()`."""
    return get_threads() if threads is None else check_threads(threads)


@contextmanager
def numba_threads(n: int | None = None) -> Iterator[int]:
    """Numba's parallel kernels on `n` threads (default `get_threads()`, at most Numba's pool) in
    this block, in the calling thread only; yields the count."""
    import numba

    want = min(resolve(n), numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    before = numba.get_num_threads()
    if want != before:
        numba.set_num_threads(want)
    try:
        yield want
    finally:
        if want != before:
            numba.set_num_threads(before)


_controller: list[Any] = []  # threadpoolctl's view of the loaded BLAS libraries, made once


def _blas() -> Any:
    if not _controller:
        from threadpoolctl import ThreadpoolController

        import scipy.linalg  # noqa: F401  (scipy's own BLAS, loaded before the libraries are listed)

        _controller.append(ThreadpoolController().select(user_api="blas"))
    return _controller[0]


@contextmanager
def blas_threads(n: int | None = None) -> Iterator[None]:
    """BLAS (NumPy's and SciPy's) on at most `n` threads (default `get_threads()`) in this block,
    restored afterwards."""
    with _blas().limit(limits=resolve(n)):
        yield


def run_kernel(serial: Any, parallel: Any, rows: int, below: int, *args: Any) -> Any:
    """``serial(*args)`` for fewer than `below` rows or on one thread (waking a thread team costs
    more than small work), else ``parallel(*args)`` on `get_threads()` Numba threads."""
    if rows < below or get_threads() == 1:
        return serial(*args)
    with numba_threads():
        return parallel(*args)


F = TypeVar("F", bound=Callable[..., Any])


def small_algebra(function: F) -> F:
    """Decorator: `function` does small dense algebra, so BLAS runs it on one thread."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_threads(1):
            return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
