"""The OneProxy workflow against plain references: scipy and brute-force loops for monotonicity,
an O(n^2) dominance loop for Pareto sets, a sweep hypervolume and plain loops for reuse, and a
recomputation of the study protocol on a small dataset."""
from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau, spearmanr

import oneproxy
from oneproxy import (Monotonicity, adapt, datasets, kendall_matrix, monotonicity, pareto_set, predictors,
                      reuse, samples_curve, spearman, spearman_matrix, study)
from oneproxy.datasets import Dataset
from oneproxy.workflow import adapt_pair, reuse_pair, split


@pytest.fixture(scope="module")
def nb201():
    return datasets.load("nb201")


@pytest.fixture(scope="module")
def oneproxy_ds():
    return datasets.load("nb201-oneproxy")


SMALL_DEVICES = ("gold_6240", "pixel3", "raspi4", "eyeriss")


def small_dataset(accuracy: bool = True) -> Dataset:
    """600 random NAS-Bench-201 cells on 4 devices of the real nb201 table (named "nb201", so its
    space is NASBench201)."""
    nb = datasets.load("nb201")
    rows = np.sort(np.random.default_rng(0).choice(nb.n_archs, 600, replace=False))
    idx = [nb.devices.index(d) for d in SMALL_DEVICES]
    return Dataset(name="nb201", devices=SMALL_DEVICES, arch_index=nb.arch_index[rows],
                   latency=nb.latency[idx][:, rows], accuracy=nb.accuracy[rows] if accuracy else None,
                   accuracy_name=nb.accuracy_name if accuracy else None,
                   columns={"ops": nb.columns["ops"][rows]}, source="600 cells of nb201, for tests")


@pytest.fixture(scope="module")
def small():
    return small_dataset()


SEEDS = (0, 1)
SAMPLES = 30


@pytest.fixture(scope="module")
def full_study(small):
    return study(small, samples=SAMPLES, seeds=SEEDS)


# ---------------------------------------------------------------------------- references

def pareto_reference(acc, lat) -> list[int]:
    """Indices no other point dominates (at least as accurate and as fast, better in one),
    duplicates kept, ordered by latency then index."""
    n = len(acc)
    keep = [i for i in range(n)
            if not any(acc[j] >= acc[i] and lat[j] <= lat[i] and (acc[j] > acc[i] or lat[j] < lat[i])
                       for j in range(n))]
    return sorted(keep, key=lambda i: (lat[i], i))


def pareto_reference_fast(acc, lat) -> list[int]:
    """The same O(n^2) test, one NumPy row per point (for 15,625 points)."""
    keep = [i for i in range(len(acc))
            if not np.any((acc >= acc[i]) & (lat <= lat[i]) & ((acc > acc[i]) | (lat < lat[i])))]
    return sorted(keep, key=lambda i: (lat[i], i))


def hv_reference(acc, lat, ref_acc, ref_lat) -> float:
    """Area dominated by the points (higher accuracy, lower latency) inside the box bounded by
    (ref_acc, ref_lat): sweep the points by latency, keeping the best accuracy so far."""
    pts = sorted((float(l), float(a)) for a, l in zip(acc, lat) if l <= ref_lat)
    area, best = 0.0, ref_acc
    for k, (l, a) in enumerate(pts):
        best = max(best, a)
        nxt = pts[k + 1][0] if k + 1 < len(pts) else ref_lat
        area += (nxt - l) * (best - ref_acc)
    return area


def igd_plus_reference(acc, lat, P, T) -> float:
    """Mean over T of the distance to the nearest point of P, charging only where P is worse,
    both objectives divided by their range over all points."""
    sa, sl = np.ptp(acc) or 1.0, np.ptp(lat) or 1.0
    total = 0.0
    for t in T:
        total += min(math.hypot(max(acc[t] / sa - acc[p] / sa, 0.0), max(lat[p] / sl - lat[t] / sl, 0.0))
                     for p in P)
    return total / len(T)


def best_within(acc, lat, S, budget) -> float:
    fits = [acc[i] for i in S if lat[i] <= budget]
    return max(fits) if fits else math.nan


def best_proxy_reference(devices, M, targets, criterion) -> str:
    best, best_score = None, -math.inf
    for i, dev in enumerate(devices):
        vals = [M[i, devices.index(t)] for t in targets if t != dev and not math.isnan(M[i, devices.index(t)])]
        score = -math.inf if not vals else min(vals) if criterion == "worst" else sum(vals) / len(vals)
        if best is None or score > best_score:
            best, best_score = dev, score
    return best


# ---------------------------------------------------------------------------- monotonicity

