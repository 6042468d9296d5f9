"""Search spaces: sizes, the index bijection (beyond 2**64 too), strings, sampling and variation."""
import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneproxy import _radix, datasets, spaces
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3

ALL = [NASBench201(), FBNet(), OFAMobileNetV3()]
IDS = [s.name for s in ALL]


def canonical_count_ofa(n_res: int) -> int:
    """Canonical OFA sub-networks counted directly: per stage, sum over depths of 9**depth."""
    return n_res * sum(9**d for d in (2, 3, 4)) ** 5


def test_sizes_are_exact():
    assert NASBench201().size == 15_625
    assert FBNet().size == 9**22
    assert OFAMobileNetV3().size == 25 * 7371**5 == canonical_count_ofa(25) == 543_966_387_314_312_146_275
    assert OFAMobileNetV3(resolutions=[160, 224]).size == canonical_count_ofa(2)


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_decode_encode_round_trip_on_random_and_edge_indices(space):
    """encode(decode(i)) == i for random Python ints, 0, size - 1, and around 2**64."""
    rng = random.Random(0)
    edges = [0, 1, space.size - 1, space.size // 2] + [v for v in (2**64 - 1, 2**64, 2**64 + 1) if v < space.size]
    values = [rng.randrange(space.size) for _ in range(2000)] + edges
    c = space.decode(np.array(values, dtype=object))
    assert c.dtype == np.uint8 and c.shape == (len(values), space.n_positions)
    back = space.encode(c)
    assert [int(v) for v in back] == values
    hi, lo = space.encode(c, wide=True)
    assert [int(h) << 64 | int(l) for h, l in zip(hi, lo)] == values
    assert (space.decode((hi, lo)) == c).all()
    assert space.encode(space.decode(values[0])) == values[0]  # scalar in, scalar out


@pytest.mark.parametrize("space", [FBNet(), OFAMobileNetV3()], ids=["fbnet", "ofa-mbv3"])
def test_wide_indices_match_a_big_integer_reference(space):
    """Digits of indices past 2**64 agree with Python's own big-integer arithmetic."""
    rng = random.Random(1)
    values = [rng.randrange(2**64, space.size) for _ in range(500)]
    digits = space._to_digits(space.decode(values))
    assert digits.tolist() == _radix.decode_reference(values, [int(r) for r in space._radices])


def test_mixed_radix_is_lexicographic_with_the_first_column_most_significant():
    fb = FBNet()
    rows = np.zeros((11, 22), dtype=np.uint8)
    rows[:9, 21] = np.arange(9)
    rows[9, 20] = 1
    rows[10, 0] = 1
    assert [int(v) for v in fb.encode(rows)] == list(range(9)) + [9, 9**21]
    assert [int(v) for v in fb.encode(fb.decode([0, 2**63, 2**64 + 1]))] == [0, 2**63, 2**64 + 1]


@given(st.lists(st.integers(min_value=0, max_value=9**22 - 1), min_size=1, max_size=50))
@settings(max_examples=50, deadline=None)
def test_fbnet_round_trip_property(values):
    """(Found by hypothesis: NumPy turns [0, 2**63] into float64; such lists stay exact.)"""
    fb = FBNet()
    assert [int(v) for v in fb.encode(fb.decode(values))] == values


def test_nb201_index_is_the_official_one():
    """NB201 indices follow the bundled tables (a shuffle), not lexicographic order."""
    nb = NASBench201()
    table = datasets.load("nb201")
    assert (nb.decode(np.arange(nb.size)) == table.columns["ops"]).all()
    assert (nb.encode(table.columns["ops"]) == table.arch_index).all()
    lexicographic = np.array(list(itertools.product(range(5), repeat=6)), dtype=np.uint8)
    assert not (nb.encode(lexicographic) == np.arange(nb.size)).all()
    assert sorted(nb.encode(lexicographic).tolist()) == list(range(nb.size))
    one = datasets.load("nb201-oneproxy")
    assert (nb.encode(one.choices) == one.arch_index).all()


def test_nb201_strings():
    nb = NASBench201()
    best = 6111  # the most accurate cell in the bundled table, ops [3, 3, 3, 1, 3, 2]
    assert nb.decode(best).tolist() == datasets.load("nb201").columns["ops"][best].tolist()
    text = nb.to_string(best)
    assert text == ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                    "|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
    assert nb.encode(nb.from_string(text)) == best
    for bad in ("|nor_conv_3x3~0|", text.replace("skip_connect", "conv_7x7"), text.replace("~2", "~1")):
        with pytest.raises(ValueError):
            nb.from_string(bad)


def test_nb201_strings_match_the_source_csv():
    """to_string gives the source's arch_str for the first rows of the shared CSV."""
    path = pytest.importorskip("pathlib").Path(__file__).parents[2] / "shared/data/nb201/accuracy.csv"
    if not path.exists():
        pytest.skip("shared data not beside the checkout")
    nb = NASBench201()
    with open(path) as f:
        next(f)
        for line in itertools.islice(f, 300):
            index, arch = line.split(",")[:2]
            assert nb.to_string(int(index)) == arch
            assert nb.encode(nb.from_string(arch)) == int(index)


def test_fbnet_strings_read_op_idx_and_block_names():
    fb = FBNet()
    ds = datasets.load("fbnet")
    row = ds.choices[0]
    text = fb.to_string(row)
    assert text == "-".join(map(str, row))
    assert (fb.from_string(text) == row).all()
    names = " ".join(FBNet.BLOCKS[c] for c in row)
    assert (fb.from_string(names) == row).all()
    with pytest.raises(ValueError):
        fb.from_string("1-2-3")
    with pytest.raises(ValueError):
        fb.from_string(" ".join(["k9_e9"] * 22))


def test_ofa_spec_string_and_canonical_form():
    ofa = OFAMobileNetV3()
    ds = datasets.load("ofa-mbv3")
    raw = ds.columns
    for k in range(50):
        spec = ofa.spec(ds.choices[k])
        assert spec["r"] == raw["resolution"][k] and spec["d"] == raw["depths"][k].tolist()
        for s, d in enumerate(spec["d"]):
            used = slice(4 * s, 4 * s + d)
            assert spec["ks"][used] == raw["kernel_sizes"][k][used].tolist()
            assert spec["e"][used] == raw["expand_ratios"][k][used].tolist()
            assert set(spec["ks"][4 * s + d:4 * s + 4]) <= {3}  # unused blocks shown as 3
        assert (ofa.from_string(ofa.to_string(ds.choices[k])) == ds.choices[k]).all()
    # Unused entries do not matter: a row with junk there encodes like its canonical form.
    c = ofa.sample(200, seed=3)
    junk = c.copy()
    junk[:, 6:] = np.random.default_rng(0).integers(0, 3, size=(200, 40))
    junk[:, 6:][ofa.active(c)[:, 6:]] = c[:, 6:][ofa.active(c)[:, 6:]]
    assert (ofa.canonical(junk) == c).all()
    noncanonical = ~(junk == c).all(axis=1)
    assert noncanonical.any()
    with pytest.raises(ValueError, match="canonical"):
        ofa.encode(junk)
    with pytest.raises(ValueError, match="r = 100"):
        ofa.from_spec(100, [2] * 5, [3] * 20, [3] * 20)


def test_ofa_custom_resolutions():
    ofa = OFAMobileNetV3(resolutions=range(160, 225, 4))
    assert ofa.n_choices[0] == 17 and ofa.size == canonical_count_ofa(17)
    assert ofa.spec(0)["r"] == 160 and ofa.spec(ofa.size - 1)["r"] == 224
    with pytest.raises(ValueError):
        OFAMobileNetV3(resolutions=[])
    with pytest.raises(ValueError):
        OFAMobileNetV3(resolutions=[160, 160])


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_sample_is_uniform_over_canonical_architectures(space):
    """Each column's codes appear with the frequencies uniform sampling implies (chi-square)."""
    n = 60_000
    c = space.sample(n, seed=7)
    assert c.shape == (n, space.n_positions) and c.dtype == np.uint8
    assert (space.canonical(c) == c).all()
    assert (space.sample(10, seed=1) == space.sample(10, seed=1)).all()
    if isinstance(space, OFAMobileNetV3):
        # depth d of a stage has 9**d of its 7371 settings
        expected = np.array([9**2, 9**3, 9**4]) / 7371
        observed = np.bincount(c[:, 1], minlength=3) / n
        assert np.abs(observed - expected).max() < 0.01
        columns = [0]
    else:
        columns = range(space.n_positions)
    for p in columns:
        counts = np.bincount(c[:, p], minlength=space.n_choices[p])
        chi2 = ((counts - n / len(counts)) ** 2 / (n / len(counts))).sum()
        assert chi2 < len(counts) * 4 + 30  # far beyond the 99.99th percentile for these dofs


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_sample_genotypes_is_uniform_per_entry(space):
    """Every entry, unused once-for-all blocks included, is uniform over its codes (chi-square);
    for once-for-all each depth is then drawn a third of the time."""
    n = 30_000
    g = space.sample_genotypes(n, seed=7)
    assert g.shape == (n, space.n_positions) and g.dtype == np.uint8
    assert (space.sample_genotypes(10, seed=1) == space.sample_genotypes(10, seed=1)).all()
    for p in range(space.n_positions):
        counts = np.bincount(g[:, p], minlength=space.n_choices[p])
        assert len(counts) == space.n_choices[p]
        chi2 = ((counts - n / len(counts)) ** 2 / (n / len(counts))).sum()
        assert chi2 < len(counts) * 4 + 30
    assert space.sample_genotypes(0).shape == (0, space.n_positions)
    with pytest.raises(ValueError, match="n must be"):
        space.sample_genotypes(-1)


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_mutation_picks_the_other_codes_uniformly(space):
    """At rate 1 every entry moves to one of its other codes, each equally often."""
    c = np.zeros((20_000, space.n_positions), dtype=np.uint8)
    m = space.mutate(c, seed=3, rate=1.0, canonical=False)
    p = int(np.argmax(space.n_choices))
    counts = np.bincount(m[:, p], minlength=space.n_choices[p])
    assert counts[0] == 0
    expected = len(c) / (space.n_choices[p] - 1)
    assert (((counts[1:] - expected) ** 2) / expected).sum() < 4 * len(counts) + 30


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_features_are_one_hot_groups(space):
    c = space.sample(500, seed=2)
    x = space.features(c)
    g = space.groups(c)
    assert x.shape == (500, space.n_features) == (500, sum(space.group_sizes))
    assert len(space.feature_names) == space.n_features
    assert (x.sum(axis=1) == (g >= 0).sum(axis=1)).all()
    start = 0
    for k, size in enumerate(space.group_sizes):
        block = x[:, start:start + size]
        active = g[:, k] >= 0
        assert (block[active].argmax(axis=1) == g[active, k]).all()
        assert (block[~active] == 0).all()
        start += size


def test_ofa_groups_follow_depth():
    ofa = OFAMobileNetV3()
    c = ofa.sample(1000, seed=4)
    g = ofa.groups(c)
    depth = c[:, 1:6].astype(int) + 2
    for b in range(20):
        used = (b % 4) < depth[:, b // 4]
        assert ((g[:, 1 + b] >= 0) == used).all()
        assert (g[used, 1 + b] == 3 * c[used, 6 + b] + c[used, 26 + b]).all()


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_mutate_and_crossover_stay_in_the_space(space):
    c = space.sample(2000, seed=5)
    m = space.mutate(c, seed=6)
    assert (space.canonical(m) == m).all() and (m < space.n_choices).all()
    changed = (m != c).any(axis=1).mean()
    assert 0.3 < changed < 0.9  # about 1 - (1 - 1/P)**P of rows change at the default rate
    every = space.mutate(c, seed=6, rate=1.0)
    assert ((every != c)[space.active(c) & space.active(every)]).all()
    assert (space.mutate(c, seed=6, rate=0.0) == c).all()
    d = space.sample(2000, seed=8)
    x = space.crossover(c, d, seed=9)
    assert (space.canonical(x) == x).all()
    both = space.active(x) & space.active(c) & space.active(d)
    assert ((x == c) | (x == d))[both].all()
    assert 0.3 < (x == c)[both & (c != d)].mean() < 0.7
    with pytest.raises(ValueError):
        space.mutate(c, rate=1.5)
    with pytest.raises(ValueError):
        space.crossover(c, d[:10])


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_bad_input_names_the_argument(space):
    with pytest.raises(ValueError, match="indices must be in"):
        space.decode(space.size)
    with pytest.raises(ValueError, match="indices must be in"):
        space.decode([-1])
    with pytest.raises(ValueError, match="indices must be in"):
        space.decode(2**130)
    with pytest.raises(ValueError, match="indices"):
        space.decode(np.array([0.5]))
    with pytest.raises(ValueError, match="choices must have shape"):
        space.encode(np.zeros((3, space.n_positions + 1), dtype=np.uint8))
    bad = space.sample(3, seed=0)
    bad[1, -1] = space.n_choices[-1]
    with pytest.raises(ValueError, match=r"choices\[1, "):
        space.encode(bad)
    with pytest.raises(ValueError, match="integer codes"):
        space.encode(np.zeros((1, space.n_positions)))
    with pytest.raises(ValueError, match="n must be"):
        space.sample(-1)


def test_empty_inputs():
    for space in ALL:
        assert space.decode(np.zeros(0, dtype=np.uint64)).shape == (0, space.n_positions)
        assert len(space.encode(np.zeros((0, space.n_positions), dtype=np.uint8))) == 0
        assert space.sample(0).shape == (0, space.n_positions)


def test_registry():
    assert spaces.available() == ("nb201", "fbnet", "ofa-mbv3")
    for space in ALL:
        again = spaces.get(space.name, **space.params)
        assert again == space and hash(again) == hash(space)
    assert spaces.get("ofa-mbv3", resolutions=[160, 224]) != OFAMobileNetV3()
    with pytest.raises(ValueError, match="space must be one of"):
        spaces.get("darts")


def test_datasets_know_their_space_and_choices():
    for name in datasets.available():
        ds = datasets.load(name)
        assert ds.choices.shape == (ds.n_archs, ds.space.n_positions)
        assert not ds.choices.flags.writeable
        indices = ds.space.encode(ds.choices)
        assert len({int(v) for v in indices}) == ds.n_archs, "architectures must be distinct"
    assert datasets.load("fbnet").choices.tolist() == datasets.load("fbnet").columns["op_idx"].tolist()


@pytest.mark.parametrize("radices", [[9] * 22, [25] + [7371] * 5, [5] * 6, [2] * 127, [255] * 16, [3], [2**31 + 11] * 4])
def test_radix_kernels_against_big_integers(radices):
    rad = np.array(radices, dtype=np.uint64)
    starts, products = _radix.chunks(rad)
    assert (products < 2**32).all()
    size = math.prod(radices)
    rng = random.Random(len(radices))
    values = [rng.randrange(size) for _ in range(300)] + [0, size - 1]
    hi = np.array([v >> 64 for v in values], dtype=np.uint64)
    lo = np.array([v & (2**64 - 1) for v in values], dtype=np.uint64)
    digits = np.empty((len(values), len(radices)), dtype=np.uint64)
    assert _radix.decode(hi, lo, rad, starts, products, digits) == 0
    assert digits.tolist() == _radix.decode_reference(values, radices)
    h2, l2 = np.empty_like(hi), np.empty_like(lo)
    assert _radix.encode(digits, rad, starts, products, h2, l2) == 0
    assert (h2 == hi).all() and (l2 == lo).all()
    if size < 2**128:  # one past the end is reported, not wrapped
        over = np.array([size >> 64], dtype=np.uint64), np.array([size & (2**64 - 1)], dtype=np.uint64)
        assert _radix.decode(*over, rad, starts, products, digits[:1]) == 1


def test_genotype_variation_keeps_unused_entries():
    """With canonical=False, mutate and crossover act on every entry and keep what unused
    once-for-all blocks hold; their canonical forms are valid rows of the space."""
    ofa = OFAMobileNetV3()
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 3, size=(500, 46)).astype(np.uint8)
    raw[:, 0] = rng.integers(0, 25, 500)
    m = ofa.mutate(raw, seed=1, rate=0.5, canonical=False)
    unused = ~ofa.active(raw)
    assert (m[unused] != raw[unused]).mean() > 0.3  # unused entries mutate too
    c = ofa.canonical(m)
    assert (ofa.decode(ofa.encode(c, wide=True)) == c).all()  # canonical forms are rows of the space
    x = ofa.crossover(raw, raw[::-1], seed=2, canonical=False)
    assert ((x == raw) | (x == raw[::-1])).all()
    assert not (x == ofa.canonical(x)).all()  # raw genotypes are returned as they are
    assert (ofa.mutate(raw, seed=3, rate=0.0, canonical=False) == raw).all()


def test_an_index_too_large_is_reported_as_given():
    with pytest.raises(ValueError, match=rf"got {2**200}$"):
        FBNet().decode([2**200])
    with pytest.raises(ValueError, match=rf"got {2**70}$"):
        NASBench201().decode(2**70)


@pytest.mark.parametrize("space", [NASBench201(), FBNet(), OFAMobileNetV3()], ids=lambda s: s.name)
@pytest.mark.parametrize("position", [-1, "x", 1.0, 999, True])
def test_values_refuses_positions_outside_the_space(space, position):
    with pytest.raises(ValueError, match=r"position must be (an integer )?in \[0, "):
        space.values(position)


def test_nb201_from_string_refuses_absurd_lengths_at_once():
    """A long non-matching string took seconds (quadratic backtracking); it is refused by its
    length now, before any pattern is matched."""
    with pytest.raises(ValueError, match="at most 256 characters"):
        NASBench201().from_string("a" * 1_000_000)


# ---------------------------------------------------------------------------- arguments named in their errors

BAD_SEEDS = ["x", 1.5, -1, True, [1, 2]]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_a_bad_seed_is_named(seed):
    """Not numpy's SeedSequence text: every variation operator names `seed`."""
    nb = NASBench201()
    rows = nb.sample(3, seed=0)
    for call in (lambda: nb.sample(2, seed=seed), lambda: nb.sample_genotypes(2, seed=seed),
                 lambda: nb.mutate(rows, seed=seed), lambda: nb.crossover(rows, rows, seed=seed)):
        with pytest.raises(ValueError, match="seed must be a non-negative integer, a numpy.random.Generator or None"):
            call()


def test_good_seeds_still_work():
    nb = NASBench201()
    assert (nb.sample(4, seed=np.uint8(3)) == nb.sample(4, seed=3)).all()
    assert (nb.sample(4, seed=np.random.default_rng(3)) == nb.sample(4, seed=3)).all()
    assert nb.sample(4, seed=None).shape == (4, 6)


@pytest.mark.parametrize("n", [1.5, 10.0, "3", True, -1])
def test_a_bad_count_is_named(n):
    nb = NASBench201()
    for call in (nb.sample, nb.sample_genotypes):
        with pytest.raises(ValueError, match=r"n must be (an integer )?>= 0"):
            call(n, seed=0)
    assert NASBench201().sample(np.int64(2), seed=0).shape == (2, 6)


@pytest.mark.parametrize("rate", ["0.5", np.nan, 1.5, -0.1, True])
def test_a_bad_mutation_rate_is_named(rate):
    nb = NASBench201()
    with pytest.raises(ValueError, match=r"rate must be (a number )?in \[0, 1\]"):
        nb.mutate(nb.sample(2, seed=0), seed=0, rate=rate)


@pytest.mark.parametrize("resolutions, match", [
    ([2**70], r"resolutions\[0\] must be in \[1, 4096\], got 1180591620717411303424"),
    ([224.0], r"resolutions\[0\] must be an integer in \[1, 4096\], got 224.0"),
    ([160, "224"], r"resolutions\[1\] must be an integer"),
    ([0], r"resolutions\[0\] must be in \[1, 4096\], got 0"),
    (224, "resolutions must be a sequence of ints"),
    ("224", "resolutions must be a sequence of ints"),
    ([160, 160], "resolutions must be 1 to 255 distinct ints"),
    ([], "resolutions must be 1 to 255 distinct ints"),
])
def test_ofa_resolutions_are_checked(resolutions, match):
    with pytest.raises(ValueError, match=match):
        OFAMobileNetV3(resolutions)
    assert OFAMobileNetV3(np.array([160, 4096])).resolutions == (160, 4096)


@pytest.mark.parametrize("pair, match", [
    (([-1], [0]), r"got -1 in hi"),
    (([0], [-5]), r"got -5 in lo"),
    ((np.array([0]), np.array([1.7])), r"got lo of dtype float64"),
    (([0.0], [1]), r"got hi of dtype float64"),
    (([0], [2**64]), rf"got {2**64} in lo"),
    ((np.array([0], dtype=object), np.array([True], dtype=object)), r"got True in lo"),
])
def test_decode_refuses_pair_parts_that_would_wrap_or_truncate(pair, match):
    """(hi, lo) parts with a negative, float or too-large value were wrapped to 2**64 - 1 or
    truncated (1.7 decoded as 1); they are refused, quoting the value."""
    with pytest.raises(ValueError, match=r"indices \(hi, lo\) must hold integers in \[0, 2\*\*64\), " + match):
        FBNet().decode(pair)
    assert (FBNet().decode(([0], [5])) == FBNet().decode(5)).all()  # int lists still work
    assert (FBNet().decode((np.array([1], np.int64), np.array([2], np.int64))) == FBNet().decode(2**64 + 2)).all()


@pytest.mark.parametrize("space", [NASBench201(), FBNet(), OFAMobileNetV3()], ids=lambda s: s.name)
def test_digit_tables_checks_its_weights(space):
    """A 1-D array or a list of the wrong shape raised IndexError or TypeError."""
    shape = (len(space.group_sizes), max(space.group_sizes))
    for bad in (np.zeros(5), [[1, 2]], np.zeros(shape, dtype="U1")):
        with pytest.raises(ValueError, match=rf"weights must have shape \({shape[0]}, {shape[1]}\)"):
            space.digit_tables(bad)
    assert space.digit_tables(np.zeros(shape).tolist()).shape[0] == len(space.radices)


def test_get_names_a_space_that_is_not_a_name():
    for bad in (["nb201"], 5, None):
        with pytest.raises(ValueError, match="space must be one of nb201, fbnet, ofa-mbv3, got"):
            spaces.get(bad)


def test_ofa_depth_rule_has_one_home():
    """`depths`, `active_blocks`, `active` and `groups` agree with the rule read off the specs:
    a stage of depth d uses its first d blocks."""
    ofa = OFAMobileNetV3()
    c = ofa.sample_genotypes(2000, seed=5)
    depth = np.array([ofa.spec(row)["d"] for row in ofa.canonical(c)])  # values, from spec
    assert (ofa.depths(c) == depth).all()
    blocks = ofa.active_blocks(c)
    assert blocks.shape == (2000, 5, 4) and blocks.dtype == np.bool_
    assert (blocks == (np.arange(4) < depth[:, :, None])).all()
    active = ofa.active(c)
    lay = ofa.one_hot_layout
    assert (active[:, lay.kernel_column] == blocks.reshape(-1, 20)).all()
    assert (active[:, lay.expand_column] == blocks.reshape(-1, 20)).all()
    assert ((ofa.groups(c)[:, 1:] >= 0) == blocks.reshape(-1, 20)).all()


def test_ofa_one_hot_layout_names_the_columns():
    ofa = OFAMobileNetV3()
    lay = ofa.one_hot_layout
    assert [ofa.names[k] for k in lay.kernel_column] == [f"kernel_{b}" for b in range(20)]
    assert [ofa.names[k] for k in lay.expand_column] == [f"expand_{b}" for b in range(20)]
    assert [ofa.names[k] for k in lay.depth_column] == [f"depth_{b // 4}" for b in range(20)]
    assert ofa.names[lay.resolution_column] == "resolution"
    inputs = np.concatenate([lay.kernel_input[:, None] + np.arange(3), lay.expand_input[:, None] + np.arange(3)])
    assert sorted(inputs.ravel().tolist()) == list(range(lay.resolution_input))  # each input once
    assert lay.used.tolist() == [[j < d for j in range(4)] for d in ofa.DEPTHS]
    with pytest.raises(ValueError):
        lay.used[0, 0] = False  # shared by every space: read-only


def weights_table_loop(space, w):
    """The flat weights as a table, group by group (predictors.weights_table before it moved)."""
    table = np.zeros((len(space.group_sizes), max(space.group_sizes)))
    start = 0
    for g, size in enumerate(space.group_sizes):
        table[g, :size] = w[start:start + size]
        start += size
    return table


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_flat_weights_and_weights_table_are_inverses(space):
    rng = np.random.default_rng(6)
    w = rng.normal(size=space.n_features)
    table = space.weights_table(w)
    assert table.shape == (len(space.group_sizes), max(space.group_sizes)) and table.dtype == np.float64
    assert np.array_equal(table, weights_table_loop(space, w))
    assert np.array_equal(space.flat_weights(table), w)
    assert np.array_equal(space.flat_weights(table),
                          np.concatenate([table[g, :size] for g, size in enumerate(space.group_sizes)]))
    padded = table + np.where(table == 0, rng.normal(size=table.shape), 0)  # padding is ignored
    assert np.array_equal(space.weights_table(space.flat_weights(padded)), table)
    # the flat layout is the columns of `features`: the same additive value both ways
    c = space.sample(50, seed=7)
    g = space.groups(c)
    by_table = np.where(g >= 0, table[np.arange(len(g[0])), np.maximum(g, 0)], 0).sum(axis=1)
    np.testing.assert_allclose(space.features(c) @ w, by_table, rtol=1e-12)
    with pytest.raises(ValueError, match="w must hold"):
        space.weights_table(w[:-1])
    with pytest.raises(ValueError, match="table must have shape"):
        space.flat_weights(table[:-1])


@pytest.mark.parametrize("space", ALL, ids=IDS)
def test_public_layout_names(space):
    assert space.group_size_array.tolist() == list(space.group_sizes)
    assert space.group_offsets.tolist() == [0, *np.cumsum(space.group_sizes).tolist()]
    numbers = np.arange(min(space.size, 1000), dtype=np.uint64)
    index = space.index_from_number(numbers)
    assert (space.number_from_index(index) == numbers).all()
    assert (index == numbers).all() == space.odometer_index


@pytest.mark.parametrize("value", [0, 1, 2**64 - 1, 2**64, 3 << 64 | 5, 2**128 - 1])
def test_128_bit_words(value):
    hi, lo = _radix.split128(value)
    assert 0 <= hi < 2**64 and 0 <= lo < 2**64 and hi * 2**64 + lo == value
    assert _radix.join128(hi, lo) == value == _radix.join128(np.uint64(hi), np.uint64(lo))
    his, los = _radix.split128_array([value, 7])
    assert his.dtype == los.dtype == np.uint64
    assert _radix.join128(his, los).tolist() == [value, 7]


def test_encode_reference_is_exact_on_numpy_digits():
    digits = np.full((2, 22), 8, dtype=np.uint8)  # 9**22 - 1 overflows int64 arithmetic
    assert _radix.encode_reference(digits, [9] * 22) == [9**22 - 1] * 2
    assert _radix.encode_reference(digits, np.full(22, 9, dtype=np.uint64)) == [9**22 - 1] * 2


def test_the_mlp_reads_its_one_hot_layout_from_the_space():
    from oneproxy import _mlp

    ofa = OFAMobileNetV3()
    c = ofa.sample_genotypes(300, seed=8)
    res_bin = np.arange(len(ofa.resolutions)) % 8
    x = _mlp.one_hot(c, res_bin)
    assert np.array_equal(x, _mlp.one_hot(c, res_bin, ofa.one_hot_layout))
    g = ofa.groups(c)[:, 1:]  # 3 * kernel + expansion, -1 past the depth
    for b in range(20):
        used = g[:, b] >= 0
        assert (x[:, 3 * b:3 * b + 3].argmax(axis=1)[used] == g[used, b] // 3).all()
        assert (x[:, 60 + 3 * b:63 + 3 * b].argmax(axis=1)[used] == g[used, b] % 3).all()
        assert (x[~used, 3 * b:3 * b + 3] == 0).all() and (x[~used, 60 + 3 * b:63 + 3 * b] == 0).all()
    assert (x[:, 120:].argmax(axis=1) == res_bin[c[:, 0]]).all()
