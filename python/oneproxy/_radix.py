"""Numba kernels: mixed-radix numbers of up to 128 bits <-> their digits.

A number is a pair of uint64 arrays ``(hi, lo)``, value ``hi * 2**64 + lo``. Digit 0 is the most
significant. Radices are below 2**32, so a run of consecutive digits whose radices multiply to
less than 2**32 (a *chunk*) costs one wide division or multiplication, and the digits inside it
plain 64-bit arithmetic. The plain-Python twins (`decode_reference`, `encode_reference`) use
Python's own big integers and serve the tests; `split128`, `split128_array` and `join128` move
Python ints below 2**128 into the ``(hi, lo)`` form and back.

>>> split128(3 << 64 | 5), join128(3, 5) == 3 << 64 | 5
((3, 5), True)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

M64 = (1 << 64) - 1  # the low word's mask; a Python int
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_ZERO = np.uint64(0)


def split128(value: int) -> tuple[int, int]:
    """``(value >> 64, value & (2**64 - 1))`` of a Python int in [0, 2**128): its two words."""
    return value >> 64, value & M64


def split128_array(values: Iterable[int]) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Python ints in [0, 2**128) as the pair ``(hi, lo)`` of uint64 arrays."""
    ints = list(values)
    return (np.array([v >> 64 for v in ints], dtype=np.uint64),
            np.array([v & M64 for v in ints], dtype=np.uint64))


def join128(hi: Any, lo: Any) -> Any:
    """``hi * 2**64 + lo`` exactly: a Python int for two words, an object array of Python ints for
    two uint64 arrays (the inverse of `split128` and `split128_array`)."""
    if isinstance(hi, np.ndarray) or isinstance(lo, np.ndarray):
        return (np.asarray(hi).astype(object) << 64) | np.asarray(lo).astype(object)
    return int(hi) << 64 | int(lo)