def test_monotonicity_of_a_dataset_is_the_pairwise_spearman_matrix(oneproxy_ds):
    """On a dataset with NaN (rice_edgetpu), the matrix is spearman_matrix(nan_policy="omit")
    and scipy's spearmanr over the rows both devices measured."""
    ds = oneproxy_ds
    mono = monotonicity(ds)
    assert mono.devices == ds.devices and mono.method == "spearman"
    np.testing.assert_array_equal(mono.matrix, spearman_matrix(ds.latency, nan_policy="omit"))
    for a, b in [("rice_edgetpu", "eagle_gtx"), ("rice_eyeriss", "true_630"), ("eagle_tpu", "rice_fpga")]:
        x, y = ds.latency_of(a), ds.latency_of(b)
        ok = ~np.isnan(x) & ~np.isnan(y)
        assert mono[a, b] == pytest.approx(spearmanr(x[ok], y[ok]).statistic, abs=1e-12)
        assert mono[a, b] == mono[b, a]
    assert monotonicity("nb201-oneproxy").matrix.tolist() == mono.matrix.tolist()  # by name


def test_monotonicity_on_a_subset_of_devices(oneproxy_ds):
    """devices= picks rows and columns of the full matrix, in the order given."""
    full = monotonicity(oneproxy_ds)
    subset = ("eagle_tpu", "true_630", "rice_edgetpu")
    mono = monotonicity(oneproxy_ds, devices=subset)
    assert mono.devices == subset
    idx = [oneproxy_ds.devices.index(d) for d in subset]
    np.testing.assert_array_equal(mono.matrix, full.matrix[np.ix_(idx, idx)])


def test_monotonicity_of_an_array_with_names(nb201):
    """An array (d, n) works with given names or "0", "1", ...; NaN left out pairwise."""
    L = nb201.latency[[0, 16, 19]].copy()
    L[1, :50] = np.nan
    mono = monotonicity(L, devices=["a", "b", "c"])
    assert mono.devices == ("a", "b", "c")
    np.testing.assert_array_equal(mono.matrix, spearman_matrix(L, nan_policy="omit"))
    assert mono["a", "b"] == pytest.approx(spearmanr(L[0, 50:], L[1, 50:]).statistic, abs=1e-12)
    assert monotonicity(L).devices == ("0", "1", "2")
    assert monotonicity(L.tolist(), devices=("x", "y", "z")).matrix.tolist() == mono.matrix.tolist()


def test_monotonicity_kendall(nb201):
    """method="kendall" is kendall_matrix and scipy's tau-b."""
    devices = ("pixel3", "raspi4", "eyeriss", "gold_6240")
    sub = nb201.latency[[nb201.devices.index(d) for d in devices]][:, :3000]
    mono = monotonicity(sub, devices=devices, method="kendall")
    assert mono.method == "kendall"
    np.testing.assert_array_equal(mono.matrix, kendall_matrix(sub, nan_policy="omit"))
    for i, j in [(0, 1), (0, 2), (2, 3)]:
        assert mono[devices[i], devices[j]] == pytest.approx(kendalltau(sub[i], sub[j]).statistic, abs=1e-12)
    assert (mono.statistic, monotonicity(sub, devices=devices).statistic) == ("Kendall tau-b", "SRCC")


def test_monotonicity_to_csv_reads_back_to_6_decimals(tmp_path):
    """One header row of devices, one row per device; a NaN correlation (a constant device) as nan."""
    L = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
    with pytest.warns(oneproxy.ConstantInputWarning):
        mono = monotonicity(L, devices=("a", "b", "c"))
    path = mono.to_csv(tmp_path / "m.csv")
    header, *rows = path.read_text().splitlines()
    assert header == "device,a,b,c" and [row.split(",")[0] for row in rows] == ["a", "b", "c"]
    back = np.array([[float(v) for v in row.split(",")[1:]] for row in rows])
    np.testing.assert_allclose(back, mono.matrix, rtol=0, atol=5e-7)
    assert np.isnan(back[2, 0]) and np.isnan(mono.matrix[2, 0])


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**32 - 1), st.sampled_from(["worst", "mean"]), st.data())
def test_best_proxy_equals_a_loop(d, seed, criterion, data):
    """best_proxy is the device with the highest worst (mean) correlation to the targets other
    than itself, NaN left out, over random matrices and target subsets."""
    rng = np.random.default_rng(seed)
    M = rng.uniform(-1, 1, size=(d, d))
    M = (M + M.T) / 2
    M[rng.random((d, d)) < 0.1] = np.nan
    np.fill_diagonal(M, 1.0)
    devices = tuple(f"dev{k}" for k in range(d))
    mono = Monotonicity(devices, M, "spearman")
    targets = data.draw(st.lists(st.sampled_from(devices), min_size=1, max_size=d, unique=True))
    assert mono.best_proxy(targets, criterion) == best_proxy_reference(devices, M, targets, criterion)
    assert mono.best_proxy(criterion=criterion) == best_proxy_reference(devices, M, devices, criterion)


