"""NSGA-II search: determinism, constraints, the evaluation cache, checkpoints and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from oneproxy import hypervolume_ratio, is_nondominated, predictors
from oneproxy import _core
from oneproxy.search import evolve
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
    assert np.array_equal(a.front, b.front) and np.array_equal(a.indices, b.indices)
    c = evolve(OFA, ofa_objectives, ["max", "min"], population=24, generations=8, seed=4, progress=False)
    assert not np.array_equal(a.front, c.front)
    np.testing.assert_allclose(a.front[:, 0], ofa_objectives[0].predict(a.choices))
    np.testing.assert_allclose(a.front[:, 1], ofa_objectives[1].predict(a.choices))
    assert is_nondominated(a.front, ["max", "min"]).all()
    assert a.indices.dtype == (np.uint64 if OFA.fits_64_bits else object)
    assert np.array_equal(OFA.encode(a.choices), a.indices)
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


def plain_survivors(F, cv, n):
    """NSGA-II survival written out: peel Pareto fronts off the feasible rows (O(N^2) per front),
    crowd each front, infeasible rows after them by violation level; sort by (rank, -crowding,
    row)."""
    N, m = F.shape
    rank, crowd = np.zeros(N, dtype=int), np.zeros(N)
    remaining, front = [i for i in range(N) if cv[i] <= 0], 0
    while remaining:
        top = [i for i in remaining
               if not any((F[j] <= F[i]).all() and (F[j] < F[i]).any() for j in remaining)]
        rank[top] = front
        if len(top) <= 2:
            crowd[top] = np.inf
        else:
            for k in range(m):
                order = sorted(top, key=lambda i: (F[i, k], i))
                crowd[order[0]] = crowd[order[-1]] = np.inf
                span = F[order[-1], k] - F[order[0], k]
                if span > 0:
                    for a, i, b in zip(order, order[1:], order[2:]):
                        crowd[i] += (F[b, k] - F[a, k]) / span
        remaining = [i for i in remaining if i not in top]
        front += 1
    levels = sorted({cv[i] for i in range(N) if cv[i] > 0})
    for i in range(N):
        if cv[i] > 0:
            rank[i] = front + levels.index(cv[i])
    order = sorted(range(N), key=lambda i: (rank[i], -crowd[i], i))[:n]
    return np.array(order, dtype=np.int64), crowd[order]


def test_survival_matches_a_plain_reference():
    """The core's survival against the written-out one: random and integer-grid objectives
    (ties, duplicate points), some infeasible rows with repeated violations, all sizes."""
    rng = np.random.default_rng(12)
    for trial in range(60):
        N, m = int(rng.integers(0, 40)), int(rng.integers(1, 4))
        F = rng.random((N, m)) if trial % 2 else rng.integers(0, 4, (N, m)).astype(float)
        cv = np.where(rng.random(N) < 0.3, rng.integers(1, 4, N).astype(float), 0.0) if trial % 3 else np.zeros(N)
        n = int(rng.integers(0, N + 2))
        keep, crowd = _core.survivors(F, cv, n)
        want_keep, want_crowd = plain_survivors(F, cv, n)
        np.testing.assert_array_equal(keep, want_keep)
        np.testing.assert_array_equal(crowd, want_crowd)
    F = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.5], [5.0, 5.0]])
    keep, _ = _core.survivors(F, np.array([0.0, 3.0, 0.0, 1.0]), 4)  # the best point is infeasible
    assert keep.tolist() == [0, 2, 3, 1]
    with pytest.raises(ValueError, match="NaN in row 1"):
        _core.survivors(np.array([[0.0], [np.nan]]), np.zeros(2), 1)
    with pytest.raises(ValueError, match="one value per row"):
        _core.survivors(F, np.zeros(3), 1)


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
    assert np.array_equal(resumed.front, whole.front) and np.array_equal(resumed.indices, whole.indices)
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


def test_one_search_serves_many_devices():
    """docs/search.md's example, smaller: the front found with a proxy's latency predictor keeps
    nearly all the hypervolume of a search with each target's own predictor (measured 0.99; 30
    random architectures reach about 0.87)."""
    acc = predictors.TableAccuracy.from_dataset("nb201")
    args = dict(sense=["max", "min"], population=30, generations=15, progress=False)
    found = evolve("nb201", [acc, predictors.linear_latency("nb201", "gold_6240")], **args)
    for device in ("pixel3", "raspi4"):
        target = predictors.linear_latency("nb201", device)
        reused = np.column_stack([found.front[:, 0], target.predict(found.choices)])
        own = evolve("nb201", [acc, target], **args).front
        ref = [min(reused[:, 0].min(), own[:, 0].min()), max(reused[:, 1].max(), own[:, 1].max())]
        assert hypervolume_ratio(reused, own, ref, ["max", "min"]) > 0.97


def test_population_larger_than_the_space():
    nb = NASBench201()
    lat = predictors.linear_latency("nb201", "pixel3")
    with pytest.raises(ValueError, match="population"):
        evolve(nb, [lat, lat], ["min", "min"], population=nb.size + 1, generations=1, progress=False)


def test_rates_are_used(ofa_objectives):
    """With neither crossover nor mutation every child copies a parent, so no new architecture is
    ever evaluated; either operator alone finds new ones."""
    args = dict(sense=["max", "min"], population=16, generations=4, progress=False)
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
    (dict(population=3), "population must be >= 4, got 3"),
    (dict(sense=["max"]), "sense must have one entry"),
    (dict(constraints={5: ("<=", 1.0)}), "not an objective index"),
    (dict(constraints={1: ("<", 1.0)}), "constraints\\[1\\]"),
    (dict(generations=-1), "generations"),
    (dict(crossover_rate=1.5), "crossover_rate"),
    (dict(mutation_rate=-0.1), "mutation_rate"),
    # accepted and truncated or compared as strings before (issue 19)
    (dict(population=4.7), "population must be an integer >= 4, got 4.7"),
    (dict(population="10"), "population must be an integer >= 4, got '10'"),
    (dict(population=True), "population must be an integer >= 4, got True"),
    (dict(generations=1.5), "generations must be an integer >= 0, got 1.5"),
    (dict(crossover_rate="x"), r"crossover_rate must be a number in \[0, 1\], got 'x'"),
    (dict(crossover_rate=np.nan), r"crossover_rate must be a number in \[0, 1\], got nan"),
    (dict(mutation_rate="0.1"), r"mutation_rate must be a number in \[0, 1\], got '0.1'"),
    (dict(constraints=[(1, "<=", 25.0)]), r"constraints must be a dict \{objective index"),
    (dict(constraints={1: ("<=", "25")}), r"constraints\[1\]'s bound must be a finite number, got '25'"),
    (dict(constraints={1: ("<=", np.nan)}), r"constraints\[1\]'s bound must be a finite number, got nan"),
    (dict(constraints={True: ("<=", 1.0)}), "not an objective index"),
    (dict(seed="x"), "seed must be a non-negative integer, got 'x'"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seed=1.5), "seed must be a non-negative integer, got 1.5"),
])
def test_bad_input(kwargs, message, ofa_objectives):
    args = dict(sense=["max", "min"], population=8, generations=1, progress=False) | kwargs
    with pytest.raises(ValueError, match=message):
        evolve(OFA, ofa_objectives, **args)


def test_a_checkpoint_of_other_predictors_is_refused(tmp_path):
    """The fingerprint holds what the objectives compute: the same predictor class fitted to
    another device (pixel3 -> gold_6240) is another search, not a resume with stale values."""
    from oneproxy import predictors
    from oneproxy.checkpoints import CheckpointError

    path = tmp_path / "s.ckpt"
    first = [predictors.linear_latency("fbnet", "pixel3"), predictors.linear_latency("fbnet", "raspi4")]
    evolve("fbnet", first, population=8, generations=2, seed=0, checkpoint=path, progress=False)
    swapped = [predictors.linear_latency("fbnet", "gold_6240"), predictors.linear_latency("fbnet", "raspi4")]
    with pytest.raises(CheckpointError, match="belongs to a search with other arguments"):
        evolve("fbnet", swapped, population=8, generations=2, seed=0, checkpoint=path, progress=False)
    again = evolve("fbnet", first, population=8, generations=2, seed=0, checkpoint=path, progress=False)
    assert len(again.front)


def test_sense_is_one_argument_and_senses_its_deprecated_name(ofa_objectives):
    """scan, exact_front and evolve spell the objectives' directions `sense`, as pareto does; the
    old `senses` still works for one release with a DeprecationWarning, and both at once is refused."""
    from oneproxy.scan import exact_front, scan
    nb = NASBench201()
    objs = [predictors.linear_latency("nb201", "pixel3"), predictors.linear_latency("nb201", "fpga")]
    new = scan(nb, objs, sense=["min", "max"], progress=False)
    with pytest.warns(DeprecationWarning, match="senses is deprecated.*use sense"):
        old = scan(nb, objs, senses=["min", "max"], progress=False)
    assert np.array_equal(new.front, old.front) and np.array_equal(new.indices, old.indices)
    with pytest.warns(DeprecationWarning, match="senses"):
        assert np.array_equal(exact_front(nb, objs, senses=["min", "max"]).front,
                              exact_front(nb, objs, ["min", "max"]).front)
    kwargs = dict(population=8, generations=2, seed=1, progress=False)
    with pytest.warns(DeprecationWarning, match="senses"):
        r = evolve(OFA, ofa_objectives, senses=["max", "min"], **kwargs)
    assert np.array_equal(r.front, evolve(OFA, ofa_objectives, sense=["max", "min"], **kwargs).front)
    for call in (lambda: scan(nb, objs, ["min", "max"], senses=["min", "max"], progress=False),
                 lambda: exact_front(nb, objs, ["min", "max"], senses=["min", "max"]),
                 lambda: evolve(OFA, ofa_objectives, ["max", "min"], senses=["max", "min"], **kwargs)):
        with pytest.raises(TypeError, match="give sense only"):
            call()
    with pytest.raises(ValueError, match=r"sense\[1\] must be 'min' or 'max', got 'maximum'"):
        scan(nb, objs, ["min", "maximum"], progress=False)
    with pytest.raises(ValueError, match="sense must have one entry per objective"):
        evolve(OFA, ofa_objectives, ["max"], **kwargs)


def test_scan_and_search_results_have_the_same_fields():
    """Both results give the front's rows of choices and indices as fields of the same types:
    uint64 indices where the space's fit in 64 bits, Python ints (object) past them."""
    from dataclasses import fields

    from oneproxy.scan import scan
    for space, dtype in ((NASBench201(), np.uint64), (FBNet(), object)):
        objs = [predictors.linear_latency(space.name, "pixel3"), predictors.linear_latency(space.name, "fpga")
                if space.name == "nb201" else predictors.linear_latency(space.name, "gold_6240")]
        s = scan(space, objs, ["min", "max"], sample=2000, seed=0, progress=False)
        e = evolve(space, objs, ["min", "max"], population=12, generations=2, seed=0, progress=False)
        assert {"front", "choices", "indices", "seconds", "space"} <= \
            {name for name, _ in {(f.name, f.type) for f in fields(s)} & {(f.name, f.type) for f in fields(e)}}
        for r in (s, e):
            assert r.indices.dtype == dtype and r.choices.dtype == np.uint8 and len(r.front) >= 2
            assert r.choices.shape == (len(r.front), space.n_positions)
            np.testing.assert_array_equal(space.encode(r.choices), r.indices)
