"""The checks of the public API's scalar arguments, one function per kind of argument.

Each returns the value as the code below the boundary wants it (a Python int, float or bool, a
NumPy generator) or raises ValueError naming the argument and what was expected, so that every
function taking a count, a rate, a flag or a seed words its refusal the same way. bool is
refused where a number is expected (``True`` is an int to Python, rarely to the caller), and so
are integral floats where an integer is (``10.0`` samples is more likely a slip than a count).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["integer", "real", "flag", "seed", "rng", "core_seed", "sense", "renamed"]


def _interval(low: float | None, high: float | None, open_low: bool = False, open_high: bool = False) -> str:
    a, b = (None if v is None else str(v) if isinstance(v, int) else f"{v:g}" for v in (low, high))  # 0.0 as 0
    if a is not None and b is not None:
        return f" in {'(' if open_low else '['}{a}, {b}{')' if open_high else ']'}"
    if a is not None:
        return f" {'>' if open_low else '>='} {a}"
    if b is not None:
        return f" {'<' if open_high else '<='} {b}"
    return ""


def integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """`value` as a Python int in [low, high] (either bound optional); ValueError naming `name`
    for anything else: bool, floats (integral ones too), strings, or a value out of range."""
    interval = _interval(low, high)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer{interval}, got {value!r}")
    x = int(value)
    if (low is not None and x < low) or (high is not None and x > high):
        raise ValueError(f"{name} must be{interval}, got {x}")
    return x


def real(value: Any, name: str, low: float | None = None, high: float | None = None, *,
         open_low: bool = False, open_high: bool = False) -> float:
    """`value` as a finite Python float in the interval from `low` to `high` (closed unless
    `open_low`/`open_high`; either bound optional); ValueError naming `name` for a string,
    bool, NaN, infinity or a value out of range."""
    interval = _interval(low, high, open_low, open_high)
    kind = "a number" if low is not None and high is not None else "a finite number"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be {kind}{interval}, got {value!r}")
    x = float(value)
    if (low is not None and (x <= low if open_low else x < low)) \
            or (high is not None and (x >= high if open_high else x > high)):
        raise ValueError(f"{name} must be{interval}, got {value!r}")
    return x


def flag(value: Any, name: str) -> bool:
    """`value` as a bool; ValueError naming `name` for anything else (``'no'`` is not False)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def seed(value: Any, name: str = "seed") -> int:
    """`value` as a seed: a non-negative integer (what NumPy's SeedSequence takes), else
    ValueError naming `name`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def rng(value: Any, name: str = "seed") -> np.random.Generator:
    """A NumPy generator from `value`: a generator itself (used, not copied), None (fresh
    entropy) or a seed as `seed` checks it."""
    if isinstance(value, np.random.Generator):
        return value
    if value is None:
        return np.random.default_rng()
    try:
        return np.random.default_rng(seed(value, name))
    except ValueError:
        raise ValueError(f"{name} must be a non-negative integer, a numpy.random.Generator or None, "
                         f"got {value!r}") from None


def core_seed(value: Any, name: str = "seed") -> int:
    """A 64-bit seed for the core's variation generator, drawn from `rng(value)` (a generator
    given is advanced by one draw)."""
    return int(rng(value, name).bit_generator.random_raw())


def sense(value: Any, m: int, name: str = "sense") -> list[bool]:
    """Which of `m` objectives are maximised, from `value`: None (all minimised) or a sequence
    of "min"/"max", one per objective; ValueError naming `name` for anything else (a lone
    string, a dict or set, which have no order, a wrong length, another word)."""
    if value is None:
        return [False] * m
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
        raise ValueError(f"{name} must be a sequence of 'min'/'max', one per objective, got {value!r}")
    words = list(value)
    if len(words) != m:
        raise ValueError(f"{name} must have one entry per objective ({m}), got {len(words)}")
    for k, word in enumerate(words):
        if word not in ("min", "max"):
            raise ValueError(f"{name}[{k}] must be 'min' or 'max', got {word!r}")
    return [word == "max" for word in words]


def renamed(new: Any, old: Any, new_name: str, old_name: str, stacklevel: int = 3) -> Any:
    """The value of an argument renamed from `old_name` to `new_name`: `old` (with a
    DeprecationWarning) when only the old name was given, else `new`; TypeError for both."""
    if old is None:
        return new
    if new is not None:
        raise TypeError(f"give {new_name} only ({old_name} is its deprecated old name)")
    warnings.warn(f"{old_name} is deprecated and will be removed in the next release; use {new_name}",
                  DeprecationWarning, stacklevel=stacklevel)
    return old
