"""Objectives by name (`named_objectives`): devices of a dataset as their linear latency,
once-for-all's accuracy and Note10 table over the table's resolutions, saved predictors, and the
default senses."""
from __future__ import annotations

import numpy as np
import pytest

from oneproxy import datasets, predictors
from oneproxy.objectives import named_objectives


def test_named_objectives_of_devices_are_their_linear_latency():
    named = named_objectives("fbnet", ["pixel3", "gold_6240"])
    assert named.space.name == "fbnet" and named.names == ("pixel3", "gold_6240") and named.sense == ["min", "min"]
    for name, obj in zip(named.names, named.objectives):
        expected = predictors.linear_latency("fbnet", name)
        np.testing.assert_array_equal(obj.weights, expected.weights)
        assert obj.constant == expected.constant
    assert named_objectives("fbnet", ["pixel3", "gold_6240"], sense=["min", "max"]).sense == ["min", "max"]
    nb = datasets.load("nb201")
    rows = np.random.default_rng(0).choice(nb.n_archs, 300, replace=False)
    small = datasets.from_frame({"index": rows.tolist(), "raspi4": nb.latency_of("raspi4")[rows].tolist()},
                                "nb201", name="small")
    mine = named_objectives("nb201", ["raspi4"], dataset=small)
    np.testing.assert_array_equal(mine.objectives[0].weights, predictors.linear_latency(small, "raspi4").weights)


def test_named_objectives_of_once_for_all_restrict_it_to_the_note10_table(tmp_path):
    named = named_objectives("ofa-mbv3", ["note10", "accuracy"])
    assert tuple(named.space.resolutions) == predictors.OFANote10Latency.RESOLUTIONS == tuple(range(160, 225, 4))
    assert named.sense == ["min", "max"]
    assert isinstance(named.objectives[0], predictors.OFANote10Latency)
    assert isinstance(named.objectives[1], predictors.OFAAccuracy)
    assert all(obj.space == named.space for obj in named.objectives)
    assert named_objectives("ofa-mbv3", ["2080ti_1"]).space == datasets.load("ofa-mbv3").space  # 128-224 px
    with pytest.raises(ValueError, match="objective '2080ti_1': devices of ofa-mbv3 are over"):
        named_objectives("ofa-mbv3", ["accuracy", "2080ti_1"])
    path = tmp_path / "p.npz"
    predictors.linear_latency("fbnet", "pixel3").save(path)
    saved = named_objectives("fbnet", [str(path)])
    np.testing.assert_array_equal(saved.objectives[0].weights, predictors.linear_latency("fbnet", "pixel3").weights)


@pytest.mark.parametrize("call, match", [
    (lambda: named_objectives("fbnet", []), "names must hold at least one objective"),
    (lambda: named_objectives("nope", ["pixel3"]), "space must be one of"),
    (lambda: named_objectives("nb201", ["pixel3"], dataset="fbnet"), "devices of fbnet are over"),
    (lambda: named_objectives("fbnet", ["accuracy"]), "device must be one of"),  # accuracy is once-for-all's
])
def test_named_objectives_refuse(call, match):
    with pytest.raises(ValueError, match=match):
        call()
