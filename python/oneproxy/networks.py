"""The networks of the search spaces as ONNX graphs, built in code, with random weights.

``build_nb201`` follows NAS-Bench-201's CIFAR network: a 3x3 stem convolution to 16 channels
with batch norm, three stages of 5 cells at 16/32/64 channels with a residual reduction block
between stages, batch norm, ReLU, global average pooling and a linear layer to 10 classes. A
cell's 6 edges apply its ops; ``none`` multiplies by zero, as the original implementation does,
so the graph stays connected and the op is still computed.

``build_ofa_mbv3`` is the static subnet that once-for-all's ``OFAMobileNetV3`` supernet (width
multiplier 1.2, the one behind the bundled accuracy MLP and Note10 table) extracts for a row of
`oneproxy.spaces.OFAMobileNetV3` choices:

==================  =====================================================================
stem                3x3 conv stride 2, 3 -> 24, BN, h-swish
first block         3x3 depthwise, BN, ReLU, 1x1 conv to 24, BN, identity residual
5 stages            widths 32/48/96/136/192, first strides 2/2/2/1/2, SE no/yes/no/yes/yes,
                    ReLU/ReLU/h-swish/h-swish/h-swish; the first `depth` of 4 MBConv blocks
MBConv block        1x1 conv to make_divisible(c_in * e, 8), BN, act; k x k depthwise with the
                    stride, BN, act; [SE]; 1x1 conv to c_out, BN; residual when the shape holds
SE                  global average pool, 1x1 conv to make_divisible(mid // 4, 8) with bias,
                    ReLU, 1x1 conv back with bias, h-sigmoid, multiply
head                1x1 conv 192 -> 1152, BN, h-swish; global average pool; 1x1 conv
                    1152 -> 1536 (no bias, no BN), h-swish; linear 1536 -> 1000 with bias
==================  =====================================================================

Convolutions have no bias unless said and pad ``k // 2``; batch norm has once-for-all's
epsilon 1e-5. Weights are random but fixed by a seed; latency does not depend on their values.
The parameter counts (``nb201_parameter_count``, ``ofa_parameter_count``) walk the same
builders without making tensors, so they need no onnx. Building needs the optional extra
``oneproxy[measure]``.

Examples
--------
>>> from oneproxy.networks import ofa_parameter_count
>>> from oneproxy.spaces import OFAMobileNetV3
>>> space = OFAMobileNetV3()
>>> ofa_parameter_count(space.from_spec(224, [4] * 5, [7] * 20, [6] * 20))
10701632
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments
from oneproxy.spaces import NASBench201, OFAMobileNetV3, Space

if TYPE_CHECKING:
    import onnx

__all__ = ["build_nb201", "nb201_parameter_count", "parameter_count", "build_ofa_mbv3",
           "ofa_parameter_count", "build", "builder"]

_INSTALL = "pip install 'oneproxy[measure]'  (or: pip install onnx onnxruntime)"
_OPSET = 17  # HardSwish needs 14; ONNX Runtime 1.16+ and OpenVINO read 17


def _onnx() -> Any:
    try:
        import onnx
        import onnx.helper  # noqa: F401
        import onnx.numpy_helper  # noqa: F401
    except ImportError:
        raise ImportError(f"building networks needs onnx: {_INSTALL}") from None
    return onnx


# ---------------------------------------------------------------------------- the graph

@functools.lru_cache(maxsize=1 << 14)
def _varint(v: int) -> bytes:
    out = bytearray()
    while v > 0x7F:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _field(number: int, size: int) -> bytes:
    """The key and length that open a length-delimited protobuf field of `size` bytes."""
    return _varint(number << 3 | 2) + _varint(size)


@functools.lru_cache(maxsize=1 << 16)
def _tensor_header(name: str, shape: tuple[int, ...]) -> bytes:
    """A float32 TensorProto's name and dims, serialized (its raw_data follows)."""
    onnx = _onnx()
    return bytes(onnx.TensorProto(name=name, dims=shape, data_type=onnx.TensorProto.FLOAT).SerializeToString())


@functools.lru_cache(maxsize=1 << 10)
def _attributes(attrs: tuple[tuple[str, Any], ...]) -> list[Any]:
    """A node's AttributeProtos, made once per distinct set (building repeats few)."""
    helper = _onnx().helper
    return [helper.make_attribute(k, list(v) if isinstance(v, tuple) else v) for k, v in sorted(attrs)]


@functools.lru_cache(maxsize=256)
def _filled(fill: float, size: int) -> bytes:
    return np.full(size, fill, dtype=np.float32).tobytes()