def test_best_proxy_on_real_data(nb201):
    """On nb201 the loop and best_proxy agree for several target sets, both criteria."""
    mono = monotonicity(nb201)
    for targets in (["pixel3", "raspi4", "eyeriss"], ["fpga", "eyeriss"], ["1080ti_1", "pixel2"], None):
        for criterion in ("worst", "mean"):
            expected = best_proxy_reference(mono.devices, mono.matrix,
                                            mono.devices if targets is None else targets, criterion)
            assert mono.best_proxy(targets, criterion) == expected


def test_best_proxy_leaves_a_target_out_of_its_own_score():
    """A device's correlation with itself never counts: with one target, the best proxy is
    another device (the one closest to it), not the target itself."""
    M = np.array([[1.0, 0.2, 0.8], [0.2, 1.0, 0.5], [0.8, 0.5, 1.0]])
    mono = Monotonicity(("a", "b", "c"), M, "spearman")
    assert mono.best_proxy(["a"]) == "c"
    assert mono.best_proxy(["a", "b"]) == "c"  # c: min(0.8, 0.5); a: 0.2 (itself left out); b: 0.2
    assert mono.best_proxy(["a", "b"], "mean") == "c"


def test_pairs_below_equals_a_loop(oneproxy_ds):
    """pairs_below lists every unordered pair under the threshold once, lowest first."""
    mono = monotonicity(oneproxy_ds)
    d = len(mono.devices)
    for threshold in (0.5, 0.8, 0.9, 1.01):
        got = mono.pairs_below(threshold)
        expected = {(mono.devices[i], mono.devices[j]): mono.matrix[i, j]
                    for i in range(d) for j in range(i + 1, d) if mono.matrix[i, j] < threshold}
        assert {(a, b): v for a, b, v in got} == expected and len(got) == len(expected)
        values = [v for _, _, v in got]
        assert values == sorted(values) and all(v < threshold for v in values)
    at = mono.pairs_below()[3][2]
    assert all(v < at for *_, v in mono.pairs_below(at))  # strictly below
    assert len(mono.pairs_below(1.01)) == d * (d - 1) // 2


BAD_MONOTONICITY = [
    ("unknown device", lambda: monotonicity("nb201", devices=["pixel3", "pixel9"]), "'pixel9'"),
    ("one device", lambda: monotonicity("nb201", devices=["pixel3"]), "at least 2 devices"),
    ("one row", lambda: monotonicity(np.ones((1, 5))), "at least 2 devices"),
    ("names", lambda: monotonicity(np.ones((3, 5)), devices=["a", "b"]), "devices must name the 3 rows"),
    ("1-D", lambda: monotonicity(np.ones(5)), r"latency must have shape \(n_devices, n_archs\)"),
    ("method", lambda: monotonicity("nb201", method="pearson"), "method must be 'spearman' or 'kendall'"),
    ("dataset name", lambda: monotonicity("nb202"), "name must be one of the bundled datasets"),
    ("criterion", lambda: monotonicity("nb201").best_proxy(criterion="best"), "criterion must be"),
    ("unknown target", lambda: monotonicity("nb201").best_proxy(["pixel9"]), "target 'pixel9' is not one of"),
    ("no targets", lambda: monotonicity("nb201").best_proxy([]), "targets must not be empty"),
    ("unknown pair", lambda: monotonicity("nb201")["pixel3", "pixel9"], "device 'pixel9' is not one of"),
]


@pytest.mark.parametrize("call, match", [c[1:] for c in BAD_MONOTONICITY], ids=[c[0] for c in BAD_MONOTONICITY])
def test_monotonicity_bad_input(call, match):
    """Bad input raises ValueError naming the argument."""
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------- Pareto sets

@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40),
       st.booleans())
def test_pareto_set_equals_a_loop(points, as_float):
    """Max accuracy, min latency, ties and duplicates kept, ordered by latency (then index), on
    small integer grids full of ties."""
    acc = np.array([p[0] for p in points], dtype=np.float64 if as_float else np.int64)
    lat = np.array([p[1] for p in points], dtype=np.float64 if as_float else np.int64)
    got = pareto_set(acc, lat)
    assert got.dtype == np.intp
    assert got.tolist() == pareto_reference(acc.tolist(), lat.tolist())


def test_pareto_set_on_nb201(nb201):
    """nb201 accuracy against pixel3 latency equals the O(n^2) loop."""
    acc, lat = nb201.accuracy, nb201.latency_of("pixel3")
    got = pareto_set(acc, lat)
    assert got.tolist() == pareto_reference_fast(acc, lat)
    assert len(got) >= 5


