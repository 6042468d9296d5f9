"""Figures a person reads: correlation heatmaps, latency scatter grids, proxy reuse and adaptation.

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


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    path = Path(path)
    if not path.suffix:  # matplotlib would add .png itself: say so in the path returned
        path = path.with_name(path.name + ".png")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


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

    plt = _pyplot()
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
    return _save(fig, path)


def latency_grid(latency: NDArray[np.float64], labels: Sequence[str], path: str | Path,
                 *, title: str = "") -> Path:
    """Pairwise scatter plots (log-log) of several devices' latencies over the same
    architectures, each panel titled with its SRCC. `latency`: (d, n) ms."""
    from oneproxy.correlation import spearman

    plt = _pyplot()
    L = np.asarray(latency, dtype=float)
    d = len(L)
    fig, axes = plt.subplots(d - 1, d - 1, figsize=(2.6 * (d - 1), 2.5 * (d - 1)), squeeze=False)
    for i in range(1, d):
        for j in range(d - 1):
            ax = axes[i - 1, j]
            if j >= i:
                ax.axis("off")
                continue
            ok = np.isfinite(L[i]) & np.isfinite(L[j]) & (L[i] > 0) & (L[j] > 0)
            ax.scatter(L[j, ok], L[i, ok], s=2, alpha=0.3, linewidths=0)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"SRCC {spearman(L[j, ok], L[i, ok]):.2f}", fontsize=8)
            ax.tick_params(labelsize=6)
            if i == d - 1:
                ax.set_xlabel(f"{labels[j]} (ms)", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{labels[i]} (ms)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def reuse_fronts(panels: Sequence[tuple[str, NDArray, NDArray, NDArray, NDArray]], path: str | Path,
                 *, accuracy_label: str = "accuracy") -> Path:
    """One panel per (title, accuracy, target latency, target's Pareto set, proxy's Pareto set):
    all architectures in grey, the target's own front, and the proxy's set placed at its
    latency on the target."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, (title, acc, lat, T, P) in zip(axes[0], panels):
        ax.scatter(lat, acc, s=2, c="0.8", linewidths=0, label="all architectures")
        ax.plot(lat[T], acc[T], "-o", ms=3, color="tab:blue", label="target's Pareto front")
        ax.scatter(lat[P], acc[P], s=22, marker="x", color="tab:red",
                   label="proxy's Pareto set, on the target")
        ax.set_xscale("log")
        ax.set_xlabel("target latency (ms)")
        ax.set_ylabel(accuracy_label)
        ax.set_ylim(max(np.min(acc[T]) - 10, np.min(acc)), np.max(acc) + 0.5)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def reuse_vs_srcc(srcc: NDArray, hv_ratio: NDArray, regret: NDArray, path: str | Path,
                  *, hv_after: NDArray | None = None, regret_unit: str = "") -> Path:
    """Reuse loss against the proxy/target SRCC over pairs: hypervolume ratio and mean
    accuracy regret (optionally the adapted predictor's hypervolume ratio too)."""
    plt = _pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.scatter(srcc, hv_ratio, s=8, alpha=0.6, label="proxy's measured Pareto set")
    if hv_after is not None:
        a.scatter(srcc, hv_after, s=8, alpha=0.6, marker="^", label="adapted predictor's set")
        a.legend(fontsize=7)
    a.set_xlabel("SRCC(proxy, target)")
    a.set_ylabel("hypervolume ratio on the target")
    b.scatter(srcc, regret, s=8, alpha=0.6)
    b.set_xlabel("SRCC(proxy, target)")
    b.set_ylabel(f"mean accuracy regret {regret_unit}".strip())
    for ax in (a, b):
        ax.axvline(0.9, color="0.5", lw=0.8, ls="--")
    return _save(fig, path)


def before_after(before: NDArray, after: dict[str, NDArray], path: str | Path) -> Path:
    """SRCC on the target after adaptation against before (one point per pair and method)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    for (name, values), marker in zip(after.items(), "o^s"):
        ax.scatter(before, values, s=8, alpha=0.5, marker=marker, label=name)
    lo = min(np.min(before), *(np.min(v) for v in after.values()))
    ax.plot([lo, 1], [lo, 1], color="0.5", lw=0.8)
    ax.axhline(0.9, color="0.5", lw=0.8, ls="--")
    ax.set_xlabel("SRCC before (proxy measured vs target measured)")
    ax.set_ylabel("SRCC after (predictor vs target measured)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def samples_curves(curves: dict[str, dict[str, NDArray]], path: str | Path) -> Path:
    """Mean SRCC after adaptation against target samples, one panel per dataset."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 4), squeeze=False)
    for ax, (name, c) in zip(axes[0], curves.items()):
        for key, label in (("adaproxy", "AdaProxy (one proxy)"), ("multi", "multi-proxy"),
                           ("target_only", "target-only ridge"), ("before", "before (measured proxy)")):
            ax.plot(c["sizes"], c[key], marker="o", ms=3, label=label, ls="--" if key == "before" else "-")
        ax.set_xscale("log")
        ax.set_xlabel("target samples")
        ax.set_ylabel("mean SRCC on the rest")
        ax.axhline(0.9, color="0.5", lw=0.8, ls=":")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    return _save(fig, path)


def search_front(evaluated: NDArray, front: NDArray, names: Sequence[str], path: str | Path) -> Path:
    """Every evaluated architecture (grey) and the final front of a two-objective search;
    objective 1 on the x axis, objective 0 on the y axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.scatter(evaluated[:, 1], evaluated[:, 0], s=3, c="0.75", label="evaluated")
    ax.plot(front[:, 1], front[:, 0], "-o", ms=3, label="final front")
    ax.set_xlabel(names[1])
    ax.set_ylabel(names[0])
    ax.legend(fontsize=7)
    return _save(fig, path)


def predicted_vs_measured(panels: Sequence[tuple[str, NDArray, NDArray]], path: str | Path) -> Path:
    """One panel per (title, predicted ms, measured ms): the points, the diagonal, SRCC in the title."""
    from oneproxy.correlation import spearman

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.2), squeeze=False)
    for ax, (title, pred, meas) in zip(axes[0], panels):
        ax.scatter(meas, pred, s=10, alpha=0.7)
        lo, hi = float(min(np.min(pred), np.min(meas))), float(max(np.max(pred), np.max(meas)))
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
        r = spearman(pred, meas) if len(meas) >= 2 else float("nan")
        ax.set_title(f"{title} (n = {len(meas)}, SRCC {r:.3f})", fontsize=9)
        ax.set_xlabel("measured latency (ms)")
        ax.set_ylabel("predicted latency (ms)")
    return _save(fig, path)


def measured_fronts(fronts: dict[str, NDArray], path: str | Path,
                    accuracy_label: str = "predicted ImageNet top-1") -> Path:
    """Fronts as measured, {name: (k, 2) rows of (accuracy, measured ms)}: each one's points and
    its non-dominated staircase."""
    from oneproxy.pareto import pareto_front

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for (name, P), marker in zip(fronts.items(), "o^sv"):
        ax.scatter(P[:, 1], P[:, 0], s=16, marker=marker, alpha=0.7, label=name)
        F = P[pareto_front(P, ["max", "min"])]
        F = F[np.argsort(F[:, 1])]
        ax.step(F[:, 1], F[:, 0], where="post", lw=0.9, alpha=0.8)
    ax.set_xlabel("measured latency (ms)")
    ax.set_ylabel(accuracy_label)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)