class _Graph:
    """Collects nodes and initializers; ``count_only`` only counts learnable parameters.

    Weights are drawn from ``rng`` tensor by tensor, or, given a `pool` (float32 bytes), are
    consecutive slices of it: drawing millions of values per network would dominate building.
    """

    def __init__(self, seed: int, count_only: bool = False, pool: bytes | None = None) -> None:
        self.onnx: Any = None if count_only else _onnx()  # counting parameters needs no onnx
        self.nodes: list[Any] = []
        self.inits: list[tuple[str, tuple[int, ...], bytes | memoryview]] = []
        self.params = 0
        self.rng = np.random.default_rng(seed)
        self.count_only = count_only
        self.pool = None if pool is None else memoryview(pool)
        self.cursor = 0  # in bytes
        self.k = 0

    def name(self, prefix: str) -> str:
        self.k += 1
        return f"{prefix}{self.k}"

    def tensor(self, shape: tuple[int, ...], learnable: bool = True, fill: float | None = None) -> str:
        """A new initializer: `fill` everywhere, else random N(0, 0.1^2)."""
        name = self.name("w")
        size = math.prod(shape)
        if learnable:
            self.params += size
        if self.count_only:
            return name
        data: bytes | memoryview
        if fill is not None:
            data = _filled(fill, size)
        elif self.pool is not None:
            if self.cursor + 4 * size > len(self.pool):
                self.cursor = 0
            data = self.pool[self.cursor:self.cursor + 4 * size]
            self.cursor += 4 * size
        else:
            data = (self.rng.standard_normal(shape) * 0.1).astype(np.float32).tobytes()
        self.inits.append((name, shape, data))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name("t")
        if not self.count_only:
            attributes = _attributes(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()))
            self.nodes.append(self.onnx.NodeProto(op_type=op, input=inputs, output=[out], attribute=attributes))
        return out

    def conv(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1, *, group: int = 1,
             bias: bool = False) -> str:
        inputs = [x, self.tensor((c_out, c_in // group, k, k))] + ([self.tensor((c_out,))] if bias else [])
        extra = {"group": group} if group != 1 else {}
        return self.node("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[k // 2] * 4 if k > 1 else [0, 0, 0, 0], **extra)

    def bn(self, x: str, c: int) -> str:
        scale, bias = self.tensor((c,)), self.tensor((c,))
        mean = self.tensor((c,), learnable=False, fill=0.0)
        var = self.tensor((c,), learnable=False, fill=1.0)
        return self.node("BatchNormalization", [x, scale, bias, mean, var])

    def conv_bn(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1, *, group: int = 1) -> str:
        return self.bn(self.conv(x, c_in, c_out, k, stride, group=group), c_out)

    def relu_conv_bn(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1) -> str:
        return self.bn(self.conv(self.node("Relu", [x]), c_in, c_out, k, stride), c_out)

    def model(self, name: str, x_shape: list[int], out: str, out_shape: list[int]) -> Any:
        """The checked ``onnx.ModelProto`` with input ``x`` and output `out`.

        The initializers are written in protobuf's wire format here, as a second ``graph``
        field after the serialized rest of the model (a parser merges the two: their repeated
        fields are concatenated). Joining the weights' bytes takes ~0.2 ms per MB where
        ``SerializeToString`` of the whole model takes ~1.4 (upb), and once-for-all networks
        hold 18-43 MB.
        """
        onnx = self.onnx
        helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
        graph = helper.make_graph(self.nodes, name, [helper.make_tensor_value_info("x", FLOAT, x_shape)],
                                  [helper.make_tensor_value_info(out, FLOAT, out_shape)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)],
                                  producer_name="oneproxy")
        model.ir_version = 8
        pieces: list[bytes | memoryview] = [model.SerializeToString(), b""]
        size = 0
        for tensor_name, shape, data in self.inits:
            header = _tensor_header(tensor_name, shape)
            raw = _field(9, len(data))  # TensorProto.raw_data
            tensor = _field(5, len(header) + len(raw) + len(data))  # GraphProto.initializer
            pieces += [tensor, header, raw, data]
            size += len(tensor) + len(header) + len(raw) + len(data)
        pieces[1] = _field(7, size)  # ModelProto.graph, a second time: merged into the first
        blob = b"".join(pieces)
        onnx.checker.check_model(blob)
        return onnx.ModelProto.FromString(blob)


# ---------------------------------------------------------------------------- NAS-Bench-201

def _cell(g: _Graph, x: str, ops: Sequence[int], c: int) -> str:
    nodes = [x]
    edges = NASBench201.EDGES
    for i in (1, 2, 3):
        terms = []
        for k, (to, frm) in enumerate(edges):
            if to != i:
                continue
            src, op = nodes[frm], ops[k]
            if op == 0:  # none: zeros, still computed
                terms.append(g.node("Mul", [src, g.tensor((1,), learnable=False, fill=0.0)]))
            elif op == 1:
                terms.append(g.node("Identity", [src]))
            elif op == 2:
                terms.append(g.relu_conv_bn(src, c, c, 1))
            elif op == 3:
                terms.append(g.relu_conv_bn(src, c, c, 3))
            else:
                terms.append(g.node("AveragePool", [src], kernel_shape=[3, 3], strides=[1, 1],
                                    pads=[1, 1, 1, 1], count_include_pad=0))
        total = terms[0]
        for t in terms[1:]:
            total = g.node("Add", [total, t])
        nodes.append(total)
    return nodes[3]


def _network(ops: Sequence[int], g: _Graph) -> str:
    x = g.bn(g.conv("x", 3, 16, 3), 16)
    c_prev = 16
    for stage, c in enumerate((16, 32, 64)):
        if stage:
            a = g.relu_conv_bn(x, c_prev, c, 3, stride=2)
            b = g.relu_conv_bn(a, c, c, 3)
            pooled = g.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
            x = g.node("Add", [g.conv(pooled, c_prev, c, 1), b])
        for _ in range(5):
            x = _cell(g, x, ops, c)
        c_prev = c
    x = g.node("Relu", [g.bn(x, 64)])
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])])
    return g.node("Gemm", [x, g.tensor((10, 64)), g.tensor((10,))], transB=1)