def test_pareto_set_keeps_duplicates():
    """Identical points on the front are all kept; a point only as good in one objective and
    worse in the other is not."""
    acc = [90.0, 90.0, 80.0, 90.0, 95.0]
    lat = [1.0, 1.0, 1.0, 2.0, 3.0]
    assert pareto_set(acc, lat).tolist() == [0, 1, 4]


# ---------------------------------------------------------------------------- reuse

def reuse_inputs(nb201, proxy, target, n=3000, seed=0):
    rows = np.random.default_rng(seed).choice(nb201.n_archs, n, replace=False)
    return nb201.accuracy[rows], nb201.latency_of(proxy)[rows], nb201.latency_of(target)[rows]


def test_reuse_of_the_target_itself_loses_nothing(nb201):
    """proxy == target: hv_ratio 1, IGD+ 0, regret 0 at every budget, Jaccard 1."""
    acc, _, lat = reuse_inputs(nb201, "pixel3", "pixel3")
    r = reuse(acc, lat, lat)
    np.testing.assert_array_equal(r.proxy_set, r.target_set)
    assert r.hv_ratio == 1.0 and r.igd_plus == 0.0 and r.jaccard == 1.0
    assert len(r.regret) > 0 and (r.regret == 0).all()
    assert r.mean_regret == 0.0 and r.infeasible == 0.0


@pytest.mark.parametrize("proxy, target", [("gold_6240", "pixel3"), ("eyeriss", "raspi4"), ("1080ti_1", "fpga")])
def test_reuse_equals_plain_references(nb201, proxy, target):
    """hv_ratio, IGD+, regret at the target set's latencies and Jaccard equal plain loops, with
    the documented reference point (lowest accuracy, highest target latency)."""
    acc, p_lat, t_lat = reuse_inputs(nb201, proxy, target)
    r = reuse(acc, p_lat, t_lat)
    P, T = pareto_reference_fast(acc, p_lat), pareto_reference_fast(acc, t_lat)
    assert r.proxy_set.tolist() == P and r.target_set.tolist() == T
    ref = (acc.min(), t_lat.max())
    hv_p = hv_reference(acc[P], t_lat[P], *ref)
    hv_t = hv_reference(acc[T], t_lat[T], *ref)
    assert r.hv_ratio == pytest.approx(hv_p / hv_t, rel=1e-12)
    assert r.hv_ratio < 1  # the proxy's set does lose something here
    assert r.igd_plus == pytest.approx(igd_plus_reference(acc, t_lat, P, T), rel=1e-12)
    budgets = sorted({float(t_lat[i]) for i in T})
    np.testing.assert_array_equal(r.budgets, budgets)
    expected = [best_within(acc, t_lat, T, b) - best_within(acc, t_lat, P, b) for b in budgets]
    np.testing.assert_allclose(r.regret, expected, rtol=0, atol=1e-12)
    assert np.nanmin(r.regret) >= 0
    ok = ~np.isnan(expected)
    assert r.mean_regret == pytest.approx(np.mean(np.array(expected)[ok]))
    assert r.infeasible == pytest.approx(np.mean(~ok))
    assert r.jaccard == pytest.approx(len(set(P) & set(T)) / len(set(P) | set(T)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(1, 8), st.integers(1, 8)), min_size=2, max_size=30))
def test_reuse_with_ties_equals_plain_references(points):
    """The same on small integer grids full of ties and duplicates."""
    acc, p_lat, t_lat = (np.array([p[k] for p in points], dtype=np.float64) for k in range(3))
    r = reuse(acc, p_lat, t_lat)
    P, T = pareto_reference(acc, p_lat), pareto_reference(acc, t_lat)
    assert r.proxy_set.tolist() == P and r.target_set.tolist() == T
    ref = (acc.min(), t_lat.max())
    hv_t = hv_reference(acc[T], t_lat[T], *ref)
    if hv_t > 0:
        assert r.hv_ratio == pytest.approx(hv_reference(acc[P], t_lat[P], *ref) / hv_t, rel=1e-12)
    else:
        assert math.isnan(r.hv_ratio)
    assert r.igd_plus == pytest.approx(igd_plus_reference(acc, t_lat, P, T), rel=1e-12, abs=1e-15)
    expected = [best_within(acc, t_lat, T, b) - best_within(acc, t_lat, P, b) for b in r.budgets]
    np.testing.assert_array_equal(r.regret, expected)


