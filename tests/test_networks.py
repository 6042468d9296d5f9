"""once-for-all MobileNetV3 subnets as ONNX graphs: the graph read back layer by layer is
once-for-all's (every layer is a row of its Note10 latency table), the parameter counts are
the supernet's, and the model runs in ONNX Runtime."""
from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable
from importlib.resources import files

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from oneproxy import networks  # noqa: E402
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3  # noqa: E402

TABLE_SPACE = OFAMobileNetV3(range(160, 225, 4))  # the Note10 table's resolutions
ACT = {"Relu": 0, "HardSwish": 1}  # the table's hs flag


def _note10_keys() -> set[tuple[int, str]]:
    text = (files("oneproxy") / "data" / "note10_lut.csv").read_text()
    return {(int(row["resolution"]), row["op_key"]) for row in csv.DictReader(io.StringIO(text))}


# ---------------------------------------------------------------------------- reading a graph back

def _shapes(model) -> Callable[[str], tuple[int, ...]]:
    """A tensor's shape by onnx's shape inference. The initializers enter as inputs of their
    type and shape, all that inference reads of them: it then does not copy a network's 18-43 MB
    of weights four times, which would dominate reading 1,000 networks."""
    g = model.graph
    light = onnx.ModelProto(ir_version=model.ir_version, opset_import=model.opset_import)
    light.graph.node.extend(g.node)
    light.graph.input.extend(g.input)
    light.graph.output.extend(g.output)
    for t in g.initializer:
        declared = light.graph.input.add()
        declared.name = t.name
        declared.type.tensor_type.elem_type = t.data_type
        declared.type.tensor_type.shape.dim.extend(onnx.TensorShapeProto.Dimension(dim_value=d) for d in t.dims)
    inferred = onnx.shape_inference.infer_shapes(light, strict_mode=True).graph
    info = {v.name: v.type.tensor_type.shape for v in [*g.input, *inferred.value_info, *inferred.output]}
    return lambda name: tuple(d.dim_value for d in info[name].dim)


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class _GraphReader:
    """Walks an OFA graph's main path node by node, recording every node it passes."""

    def __init__(self, model) -> None:
        self.shape = _shapes(model)
        self.weight = {t.name: tuple(t.dims) for t in model.graph.initializer}
        self.consumers = defaultdict(list)
        for n in model.graph.node:
            for i in n.input:
                self.consumers[i].append(n)
        self.seen: list[str] = []

    def hwc(self, t: str) -> str:
        _, c, h, w = self.shape(t)
        return f"{h}x{w}x{c}"

    def only(self, t: str, *ops: str):
        """The one node that reads t, of one of `ops`."""
        (n,) = self.consumers[t]
        assert n.op_type in ops, (t, n.op_type, ops)
        self.seen.append(n.output[0])
        return n

    def conv(self, n, k: int | None = None, group: int = 1, bias: bool = False) -> None:
        """Checks a Conv node: kernel, groups, bias, and 'same' padding k // 2."""
        kk = _attr(n, "kernel_shape")
        assert kk[0] == kk[1] and (k is None or kk[0] == k)
        assert _attr(n, "group", 1) == group and len(n.input) == (3 if bias else 2)
        assert list(_attr(n, "pads")) == [kk[0] // 2] * 4
        assert self.weight[n.input[1]][1] == self.shape(n.input[0])[1] // group  # reads every input channel

    def bn_act(self, n):
        """The activation node after n's batch norm."""
        return self.only(self.only(n.output[0], "BatchNormalization").output[0], *ACT)

    def se(self, y: str, mid: int) -> str:
        """Checks the squeeze-excite branch on y (mid channels); returns the scaled tensor."""
        (pool,) = [n for n in self.consumers[y] if n.op_type == "GlobalAveragePool"]
        self.seen.append(pool.output[0])
        reduce = self.only(pool.output[0], "Conv")
        self.conv(reduce, 1, bias=True)
        expand = self.only(self.only(reduce.output[0], "Relu").output[0], "Conv")
        self.conv(expand, 1, bias=True)
        gate = self.only(expand.output[0], "HardSigmoid")
        assert math.isclose(_attr(gate, "alpha"), 1 / 6, rel_tol=1e-6) and _attr(gate, "beta") == 0.5
        mul = self.only(gate.output[0], "Mul")
        assert set(mul.input) == {y, gate.output[0]} and self.shape(reduce.output[0])[1] < mid
        return mul.output[0]

    def block(self, t: str, dw) -> tuple[str, str]:
        """The rest of an MBConv block from its depthwise convolution: (output, table key)."""
        mid = self.shape(dw.input[0])[1]
        self.conv(dw, group=mid)
        act = self.bn_act(dw)
        y, se = act.output[0], 0
        if len(self.consumers[y]) == 2:  # squeeze-excite: a pooled branch scales the channels
            y, se = self.se(y, mid), 1
        point = self.only(y, "Conv")
        self.conv(point, 1)
        out = self.only(point.output[0], "BatchNormalization").output[0]
        skip = 0
        if [n.op_type for n in self.consumers[out]] == ["Add"]:
            add = self.only(out, "Add")
            assert set(add.input) == {out, t} and self.shape(out) == self.shape(t)  # identity shortcut
            out, skip = add.output[0], 1
        key = (f"expanded_conv-input:{self.hwc(t)}-output:{self.hwc(out)}-expand:{mid}-kernel:"
               f"{_attr(dw, 'kernel_shape')[0]}-stride:{_attr(dw, 'strides')[0]}-idskip:{skip}-se:{se}"
               f"-hs:{ACT[act.op_type]}")
        return out, key

    def head(self, t: str, act) -> list[str]:
        """The keys of the head, from the final expand layer's activation `act`."""
        assert act.op_type == "HardSwish"
        keys = [f"Conv_1-input:{self.hwc(t)}-output:{self.hwc(act.output[0])}"]
        pool = self.only(act.output[0], "GlobalAveragePool")
        keys.append(f"AvgPool2D-input:{self.hwc(act.output[0])}-output:{self.hwc(pool.output[0])}")
        mix = self.only(pool.output[0], "Conv")
        self.conv(mix, 1)
        mixed = self.only(mix.output[0], "HardSwish").output[0]
        keys.append(f"Conv_2-input:{self.hwc(pool.output[0])}-output:{self.hwc(mixed)}")
        logits = self.only(self.only(mixed, "Flatten").output[0], "Gemm")
        assert len(logits.input) == 3  # with a bias
        keys.append(f"Logits-input:{self.hwc(mixed)}-output:{self.shape(logits.output[0])[1]}")
        self.logits = logits.output[0]
        return keys


def layer_keys(model) -> list[str]:
    """The Note10 table's key of every layer, read off the graph alone: walks the main path from
    ``x``, takes each depthwise convolution (``group`` > 1) as the heart of an MBConv block and
    asserts that every node of the graph belongs to exactly one layer."""
    r = _GraphReader(model)
    stem = r.only("x", "Conv")
    r.conv(stem, 3)
    assert list(_attr(stem, "strides")) == [2, 2] and r.weight[stem.input[1]][:2] == (24, 3)
    act = r.bn_act(stem)
    assert act.op_type == "HardSwish"
    t = act.output[0]
    keys = [f"Conv-input:{r.hwc('x')}-output:{r.hwc(t)}"]
    while True:
        (first,) = [n for n in r.consumers[t] if n.op_type != "Add"]  # an Add is the block's residual
        r.seen.append(first.output[0])
        assert first.op_type == "Conv"
        if _attr(first, "group", 1) > 1:  # no 1x1 expansion: the first block
            dw = first
        else:
            r.conv(first, 1)
            act = r.bn_act(first)
            if [n.op_type for n in r.consumers[act.output[0]]] == ["GlobalAveragePool"]:
                break  # the final expand layer: the head begins
            dw = r.only(act.output[0], "Conv")
        t, key = r.block(t, dw)
        keys.append(key)
    keys += r.head(t, act)
    assert [o.name for o in model.graph.output] == [r.logits]
    assert sorted(r.seen) == sorted(n.output[0] for n in model.graph.node)  # every node in one layer, once
    return keys


def test_every_layer_of_1000_subnets_is_in_the_note10_table():
    """All layers of 1,000 uniform subnets at 160-224 px and of the smallest and largest one are
    rows of once-for-all's Note10 table at their resolution, and the blocks are exactly the
    stem, the first block, sum(depths) MBConv blocks and the head."""
    table = _note10_keys()
    sp = TABLE_SPACE
    rows = np.vstack([sp.sample(1000, seed=2024),
                      sp.from_spec(160, [2] * 5, [3] * 20, [3] * 20),
                      sp.from_spec(224, [4] * 5, [7] * 20, [6] * 20)])
    used = set()
    for row in rows:
        spec = sp.spec(row)
        keys = layer_keys(networks.build_ofa_mbv3(row, space=sp))
        missing = [k for k in keys if (spec["r"], k) not in table]
        assert not missing, (sp.to_string(row), missing)
        assert len(keys) == 1 + 1 + sum(spec["d"]) + 4
        widths = [int(k.split("-output:")[1].split("-")[0].split("x")[2]) for k in keys[2:-4]]
        assert widths == [w for w, d in zip((32, 48, 96, 136, 192), spec["d"]) for _ in range(d)]
        assert keys[0].startswith("Conv-") and keys[1].startswith("expanded_conv-")
        assert [k.split("-")[0] for k in keys[-4:]] == ["Conv_1", "AvgPool2D", "Conv_2", "Logits"]
        used.update((spec["r"], k) for k in keys)
    assert len(used) > 0.9 * len(table)  # the sample reaches most of the table


# ---------------------------------------------------------------------------- parameters

def _make_divisible(v: float, divisor: int = 8) -> int:
    # ofa/utils/pytorch_modules.py: nearest multiple of 8, never more than 10 % below
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _by_hand(d: list[int], ks: list[int], e: list[int]) -> int:
    """Parameters of the static subnet once-for-all's OFAMobileNetV3(width_mult=1.2) extracts,
    layer by layer, as torch counts them: a BatchNorm2d of c channels holds 2c (weight, bias;
    its running mean and variance are buffers)."""
    def bn(c: int) -> int:
        return 2 * c

    n = 3 * 24 * 3 * 3 + bn(24)                      # first_conv: 3x3, 3 -> 24, no bias; BN
    n += 24 * 3 * 3 + bn(24) + 24 * 24 + bn(24)      # blocks[0], expand 1: 3x3 depthwise, BN; 1x1 24 -> 24, BN
    c = 24
    # stage widths make_divisible(1.2 * (24, 40, 80, 112, 160)); se_stages[1:]
    for s, (width, se) in enumerate(zip((32, 48, 96, 136, 192), (False, True, False, True, True))):
        for j in range(d[s]):
            b = 4 * s + j
            mid = _make_divisible(round(c * e[b]))
            n += c * mid + bn(mid)                   # inverted_bottleneck: 1x1 c -> mid, no bias; BN
            n += mid * ks[b] ** 2 + bn(mid)          # depth_conv: k x k, one filter per channel; BN
            if se:
                r = _make_divisible(mid // 4)        # SEModule(mid): reduction 4
                n += mid * r + r + r * mid + mid     # SE reduce and expand 1x1 convs, with biases
            n += mid * width + bn(width)             # point_linear: 1x1 mid -> width, no bias; BN
            c = width
    n += 192 * 1152 + bn(1152)                       # final_expand_layer: 1x1 192 -> 1152; BN
    n += 1152 * 1536                                 # feature_mix_layer: 1x1, no bias, no BN
    n += 1536 * 1000 + 1000                          # classifier: Linear with bias
    return n


SUBNETS = {
    "smallest": ([2] * 5, [3] * 20, [3] * 20),
    "largest": ([4] * 5, [7] * 20, [6] * 20),
    "mixed": ([2, 3, 4, 3, 2], [3, 5, 7, 7, 5, 3, 7, 5, 3, 3, 5, 7, 7, 7, 3, 5, 5, 3, 7, 3],
              [6, 4, 3, 6, 3, 6, 4, 4, 6, 3, 3, 4, 4, 6, 6, 3, 3, 4, 6, 6]),
}


@pytest.mark.parametrize("name", SUBNETS)
def test_parameter_count_is_the_supernets(name):
    """ofa_parameter_count equals the count by hand and the graph's learnable initializers
    (all of them but batch norm's running mean and variance)."""
    d, ks, e = SUBNETS[name]
    sp = OFAMobileNetV3()
    row = sp.from_spec(128, d, ks, e)
    count = networks.ofa_parameter_count(row)
    assert count == _by_hand(d, ks, e)
    assert count == networks.ofa_parameter_count(sp.from_spec(224, d, ks, e))  # resolution-free
    model = networks.build_ofa_mbv3(row)
    stats = {n.input[k] for n in model.graph.node if n.op_type == "BatchNormalization" for k in (3, 4)}
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.name not in stats) == count
    if name == "smallest":
        assert count == 4_602_456
    if name == "largest":
        assert count == 10_701_632


# ---------------------------------------------------------------------------- running, seeds

def test_runs_in_onnx_runtime_at_batch_2():
    ort = pytest.importorskip("onnxruntime")
    sp = OFAMobileNetV3()
    row = sp.from_spec(128, [2, 3, 4, 3, 2], [7] * 20, [4] * 20)
    model = networks.build_ofa_mbv3(row, batch=2)
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == [2, 3, 128, 128]
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((2, 3, 128, 128)).astype(np.float32)
    out = session.run(None, {"x": x})[0]
    assert out.shape == (2, 1000) and np.isfinite(out).all() and (out.std(axis=1) > 0).all()


def test_seed_fixes_the_weights():
    sp = OFAMobileNetV3()
    row = sp.sample(1, seed=5)[0]
    a = networks.build_ofa_mbv3(row, seed=3)
    assert a.SerializeToString() == networks.build_ofa_mbv3(row, seed=3).SerializeToString()
    b = networks.build_ofa_mbv3(row, seed=4)
    assert list(a.graph.node) == list(b.graph.node)
    differ = [x.name for x, y in zip(a.graph.initializer, b.graph.initializer) if x.raw_data != y.raw_data]
    assert len(differ) > 0.5 * len(a.graph.initializer)  # all but the batch norm statistics


def test_builders_by_space():
    sp = OFAMobileNetV3()
    row = sp.sample(1, seed=1)[0]
    assert networks.build(sp, row).SerializeToString() == networks.build_ofa_mbv3(row).SerializeToString()
    nb = NASBench201()
    assert networks.build(nb, nb.decode(7)).SerializeToString() == networks.build_nb201(nb.decode(7)).SerializeToString()
    assert networks.parameter_count is networks.nb201_parameter_count


# ---------------------------------------------------------------------------- bad input

def _row(**changes: int) -> np.ndarray:
    row = OFAMobileNetV3().sample(1, seed=0)[0].astype(np.int64)
    for position, value in changes.items():
        row[int(position[1:])] = value
    return row


@pytest.mark.parametrize("choices, match", [
    (_row()[:45], "choices must be one row of 46"),
    (np.vstack([_row(), _row()]), "choices must be one row of 46"),
    (_row(p6=3), r"choices\[0, 6\] = 3 is out of range: kernel_0"),
    (_row(p30=-1), r"choices\[0, 30\] = -1 is out of range: expand_4"),
    (_row(p0=25), r"choices\[0, 0\] = 25 is out of range: resolution has 25"),
    (_row().astype(float), "choices must hold integer codes"),
])
def test_bad_rows_are_refused(choices, match):
    for call in (networks.build_ofa_mbv3, networks.ofa_parameter_count):
        with pytest.raises(ValueError, match=match):
            call(choices)


def test_bad_arguments_are_refused():
    row = _row()
    for batch in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch must be (an integer )?>= 1"):
            networks.build_ofa_mbv3(row, batch=batch)
    with pytest.raises(ValueError, match=r"choices\[0, 0\] = 17 is out of range: resolution has 17"):
        networks.build_ofa_mbv3(_row(p0=17), space=TABLE_SPACE)  # 160-224 px: no code for 228
    with pytest.raises(ValueError, match="space must be an OFAMobileNetV3"):
        networks.build_ofa_mbv3(row, space=NASBench201())
    with pytest.raises(ValueError, match="has no network builder"):
        networks.builder(FBNet())


@pytest.mark.parametrize("build", ["nb201", "ofa"])
def test_batch_and_seed_are_named(build):
    """build_nb201 took batch=-1 and 1.5 only by luck of one shared check; a bad seed gave
    numpy's SeedSequence text (nb201) or operator.index's (ofa)."""
    call = (lambda **kw: networks.build_nb201([0] * 6, **kw)) if build == "nb201" else \
        (lambda **kw: networks.build_ofa_mbv3(_row(), **kw))
    for batch in (0, -1):
        with pytest.raises(ValueError, match=f"batch must be >= 1, got {batch}"):
            call(batch=batch)
    for batch in (1.5, True, "2"):
        with pytest.raises(ValueError, match="batch must be an integer >= 1, got"):
            call(batch=batch)
    for seed in ("x", 1.5, -1, True):
        with pytest.raises(ValueError, match="seed must be a non-negative integer, got"):
            call(seed=seed)


@pytest.mark.parametrize("choices", [[0.5, 0, 0, 0, 0, 0], np.zeros(6), [0, 1, 2, 3, 4, 2**70], ["0"] * 6])
def test_nb201_codes_must_be_integers(choices):
    for call in (networks.build_nb201, networks.nb201_parameter_count):
        with pytest.raises(ValueError, match="choices must be 6 op codes 0-4"):
            call(choices)