def _nb201_ops(choices: Sequence[int] | NDArray[np.integer]) -> list[int]:
    """The 6 op codes of a cell, checked: integers 0-4 (floats, 2**70 and -1 are refused)."""
    arr = np.asarray(choices)
    if arr.dtype.kind not in "iu" or arr.shape != (6,) or not ((arr >= 0) & (arr < 5)).all():
        raise ValueError(f"choices must be 6 op codes 0-4 (a NAS-Bench-201 cell), got {choices!r}")
    return [int(v) for v in arr]


def nb201_parameter_count(choices: Sequence[int] | NDArray[np.integer]) -> int:
    """Learnable parameters of the NAS-Bench-201 CIFAR-10 network of a cell (6 op codes)."""
    g = _Graph(0, count_only=True)
    _network(_nb201_ops(choices), g)
    return g.params


parameter_count = nb201_parameter_count  # the name measure.py has exported since 0.1


def build_nb201(choices: Sequence[int] | NDArray[np.integer], *, batch: int = 1, seed: int = 0) -> Any:
    """The ONNX model (``onnx.ModelProto``, opset 17) of a NAS-Bench-201 cell's CIFAR-10
    network; input ``x`` (batch, 3, 32, 32) float32, output (batch, 10)."""
    ops = _nb201_ops(choices)
    batch = _arguments.integer(batch, "batch", 1)
    g = _Graph(_arguments.seed(seed))
    out = _network(ops, g)
    return g.model("nb201", [batch, 3, 32, 32], out, [batch, 10])


# ---------------------------------------------------------------------------- once-for-all

# (width, first block's stride, squeeze-excite, activation) of the 5 stages, from
# OFAMobileNetV3.__init__: make_divisible(1.2 * (24, 40, 80, 112, 160), 8)
_OFA_STAGES = ((32, 2, False, "Relu"), (48, 2, True, "Relu"), (96, 2, False, "HardSwish"),
               (136, 1, True, "HardSwish"), (192, 2, True, "HardSwish"))
_OFA_STEM = 24                       # make_divisible(1.2 * 16, 8), also the first block's width
_OFA_HEAD = (1152, 1536)             # make_divisible(1.2 * (960, 1280), 8)
_POOL = 1 << 21                      # > the largest tensor, 1536 x 1152 (the feature mix)


def _make_divisible(v: float, divisor: int = 8) -> int:
    """once-for-all's (and TF-slim's) channel rounding: nearest multiple, never 10 % below."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


@functools.lru_cache(maxsize=4)
def _weight_pool(seed: int) -> bytes:
    """One N(0, 0.1^2) float32 pool (bytes) per seed, sliced into every network's weights."""
    return (np.random.default_rng(seed).standard_normal(_POOL, dtype=np.float32) * np.float32(0.1)).tobytes()


