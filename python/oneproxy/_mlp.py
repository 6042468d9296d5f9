"""Numba kernel: once-for-all's accuracy MLP (128 -> 400 -> 400 -> 400 -> 1, ReLU), float32.

The 128 inputs are one-hots (20 blocks x 3 kernels, 20 blocks x 3 expansions, 8 resolution
bins), so the first layer is a sum of at most 41 rows of its transposed weight: the kernel adds
them straight from the rows of choices instead of multiplying a materialised one-hot matrix.
Where each block's codes and inputs are, and which blocks a depth uses, the space says
(`oneproxy.spaces.OneHotLayout`, ``OFAMobileNetV3.one_hot_layout``).
After ReLU about half of layer 1's outputs and two thirds of layer 2's are zero, so the two
400 x 400 layers skip them: each row's positive inputs are listed (index, value), and the output
row gains ``value * WT[index]`` for each, eight inputs per pass over the 400 outputs (one load of
the output per eight weight rows, all vectorised). The inputs go in chunks of `_CHUNK`, all rows
of a block for one chunk before the next, so the chunk's weight rows stay in L1/L2 across rows.
`aligned` copies keep the weight rows on 64-byte boundaries (the vector loads then never split a
cache line). Threads share the rows in slices of at most `_BLOCK` rows, one per thread for small
batches (each slice allocates its scratch: fewer slices, less memory touched per call).
`predict_reference` is the NumPy twin: the one-hot matrix times the weights.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from oneproxy.spaces import OFAMobileNetV3, OneHotLayout

_BLOCK = 64  # rows per block: 2 x 64 x 400 float32 activations (200 kB) stay in L2
_CHUNK = 32  # inputs per chunk: 32 x 400 float32 weight rows (51 kB)
_INPUTS = 128  # 60 kernel and 60 expansion one-hots, 8 resolution bins


def aligned(a: NDArray[np.float32]) -> NDArray[np.float32]:
    """A C-contiguous float32 copy of `a` starting on a 64-byte boundary."""
    buf = np.empty(a.size + 16, dtype=np.float32)
    off = (-buf.ctypes.data % 64) // 4
    out = buf[off:off + a.size].reshape(a.shape)
    out[...] = a
    return out


@njit(nogil=True, cache=True)
def _aligned_empty(m: int, h: int) -> NDArray[np.float32]:
    """Scratch (m, h) float32 starting on a 64-byte boundary."""
    buf = np.empty(m * h + 16, dtype=np.float32)
    off = (-(buf.ctypes.data // 4)) % 16
    return buf[off:off + m * h].reshape((m, h))


@njit(nogil=True, cache=True, fastmath=True)
def _sparse_layer(X: NDArray[np.float32], m: int, b: NDArray[np.float32], WT: NDArray[np.float32],
                  Y: NDArray[np.float32], idx: NDArray[np.int64], val: NDArray[np.float32],
                  ends: NDArray[np.int64]) -> None:
    """``Y[:m] = b + relu(X[:m]) @ WT`` over the positive entries of X (m, K); WT (K, H)."""
    K, H = WT.shape
    chunks = (K + _CHUNK - 1) // _CHUNK
    for i in range(m):  # list row i's positive inputs (branch-free); ends[i, t]: end of chunk t
        c = 0
        for t in range(chunks):
            for k in range(t * _CHUNK, min(K, (t + 1) * _CHUNK)):
                idx[i, c] = k
                val[i, c] = X[i, k]
                c += X[i, k] > 0
            ends[i, t] = c
        for u in range(H):
            Y[i, u] = b[u]
    for t in range(chunks):
        for i in range(m):
            p = ends[i, t - 1] if t > 0 else 0
            e = ends[i, t]
            y = Y[i]
            while p + 8 <= e:
                w0, w1, w2, w3 = WT[idx[i, p]], WT[idx[i, p + 1]], WT[idx[i, p + 2]], WT[idx[i, p + 3]]
                w4, w5, w6, w7 = WT[idx[i, p + 4]], WT[idx[i, p + 5]], WT[idx[i, p + 6]], WT[idx[i, p + 7]]
                v0, v1, v2, v3 = val[i, p], val[i, p + 1], val[i, p + 2], val[i, p + 3]
                v4, v5, v6, v7 = val[i, p + 4], val[i, p + 5], val[i, p + 6], val[i, p + 7]
                for u in range(H):
                    y[u] += (v0 * w0[u] + v1 * w1[u] + v2 * w2[u] + v3 * w3[u]
                             + v4 * w4[u] + v5 * w5[u] + v6 * w6[u] + v7 * w7[u])
                p += 8
            if p + 4 <= e:
                w0, w1, w2, w3 = WT[idx[i, p]], WT[idx[i, p + 1]], WT[idx[i, p + 2]], WT[idx[i, p + 3]]
                v0, v1, v2, v3 = val[i, p], val[i, p + 1], val[i, p + 2], val[i, p + 3]
                for u in range(H):
                    y[u] += v0 * w0[u] + v1 * w1[u] + v2 * w2[u] + v3 * w3[u]
                p += 4
            if p + 2 <= e:
                w0, w1, v0, v1 = WT[idx[i, p]], WT[idx[i, p + 1]], val[i, p], val[i, p + 1]
                for u in range(H):
                    y[u] += v0 * w0[u] + v1 * w1[u]
                p += 2
            if p < e:
                w0, v0 = WT[idx[i, p]], val[i, p]
                for u in range(H):
                    y[u] += v0 * w0[u]


@njit(nogil=True, cache=True, fastmath=True)
def _first_layer(row: NDArray[np.uint8], layout: OneHotLayout, res_bin: NDArray[np.int64],
                 W0T: NDArray[np.float32], b0: NDArray[np.float32], h: NDArray[np.float32]) -> None:
    """``h = b0 + one_hot(row) @ W0T`` (pre-activation), summing the used blocks' rows of W0T."""
    r = W0T[layout.resolution_input + res_bin[row[layout.resolution_column]]]
    for u in range(h.shape[0]):
        h[u] = b0[u] + r[u]
    for b in range(layout.slot.shape[0]):
        if layout.used[row[layout.depth_column[b]], layout.slot[b]]:
            wk = W0T[layout.kernel_input[b] + row[layout.kernel_column[b]]]
            we = W0T[layout.expand_input[b] + row[layout.expand_column[b]]]
            for u in range(h.shape[0]):
                h[u] += wk[u] + we[u]


