"""Predictors against the bundled columns, plain references and their NumPy twins."""
from __future__ import annotations

import csv
import json
import math
from importlib.resources import files

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneproxy import _additive, _mlp, datasets, predictors
from oneproxy.predictors import (AdaptedLatency, LinearLatency, OFAAccuracy, OFANote10Latency,
                                 TableAccuracy, TableLatency)
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3

SPACES = {"nb201": NASBench201(), "fbnet": FBNet(), "ofa-mbv3": OFAMobileNetV3()}
OFA_RESOLUTIONS = tuple(range(128, 225, 4))  # once-for-all's 25 input sizes
KERNELS, EXPANDS = (3, 5, 7), (3, 4, 6)


@pytest.fixture(scope="module")
def ofa():
    return datasets.load("ofa-mbv3")


@pytest.fixture(scope="module")
def note10():
    return predictors.ofa_note10_latency()


@pytest.fixture(scope="module")
def accuracy():
    return predictors.ofa_accuracy()


# ---------------------------------------------------------------------------- references

def used_blocks(c: np.ndarray) -> np.ndarray:
    """(n, 20): block 4 s + j of an OFA row is used when j < depth_s = code + 2."""
    depth = c[:, 1:6].astype(np.int64) + 2
    return (np.arange(20) % 4) < depth[:, np.arange(20) // 4]


def scramble_unused(c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """OFA rows with random kernel and expansion codes in their unused blocks (non-canonical)."""
    out = c.copy()
    unused = ~used_blocks(c)
    for cols in (slice(6, 26), slice(26, 46)):
        out[:, cols] = np.where(unused, rng.integers(0, 3, unused.shape), c[:, cols])
    return out


def reference_groups(space, c: np.ndarray) -> np.ndarray:
    """The one-hot groups as documented: NB201/FBNet one per column; OFA the resolution, then
    3 k + e per block, -1 for an unused block."""
    c = np.asarray(c, dtype=np.int64)
    if not isinstance(space, OFAMobileNetV3):
        return c
    blocks = np.where(used_blocks(c), 3 * c[:, 6:26] + c[:, 26:46], -1)
    return np.concatenate([c[:, :1], blocks], axis=1)


def additive_truth(space, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Latencies of a random additive model: a constant plus one random cost per active group."""
    table = rng.normal(size=(len(space.group_sizes), max(space.group_sizes)))
    g = reference_groups(space, c)
    return 7.0 + np.where(g >= 0, table[np.arange(g.shape[1]), np.maximum(g, 0)], 0.0).sum(axis=1)


def flat_weights(model: LinearLatency) -> np.ndarray:
    """The weights table as one weight per column of `space.features`."""
    return np.concatenate([model.weights[g, :size] for g, size in enumerate(model.space.group_sizes)])


def read_note10_lut() -> dict[tuple[int, str], str]:
    """(resolution, layer key) -> mean_ms as printed in the bundled table."""
    text = (files("oneproxy") / "data" / "note10_lut.csv").read_text()
    return {(int(r["resolution"]), r["op_key"]): r["mean_ms"] for r in csv.DictReader(text.splitlines())}


NOTE10_LUT = read_note10_lut()
# once-for-all MobileNetV3 w1.2, per stage: output width, first stride, squeeze-excite, h-swish
NOTE10_STAGES = ((32, 2, 0, 0), (48, 2, 1, 0), (96, 2, 0, 1), (136, 1, 1, 1), (192, 2, 1, 1))


def note10_layers(row: np.ndarray) -> list[float]:
    """mean_ms of every layer of one OFA net (codes, default resolutions), by once-for-all's keys."""
    def key(kind, shape_in, shape_out, extra=""):
        return f"{kind}-input:{'x'.join(map(str, shape_in))}-output:{'x'.join(map(str, shape_out))}{extra}"

    def block(f, c_in, f_out, c_out, e, k, stride, skip, se, hs):
        return key("expanded_conv", (f, f, c_in), (f_out, f_out, c_out),
                   f"-expand:{c_in * e}-kernel:{k}-stride:{stride}-idskip:{skip}-se:{se}-hs:{hs}")

    r = OFA_RESOLUTIONS[row[0]]
    f, c = (r + 1) // 2, 24
    keys = [key("Conv", (r, r, 3), (f, f, 24)), block(f, 24, f, 24, 1, 3, 1, 1, 0, 0)]
    for s, (width, first_stride, se, hs) in enumerate(NOTE10_STAGES):
        for j in range(row[1 + s] + 2):
            b, stride = 4 * s + j, first_stride if j == 0 else 1
            f_out = (f - 1) // stride + 1
            keys.append(block(f, c, f_out, width, EXPANDS[row[26 + b]], KERNELS[row[6 + b]], stride,
                              int(j > 0), se, hs))
            f, c = f_out, width
    keys += [key("Conv_1", (f, f, 192), (f, f, 1152)), key("AvgPool2D", (f, f, 1152), (1, 1, 1152)),
             key("Conv_2", (1, 1, 1152), (1, 1, 1536)), key("Logits", (1, 1, 1536), (1000,))]
    return [float(NOTE10_LUT[(r, k)]) for k in keys]


def half_unit(value: float, digits: int) -> float:
    """Half a unit in the last place of `value` printed to `digits` significant digits."""
    return 0.5 * 10.0 ** (math.floor(math.log10(value)) - digits + 1)


def note10_rows(ofa):
    """Rows of ofa-mbv3 with a stored Note10 latency, and those latencies."""
    y = ofa.latency_of("note10_lut_ms")
    rows = np.flatnonzero(~np.isnan(y))
    return rows, y[rows]


# ---------------------------------------------------------------------------- once-for-all accuracy

def test_ofa_accuracy_reproduces_the_bundled_column(ofa, accuracy):
    """The MLP reproduces once-for-all's predicted top-1 stored with the data, on all rows."""
    pred = accuracy.predict(ofa.choices)
    assert pred.shape == (ofa.n_archs,) and pred.dtype == np.float64
    np.testing.assert_allclose(pred, ofa.accuracy, rtol=0, atol=1e-5)


def test_ofa_accuracy_kernel_equals_twin_and_ignores_unused_blocks(accuracy):
    """The Numba kernel equals the one-hot NumPy twin; codes of unused blocks change nothing."""
    rng = np.random.default_rng(1)
    c = OFAMobileNetV3().sample(2000, seed=rng)  # 2000 rows: three full blocks of 512 and a partial one
    scrambled = scramble_unused(c, rng)
    assert (scrambled != c).any()
    pred = accuracy.predict(c)
    np.testing.assert_allclose(pred, _mlp.predict_reference(c, accuracy.res_bin, accuracy.layers),
                               rtol=0, atol=1e-5)
    np.testing.assert_array_equal(accuracy.predict(scrambled), pred)
    np.testing.assert_allclose(_mlp.predict_reference(scrambled, accuracy.res_bin, accuracy.layers),
                               pred, rtol=0, atol=1e-5)


def test_ofa_accuracy_reads_resolutions_by_pixels(accuracy):
    """A space with other resolutions gives the same prediction for the same net in pixels; the
    predictor refuses resolutions outside its 8 bins of 112-239 px."""
    space = OFAMobileNetV3(resolutions=(112, 160, 239))
    custom = predictors.ofa_accuracy(space)
    c = space.sample(300, seed=2)
    mid = c[c[:, 0] == 1]  # 160 px, in both spaces
    default = mid.copy()
    default[:, 0] = OFA_RESOLUTIONS.index(160)
    assert len(mid) > 50
    np.testing.assert_array_equal(custom.predict(mid), accuracy.predict(default))
    expected = _mlp.predict_reference(c, np.array([0, 3, 7]), accuracy.layers)  # (r - 112) // 16
    np.testing.assert_allclose(custom.predict(c), expected, rtol=0, atol=1e-5)
    wide = predictors.ofa_accuracy(OFAMobileNetV3(resolutions=(240, 160)))
    with pytest.raises(ValueError, match="resolution 240"):
        wide.predict(np.zeros((1, 46), dtype=np.uint8))


# ---------------------------------------------------------------------------- once-for-all Note10

def test_note10_latency_reproduces_the_stored_column(ofa, note10):
    """Each stored value is the sum printed to 6 digits, up to the printing of the table's own
    (8-digit) entries near a rounding tie; relative error below 3e-6 everywhere."""
    rows, stored = note10_rows(ofa)
    res = np.array(OFA_RESOLUTIONS)[ofa.choices[:, 0]]
    np.testing.assert_array_equal(rows, np.flatnonzero((res >= 160) & (res <= 224)))
    pred = note10.predict(ofa.choices[rows])
    err = np.abs(pred - stored)
    assert (err / stored).max() < 3e-6
    assert all(len(v.replace(".", "").lstrip("0")) <= 8 for v in NOTE10_LUT.values())
    for i in np.flatnonzero(err > 0.5 * 10.0 ** (np.floor(np.log10(stored)) - 5) * (1 + 1e-9)):
        layers = note10_layers(ofa.choices[rows[i]])
        slack = sum(half_unit(v, 8) for v in layers)
        assert err[i] <= half_unit(stored[i], 6) + slack, (rows[i], err[i])


def test_note10_latency_equals_a_plain_layer_sum(note10):
    """The additive table gives the plain sum of once-for-all's layer keys, canonical or not."""
    rng = np.random.default_rng(3)
    c = OFAMobileNetV3().sample(400, seed=rng)
    c = c[np.array(OFA_RESOLUTIONS)[c[:, 0]] >= 160][:20]
    assert len(c) == 20
    expected = [math.fsum(note10_layers(row)) for row in c]
    np.testing.assert_allclose(note10.predict(c), expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(note10.predict(scramble_unused(c, rng)), expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        note10.predict(c), _additive.predict_reference(reference_groups(note10.space, c), note10.weights,
                                                        note10.constant, True), rtol=1e-12, atol=0)


def test_note10_resolutions_are_those_of_the_bundled_table():
    """`OFANote10Latency.RESOLUTIONS`, the one statement of the table's coverage, is what the
    bundled file holds; the default predictor has values exactly there."""
    assert OFANote10Latency.RESOLUTIONS == tuple(sorted({r for r, _ in NOTE10_LUT})) == tuple(range(160, 225, 4))
    covered = ~np.isnan(predictors.ofa_note10_latency().constant)
    assert tuple(np.array(OFA_RESOLUTIONS)[covered]) == OFANote10Latency.RESOLUTIONS


def test_note10_latency_refuses_resolutions_outside_its_table(note10):
    """Resolutions the table lacks raise, naming the resolution; a custom space works where covered."""
    c = OFAMobileNetV3().sample(5, seed=4)
    c[:, 0] = OFA_RESOLUTIONS.index(192)
    c[3, 0] = OFA_RESOLUTIONS.index(156)
    with pytest.raises(ValueError, match=r"choices\[3\] has resolution 156"):
        note10.predict(c)
    space = OFAMobileNetV3(resolutions=(128, 192))
    custom = predictors.ofa_note10_latency(space)
    mine = c[[0, 1, 2, 4]].copy()
    theirs = mine.copy()
    theirs[:, 0] = 1
    np.testing.assert_array_equal(custom.predict(theirs), note10.predict(mine))
    assert np.isnan(custom.weights[0]).all() and np.isnan(custom.constant[0])
    with pytest.raises(ValueError, match="resolution 128"):
        custom.predict(np.zeros((1, 46), dtype=np.uint8))


# ---------------------------------------------------------------------------- LinearLatency

FIT_SIZES = {"nb201": 300, "fbnet": 1000, "ofa-mbv3": 1500}


@pytest.mark.parametrize("name", list(SPACES))
def test_fit_reproduces_an_additive_model(name):
    """Noiseless data from a random additive model: the fit predicts it exactly, on its rows and on
    new ones (the weights themselves are not identifiable), and the holdout scores are perfect."""
    space = SPACES[name]
    rng = np.random.default_rng(5)
    c = space.sample(FIT_SIZES[name] * 2, seed=rng)
    y = additive_truth(space, c, np.random.default_rng(6))
    fit, new = slice(0, FIT_SIZES[name]), slice(FIT_SIZES[name], None)
    model = LinearLatency.fit(name, c[fit], y[fit])
    np.testing.assert_allclose(model.predict(c), y, rtol=0, atol=1e-8)
    report = model.fit_report
    assert report.n_fit + report.n_holdout == FIT_SIZES[name]
    assert report.r2 == pytest.approx(1, abs=1e-12) and report.srcc == pytest.approx(1)
    assert report.mae_ms < 1e-8
    if isinstance(space, OFAMobileNetV3):  # unused blocks do not count
        np.testing.assert_array_equal(model.predict(scramble_unused(c[new], rng)), model.predict(c[new]))


@pytest.mark.parametrize("name", list(SPACES))
def test_predict_is_the_one_hot_product_and_least_squares(name):
    """predict = features @ weights + constant = NumPy's lstsq with an intercept = the twin."""
    space = SPACES[name]
    rng = np.random.default_rng(7)
    c = space.sample(FIT_SIZES[name], seed=rng)
    y = additive_truth(space, c, rng) + rng.normal(scale=0.5, size=len(c))
    model = LinearLatency.fit(space, c, y, holdout=0.0)
    assert model.weights.shape == (len(space.group_sizes), max(space.group_sizes))
    for g, size in enumerate(space.group_sizes):
        assert (model.weights[g, size:] == 0).all()
    new = space.sample(500, seed=rng)
    pred = model.predict(new)
    np.testing.assert_allclose(pred, space.features(new) @ flat_weights(model) + model.constant, rtol=1e-12)
    X1 = np.hstack([space.features(c), np.ones((len(c), 1))])
    coef = np.linalg.lstsq(X1, y, rcond=None)[0]
    np.testing.assert_allclose(pred, np.hstack([space.features(new), np.ones((500, 1))]) @ coef,
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(pred, _additive.predict_reference(
        reference_groups(space, new), model.weights[None], np.array([model.constant]), False), rtol=1e-12)


@pytest.mark.parametrize("name", list(SPACES))
def test_ridge_is_the_penalised_least_squares_and_shrinks(name):
    """ridge > 0 solves the augmented least squares (intercept unpenalised) and shrinks the weights."""
    space = SPACES[name]
    rng = np.random.default_rng(8)
    c = space.sample(FIT_SIZES[name] // 2, seed=rng)
    y = additive_truth(space, c, rng) + rng.normal(size=len(c))
    plain = LinearLatency.fit(space, c, y, holdout=0.0)
    for ridge in (0.1, 3.0, 100.0):
        model = LinearLatency.fit(space, c, y, ridge=ridge, holdout=0.0)
        assert model.ridge == ridge
        assert np.linalg.norm(model.weights) < np.linalg.norm(plain.weights)
        X = space.features(c)
        A = np.block([[X, np.ones((len(c), 1))],
                      [math.sqrt(ridge) * np.eye(X.shape[1]), np.zeros((X.shape[1], 1))]])
        coef = np.linalg.lstsq(A, np.concatenate([y, np.zeros(X.shape[1])]), rcond=None)[0]
        np.testing.assert_allclose(flat_weights(model), coef[:-1], rtol=0, atol=1e-8)
        assert model.constant == pytest.approx(coef[-1], abs=1e-8)


def test_fit_report_sizes_and_nan():
    """n_fit + n_holdout = n; scores are NaN below 3 held-out rows and finite for n >= 20."""
    space = SPACES["nb201"]
    rng = np.random.default_rng(9)
    for n in (2, 3, 5, 10, 14, 20, 57, 200):
        c = space.sample(n, seed=rng)
        y = additive_truth(space, c, rng) + rng.normal(size=n)
        for holdout in (0.0, 0.1, 0.2, 0.5, 0.9):
            report = LinearLatency.fit(space, c, y, holdout=holdout).fit_report
            assert report.n_fit + report.n_holdout == n
            assert report.n_holdout == round(holdout * n)
            if report.n_holdout < 3:
                assert math.isnan(report.srcc) and math.isnan(report.r2) and math.isnan(report.mae_ms)
            if n >= 20 and holdout == 0.2:
                assert all(math.isfinite(v) for v in (report.srcc, report.r2, report.mae_ms))


def test_fit_report_scores_rows_it_did_not_fit():
    """On pure noise, in-sample R^2 of 30 features on 60 rows is far above 0; held-out R^2 is not."""
    space = SPACES["nb201"]
    rng = np.random.default_rng(10)
    c = space.sample(60, seed=rng)
    y = rng.normal(size=60)
    model = LinearLatency.fit(space, c, y, holdout=0.5)
    resid = y - model.predict(c)
    assert 1 - resid @ resid / ((y - y.mean()) ** 2).sum() > 0.3  # the refit on all rows
    assert model.fit_report.r2 < 0.2


def test_predict_accepts_any_integer_layout():
    """The uint8 fast path, other integer dtypes, Fortran order and lists give the same numbers."""
    ds = datasets.load("nb201")
    model = predictors.linear_latency(ds, "pixel3")
    c = ds.choices[::7]
    expected = model.predict(c)
    for variant in (c.astype(np.int64), c.astype(np.int8), np.asfortranarray(c), c.tolist(),
                    np.ascontiguousarray(c[::-1])[::-1]):
        np.testing.assert_array_equal(model.predict(variant), expected)
    assert model.predict(np.zeros((0, 6), dtype=np.uint8)).shape == (0,)


@pytest.mark.parametrize("name", ["nb201", "fbnet"])
def test_linear_latency_on_every_bundled_device(name):
    """Every device's fit scores finitely; on NAS-Bench-201 most devices rank at SRCC >= 0.9."""
    ds = datasets.load(name)
    srcc = {device: predictors.linear_latency(ds, device).fit_report.srcc for device in ds.devices}
    assert all(math.isfinite(v) for v in srcc.values()), srcc
    if name == "nb201":
        assert sum(v >= 0.9 for v in srcc.values()) >= 15, srcc


def test_linear_latency_unknown_device():
    """An unknown device raises, naming it."""
    with pytest.raises(ValueError, match="'pixel9'"):
        predictors.linear_latency("nb201", "pixel9")
    with pytest.raises(ValueError, match="'pixel9'"):
        TableLatency.from_dataset("fbnet", "pixel9")


# ---------------------------------------------------------------------------- bad input

def _bad_inputs():
    nb = datasets.load("nb201")
    c, y = nb.choices[:40], nb.latency_of("pixel3")[:40]
    model = LinearLatency.fit("nb201", c, y)
    table = TableLatency("nb201", c, y)
    ofa_row = np.zeros((2, 46), dtype=np.int64)
    ofa_row[:, 0] = OFA_RESOLUTIONS.index(192)
    five = c.astype(np.int64)
    five[1, 2] = 5
    five_u8 = np.ascontiguousarray(five, dtype=np.uint8)
    fb = np.zeros((3, 22), dtype=np.uint8)
    fb[2, 21] = 9
    deep = ofa_row.copy()
    deep[1, 3] = 3
    nan_y = y.copy()
    nan_y[4] = np.nan
    inf_y = y.copy()
    inf_y[0] = np.inf
    cases = [
        ("fit columns", lambda: LinearLatency.fit("nb201", c[:, :5], y), r"choices must have shape \(n, 6\)"),
        ("predict columns", lambda: model.predict(c[:, :5]), r"choices must have shape \(n, 6\)"),
        ("predict 1-D", lambda: model.predict(c[0]), r"choices must have shape"),
        ("table columns", lambda: table.predict(np.zeros((2, 7), dtype=np.uint8)), r"choices must have shape"),
        ("accuracy columns", lambda: predictors.ofa_accuracy().predict(ofa_row[:, :45]),
         r"choices must have shape \(n, 46\)"),
        ("note10 columns", lambda: predictors.ofa_note10_latency().predict(ofa_row[:, :45]),
         r"choices must have shape \(n, 46\)"),
        ("predict code 5", lambda: model.predict(five), r"choices\[1, 2\] = 5 is out of range"),
        ("predict code 5 uint8", lambda: model.predict(five_u8), r"choices\[1, 2\] = 5 is out of range"),
        ("fbnet code 9", lambda: LinearLatency(FBNet(), np.zeros((22, 9)), 0.0).predict(fb),
         r"choices\[2, 21\] = 9 is out of range"),
        ("fit code 5", lambda: LinearLatency.fit("nb201", five, y), r"choices\[1, 2\] = 5"),
        ("negative code", lambda: model.predict(-c.astype(np.int64)), r"choices\[\d+, \d+\] = -\d is out of range"),
        ("table code 5", lambda: table.predict(five_u8), r"choices\[1, 2\] = 5"),
        ("accuracy depth 3", lambda: predictors.ofa_accuracy().predict(deep), r"choices\[1, 3\] = 3"),
        ("note10 depth 3", lambda: predictors.ofa_note10_latency().predict(deep), r"choices\[1, 3\] = 3"),
        ("fit float", lambda: LinearLatency.fit("nb201", c.astype(float), y), "choices must hold integer codes"),
        ("predict float", lambda: model.predict(c.astype(np.float32)), "choices must hold integer codes"),
        ("accuracy float", lambda: predictors.ofa_accuracy().predict(ofa_row.astype(float)),
         "choices must hold integer codes"),
        ("table float", lambda: TableLatency("nb201", c.astype(float), y), "choices must hold integer codes"),
        ("fit NaN", lambda: LinearLatency.fit("nb201", c, nan_y), "latency_ms holds 1 NaN"),
        ("fit inf", lambda: LinearLatency.fit("nb201", c, inf_y), "latency_ms holds 1 NaN or infinite"),
        ("fit lengths", lambda: LinearLatency.fit("nb201", c, y[:-1]), r"latency_ms must have shape \(40,\)"),
        ("fit 2-D y", lambda: LinearLatency.fit("nb201", c, y[:, None]), r"latency_ms must have shape \(40,\)"),
        ("table lengths", lambda: TableLatency("nb201", c, y[:-1]), r"values must have shape \(40,\)"),
        ("one row", lambda: LinearLatency.fit("nb201", c[:1], y[:1]), "at least 2"),
        ("negative ridge", lambda: LinearLatency.fit("nb201", c, y, ridge=-1.0), "ridge must be >= 0"),
        ("NaN ridge", lambda: LinearLatency.fit("nb201", c, y, ridge=math.nan), "ridge must be a finite number >= 0, got nan"),
        ("holdout 1", lambda: LinearLatency.fit("nb201", c, y, holdout=1.0), r"holdout must be in \[0, 1\)"),
        ("holdout < 0", lambda: LinearLatency.fit("nb201", c, y, holdout=-0.1), r"holdout must be in \[0, 1\)"),
        ("holdout 1.5", lambda: LinearLatency.fit("nb201", c, y, holdout=1.5), r"holdout must be in \[0, 1\)"),
        ("weights shape", lambda: LinearLatency(NASBench201(), np.zeros((6, 4)), 0.0),
         r"weights must have shape \(6, 5\)"),
        ("weights NaN", lambda: LinearLatency(NASBench201(), np.full((6, 5), np.nan), 0.0), "finite"),
        ("space name", lambda: LinearLatency.fit("nb-201", c, y), "space must be one of"),
        ("ofa space", lambda: OFAAccuracy(NASBench201()), "space must be an OFAMobileNetV3"),
        ("note10 space", lambda: OFANote10Latency(FBNet()), "space must be an OFAMobileNetV3"),
        ("fallback", lambda: TableLatency("nb201", c, y, fallback=lambda x: x), "fallback must be a predictor"),
    ]
    return cases


BAD_INPUTS = _bad_inputs()


@pytest.mark.parametrize("call, match", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_names_the_argument(call, match):
    """Each bad input raises ValueError naming the argument and the problem."""
    with pytest.raises(ValueError, match=match):
        call()


def test_load_refuses_an_unknown_kind(tmp_path):
    """A file with an unknown kind raises, naming the kind."""
    path = tmp_path / "x.npz"
    header = {"kind": "Oracle", "space": "nb201", "space_params": {}}
    np.savez(path, header=np.array(json.dumps(header)))
    with pytest.raises(ValueError, match="unknown predictor kind 'Oracle'"):
        predictors.load(path)


# ---------------------------------------------------------------------------- round trips

def _ofa_sample(space, n, low=0, high=10_000, seed=0):
    c = space.sample(n * 4, seed=seed)
    px = np.array(space.resolutions)[c[:, 0]]
    return c[(px >= low) & (px <= high)][:n]


def _adapted(space, weights, method="proxy", constant=2.5):
    """An AdaptedLatency made by hand (lambda_ nan, as for the "proxy" candidate)."""
    return AdaptedLatency(space, weights, constant, method=method, lambda_=math.nan, cv_srcc=0.75,
                          candidates={"proxy": (0.75, math.nan), "adaproxy": (0.7, 1e-3)}, mix=[1.5])


def _round_trip_cases():
    def table(kind, name, *device):
        ds = datasets.load(name)
        model = kind.from_dataset(ds, *device)
        values = ds.latency_of(*device) if device else ds.accuracy
        return model, ds.choices[~np.isnan(values)]

    def synthetic(name, ridge):
        space = SPACES[name]
        c = space.sample(FIT_SIZES[name], seed=11)
        y = additive_truth(space, c, np.random.default_rng(12)) + np.random.default_rng(13).normal(size=len(c))
        return LinearLatency.fit(space, c, y, ridge=ridge), space.sample(300, seed=14)

    def adapted(name):
        space = SPACES[name]
        weights = np.random.default_rng(15).normal(size=(len(space.group_sizes), max(space.group_sizes)))
        return _adapted(space, weights), space.sample(300, seed=16)

    custom = OFAMobileNetV3(resolutions=(112, 160, 239))
    note10_custom = OFAMobileNetV3(resolutions=(128, 160, 224))
    return {
        "linear-nb201": lambda: (predictors.linear_latency("nb201", "pixel3"), SPACES["nb201"].sample(300, 1)),
        "linear-fbnet": lambda: synthetic("fbnet", 0.0),
        "linear-ofa": lambda: synthetic("ofa-mbv3", 0.5),
        "adapted-nb201": lambda: adapted("nb201"),
        "adapted-ofa": lambda: adapted("ofa-mbv3"),
        "table-latency-nb201": lambda: table(TableLatency, "nb201", "pixel3"),
        "table-latency-ofa": lambda: table(TableLatency, "ofa-mbv3", "note10_lut_ms"),
        "table-accuracy-nb201": lambda: table(TableAccuracy, "nb201"),
        "table-accuracy-ofa": lambda: table(TableAccuracy, "ofa-mbv3"),
        "ofa-accuracy": lambda: (predictors.ofa_accuracy(), SPACES["ofa-mbv3"].sample(300, 2)),
        "ofa-accuracy-custom": lambda: (predictors.ofa_accuracy(custom), custom.sample(300, 3)),
        "ofa-note10": lambda: (predictors.ofa_note10_latency(), _ofa_sample(SPACES["ofa-mbv3"], 300, 160, 224)),
        "ofa-note10-custom": lambda: (predictors.ofa_note10_latency(note10_custom),
                                      _ofa_sample(note10_custom, 300, 160)),
    }


ROUND_TRIPS = _round_trip_cases()


@pytest.mark.parametrize("case", list(ROUND_TRIPS))
def test_save_load_round_trip(case, tmp_path):
    """save then load gives the same kind, space and predictions; the file needs no pickle and keeps
    the name it was given."""
    model, c = ROUND_TRIPS[case]()
    assert len(c) > 100
    path = tmp_path / "model.bin"
    model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    with np.load(path, allow_pickle=False) as z:
        contents = {k: z[k] for k in z.files}
    assert json.loads(str(contents["header"]))["kind"] == type(model).__name__
    loaded = predictors.load(path)
    assert type(loaded) is type(model) and loaded.space == model.space
    assert isinstance(loaded, predictors.Predictor)
    np.testing.assert_array_equal(loaded.predict(c), model.predict(c))
    if isinstance(model, LinearLatency):
        np.testing.assert_array_equal(loaded.weights, model.weights)
        assert (loaded.constant, loaded.ridge, loaded.fit_report) == (model.constant, model.ridge,
                                                                      model.fit_report)
    if isinstance(model, AdaptedLatency):
        np.testing.assert_array_equal(loaded.weights, model.weights)
        assert (loaded.constant, loaded.method, loaded.cv_srcc) == (model.constant, model.method, model.cv_srcc)
        np.testing.assert_array_equal([loaded.lambda_, *loaded.candidates["proxy"], *loaded.mix],
                                      [model.lambda_, *model.candidates["proxy"], *model.mix])
        assert loaded.candidates.keys() == model.candidates.keys() and repr(loaded) == repr(model)
    predictors.load(str(path))  # a str path as well


# ---------------------------------------------------------------------------- tables

def test_table_latency_returns_the_exact_column():
    """The table gives the dataset's column bit for bit, in any order and for any subset."""
    ds = datasets.load("nb201")
    table = TableLatency.from_dataset("nb201", "pixel3")
    column = ds.latency_of("pixel3")
    assert len(table) == ds.n_archs
    np.testing.assert_array_equal(table.predict(ds.choices), column)
    pick = np.random.default_rng(15).permutation(ds.n_archs)[:3000]
    np.testing.assert_array_equal(table.predict(ds.choices[pick]), column[pick])
    np.testing.assert_array_equal(TableAccuracy.from_dataset(ds).predict(ds.choices[pick]), ds.accuracy[pick])


def test_table_missing_rows_raise_or_come_from_the_fallback():
    """Rows outside the table raise without a fallback; with one, present rows come from the table
    and missing rows from the fallback."""
    ds = datasets.load("nb201")
    rng = np.random.default_rng(16)
    inside = np.zeros(ds.n_archs, dtype=bool)
    inside[rng.permutation(ds.n_archs)[:5000]] = True
    column = ds.latency_of("pixel3")
    with pytest.raises(ValueError, match="not in the table"):
        TableLatency("nb201", ds.choices[inside], column[inside]).predict(ds.choices)
    fallback = predictors.linear_latency(ds, "gold_6240")
    table = TableLatency("nb201", ds.choices[inside], column[inside], fallback=fallback)
    pred = table.predict(ds.choices)
    np.testing.assert_array_equal(pred[inside], column[inside])
    np.testing.assert_array_equal(pred[~inside], fallback.predict(ds.choices[~inside]))


def test_ofa_table_keys_are_canonical(ofa, note10):
    """The ofa-mbv3 Note10 table finds its nets with any codes in unused blocks; NaN rows are not in it;
    the Note10 predictor fills in nets the table lacks."""
    rows, stored = note10_rows(ofa)
    table = TableLatency.from_dataset(ofa, "note10_lut_ms")
    assert len(table) == len(rows)
    rng = np.random.default_rng(17)
    scrambled = scramble_unused(ofa.choices, rng)
    np.testing.assert_array_equal(table.predict(scrambled[rows]), stored)
    missing = np.setdiff1d(np.arange(ofa.n_archs), rows)[:1]
    with pytest.raises(ValueError, match="1 of the 1 architectures are not in the table"):
        table.predict(ofa.choices[missing])
    new = _ofa_sample(ofa.space, 50, 160, 224, seed=18)
    both = np.concatenate([scrambled[rows[:50]], new])
    with_fallback = TableLatency.from_dataset(ofa, "note10_lut_ms", fallback=note10)
    pred = with_fallback.predict(both)
    np.testing.assert_array_equal(pred[:50], stored[:50])
    np.testing.assert_array_equal(pred[50:], note10.predict(new))


def test_table_accuracy_needs_an_accuracy_column():
    """fbnet has no accuracy, so it has no accuracy table."""
    with pytest.raises(ValueError, match="'fbnet' has no accuracy"):
        TableAccuracy.from_dataset("fbnet")


def test_tables_refuse_repeated_architectures(ofa):
    """An architecture twice in a table raises, also when written non-canonically."""
    nb = datasets.load("nb201")
    c = np.concatenate([nb.choices[:10], nb.choices[3:4]])
    with pytest.raises(ValueError, match="must not repeat"):
        TableLatency("nb201", c, np.arange(11.0))
    twin = scramble_unused(ofa.choices[:1], np.random.default_rng(19))
    c = np.concatenate([ofa.choices[:5], twin])
    if (twin == ofa.choices[:1]).all():
        pytest.fail("the scrambled twin should differ in its unused blocks")
    with pytest.raises(ValueError, match="must not repeat"):
        TableAccuracy(ofa.space, c, np.arange(6.0))
    TableAccuracy(ofa.space, c, [0, 1, 2, 3, 4, np.nan])  # a NaN row is left out, so no repeat


def test_fallback_errors_name_the_callers_row(ofa, note10):
    """When the fallback refuses a row, the message names that row of the caller's choices."""
    rows, _ = note10_rows(ofa)
    table = TableLatency.from_dataset(ofa, "note10_lut_ms", fallback=note10)
    outside = np.setdiff1d(np.arange(ofa.n_archs), rows)[0]  # a resolution the Note10 table lacks
    c = np.concatenate([ofa.choices[rows[:3]], ofa.choices[[outside]]])
    with pytest.raises(ValueError, match=r"choices\[3\] has resolution"):
        table.predict(c)


# ---------------------------------------------------------------------------- additive kernel

@st.composite
def additive_problems(draw, bad: bool = False):
    conditional = draw(st.booleans())
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=6))
    n = draw(st.integers(0, 25))
    lows = [0 if conditional and g == 0 else -1 for g in range(len(sizes))]
    if bad:
        cell = [st.integers(-3, size + 2) for size in sizes]
    else:
        cell = [st.integers(low, size - 1) for low, size in zip(lows, sizes)]
    codes = np.array(draw(st.lists(st.tuples(*cell), min_size=n, max_size=n)), dtype=np.int16)
    codes = codes.reshape(n, len(sizes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    K = sizes[0] if conditional else 1
    W = rng.normal(size=(K, len(sizes), max(sizes)))
    constant = rng.normal(size=K)
    return codes, np.array(sizes, dtype=np.int64), W, constant, conditional


@settings(max_examples=200, deadline=None)
@given(additive_problems(), st.booleans())
def test_additive_kernel_equals_twin(problem, as_uint8):
    """The Numba kernel equals the NumPy twin on valid codes (with -1 for inactive groups)."""
    codes, sizes, W, constant, conditional = problem
    if as_uint8 and (codes >= 0).all():
        codes = codes.astype(np.uint8)
    out = np.full(len(codes), np.nan)
    assert _additive.predict(codes, sizes, W, constant, conditional, out) == 0
    np.testing.assert_allclose(out, _additive.predict_reference(codes, W, constant, conditional),
                               rtol=1e-12, atol=1e-12)


def reference_bad_count(codes, sizes, conditional) -> int:
    low = np.full(len(sizes), -1)
    low[0] = 0 if conditional else -1
    c = codes.astype(np.int64)
    return int(((c < low) | (c >= sizes)).sum())


@settings(max_examples=200, deadline=None)
@given(additive_problems(bad=True))
def test_additive_kernel_counts_codes_out_of_range(problem):
    """The kernel returns how many codes are outside [-1, size) ([0, size) for a conditioning group)."""
    codes, sizes, W, constant, conditional = problem
    out = np.empty(len(codes))
    assert _additive.predict(codes, sizes, W, constant, conditional, out) == \
        reference_bad_count(codes, sizes, conditional)


def test_additive_kernel_counts_across_threads():
    """The count is exact over many rows run in parallel."""
    rng = np.random.default_rng(20)
    sizes = np.array([4, 3, 5], dtype=np.int64)
    codes = np.stack([rng.integers(-1, s, 200_000) for s in sizes], axis=1).astype(np.int16)
    where = rng.choice(codes.size, 1234, replace=False)
    codes.flat[where] = 7
    W = rng.normal(size=(4, 3, 5))
    for conditional in (False, True):
        c = codes.copy()
        if conditional:
            c[:, 0] = np.where(c[:, 0] == -1, 0, c[:, 0])
        out = np.empty(len(c))
        assert _additive.predict(c, sizes, W, W[:, 0, 0].copy(), conditional, out) == \
            reference_bad_count(c, sizes, conditional)


# ---------------------------------------------------------------------------- arguments named in their errors

@pytest.mark.parametrize("kwargs, match", [
    (dict(ridge="x"), "ridge must be a finite number >= 0, got 'x'"),
    (dict(ridge=True), "ridge must be a finite number >= 0, got True"),
    (dict(ridge=math.inf), "ridge must be a finite number >= 0, got inf"),
    (dict(holdout="0.2"), r"holdout must be a number in \[0, 1\), got '0.2'"),
    (dict(holdout=math.nan), r"holdout must be a number in \[0, 1\), got nan"),
    (dict(seed="x"), "seed must be a non-negative integer, got 'x'"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seed=1.5), "seed must be a non-negative integer, got 1.5"),
])
def test_fit_names_a_bad_number(kwargs, match):
    """Strings and NaN gave comparison errors or numpy's SeedSequence text."""
    nb = datasets.load("nb201")
    y = nb.latency_of("pixel3")[:40]
    with pytest.raises(ValueError, match=match):
        LinearLatency.fit("nb201", nb.choices[:40], y, **kwargs)
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0, got 'x'"):
        predictors.linear_latency(nb, "pixel3", ridge="x")


def test_linear_latency_takes_a_space_name():
    """LinearLatency('nb201', ...) raised AttributeError; a name is resolved as fit resolves it."""
    model = LinearLatency("nb201", np.ones((6, 5)), 1.0)
    assert model.space == NASBench201()
    assert model.predict(NASBench201().decode([0, 1])).tolist() == [7.0, 7.0]
    with pytest.raises(ValueError, match="space must be one of nb201, fbnet, ofa-mbv3, got 'nb-201'"):
        LinearLatency("nb-201", np.ones((6, 5)), 1.0)
    with pytest.raises(ValueError, match="constant must be a finite number, got nan"):
        LinearLatency("nb201", np.ones((6, 5)), math.nan)
    with pytest.raises(ValueError, match=r"weights must have shape \(6, 5\)"):
        LinearLatency("nb201", np.ones(30), 1.0)


@pytest.mark.parametrize("drop", ["weights", "mix"])
def test_load_names_a_missing_array(tmp_path, drop):
    """An .npz with a predictor's header but without one of its arrays raised KeyError."""
    from oneproxy import adapt

    nb = datasets.load("nb201")
    proxy = predictors.linear_latency(nb, "pixel3")
    model = adapt(proxy, nb.choices[:40], nb.latency_of("raspi4")[:40]) if drop == "mix" else proxy
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    model.save(good)
    with np.load(good) as z:
        np.savez(bad, **{k: z[k] for k in z.files if k != drop})
    with pytest.raises(ValueError, match=rf"holds a {model.kind} predictor without its '{drop}' \(a damaged"):
        predictors.load(bad)


# ---------------------------------------------------------------------------- additive siblings and kinds

def test_adapted_latency_is_an_additive_sibling_of_linear_latency(tmp_path):
    """AdaptedLatency inherited LinearLatency.fit, which called it with ridge= and fit_report= it
    does not take (TypeError), and ridge/fit_report, which mean nothing for it. Now both share
    the additive base: the same weights give the same predictions bit for bit, by the same
    kernel (which the scans recognise as exact), and AdaptedLatency has no fit, ridge or
    fit_report."""
    space = SPACES["fbnet"]
    rng = np.random.default_rng(31)
    weights = rng.normal(size=(22, 9))
    model = _adapted(space, weights, constant=4.0)
    linear = LinearLatency(space, weights, 4.0)
    c = space.sample(500, seed=32)
    np.testing.assert_array_equal(model.predict(c), linear.predict(c))
    np.testing.assert_allclose(model.predict(c), space.features(c) @ flat_weights(model) + 4.0, rtol=1e-12)
    assert type(model).predict is LinearLatency.predict
    assert isinstance(model, predictors.Predictor) and not isinstance(model, LinearLatency)
    assert not hasattr(AdaptedLatency, "fit")
    assert not hasattr(model, "ridge") and not hasattr(model, "fit_report")
    assert repr(model) == "AdaptedLatency(FBNet(), method='proxy', cv_srcc=0.750, lambda_=nan)"
    assert AdaptedLatency("nb201", np.ones((6, 5)), 1.0, method="adaproxy", lambda_=0.1, cv_srcc=0.9,
                          candidates={}, mix=[2.0]).space == NASBench201()
    with pytest.raises(ValueError, match="weights must be finite"):
        _adapted(space, np.full((22, 9), np.nan))
    with pytest.raises(ValueError, match="constant must be a finite number, got nan"):
        _adapted(space, weights, constant=math.nan)
    path = tmp_path / "adapted.npz"
    model.save(path)
    loaded = predictors.load(path)
    assert type(loaded) is AdaptedLatency
    np.testing.assert_array_equal(loaded.predict(c), model.predict(c))


def test_every_kind_is_registered_from_its_class():
    """load finds a kind by the registry filled from each class's ``kind``: every concrete
    predictor, named as its class, and no abstract base."""
    concrete = {LinearLatency, AdaptedLatency, TableLatency, TableAccuracy, OFAAccuracy, OFANote10Latency}
    assert predictors._KINDS == {cls.__name__: cls for cls in concrete}
    assert all(cls.kind == cls.__name__ for cls in concrete)


def test_a_new_kind_registers_itself_and_a_taken_kind_is_refused(tmp_path, monkeypatch):
    """A subclass with its own kind is loadable with no change to load; one without a kind is
    saved and loaded as its parent; a second class claiming a kind raises TypeError."""
    monkeypatch.setattr(predictors, "_KINDS", dict(predictors._KINDS))

    class Shifted(LinearLatency):
        kind = "Shifted"

    class Quiet(LinearLatency):
        pass

    assert predictors._KINDS["Shifted"] is Shifted and Quiet not in predictors._KINDS.values()
    Shifted("nb201", np.ones((6, 5)), 1.0).save(tmp_path / "s.npz")
    Quiet("nb201", np.ones((6, 5)), 1.0).save(tmp_path / "q.npz")
    assert type(predictors.load(tmp_path / "s.npz")) is Shifted
    assert type(predictors.load(tmp_path / "q.npz")) is LinearLatency
    with pytest.raises(TypeError, match="predictor kind 'TableLatency' is already TableLatency's"):
        class Impostor(TableLatency):
            kind = "TableLatency"


def test_load_refuses_a_kind_that_is_not_a_name(tmp_path):
    """A kind that is not a string (a hand-made file) raised TypeError (unhashable)."""
    path = tmp_path / "x.npz"
    np.savez(path, header=np.array(json.dumps({"kind": ["LinearLatency"], "space": "nb201",
                                                "space_params": {}})))
    with pytest.raises(ValueError, match=r"unknown predictor kind \['LinearLatency'\] \(known: AdaptedLatency, "):
        predictors.load(path)


def test_predictors_does_not_import_adaptation():
    """predictors.load imported adaptation inside a function to know AdaptedLatency (a cycle:
    adaptation imports predictors); no import statement of predictors names it now."""
    import ast
    import inspect

    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(predictors))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {node.module or ""} | {f"{node.module}.{alias.name}" for alias in node.names}
    assert not [n for n in names if "adaptation" in n]