def test_reuse_budget_below_the_proxy_set_is_infeasible(nb201):
    """A budget below every target latency of the proxy's set gives NaN regret and counts in
    `infeasible`; mean_regret leaves it out."""
    acc, p_lat, t_lat = reuse_inputs(nb201, "eyeriss", "pixel3")
    P = pareto_reference_fast(acc, p_lat)
    low = t_lat[P].min() - 1e-3
    high = t_lat.max()
    r = reuse(acc, p_lat, t_lat, budgets=[low, high, high + 1])
    np.testing.assert_array_equal(r.budgets, [low, high, high + 1])
    assert math.isnan(r.regret[0]) and not np.isnan(r.regret[1:]).any()
    assert r.infeasible == pytest.approx(1 / 3)
    assert r.mean_regret == pytest.approx(r.regret[1:].mean())
    assert r.max_regret == r.regret[1:].max()
    assert math.isnan(reuse(acc, p_lat, t_lat, budgets=[low]).max_regret)  # no budget met
    assert r.regret[1] == pytest.approx(acc.max() - acc[P].max())


BAD_REUSE = [
    ("NaN accuracy", lambda a, p, t: reuse(np.where(np.arange(len(a)) == 3, np.nan, a), p, t), "accuracy holds NaN at 3"),
    ("NaN proxy", lambda a, p, t: reuse(a, np.where(np.arange(len(a)) == 5, np.nan, p), t),
     "proxy_latency holds NaN at 5"),
    ("NaN target", lambda a, p, t: reuse(a, p, np.where(np.arange(len(a)) == 0, np.nan, t)),
     "target_latency holds NaN at 0"),
    ("-inf proxy", lambda a, p, t: reuse(a, np.where(np.arange(len(a)) == 2, -np.inf, p), t),
     r"proxy_latency holds an infinite value \(-inf\) at 2"),
    ("inf target", lambda a, p, t: reuse(a, p, np.where(np.arange(len(a)) == 4, np.inf, t)),
     r"target_latency holds an infinite value \(inf\) at 4"),
    ("-inf target", lambda a, p, t: reuse(a, p, np.where(np.arange(len(a)) == 0, -np.inf, t)),
     r"target_latency holds an infinite value \(-inf\) at 0"),
    ("inf accuracy", lambda a, p, t: reuse(np.where(np.arange(len(a)) == 1, np.inf, a), p, t),
     r"accuracy holds an infinite value \(inf\) at 1"),
    ("short proxy", lambda a, p, t: reuse(a, p[:-1], t), "accuracy and proxy_latency must be 1-D of one length"),
    ("short target", lambda a, p, t: reuse(a, p, t[:-1]), "accuracy and target_latency must be 1-D of one length"),
    ("2-D", lambda a, p, t: reuse(a[:, None], p[:, None], t[:, None]), "must be 1-D of one length"),
    ("empty", lambda a, p, t: reuse([], [], []), "accuracy must not be empty"),
    ("pareto_set lengths", lambda a, p, t: pareto_set(a, p[:-1]), "accuracy and latency must be 1-D"),
    ("pareto_set NaN", lambda a, p, t: pareto_set(a, np.where(np.arange(len(a)) == 2, np.nan, p)),
     "latency holds NaN at 2"),
]


@pytest.mark.parametrize("call, match", [c[1:] for c in BAD_REUSE], ids=[c[0] for c in BAD_REUSE])
def test_reuse_bad_input(nb201, call, match):
    """NaN, infinities (not reported as NaN) and mismatched lengths raise ValueError naming the
    argument."""
    acc, p_lat, t_lat = reuse_inputs(nb201, "pixel3", "raspi4", n=50)
    with pytest.raises(ValueError, match=match):
        call(acc, p_lat, t_lat)


# ---------------------------------------------------------------------------- two devices of a dataset

def test_reuse_pair_is_reuse_over_the_rows_both_devices_have(oneproxy_ds):
    """rice_edgetpu lacks 259 cells: the pair's figures are `reuse` and scipy's SRCC over the
    others; a predictor's latency stands in for the proxy's."""
    x, y = oneproxy_ds.latency_of("rice_edgetpu"), oneproxy_ds.latency_of("true_vpu")
    rows = np.flatnonzero(~np.isnan(x))
    assert len(rows) == oneproxy_ds.n_archs - 259
    pair = reuse_pair(oneproxy_ds, "rice_edgetpu", "true_vpu")
    np.testing.assert_array_equal(pair.rows, rows)
    assert pair.srcc == pytest.approx(spearmanr(x[rows], y[rows]).statistic, abs=1e-12)
    expected = reuse(oneproxy_ds.accuracy[rows], x[rows], y[rows])
    np.testing.assert_array_equal(pair.reuse.proxy_set, expected.proxy_set)
    np.testing.assert_array_equal(pair.reuse.regret, expected.regret)
    assert (pair.reuse.hv_ratio, pair.reuse.igd_plus) == (expected.hv_ratio, expected.igd_plus)
    np.testing.assert_array_equal(pair.accuracy, oneproxy_ds.accuracy[rows])
    np.testing.assert_array_equal(pair.target_latency, y[rows])
    fitted = predictors.linear_latency(oneproxy_ds, "true_630")
    with_predictor = reuse_pair("nb201-oneproxy", "rice_edgetpu", "true_vpu", predictor=fitted)
    z = fitted.predict(oneproxy_ds.choices)
    assert len(with_predictor.rows) == oneproxy_ds.n_archs  # the predictor covers every cell
    assert with_predictor.reuse.hv_ratio == reuse(oneproxy_ds.accuracy, z, y).hv_ratio
    with pytest.raises(ValueError, match="'fbnet' has no accuracies"):
        reuse_pair("fbnet", "pixel3", "raspi4")
    with pytest.raises(ValueError, match="device must be one of"):
        reuse_pair(oneproxy_ds, "nope", "true_vpu")


