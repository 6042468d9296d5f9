"""The heatmap's clustering and file output."""
from __future__ import annotations

import numpy as np
import pytest

from oneproxy.plots import cluster_order, correlation_heatmap


def test_cluster_order_groups_correlated_devices():
    rng = np.random.default_rng(0)
    base = rng.random((2, 500))
    # devices 0, 2, 4 follow base[0]; 1, 3, 5 follow base[1]
    L = np.stack([base[i % 2] + 0.05 * rng.random(500) for i in range(6)])
    order = cluster_order(np.corrcoef(L))
    assert sorted(order.tolist()) == list(range(6))
    groups = [i % 2 for i in order]
    assert groups in ([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0])


def test_cluster_order_tolerates_nan_and_tiny_inputs():
    R = np.array([[1.0, np.nan, 0.2], [np.nan, np.nan, np.nan], [0.2, np.nan, 1.0]])
    assert sorted(cluster_order(R).tolist()) == [0, 1, 2]
    assert cluster_order(np.ones((1, 1))).tolist() == [0]


def test_heatmap_rejects_mismatched_labels(tmp_path):
    with pytest.raises(ValueError, match="labels"):
        correlation_heatmap(np.eye(3), ["a", "b"], tmp_path / "x.png")


def test_heatmap_writes_a_png(tmp_path):
    import matplotlib.image

    path = correlation_heatmap(np.array([[1.0, 0.5], [0.5, 1.0]]), ["a", "b"], tmp_path / "x.png",
                               title="t")
    assert path.exists()
    assert matplotlib.image.imread(path).ndim == 3
