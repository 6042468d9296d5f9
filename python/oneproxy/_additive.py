"""Numba kernel: additive predictors, a constant plus one table entry per one-hot group.

``codes`` (n, G) holds each architecture's code in every group of a space's one-hot layout
(``Space.groups``; -1 where a group is inactive). Without conditioning, the prediction is
``constant[0] + sum_g W[0, g, codes[:, g]]``; conditioned on group 0 (once-for-all's resolution,
on which a per-layer latency table depends), ``k = codes[:, 0]`` picks ``W[k]`` and
``constant[k]`` and group 0 adds nothing itself. `predict_reference` is the NumPy twin.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray


@njit(nogil=True, cache=True, inline="always")
def _predict_row(i: int, codes: NDArray, sizes: NDArray[np.int64], W: NDArray[np.float64],
                 constant: NDArray[np.float64], conditional: bool, out: NDArray[np.float64]) -> int:
    """Fill ``out[i]``; returns how many of row i's codes were outside ``[-1, sizes[g])``."""
    k = 0
    first = 0
    bad = 0
    if conditional:
        k = codes[i, 0]
        first = 1
        if k < 0 or k >= sizes[0]:
            bad += 1
            k = 0
    s = constant[k]
    for g in range(first, codes.shape[1]):
        c = codes[i, g]
        if c >= 0:
            if c < sizes[g]:
                s += W[k, g, c]
            else:
                bad += 1
        elif c < -1:
            bad += 1
    out[i] = s
    return bad


@njit(nogil=True, cache=True, parallel=True)
def predict(codes: NDArray, sizes: NDArray[np.int64], W: NDArray[np.float64],
            constant: NDArray[np.float64], conditional: bool, out: NDArray[np.float64]) -> int:
    """Fill ``out`` (n,); returns how many codes were outside ``[-1, sizes[g])``."""
    bad = 0
    for i in prange(codes.shape[0]):
        bad += _predict_row(i, codes, sizes, W, constant, conditional, out)
    return bad


# The same loop without threads, for small batches: waking a thread team costs more than it
# saves below a few ten thousand rows, and a team left spinning slows the caller's next BLAS
# call. A function of its own, not `predict` compiled again: Numba's cache keys a compiled
# function by its source, and a second compilation of `predict` would load the parallel build.
@njit(nogil=True, cache=True)
def predict_serial(codes: NDArray, sizes: NDArray[np.int64], W: NDArray[np.float64],
                   constant: NDArray[np.float64], conditional: bool, out: NDArray[np.float64]) -> int:
    """`predict` on the calling thread."""
    bad = 0
    for i in range(codes.shape[0]):
        bad += _predict_row(i, codes, sizes, W, constant, conditional, out)
    return bad


SERIAL_BELOW = 50_000


def predict_reference(codes: NDArray, W: NDArray[np.float64], constant: NDArray[np.float64],
                      conditional: bool) -> NDArray[np.float64]:
    """NumPy twin of `predict` (valid codes only)."""
    codes = codes.astype(np.int64)
    k = codes[:, 0] if conditional else np.zeros(len(codes), dtype=np.int64)
    first = 1 if conditional else 0
    g = np.arange(first, codes.shape[1])
    c = codes[:, first:]
    terms = np.where(c >= 0, W[k[:, None], g[None, :], np.maximum(c, 0)], 0.0)
    return constant[k] + terms.sum(axis=1)