def chunks(radices: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """Split digit positions into chunks, from the least significant digit.

    Returns ``starts`` (int64, (K + 1,): chunk k covers positions ``starts[k+1] .. starts[k]-1``,
    ``starts[0] == len(radices)``, ``starts[K] == 0``) and ``products`` (uint64, (K,)), each
    below 2**32.
    """
    starts, products = [len(radices)], []
    product = 1
    for p in range(len(radices) - 1, -1, -1):
        r = int(radices[p])
        if product * r >= 2**32:
            starts.append(p + 1)
            products.append(product)
            product = 1
        product *= r
    starts.append(0)
    products.append(product)
    return np.array(starts, dtype=np.int64), np.array(products, dtype=np.uint64)


@njit(nogil=True, cache=True, inline="always")
def _divmod_wide(hi: np.uint64, lo: np.uint64, d: np.uint64) -> tuple[np.uint64, np.uint64, np.uint64]:
    """(hi, lo) // d and (hi, lo) % d for d < 2**32, by long division over 32-bit limbs."""
    if hi == _ZERO:
        return _ZERO, lo // d, lo % d
    q3 = (hi >> _S32) // d
    r = (hi >> _S32) % d
    cur = (r << _S32) | (hi & _M32)
    q2 = cur // d
    r = cur % d
    cur = (r << _S32) | (lo >> _S32)
    q1 = cur // d
    r = cur % d
    cur = (r << _S32) | (lo & _M32)
    q0 = cur // d
    r = cur % d
    return (q3 << _S32) | q2, (q1 << _S32) | q0, r


@njit(nogil=True, cache=True, inline="always")
def _mul_add_wide(hi: np.uint64, lo: np.uint64, m: np.uint64, a: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(hi, lo) * m + a for m, a < 2**32 (the caller knows the result fits in 128 bits)."""
    t = (lo & _M32) * m + a
    low = t & _M32
    t = (lo >> _S32) * m + (t >> _S32)
    return hi * m + (t >> _S32), ((t & _M32) << _S32) | low


@njit(nogil=True, cache=True, inline="always")
def _decode_row(i: int, hi: NDArray[np.uint64], lo: NDArray[np.uint64], radices: NDArray[np.uint64],
                starts: NDArray[np.int64], products: NDArray[np.uint64], out: NDArray[np.uint8]) -> int:
    """Digits of number ``i`` into ``out[i]``; 1 if it was too large, else 0."""
    h = hi[i]
    v = lo[i]
    for k in range(products.shape[0]):
        h, v, r = _divmod_wide(h, v, products[k])
        for p in range(starts[k] - 1, starts[k + 1] - 1, -1):
            out[i, p] = r % radices[p]
            r //= radices[p]
    return int((h | v) != _ZERO)


@njit(nogil=True, cache=True, inline="always")
def _encode_row(i: int, digits: NDArray[np.uint8], radices: NDArray[np.uint64], starts: NDArray[np.int64],
                products: NDArray[np.uint64], hi: NDArray[np.uint64], lo: NDArray[np.uint64]) -> int:
    """Number of digit row ``i`` into ``hi[i]``, ``lo[i]``; returns how many digits were out of range."""
    h = _ZERO
    v = _ZERO
    bad = 0
    for k in range(products.shape[0] - 1, -1, -1):
        c = _ZERO
        for p in range(starts[k + 1], starts[k]):
            d = np.uint64(digits[i, p])
            bad += d >= radices[p]
            c = c * radices[p] + d
        h, v = _mul_add_wide(h, v, products[k], c)
    hi[i] = h
    lo[i] = v
    return bad


# Each loop twice, on a thread team and without one (for small batches: waking a team costs
# more than the work below a few ten thousand rows). The twins are separate functions, not one
# function compiled twice: Numba's cache keys a compiled function by its source, so two
# compilations of one function share one cache entry, and the serial twin would load the
# parallel build (or the other way round).

@njit(nogil=True, cache=True, parallel=True)
def decode(hi: NDArray[np.uint64], lo: NDArray[np.uint64], radices: NDArray[np.uint64],
           starts: NDArray[np.int64], products: NDArray[np.uint64], out: NDArray[np.uint8]) -> int:
    """Digits of each number into ``out`` (n, P); returns how many numbers were too large."""
    bad = 0
    for i in prange(hi.shape[0]):
        bad += _decode_row(i, hi, lo, radices, starts, products, out)
    return bad


@njit(nogil=True, cache=True)
def decode_serial(hi: NDArray[np.uint64], lo: NDArray[np.uint64], radices: NDArray[np.uint64],
                  starts: NDArray[np.int64], products: NDArray[np.uint64], out: NDArray[np.uint8]) -> int:
    """`decode` on the calling thread."""
    bad = 0
    for i in range(hi.shape[0]):
        bad += _decode_row(i, hi, lo, radices, starts, products, out)
    return bad


@njit(nogil=True, cache=True, parallel=True)
def encode(digits: NDArray[np.uint8], radices: NDArray[np.uint64], starts: NDArray[np.int64],
           products: NDArray[np.uint64], hi: NDArray[np.uint64], lo: NDArray[np.uint64]) -> int:
    """Numbers of the digit rows (n, P) into ``hi``, ``lo``; returns how many digits were out of range."""
    bad = 0
    for i in prange(digits.shape[0]):
        bad += _encode_row(i, digits, radices, starts, products, hi, lo)
    return bad


@njit(nogil=True, cache=True)
def encode_serial(digits: NDArray[np.uint8], radices: NDArray[np.uint64], starts: NDArray[np.int64],
                  products: NDArray[np.uint64], hi: NDArray[np.uint64], lo: NDArray[np.uint64]) -> int:
    """`encode` on the calling thread."""
    bad = 0
    for i in range(digits.shape[0]):
        bad += _encode_row(i, digits, radices, starts, products, hi, lo)
    return bad


SERIAL_BELOW = 20_000


def decode_reference(values: list[int], radices: list[int]) -> list[list[int]]:
    """Digits of Python ints (the tests' twin of `decode`)."""
    rows = []
    for v in values:
        row = []
        for r in reversed(radices):
            v, d = divmod(v, r)
            row.append(d)
        if v:
            raise ValueError("value too large")
        rows.append(row[::-1])
    return rows


def encode_reference(rows: Iterable[Sequence[int]], radices: Sequence[int]) -> list[int]:
    """Python ints of digit rows, the first digit most significant (the tests' twin of `encode`;
    exact for NumPy digits too: each digit becomes a Python int first)."""
    out = []
    for row in rows:
        v = 0
        for d, r in zip(row, radices):
            v = v * int(r) + int(d)
        out.append(v)
    return out
