"""Progress on stderr, on one line: redrawn in place on a terminal, whole lines off one.

One writer (`Progress.write`) serves every long run: `Count` for a scan (share of a known count,
rate and time left), `Steps` for a report made of weighted steps (``oneproxy demo``, the device
loop), and a plain `Progress` for lines a caller words itself (NSGA-II's generations). Off a
terminal (a log, a pipe) nothing is redrawn: each update is a line of its own, and the counters
write fewer of them.

Examples
--------
>>> from oneproxy.progress import Count
>>> bar = Count(1000, enabled=False)   # disabled: writes nothing
>>> bar(500); bar(1000, final=True)
"""
from __future__ import annotations

import sys
import time

__all__ = ["Progress", "Count", "Steps"]


class Progress:
    """A progress line on stderr; `enabled` False writes nothing."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled, self.tty, self.t0 = enabled, sys.stderr.isatty(), time.perf_counter()

    def write(self, line: str, final: bool = False, width: int = 0) -> None:
        """Show `line` (padded to `width` on a terminal, to wipe a longer one); `final` ends it."""
        if not self.enabled:
            return
        if self.tty:
            print("\r" + line.ljust(width), end="\n" if final else "", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """End a line left open on a terminal."""
        if self.enabled and self.tty:
            print(file=sys.stderr)


class Count(Progress):
    """Share of `total` done, rate and time left (at most 5 lines a second on a terminal, one
    every 10 s off one); `start` is the count already done when timing starts (a resumed run)."""

    def __init__(self, total: int, enabled: bool = True, start: int = 0) -> None:
        super().__init__(enabled)
        self.total, self.base, self.last = total, start, 0.0

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
        self.write(f"[{'#' * int(30 * share):<30}] {100 * share:5.1f}%  {done:.3g}/{self.total:.3g}  "
                   f"{rate:.3g}/s  ETA {left:.0f}s", final)


class Steps(Progress):
    """Named steps with weights (``{"search": 3.0, ...}``, in order): the share of the weight done,
    the time since the start and the current step (off a terminal, one line as each step starts)."""

    def __init__(self, steps: dict[str, float], enabled: bool = True) -> None:
        super().__init__(enabled)
        self.steps, self.total = steps, sum(steps.values())

    def __call__(self, step: str, fraction: float = 0.0) -> None:
        if not self.enabled or (not self.tty and fraction != 0.0):
            return
        names = list(self.steps)
        before = sum(self.steps[s] for s in names[:names.index(step)])
        share = (before + fraction * self.steps[step]) / self.total
        self.write(f"[{'#' * int(30 * share):<30}] {100 * share:3.0f}%  {time.perf_counter() - self.t0:5.1f}s  {step}",
                   width=100)

    def fraction(self, step: str, done: int, total: int) -> None:
        """`done` of `total` of `step` (a ``progress(done, total)`` callback, with functools.partial)."""
        self(step, done / total)