def test_adapt_pair_follows_its_protocol(oneproxy_ds):
    """The draw is `split`'s, the proxy's predictor `linear_latency`, the test rows the target's
    other rows that the proxy has, and the SRCCs scipy's on them."""
    a = adapt_pair(oneproxy_ds, "rice_edgetpu", "true_vpu", samples=40, seed=3)
    x, y = oneproxy_ds.latency_of("rice_edgetpu"), oneproxy_ds.latency_of("true_vpu")
    drawn, test = split(y, 40, 3)
    test = test[~np.isnan(x[test])]
    np.testing.assert_array_equal(a.drawn, drawn)
    np.testing.assert_array_equal(a.test, test)
    model = adapt(predictors.linear_latency(oneproxy_ds, "rice_edgetpu"), oneproxy_ds.choices[drawn], y[drawn],
                  seed=3)
    assert a.model.method == model.method and a.model.cv_srcc == model.cv_srcc
    assert a.before == pytest.approx(spearmanr(x[test], y[test]).statistic, abs=1e-12)
    assert a.after == pytest.approx(spearmanr(model.predict(oneproxy_ds.choices[test]), y[test]).statistic,
                                    abs=1e-12)
    for samples in (0, oneproxy_ds.n_archs):
        with pytest.raises(ValueError, match=rf"samples must be in \[1, {oneproxy_ds.n_archs - 1}\], got {samples}"):
            adapt_pair(oneproxy_ds, "rice_edgetpu", "true_vpu", samples=samples)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        adapt_pair(oneproxy_ds, "rice_edgetpu", "true_vpu", seed=-1)


# ---------------------------------------------------------------------------- study

def test_study_shapes_and_pairs(small, full_study):
    """One row per (seed, ordered pair), every array of that length, the pair's measured SRCC."""
    s = full_study
    d = len(SMALL_DEVICES)
    n = len(SEEDS) * d * (d - 1)
    assert (s.dataset, s.devices, s.samples) == ("nb201", SMALL_DEVICES, SAMPLES)
    assert s.seconds_per_adapt > 0
    for name in ("seed", "proxy", "target", "full_srcc", "before", "adaproxy", "method", "target_only", "multi",
                 "hv_ratio_before", "hv_ratio_after", "regret_before", "regret_after"):
        assert getattr(s, name).shape == (n,), name
    assert s.seed.dtype == np.int64 and s.proxy.dtype == np.int64 and s.target.dtype == np.int64
    assert set(zip(s.seed.tolist(), s.proxy.tolist(), s.target.tolist())) == \
        {(k, p, t) for k in SEEDS for p in range(d) for t in range(d) if p != t}
    assert set(s.method.tolist()) <= {"proxy", "adaproxy", "target-only"}
    full = np.asarray(spearman_matrix(small.latency, nan_policy="omit"))
    np.testing.assert_array_equal(s.full_srcc, full[s.proxy, s.target])


def test_study_recomputed_from_its_protocol(small, full_study):
    """Each row recomputed from the documented protocol: samples drawn per target and seed,
    SRCCs on the other rows only, linear_latency proxies, adapt with the seed, reuse figures
    over all rows."""
    s = full_study
    proxies = [predictors.linear_latency(small, dev) for dev in small.devices]
    differs = 0
    for k in range(len(s.seed)):
        seed, p, t = int(s.seed[k]), int(s.proxy[k]), int(s.target[k])
        y, x = small.latency[t], small.latency[p]
        measured = np.flatnonzero(~np.isnan(y))
        drawn = np.random.default_rng([seed, t]).choice(measured, SAMPLES, replace=False)
        test = np.setdiff1d(measured, drawn)
        assert len(test) == small.n_archs - SAMPLES and not set(test) & set(drawn)
        assert s.before[k] == pytest.approx(spearman(x[test], y[test]), abs=1e-12)
        differs += abs(s.before[k] - spearman(x, y)) > 1e-9  # the samples really are left out
        model = adapt(proxies[p], small.choices[drawn], y[drawn], seed=seed)
        assert s.method[k] == model.method
        assert s.adaproxy[k] == pytest.approx(spearman(model.predict(small.choices[test]), y[test]), abs=1e-12)
        alone = adapt(proxies[p], small.choices[drawn], y[drawn], seed=seed, methods=["target-only"])
        assert s.target_only[k] == pytest.approx(spearman(alone.predict(small.choices[test]), y[test]), abs=1e-12)
        multi = adapt(proxies=[proxies[q] for q in range(len(proxies)) if q != t], choices=small.choices[drawn],
                      target_latency_ms=y[drawn], seed=seed)
        assert s.multi[k] == pytest.approx(spearman(multi.predict(small.choices[test]), y[test]), abs=1e-12)
        rb = reuse(small.accuracy, x, y)
        ra = reuse(small.accuracy, model.predict(small.choices), y)
        assert (s.hv_ratio_before[k], s.regret_before[k]) == pytest.approx((rb.hv_ratio, rb.mean_regret))
        assert (s.hv_ratio_after[k], s.regret_after[k]) == pytest.approx((ra.hv_ratio, ra.mean_regret))
    assert differs > 0


