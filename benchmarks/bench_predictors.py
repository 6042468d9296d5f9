"""Spaces and predictors: the Numba kernels against their NumPy twins in the same run.

Rates (architectures per second) are printed beside the ratios; the issue's goals are
LinearLatency.predict >= 5e7/s on FBNet, the OFA accuracy MLP >= 1x a float32 NumPy matmul, and
encode/decode >= 1e7/s where indices fit in 64 bits.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import goal

from oneproxy import _additive, _mlp, _radix, predictors
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3


@functools.cache
def fixtures() -> dict:
    nb, fb, ofa = NASBench201(), FBNet(), OFAMobileNetV3()
    nb_idx = np.random.default_rng(0).integers(0, nb.size, 10**7).astype(np.uint64)
    fb_choices = fb.sample(10**7, seed=1)
    fb_hi, fb_lo = fb.encode(fb_choices[:10**6], wide=True)
    linear = predictors.linear_latency("fbnet", "pixel3")
    acc = predictors.ofa_accuracy()
    ofa_choices = ofa.sample(10**5, seed=2)
    note10 = predictors.ofa_note10_latency(OFAMobileNetV3(range(160, 225, 4)))
    return dict(nb=nb, fb=fb, nb_idx=nb_idx, nb_choices=nb.decode(nb_idx), fb_choices=fb_choices,
                fb_wide=(fb_hi, fb_lo), linear=linear, acc=acc, ofa_choices=ofa_choices, note10=note10,
                note10_choices=note10.space.sample(10**6, seed=3))


def numpy_decode_nb201(f: dict) -> np.ndarray:
    number = f["nb"]._official_to_number[f["nb_idx"]]
    return ((number[:, None] // 5 ** np.arange(5, -1, -1, dtype=np.uint64)) % 5).astype(np.uint8)


def numpy_encode_nb201(f: dict) -> np.ndarray:
    number = (f["nb_choices"].astype(np.uint64) * 5 ** np.arange(5, -1, -1, dtype=np.uint64)).sum(axis=1)
    return f["nb"]._number_to_official[number]


def python_decode_fbnet(f: dict) -> np.ndarray:
    hi, lo = f["fb_wide"]
    values = [int(h) << 64 | int(l) for h, l in zip(hi[:10**5], lo[:10**5])]
    return np.array(_radix.decode_reference(values, [9] * 22), dtype=np.uint8)


CASES = {
    # group: (items, oneproxy call, reference name, reference call, compare)
    goal("LinearLatency.predict fbnet 1e7", rate=5e7): (
        10**7, lambda f: f["linear"].predict(f["fb_choices"]), "numpy",
        lambda f: _additive.predict_reference(f["fb_choices"], f["linear"].weights[None],
                                              np.array([f["linear"].constant]), False), 1e-9),
    goal("ofa_accuracy.predict 1e5", 1): (
        10**5, lambda f: f["acc"].predict(f["ofa_choices"]), "numpy-matmul",
        lambda f: _mlp.predict_reference(f["ofa_choices"], f["acc"].res_bin, f["acc"].layers), 1e-5),
    "ofa_accuracy.predict 100 (a search generation)": (
        100, lambda f: f["acc"].predict(f["ofa_choices"][:100]), "numpy-matmul",
        lambda f: _mlp.predict_reference(f["ofa_choices"][:100], f["acc"].res_bin, f["acc"].layers), 1e-5),
    "ofa_note10_latency.predict 1e6": (
        10**6, lambda f: f["note10"].predict(f["note10_choices"]), "numpy",
        lambda f: _additive.predict_reference(f["note10"].space.groups(f["note10_choices"]),
                                              f["note10"].weights, f["note10"].constant, True), 1e-9),
    goal("NASBench201.decode 1e7", rate=1e7): (
        10**7, lambda f: f["nb"].decode(f["nb_idx"]), "numpy", numpy_decode_nb201, 0),
    goal("NASBench201.encode 1e7", rate=1e7): (
        10**7, lambda f: f["nb"].encode(f["nb_choices"]), "numpy", numpy_encode_nb201, 0),
    "FBNet.decode 1e5 (indices > 2**64)": (
        10**5, lambda f: f["fb"].decode((f["fb_wide"][0][:10**5], f["fb_wide"][1][:10**5])),
        "python-int", python_decode_fbnet, 0),
}


@pytest.mark.parametrize("impl", ["oneproxy", "reference"])
@pytest.mark.parametrize("case", list(CASES))
def test_predictors(benchmark, case, impl):
    items, ours, ref_name, reference, tol = CASES[case]
    f = fixtures()
    benchmark.group = case
    benchmark.extra_info["items"] = items
    benchmark.extra_info["impl"] = ref_name if impl == "reference" else impl
    function = ours if impl == "oneproxy" else reference
    got = benchmark.pedantic(function, args=(f,), rounds=5, warmup_rounds=1)
    expected = reference(f) if impl == "oneproxy" else got
    np.testing.assert_allclose(got, expected, atol=tol, rtol=0)
