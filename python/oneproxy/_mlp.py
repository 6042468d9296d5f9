"""Numba kernel: once-for-all's accuracy MLP (128 -> 400 -> 400 -> 400 -> 1, ReLU), float32.

The 128 inputs are one-hots (20 blocks x 3 kernels, 20 blocks x 3 expansions, 8 resolution
bins), so the first layer is a sum of at most 41 rows of its transposed weight: the kernel adds
them straight from the rows of choices instead of multiplying a materialised one-hot matrix. The
two 400 x 400 layers run as BLAS products over blocks of rows that stay in cache.
`predict_reference` is the NumPy twin: the one-hot matrix times the weights.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

_BLOCK = 512  # rows per BLAS product: 512 x 400 float32 activations (800 kB) stay in L2/L3


@njit(nogil=True, cache=True)
def predict(choices: NDArray[np.uint8], res_bin: NDArray[np.int64], W0T: NDArray[np.float32],
            b0: NDArray[np.float32], W1T: NDArray[np.float32], b1: NDArray[np.float32],
            W2T: NDArray[np.float32], b2: NDArray[np.float32], w3: NDArray[np.float32],
            b3: float, out: NDArray[np.float64]) -> None:
    """``out[i]``: the MLP's output for row ``i`` of OFA choices (n, 46), canonical or not."""
    n = choices.shape[0]
    hidden = W0T.shape[1]
    H = np.empty((_BLOCK, hidden), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        for i in range(m):
            row = choices[start + i]
            h = H[i]
            r = W0T[120 + res_bin[row[0]]]
            for u in range(hidden):
                h[u] = b0[u] + r[u]
            for s in range(5):
                for j in range(row[1 + s] + 2):
                    b = 4 * s + j
                    wk = W0T[3 * b + row[6 + b]]
                    we = W0T[60 + 3 * b + row[26 + b]]
                    for u in range(hidden):
                        h[u] += wk[u] + we[u]
            for u in range(hidden):
                h[u] = max(h[u], np.float32(0))
        H2 = np.dot(H[:m], W1T)
        for i in range(m):
            for u in range(hidden):
                H2[i, u] = max(H2[i, u] + b1[u], np.float32(0))
        H3 = np.dot(H2, W2T)
        for i in range(m):
            acc = np.float32(0)
            for u in range(hidden):
                acc += max(H3[i, u] + b2[u], np.float32(0)) * w3[u]
            out[start + i] = acc + b3


def one_hot(choices: NDArray[np.uint8], res_bin: NDArray[np.int64]) -> NDArray[np.float32]:
    """The MLP's 128 inputs (n, 128), materialised (for the twin and the benchmark)."""
    n = len(choices)
    x = np.zeros((n, 128), dtype=np.float32)
    depth = choices[:, 1:6].astype(np.int64) + 2
    used = (np.arange(4) < depth[:, :, None]).reshape(n, 20)
    rows, blocks = np.nonzero(used)
    x[rows, 3 * blocks + choices[rows, 6 + blocks]] = 1
    x[rows, 60 + 3 * blocks + choices[rows, 26 + blocks]] = 1
    x[np.arange(n), 120 + res_bin[choices[:, 0]]] = 1
    return x


def predict_reference(choices: NDArray[np.uint8], res_bin: NDArray[np.int64],
                      layers: list[tuple[NDArray[np.float32], NDArray[np.float32]]]) -> NDArray[np.float64]:
    """NumPy twin: float32 matmuls of the one-hot inputs; `layers` as (weight (out, in), bias)."""
    h = one_hot(choices, res_bin)
    for k, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0)
    return h[:, 0].astype(np.float64)