def test_study_threshold_keeps_the_rows_below_it(small, full_study):
    """threshold= keeps exactly the rows whose measured SRCC is below it, with the same figures."""
    threshold = 0.8
    s = study(small, samples=SAMPLES, seeds=SEEDS, threshold=threshold)
    m = full_study.full_srcc < threshold
    assert 0 < m.sum() < len(m)
    np.testing.assert_array_equal(full_study.below(threshold), m)
    for name in ("seed", "proxy", "target", "full_srcc", "before", "adaproxy", "method", "target_only", "multi",
                 "hv_ratio_before", "hv_ratio_after", "regret_before", "regret_after"):
        np.testing.assert_array_equal(getattr(s, name), getattr(full_study, name)[m], err_msg=name)


def test_study_summary_is_consistent_with_the_rows(full_study):
    """summary(threshold) is made of the rows below the threshold (multi: one value per target
    and seed)."""
    s = full_study
    for threshold in (0.8, 0.9, 1.01):
        m = s.full_srcc < threshold
        first = {}
        for k in np.flatnonzero(m):
            first.setdefault((int(s.seed[k]), int(s.target[k])), s.multi[k])
        multi = np.array(list(first.values()))
        expected = {
            "pairs": int(m.sum()),
            "before": s.before[m].mean(),
            "adaproxy": s.adaproxy[m].mean(),
            "adaproxy_at_least_0.9": np.mean(s.adaproxy[m] >= 0.9),
            "adaproxy_worst_change": (s.adaproxy[m] - s.before[m]).min(),
            "adaproxy_min": s.adaproxy[m].min(),
            "target_only": s.target_only[m].mean(),
            "target_only_at_least_0.9": np.mean(s.target_only[m] >= 0.9),
            "multi": multi.mean(),
            "multi_at_least_0.9": np.mean(multi >= 0.9),
            "ms_per_adapt": 1e3 * s.seconds_per_adapt,
        }
        summary = s.summary(threshold)
        assert list(summary) == list(expected)
        if len(first) < len(set(zip(s.seed.tolist(), s.target.tolist()))):
            # some target has no row below: see test_summary_multi_counts_only_targets_below_the_threshold
            del expected["multi"], expected["multi_at_least_0.9"]
        for key, value in expected.items():
            assert summary[key] == pytest.approx(value, rel=1e-12), key
    # every multi value is one per (seed, target): the same for every proxy of that target
    for key in set(zip(s.seed.tolist(), s.target.tolist())):
        rows = (s.seed == key[0]) & (s.target == key[1])
        assert len(set(s.multi[rows].tolist())) == 1


