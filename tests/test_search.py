"""NSGA-II search: determinism, constraints, the evaluation cache, checkpoints and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from oneproxy import is_nondominated, predictors
from oneproxy.search import _ranks, evolve
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3

OFA = OFAMobileNetV3(range(160, 225, 4))


@pytest.fixture(scope="module")
def ofa_objectives():
    return [predictors.ofa_accuracy(OFA), predictors.ofa_note10_latency(OFA)]


def test_deterministic_and_consistent(ofa_objectives):
    """A seed fixes the result; the front is the final population's non-dominated members, their
    values are the objectives' values of their choices, and no architecture was evaluated twice."""
    a = evolve(OFA, ofa_objectives, ["max", "min"], population=24, generations=8, seed=3, progress=False)
    b = evolve(OFA, ofa_objectives, ["max", "min"], population=24, generations=8, seed=3, progress=False)
    assert np.array_equal(a.front, b.front) and a.indices == b.indices
    c = evolve(OFA, ofa_objectives, ["max", "min"], population=24, generations=8, seed=4, progress=False)
    assert not np.array_equal(a.front, c.front)
    np.testing.assert_allclose(a.front[:, 0], ofa_objectives[0].predict(a.choices))
    np.testing.assert_allclose(a.front[:, 1], ofa_objectives[1].predict(a.choices))
    assert is_nondominated(a.front, ["max", "min"]).all()
    assert [int(v) for v in OFA.encode(a.choices)] == a.indices
    assert len(a.evaluated) <= 24 * 9 and len(set(a.indices)) == len(a.indices)
    assert len(a.evaluated) == len(a.evaluated_choices) == len(np.unique(a.evaluated_choices, axis=0))
    np.testing.assert_array_equal(a.evaluated_values[:, 1], ofa_objectives[1].predict(a.evaluated_choices))
    assert all(i in a.evaluated for i in a.indices)
    assert len(a.hypervolume) == 9 and (np.diff(a.hypervolume) >= -1e-12).all()  # elitist: never worse


def test_evaluator_sees_only_new_architectures(ofa_objectives):
    seen: list[int] = []

    def evaluator(c):
        keys = [int(k) for k in OFA.encode(c)]
        assert not set(keys) & set(seen), "an architecture was evaluated twice"
        seen.extend(keys)
        return np.column_stack([o.predict(c) for o in ofa_objectives])

    r = evolve(OFA, ofa_objectives, ["max", "min"], population=16, generations=6, evaluator=evaluator,
               progress=False)
    assert len(seen) == len(r.evaluated)
    plain = evolve(OFA, ofa_objectives, ["max", "min"], population=16, generations=6, progress=False)
    assert np.array_equal(r.front, plain.front)


def test_constraints_are_respected(ofa_objectives):
    r = evolve(OFA, ofa_objectives, ["max", "min"], population=30, generations=10,
               constraints={1: ("<=", 22.0)}, progress=False)
    assert len(r.front) and (r.front[:, 1] <= 22.0).all()
    r = evolve(OFA, ofa_objectives, ["max", "min"], population=30, generations=10,
               constraints={0: (">=", 0.80)}, progress=False)
    assert (r.front[:, 0] >= 0.80).all()


def test_constrained_ranks_put_feasible_first():
    F = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.5], [5.0, 5.0]])
    cv = np.array([0.0, 3.0, 0.0, 1.0])  # the best point is infeasible
    rank, _ = _ranks(F, cv)
    assert rank[0] == rank[2] == 0 and rank[3] < rank[1]


def test_checkpoint_resumes_to_the_same_result(tmp_path, ofa_objectives):
    path = tmp_path / "s.ckpt"
    calls = [0]

    def flaky(c):
        calls[0] += 1
        if calls[0] == 5:
            raise RuntimeError("interrupted")
        return np.column_stack([o.predict(c) for o in ofa_objectives])

    with pytest.raises(RuntimeError):
        evolve(OFA, ofa_objectives, ["max", "min"], population=20, generations=8, evaluator=flaky,
               checkpoint=path, progress=False)
    resumed = evolve(OFA, ofa_objectives, ["max", "min"], population=20, generations=8, evaluator=flaky,
                     checkpoint=path, progress=False)
    whole = evolve(OFA, ofa_objectives, ["max", "min"], population=20, generations=8, progress=False)
    assert np.array_equal(resumed.front, whole.front) and resumed.indices == whole.indices
    np.testing.assert_allclose(resumed.hypervolume, whole.hypervolume)
    with pytest.raises(ValueError, match="checkpoint"):
        evolve(OFA, ofa_objectives, ["max", "min"], population=20, generations=9, checkpoint=path, progress=False)


def test_nan_objectives_are_refused(ofa_objectives):
    def evaluator(c):
        v = np.column_stack([o.predict(c) for o in ofa_objectives])
        v[len(c) // 2, 1] = np.nan
        return v

    with pytest.raises(ValueError, match="objective 1 is NaN for architecture"):
        evolve(OFA, ofa_objectives, ["max", "min"], population=8, generations=1, evaluator=evaluator,
               progress=False)


def test_population_larger_than_the_space():
    nb = NASBench201()
    lat = predictors.linear_latency("nb201", "pixel3")
    with pytest.raises(ValueError, match="population"):
        evolve(nb, [lat, lat], ["min", "min"], population=nb.size + 1, generations=1, progress=False)


def test_rates_are_used(ofa_objectives):
    """With neither crossover nor mutation every child copies a parent, so no new architecture is
    ever evaluated; either operator alone finds new ones."""
    args = dict(senses=["max", "min"], population=16, generations=4, progress=False)
    frozen = evolve(OFA, ofa_objectives, crossover_rate=0.0, mutation_rate=0.0, **args)
    assert len(frozen.evaluated_choices) == 16 and np.ptp(frozen.hypervolume) == 0
    assert len(evolve(OFA, ofa_objectives, crossover_rate=1.0, mutation_rate=0.0, **args).evaluated_choices) > 16
    assert len(evolve(OFA, ofa_objectives, crossover_rate=0.0, mutation_rate=0.5, **args).evaluated_choices) > 16


def test_other_spaces():
    nb = NASBench201()
    a, b = (predictors.linear_latency("nb201", d) for d in ("pixel3", "gold_6240"))
    r = evolve(nb, [a, b], ["min", "max"], population=12, generations=5, progress=False)
    assert r.choices.shape[1] == 6
    fb = FBNet()
    c, d = (predictors.linear_latency("fbnet", x) for x in ("pixel3", "raspi4"))
    assert len(evolve(fb, [c, d], ["min", "max"], population=12, generations=3, progress=False).front)


@pytest.mark.parametrize("kwargs, message", [
    (dict(population=3), "population must be at least 4"),
    (dict(senses=["max"]), "senses"),
    (dict(constraints={5: ("<=", 1.0)}), "not an objective index"),
    (dict(constraints={1: ("<", 1.0)}), "constraints\\[1\\]"),
    (dict(generations=-1), "generations"),
    (dict(crossover_rate=1.5), "crossover_rate"),
    (dict(mutation_rate=-0.1), "mutation_rate"),
])
def test_bad_input(kwargs, message, ofa_objectives):
    args = dict(senses=["max", "min"], population=8, generations=1, progress=False) | kwargs
    with pytest.raises(ValueError, match=message):
        evolve(OFA, ofa_objectives, **args)