@njit(nogil=True, cache=True, fastmath=True)
def _predict_rows(choices: NDArray[np.uint8], layout: OneHotLayout, res_bin: NDArray[np.int64],
                  W0T: NDArray[np.float32], b0: NDArray[np.float32], W1T: NDArray[np.float32],
                  b1: NDArray[np.float32], W2T: NDArray[np.float32], b2: NDArray[np.float32],
                  w3: NDArray[np.float32], b3: float, out: NDArray[np.float64]) -> None:
    """`predict` on one thread, `_BLOCK` rows at a time."""
    n = choices.shape[0]
    hidden = W0T.shape[1]
    H1 = _aligned_empty(_BLOCK, hidden)
    H2 = _aligned_empty(_BLOCK, hidden)
    idx = np.empty((_BLOCK, hidden), dtype=np.int64)
    val = np.empty((_BLOCK, hidden), dtype=np.float32)
    ends = np.empty((_BLOCK, (hidden + _CHUNK - 1) // _CHUNK), dtype=np.int64)
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        for i in range(m):  # layer 0 (pre-activation; _sparse_layer applies the ReLU)
            _first_layer(choices[start + i], layout, res_bin, W0T, b0, H1[i])
        _sparse_layer(H1, m, b1, W1T, H2, idx, val, ends)
        _sparse_layer(H2, m, b2, W2T, H1, idx, val, ends)
        for i in range(m):
            acc = np.float32(0)
            for u in range(hidden):
                acc += max(H1[i, u], np.float32(0)) * w3[u]
            out[start + i] = acc + b3


@njit(nogil=True, cache=True, parallel=True)
def _predict(choices: NDArray[np.uint8], layout: OneHotLayout, res_bin: NDArray[np.int64],
             W0T: NDArray[np.float32], b0: NDArray[np.float32], W1T: NDArray[np.float32],
             b1: NDArray[np.float32], W2T: NDArray[np.float32], b2: NDArray[np.float32],
             w3: NDArray[np.float32], b3: float, out: NDArray[np.float64], threads: int) -> None:
    n = choices.shape[0]
    step = max(1, min(_BLOCK, (n + threads - 1) // threads))  # small n: one slice (one scratch) per thread
    for t in prange((n + step - 1) // step):
        a, e = t * step, min(n, (t + 1) * step)
        _predict_rows(choices[a:e], layout, res_bin, W0T, b0, W1T, b1, W2T, b2, w3, b3, out[a:e])


def predict(choices: NDArray[np.uint8], res_bin: NDArray[np.int64], W0T: NDArray[np.float32],
            b0: NDArray[np.float32], W1T: NDArray[np.float32], b1: NDArray[np.float32],
            W2T: NDArray[np.float32], b2: NDArray[np.float32], w3: NDArray[np.float32],
            b3: float, out: NDArray[np.float64], threads: int, layout: OneHotLayout | None = None) -> None:
    """``out[i]``: the MLP's output for row ``i`` of OFA choices (n, 46), canonical or not;
    `threads`: Numba's thread count (`numba.get_num_threads()`); `layout`: the space's
    ``one_hot_layout`` (default ``OFAMobileNetV3.one_hot_layout``)."""
    _predict(choices, OFAMobileNetV3.one_hot_layout if layout is None else layout, res_bin,
             W0T, b0, W1T, b1, W2T, b2, w3, b3, out, threads)


def one_hot(choices: NDArray[np.uint8], res_bin: NDArray[np.int64],
            layout: OneHotLayout | None = None) -> NDArray[np.float32]:
    """The MLP's 128 inputs (n, 128), materialised (for the twin and the benchmark)."""
    lay = OFAMobileNetV3.one_hot_layout if layout is None else layout
    n = len(choices)
    x = np.zeros((n, _INPUTS), dtype=np.float32)
    used = lay.used[choices[:, lay.depth_column], lay.slot]  # (n, 20)
    rows, blocks = np.nonzero(used)
    x[rows, lay.kernel_input[blocks] + choices[rows, lay.kernel_column[blocks]]] = 1
    x[rows, lay.expand_input[blocks] + choices[rows, lay.expand_column[blocks]]] = 1
    x[np.arange(n), lay.resolution_input + res_bin[choices[:, lay.resolution_column]]] = 1
    return x


def predict_reference(choices: NDArray[np.uint8], res_bin: NDArray[np.int64],
                      layers: list[tuple[NDArray[np.float32], NDArray[np.float32]]],
                      layout: OneHotLayout | None = None) -> NDArray[np.float64]:
    """NumPy twin: float32 matmuls of the one-hot inputs; `layers` as (weight (out, in), bias)."""
    h = one_hot(choices, res_bin, layout)
    for k, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0)
    return h[:, 0].astype(np.float64)
