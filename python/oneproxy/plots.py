"""Figures a person reads: the device × device correlation heatmap.

matplotlib is imported here only, with the non-interactive Agg backend, so that importing
``oneproxy`` stays fast and works without a display.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def cluster_order(R: NDArray[np.float64]) -> NDArray[np.intp]:
    """Order of the rows of a correlation matrix that puts similar devices side by side.

    Average-linkage hierarchical clustering on the distance ``1 - R`` (nan counts as 1,
    i.e. uncorrelated); the dendrogram's leaf order.

    Parameters
    ----------
    R : ndarray, shape (d, d)
        Symmetric correlation matrix.

    Returns
    -------
    ndarray of intp, shape (d,)
        A permutation of ``range(d)``.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    d = R.shape[0]
    if d < 3:
        return np.arange(d)
    D = np.clip(1.0 - np.nan_to_num(R, nan=0.0), 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    return leaves_list(linkage(squareform((D + D.T) / 2, checks=False), method="average"))


def correlation_heatmap(
    R: NDArray[np.float64],
    labels: Sequence[str],
    path: str | Path,
    *,
    title: str = "",
    cluster: bool = True,
) -> Path:
    """Write a heatmap of a device × device correlation matrix to `path` (PNG, SVG, PDF).

    Parameters
    ----------
    R : ndarray, shape (d, d)
        Correlations in [-1, 1] (nan shown grey).
    labels : sequence of str, length d
        Device names, shown on both axes.
    path : str or Path
        Output file; the format follows the suffix.
    title : str
        Figure title.
    cluster : bool
        Reorder rows and columns by :func:`cluster_order`.

    Returns
    -------
    Path
        The file written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] != len(labels):
        raise ValueError(f"R must be square with one label per row, got shape {R.shape} and {len(labels)} labels")
    order = cluster_order(R) if cluster else np.arange(len(labels))
    R = R[np.ix_(order, order)]
    names = [labels[i] for i in order]
    d = len(names)

    size = max(4.0, 0.42 * d + 2.0)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    vmin = min(float(np.nanmin(R)) if np.isfinite(R).any() else 0.0, 0.9)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.8")
    im = ax.imshow(np.ma.masked_invalid(R), cmap=cmap, vmin=vmin, vmax=1.0)
    ax.set_xticks(range(d), names, rotation=90, fontsize=8)
    ax.set_yticks(range(d), names, fontsize=8)
    if d <= 30:
        for i in range(d):
            for j in range(d):
                if np.isfinite(R[i, j]):
                    shade = (R[i, j] - vmin) / max(1.0 - vmin, 1e-12)
                    ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="black" if shade > 0.6 else "white")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