def _se(g: _Graph, x: str, c: int) -> str:
    mid = _make_divisible(c // 4)
    y = g.node("GlobalAveragePool", [x])
    y = g.conv(g.node("Relu", [g.conv(y, c, mid, 1, bias=True)]), mid, c, 1, bias=True)
    return g.node("Mul", [x, g.node("HardSigmoid", [y], alpha=1 / 6, beta=0.5)])  # h_sigmoid


def _mbconv(g: _Graph, x: str, c_in: int, c_out: int, k: int, stride: int, expand: int,
            se: bool, act: str) -> str:
    mid = c_in if expand == 1 else _make_divisible(round(c_in * expand))
    y = x if expand == 1 else g.node(act, [g.conv_bn(x, c_in, mid, 1)])
    y = g.node(act, [g.conv_bn(y, mid, mid, k, stride, group=mid)])
    if se:
        y = _se(g, y, mid)
    y = g.conv_bn(y, mid, c_out, 1)
    return g.node("Add", [y, x]) if stride == 1 and c_in == c_out else y


def _ofa_network(spec: dict[str, Any], g: _Graph) -> str:
    x = g.node("HardSwish", [g.conv_bn("x", 3, _OFA_STEM, 3, 2)])
    x = _mbconv(g, x, _OFA_STEM, _OFA_STEM, 3, 1, 1, False, "Relu")
    c = _OFA_STEM
    for s, (width, stride, se, act) in enumerate(_OFA_STAGES):
        for j in range(spec["d"][s]):
            b = 4 * s + j
            x = _mbconv(g, x, c, width, spec["ks"][b], stride if j == 0 else 1, spec["e"][b], se, act)
            c = width
    final, mix = _OFA_HEAD
    x = g.node("HardSwish", [g.conv_bn(x, c, final, 1)])
    x = g.node("HardSwish", [g.conv(g.node("GlobalAveragePool", [x]), final, mix, 1)])
    return g.node("Gemm", [g.node("Flatten", [x]), g.tensor((1000, mix)), g.tensor((1000,))], transB=1)


def _ofa_spec(choices: ArrayLike, space: OFAMobileNetV3 | None) -> tuple[OFAMobileNetV3, dict[str, Any]]:
    if space is None:
        space = OFAMobileNetV3()
    elif not isinstance(space, OFAMobileNetV3):
        raise ValueError(f"space must be an OFAMobileNetV3, got {space!r}")
    row = np.asarray(choices)
    if row.ndim != 1 or len(row) != space.n_positions:
        raise ValueError(f"choices must be one row of {space.n_positions} codes of {space!r}, "
                         f"got shape {row.shape}")
    return space, space.spec(space.check_choices(row[None, :])[0])


def ofa_parameter_count(choices: ArrayLike, *, space: OFAMobileNetV3 | None = None) -> int:
    """Learnable parameters of a once-for-all MobileNetV3 subnet, as PyTorch counts them
    (``sum(p.numel() for p in net.parameters())`` of the extracted static subnet: convolution
    and linear weights and biases, batch norm scale and shift, not its running statistics).

    Parameters
    ----------
    choices : array_like of int, shape (46,)
        One row of `space`'s codes; the resolution does not change the count.
    space : OFAMobileNetV3, optional
        The space the codes belong to (default ``OFAMobileNetV3()``).
    """
    space, spec = _ofa_spec(choices, space)
    g = _Graph(0, count_only=True)
    _ofa_network(spec, g)
    return g.params


def build_ofa_mbv3(choices: ArrayLike, *, space: OFAMobileNetV3 | None = None, batch: int = 1,
                   seed: int = 0) -> onnx.ModelProto:
    """The ONNX model (opset 17) of a once-for-all MobileNetV3 (w1.2) subnet.

    Parameters
    ----------
    choices : array_like of int, shape (46,)
        One row of `space`'s codes: resolution, 5 depths, 20 kernels, 20 expansions.
    space : OFAMobileNetV3, optional
        The space the codes belong to (default ``OFAMobileNetV3()``, 128-224 px).
    batch : int
        Batch size of the input, >= 1.
    seed : int
        Fixes the random weights (the same seed, the same bytes).

    Returns
    -------
    onnx.ModelProto
        Input ``x`` float32 (batch, 3, r, r) at the row's resolution r (px), output
        (batch, 1000) logits; checked by ``onnx.checker``.
    """
    space, spec = _ofa_spec(choices, space)
    batch = _arguments.integer(batch, "batch", 1)
    seed = _arguments.seed(seed)
    g = _Graph(seed, pool=_weight_pool(seed))
    out = _ofa_network(spec, g)
    r = spec["r"]
    return g.model("ofa_mbv3", [batch, 3, r, r], out, [batch, 1000])


# ---------------------------------------------------------------------------- by space

def builder(space: Space) -> Callable[..., Any]:
    """The network builder of `space`, called as ``f(choices, batch=..., seed=...)``; ValueError
    for a space without one (FBNet)."""
    if isinstance(space, NASBench201):
        return build_nb201
    if isinstance(space, OFAMobileNetV3):
        return functools.partial(build_ofa_mbv3, space=space)
    raise ValueError(f"space {space!r} has no network builder (nb201 and ofa-mbv3 have)")


def build(space: Space, choices: ArrayLike, *, batch: int = 1, seed: int = 0) -> Any:
    """The ONNX model of one row of `space`'s `choices` (see `build_nb201`, `build_ofa_mbv3`)."""
    return builder(space)(choices, batch=batch, seed=seed)