def test_summary_multi_counts_only_targets_below_the_threshold(small, full_study):
    """Summarising at a threshold gives the same figures whether the study was run with that
    threshold or over every pair (ms_per_adapt aside)."""
    M = np.asarray(spearman_matrix(small.latency))
    off = np.sort(M[np.triu_indices(len(SMALL_DEVICES), 1)])
    threshold = (off[0] + off[1]) / 2  # one pair below: two targets have none
    filtered = study(small, samples=SAMPLES, seeds=SEEDS, threshold=threshold).summary(threshold)
    unfiltered = full_study.summary(threshold)
    del filtered["ms_per_adapt"], unfiltered["ms_per_adapt"]
    assert unfiltered == pytest.approx(filtered, rel=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_summary_with_no_pairs_below_the_threshold(full_study):
    """No pair below the threshold: an explicit answer (0 pairs, NaN figures) or a ValueError
    that names the threshold, not a reduction error from inside."""
    try:
        summary = full_study.summary(-1.0)
    except ValueError as err:
        assert "threshold" in str(err)
    else:
        assert summary["pairs"] == 0 and math.isnan(summary["adaproxy"])


def test_study_without_reuse_metrics_or_accuracy(small):
    """reuse_metrics=False, or a dataset without accuracy, leaves the reuse figures NaN and the
    SRCCs unchanged; progress counts up to seeds x devices."""
    calls = []
    s = study(small, samples=SAMPLES, seed=1, threshold=0.7, reuse_metrics=False,
              progress=lambda done, total: calls.append((done, total)))
    d = len(SMALL_DEVICES)
    assert calls == [(k + 1, d) for k in range(d)]
    no_acc = study(small_dataset(accuracy=False), samples=SAMPLES, seed=1, threshold=0.7)
    with_acc = study(small, samples=SAMPLES, seed=1, threshold=0.7)
    assert len(s.seed) > 0 and (s.seed == 1).all()
    for r in (s, no_acc):
        for name in ("hv_ratio_before", "hv_ratio_after", "regret_before", "regret_after"):
            assert np.isnan(getattr(r, name)).all()
        np.testing.assert_array_equal(r.adaproxy, with_acc.adaproxy)
        np.testing.assert_array_equal(r.before, with_acc.before)
    assert not np.isnan(with_acc.hv_ratio_before).any()


def test_study_needs_a_test_set(small):
    """More samples than a target's measured rows allow (samples + 10) raise, naming the target."""
    with pytest.raises(ValueError, match="target 'gold_6240' has 600 measured rows"):
        study(small, samples=595)


def test_to_frame_columns(full_study, monkeypatch):
    """to_frame hands pandas one column per array, device names for proxy and target (checked
    with a stand-in for pandas.DataFrame, so it runs without pandas)."""
    captured = {}
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda cols: captured.update(cols) or "frame"
    monkeypatch.setitem(sys.modules, "pandas", fake)
    s = full_study
    assert s.to_frame() == "frame"
    assert set(captured) == {"seed", "proxy", "target", "full_srcc", "before", "adaproxy", "method",
                             "target_only", "multi", "hv_ratio_before", "hv_ratio_after", "regret_before",
                             "regret_after"}
    assert list(captured["proxy"]) == [SMALL_DEVICES[p] for p in s.proxy]
    assert list(captured["target"]) == [SMALL_DEVICES[t] for t in s.target]
    np.testing.assert_array_equal(captured["adaproxy"], s.adaproxy)


def test_to_frame_with_pandas(full_study):
    """With pandas installed: a DataFrame with one row per study row."""
    pd = pytest.importorskip("pandas")
    frame = full_study.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(full_study.seed)
    assert frame["proxy"].tolist() == [SMALL_DEVICES[p] for p in full_study.proxy]
    np.testing.assert_array_equal(frame["before"].to_numpy(), full_study.before)


def test_samples_curve(small):
    """Keys and shapes, and each point is the summary of a thresholded study of that size."""
    calls = []
    curve = samples_curve(small, sizes=(10, 20), seeds=(0,), progress=lambda *a: calls.append(a))
    assert set(curve) == {"sizes", "before", "adaproxy", "multi", "target_only"}
    for value in curve.values():
        assert value.shape == (2,) and value.dtype == np.float64
    np.testing.assert_array_equal(curve["sizes"], [10, 20])
    assert calls == [(1, 2), (2, 2)]
    for k, n in enumerate((10, 20)):
        summary = study(small, samples=n, seeds=(0,), threshold=0.9, reuse_metrics=False).summary(0.9)
        for key in ("before", "adaproxy", "multi", "target_only"):
            assert curve[key][k] == pytest.approx(summary[key], rel=1e-12), (n, key)


def test_top_level_exports():
    """The workflow is exported at the top level."""
    import oneproxy.workflow as workflow

    for name in ("monotonicity", "pareto_set", "reuse", "study", "samples_curve"):
        assert getattr(oneproxy, name) is getattr(workflow, name)


@pytest.mark.parametrize("kwargs, match", [
    (dict(threshold="x"), "threshold must be a finite number, got 'x'"),
    (dict(threshold=math.nan), "threshold must be a finite number, got nan"),
    (dict(samples=70.0), "samples must be an integer >= 1, got 70.0"),
    (dict(samples="70"), "samples must be an integer >= 1, got '70'"),
    (dict(seed="x"), "seed must be a non-negative integer, got 'x'"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seeds=[0, 1.5]), r"seeds\[1\] must be a non-negative integer, got 1.5"),
    (dict(reuse_metrics="no"), "reuse_metrics must be True or False, got 'no'"),
])
def test_study_names_a_bad_argument(kwargs, match):
    """A string or NaN threshold gave ufunc errors (NaN kept no pair, silently); bad seeds
    numpy's SeedSequence text."""
    with pytest.raises(ValueError, match=match):
        study("nb201", **kwargs)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer >= 1, got 20.5"):
        samples_curve("nb201", sizes=(10, 20.5))
