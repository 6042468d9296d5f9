"""Fixtures shared by the test modules."""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def assert_releases_gil() -> Callable[[Any, Callable[[], Any]], None]:
    """``assert_releases_gil(core_function, call)`` runs ``call()`` in a thread and checks that
    this thread ran Python code while `core_function` (a function of ``oneproxy._core`` that
    `call` reaches) was still running.

    No clock is read: a profile hook marks the entry and the return of the C function, and the
    switch interval is made so long that the interpreter never takes the GIL from a thread
    that runs; a thread only gets it when its holder lets it go. Holding the GIL for the whole
    call, the C function would return, and its return be marked, before this thread could run
    again; releasing it, this thread runs inside the call. `call` must take long enough (a few
    hundred ms) for this thread to be scheduled in it.
    """
    def check(core_function: Any, call: Callable[[], Any]) -> None:
        entered, returned, errors = threading.Event(), threading.Event(), []

        def profile(frame: Any, event: str, arg: Any) -> None:
            if arg is core_function:
                (entered if event == "c_call" else returned).set()  # c_return or c_exception

        def work() -> None:
            sys.setprofile(profile)
            try:
                call()
            except BaseException as e:  # re-raised below, in the test's thread
                errors.append(e)
            finally:
                sys.setprofile(None)

        interval = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        try:
            worker = threading.Thread(target=work)
            worker.start()
            woke_inside = entered.wait(timeout=600) and not returned.is_set()
            worker.join()
        finally:
            sys.setswitchinterval(interval)
        if errors:
            raise errors[0]
        assert entered.is_set(), f"the call never reached {core_function.__name__}"
        assert woke_inside, f"{core_function.__name__} held the GIL for the whole call"
    return check
