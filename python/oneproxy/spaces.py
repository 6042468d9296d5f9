"""Search spaces as index spaces: every architecture has an index, a row of choices and a string.

=====================  ===================================  ==========================================
space                  decisions (columns of ``choices``)   size (exact)
=====================  ===================================  ==========================================
``NASBench201()``      6 edge ops, codes 0-4                15,625
``FBNet()``            22 block types, codes 0-8            9**22 = 984,770,902,183,611,232,881
``OFAMobileNetV3()``   resolution, 5 depths, 20 kernels,    25 x 7371**5 =
                       20 expansions (all as codes)         543,966,387,314,312,146,275
=====================  ===================================  ==========================================

Choices are codes, not values: column ``p`` of a ``choices`` array (uint8, shape (n, n_positions))
holds an integer in ``[0, n_choices[p])``; `names` says what each column decides and
`values` what each code means. ``encode``/``decode`` are a bijection between ``[0, size)`` and the
*canonical* rows (`canonical`: once-for-all blocks past a stage's depth hold code 0).

Indices. NAS-Bench-201's index is the official one (its published tables' order, a seeded
shuffle of the cells). The other spaces are mixed-radix numbers, the first column most
significant (OFA: resolution, then one digit of 7371 = 9**2 + 9**3 + 9**4 per stage for its
depth and its blocks' kernel and expansion). FBNet and OFA indices pass 2**64, so indices are
accepted as a Python int, a sequence or object array of Python ints, an integer ndarray, or a
pair ``(hi, lo)`` of uint64 arrays meaning ``hi * 2**64 + lo`` (the vectorised form).
``encode`` returns uint64 when the space's indices fit in 64 bits and an object array of
Python ints otherwise; ``encode(..., wide=True)`` always returns the ``(hi, lo)`` pair.

Examples
--------
>>> from oneproxy import spaces
>>> nb = spaces.NASBench201()
>>> nb.to_string(6111)
'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
>>> int(nb.encode(nb.from_string(nb.to_string(6111))))
6111
>>> fb = spaces.FBNet()
>>> fb.size == 9**22, fb.encode(fb.decode(fb.size - 1)) == fb.size - 1
(True, True)
"""
from __future__ import annotations

import functools
import numbers
import operator
import re
from collections.abc import Iterable, Sequence
from importlib.resources import files
from typing import Any, ClassVar, NamedTuple, Union

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments, _core, _radix
from oneproxy.threads import run_kernel

__all__ = ["Space", "NASBench201", "FBNet", "OFAMobileNetV3", "OneHotLayout", "get", "available"]

Indices = Union[int, Sequence[int], NDArray, tuple[NDArray[np.uint64], NDArray[np.uint64]]]
Seed = Union[int, np.random.Generator, None]
_MAX_RESOLUTION = 4096  # px; far beyond once-for-all's 224, small enough for every int array


class Space:
    """An architecture space: decisions with finitely many choices each, and their indices.

    Subclasses set `name`, `names`, `n_choices` and the digit layout; see the module docstring
    for the conventions shared by all spaces.

    Attributes
    ----------
    name : str
        Registry name (``spaces.get(name)`` rebuilds the space).
    names : tuple of str
        What each column of ``choices`` decides.
    n_choices : ndarray of int64, shape (n_positions,)
        Number of codes per column.
    size : int
        Number of canonical architectures (exact).
    group_sizes : tuple of int
        The one-hot layout used by `features` and by additive predictors: one categorical group
        per entry, in order (see `groups`).
    group_size_array : ndarray of int64, shape (len(group_sizes),)
        `group_sizes` as an array, for kernels.
    group_offsets : ndarray of int64, shape (len(group_sizes) + 1,)
        First column of each group in `features` (and `n_features` last).
    """

    name: ClassVar[str]
    names: tuple[str, ...]
    n_choices: NDArray[np.int64]
    group_sizes: tuple[int, ...]
    _radices: NDArray[np.uint64]  # radices of the digits an index is written in

    def __init__(self) -> None:
        self._starts, self._products = _radix.chunks(self._radices)
        self.n_choices = np.ascontiguousarray(self.n_choices, dtype=np.int64)
        #: the core's layout of the rows (n_choices, and (switch, threshold): entry p is used when
        #: switch[p] < 0 or choices[switch[p]] >= threshold[p]), which active/canonical/mutate take
        self.layout = _core.Layout(self.n_choices, *self._activation())
        self._max_code = np.minimum(self.n_choices - 1, 255).astype(np.uint8)  # largest code per entry
        self.size = functools.reduce(operator.mul, (int(r) for r in self._radices), 1)
        self._size_words = _radix.split128(self.size)  # (hi, lo) of the first index past the end
        self.group_offsets = np.concatenate([[0], np.cumsum(self.group_sizes)]).astype(np.int64)
        self.group_size_array = np.diff(self.group_offsets)
        # (group, place in the group) of each feature: the flat layout of an additive model's weights
        self._feature_group = np.repeat(np.arange(len(self.group_sizes)), self.group_size_array)
        self._feature_code = np.arange(self.n_features) - self.group_offsets[self._feature_group]

    # ---------------------------------------------------------------- what subclasses define

    @property
    def params(self) -> dict[str, Any]:
        """JSON-able arguments that rebuild this space with ``spaces.get(name, **params)``."""
        return {}

    def values(self, position: int) -> tuple[Any, ...]:
        """What the codes of column `position` mean (op names, kernel sizes, pixels, ...)."""
        return self._values(_arguments.integer(position, "position", 0, self.n_positions - 1))

    def _values(self, position: int) -> tuple[Any, ...]:
        raise NotImplementedError

    def _to_digits(self, choices: NDArray[np.uint8]) -> NDArray:
        return choices

    def _from_digits(self, digits: NDArray) -> NDArray[np.uint8]:
        return digits

    def index_from_number(self, lo: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """Indices (uint64 (n,)) of mixed-radix numbers of the digits below 2**64 (uint64 (n,)):
        the numbers themselves when `odometer_index`, NAS-Bench-201's official indices otherwise."""
        return lo

    def number_from_index(self, lo: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """The inverse of `index_from_number`."""
        return lo

    def _activation(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(switch, threshold), each (P,): entry p is used when ``switch[p] < 0`` or
        ``choices[switch[p]] >= threshold[p]``; by default every entry is used."""
        return np.full(self.n_positions, -1, dtype=np.int64), np.zeros(self.n_positions, dtype=np.int64)

    def active(self, choices: NDArray[np.uint8]) -> NDArray[np.bool_]:
        """Which entries of `choices` (n, P) matter (False: unused, 0 in canonical rows)."""
        return _core.active(self.check_choices(choices), self.layout)

    #: Whether indices are the mixed-radix numbers of the digits (so consecutive indices are an
    #: odometer over the digits); False for NAS-Bench-201's shuffled official indices.
    odometer_index: ClassVar[bool] = True

    @property
    def radices(self) -> NDArray[np.uint64]:
        """Radix of each digit an index is written in (position 0 most significant)."""
        return self._radices

    def digit_tables(self, weights: ArrayLike) -> NDArray[np.float64]:
        """An additive model over the one-hot groups (``weights`` (groups, max size), as
        `~oneproxy.predictors.LinearLatency.weights`) as one table per index digit
        (digits, max radix): the model's value is its constant plus one entry per digit."""
        return self._digit_tables(self.check_weights(weights))

    def _digit_tables(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.ascontiguousarray(weights[:, :int(self._radices.max())])

    def weights_table(self, w: ArrayLike) -> NDArray[np.float64]:
        """An additive model's feature weights (n_features,), one per column of `features`, as the
        (len(group_sizes), max(group_sizes)) table of `check_weights`, zero-padded.

        >>> space = FBNet()
        >>> w = np.arange(space.n_features, dtype=float)
        >>> bool((space.flat_weights(space.weights_table(w)) == w).all())
        True
        """
        arr = np.asarray(w)
        if arr.dtype.kind not in "biuf" or arr.shape != (self.n_features,):
            raise ValueError(f"w must hold real numbers, one per feature of {self.name} "
                             f"({self.n_features},), got shape {arr.shape}, dtype {arr.dtype}")
        table = np.zeros((len(self.group_sizes), max(self.group_sizes)))
        table[self._feature_group, self._feature_code] = arr
        return table

    def flat_weights(self, table: ArrayLike) -> NDArray[np.float64]:
        """The inverse of `weights_table`: one weight per column of `features` (n_features,)
        from a (len(group_sizes), max(group_sizes)) table (its padding is ignored)."""
        return self.check_weights(table, "table")[self._feature_group, self._feature_code]

    def groups(self, choices: ArrayLike) -> NDArray[np.int16]:
        """Codes of the one-hot groups (n, len(group_sizes)); -1 where a group is inactive."""
        return self.check_choices(choices).astype(np.int16)

    def to_string(self, arch: int | ArrayLike) -> str:
        """One architecture, given by index or by its row of choices, in the source's notation."""
        raise NotImplementedError

    def from_string(self, text: str) -> NDArray[np.uint8]:
        """The canonical row of choices (P,) of an architecture written as `to_string` writes it."""
        raise NotImplementedError

    # ---------------------------------------------------------------- shared machinery

    @property
    def n_positions(self) -> int:
        """Number of decisions (columns of ``choices``)."""
        return len(self.names)

    @property
    def n_features(self) -> int:
        """Width of `features`: ``sum(group_sizes)``."""
        return int(self.group_offsets[-1])

    @property
    def fits_64_bits(self) -> bool:
        """Whether every index is below 2**64 (then `encode` returns uint64)."""
        return self.size <= 1 << 64

    def check_choices(self, choices: ArrayLike, name: str = "choices") -> NDArray[np.uint8]:
        """`choices` as a C-contiguous uint8 array (n, P), or ValueError naming `name`."""
        arr = np.asarray(choices)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer codes, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] != self.n_positions:
            raise ValueError(f"{name} must have shape (n, {self.n_positions}) for {self.name}, "
                             f"got {arr.shape}")
        if arr.dtype == np.uint8 and arr.flags.c_contiguous:  # the common case: one pass, no temporaries
            first = _first_above(arr, self._max_code)
        else:
            bad = np.flatnonzero((arr < 0) | (arr >= self.n_choices))
            first = int(bad[0]) if len(bad) else -1
        if first >= 0:
            i, p = divmod(first, self.n_positions)
            raise ValueError(f"{name}[{i}, {p}] = {arr[i, p]} is out of range: {self.names[p]} has "
                             f"{self.n_choices[p]} choices (codes 0-{self.n_choices[p] - 1})")
        return np.ascontiguousarray(arr, dtype=np.uint8)

    def check_weights(self, weights: ArrayLike, name: str = "weights") -> NDArray[np.float64]:
        """`weights` of an additive model as a C-contiguous float64 array (len(group_sizes),
        max(group_sizes)), one row per one-hot group; ValueError naming `name` otherwise."""
        arr = np.asarray(weights)
        shape = (len(self.group_sizes), max(self.group_sizes))
        if arr.dtype.kind not in "biuf" or arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (one row per one-hot group of {self.name}) "
                             f"and hold real numbers, got shape {arr.shape}, dtype {arr.dtype}")
        return np.ascontiguousarray(arr, dtype=np.float64)

    def canonical(self, choices: ArrayLike) -> NDArray[np.uint8]:
        """A copy of `choices` (n, P) with unused entries set to 0 (a no-op for most spaces)."""
        return _core.canonical(self.check_choices(choices), self.layout)

    def decode(self, indices: Indices) -> NDArray[np.uint8]:
        """Canonical choices of indices: shape (P,) for one index, (n, P) for several."""
        scalar = not isinstance(indices, (tuple, list, np.ndarray)) and np.ndim(indices) == 0
        hi, lo = self._wide(indices)
        lo = self.number_from_index(lo)
        digits = np.empty((len(lo), len(self._radices)),
                          dtype=np.uint8 if self._radices.max() < 256 else np.uint16)
        run_kernel(_radix.decode_serial, _radix.decode, len(lo), _radix.SERIAL_BELOW,
                   hi, lo, self._radices, self._starts, self._products, digits)
        choices = self._from_digits(digits)
        return choices[0] if scalar else choices

    def encode(self, choices: ArrayLike, *, wide: bool = False) -> Any:
        """Indices of canonical rows of choices (a 1-D row gives one Python int).

        Returns uint64 (n,) when `fits_64_bits`, else an object array of Python ints;
        ``wide=True`` returns the pair ``(hi, lo)`` of uint64 arrays instead. Raises ValueError
        for a row that is not canonical (see `canonical`).
        """
        arr = np.asarray(choices)
        row = arr.ndim == 1
        c = self.check_choices(arr[None, :] if row else arr)
        noncanonical = (c != 0) & ~self.active(c)
        if noncanonical.any():
            i = int(np.nonzero(noncanonical.any(axis=1))[0][0])
            raise ValueError(f"choices[{i}] is not canonical (an unused entry is not 0); "
                             f"pass it through canonical() first")
        hi = np.empty(len(c), dtype=np.uint64)
        lo = np.empty(len(c), dtype=np.uint64)
        run_kernel(_radix.encode_serial, _radix.encode, len(c), _radix.SERIAL_BELOW,
                   self._to_digits(c), self._radices, self._starts, self._products, hi, lo)
        lo = self.index_from_number(lo)
        if wide:
            return hi, lo
        if row:
            return _radix.join128(hi[0], lo[0])
        if self.fits_64_bits:
            return lo
        return _radix.join128(hi, lo)

    def _wide(self, indices: Indices) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        """Indices as checked (hi, lo) uint64 arrays."""
        if isinstance(indices, tuple):
            if len(indices) != 2:
                raise ValueError("indices given as a tuple must be a pair (hi, lo) of uint64 arrays")
            hi, lo = (_word(a, name) for a, name in zip(indices, ("hi", "lo")))
            if hi.shape != lo.shape:
                raise ValueError(f"indices (hi, lo) must have equal lengths, got {hi.shape} and {lo.shape}")
        else:
            arr = np.asarray(indices)
            if arr.dtype.kind == "f" and not isinstance(indices, np.ndarray):
                exact = np.asarray(indices, dtype=object)  # NumPy rounds ints >= 2**63 beside small ones to float
                if all(isinstance(v, (int, np.integer)) for v in exact.ravel()):
                    arr = exact
            if arr.ndim > 1:
                raise ValueError(f"indices must be one index or a 1-D sequence, got shape {arr.shape}")
            arr = arr.ravel()
            if arr.dtype.kind in "iu":
                if arr.dtype.kind == "i" and (arr < 0).any():
                    raise ValueError(f"indices must be in [0, {self.size}), got {arr[arr < 0][0]}")
                lo = np.ascontiguousarray(arr, dtype=np.uint64)
                hi = np.zeros_like(lo)
            elif arr.dtype == object or arr.size == 0:
                try:
                    ints = [operator.index(v) for v in arr]
                except TypeError:
                    raise ValueError("indices must be integers") from None
                bad = next((v for v in ints if not 0 <= v < self.size), None)
                if bad is not None:  # checked here: (hi, lo) below would wrap an index >= 2**128
                    raise ValueError(f"indices must be in [0, {self.size}), got {bad}")
                hi, lo = _radix.split128_array(ints)
            else:
                raise ValueError(f"indices must be integers, got dtype {arr.dtype}")
        size_hi, size_lo = (np.uint64(w) for w in self._size_words)
        too_big = (hi > size_hi) | ((hi == size_hi) & (lo >= size_lo))
        if too_big.any():
            k = int(np.argmax(too_big))
            raise ValueError(f"indices must be in [0, {self.size}), got {_radix.join128(hi[k], lo[k])}")
        return hi, lo

    def sample(self, n: int, seed: Seed = None) -> NDArray[np.uint8]:
        """`n` architectures drawn uniformly from the canonical ones (with replacement), (n, P)."""
        n = _arguments.integer(n, "n", 0)
        rng = _arguments.rng(seed)
        digits = np.stack([rng.integers(0, int(r), n) for r in self._radices], axis=1) \
            if n else np.zeros((0, len(self._radices)), dtype=np.int64)
        return self._from_digits(digits.astype(np.uint8 if self._radices.max() < 256 else np.uint16))

    def sample_genotypes(self, n: int, seed: Seed = None) -> NDArray[np.uint8]:
        """`n` genotypes (n, P): every entry drawn uniformly from its codes, unused ones too.

        Not uniform over architectures: for once-for-all each stage's depth is uniform (a
        uniform architecture is 4 blocks deep in 89 % of stages), as a genetic algorithm's random
        initial population over the raw decisions. Rows are not canonical (see `canonical`)."""
        n = _arguments.integer(n, "n", 0)
        u = _arguments.rng(seed).random((n, self.n_positions))
        return (u * self.n_choices).astype(np.uint8)

    def features(self, choices: ArrayLike, dtype: type = np.float64) -> NDArray:
        """One-hot encoding (n, n_features): one block per group of `group_sizes`, zero if inactive."""
        g = self.groups(choices)
        x: NDArray = np.zeros((len(g), self.n_features), dtype=dtype)
        rows, cols = np.nonzero(g >= 0)
        x[rows, self.group_offsets[cols] + g[rows, cols]] = 1
        return x

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns of `features`."""
        raise NotImplementedError

    def mutate(self, choices: ArrayLike, seed: Seed = None, rate: float | None = None, *,
               canonical: bool = True) -> NDArray[np.uint8]:
        """Copies of `choices` (n, P) in which each used entry changes with probability `rate`
        (default 1 / n_positions) to another of its codes, chosen uniformly; canonical rows.

        ``canonical=False`` treats rows as genotypes: unused entries (a once-for-all block past
        its stage's depth) mutate too and are kept, so a later, deeper stage inherits them."""
        c = self.canonical(choices) if canonical else self.check_choices(choices).copy()
        rate = 1.0 / self.n_positions if rate is None else _arguments.real(rate, "rate", 0.0, 1.0)
        _core.mutate(c, _arguments.core_seed(seed), rate, self.layout, canonical)
        return self.canonical(c) if canonical else c

    def crossover(self, a: ArrayLike, b: ArrayLike, seed: Seed = None, *, canonical: bool = True) -> NDArray[np.uint8]:
        """Uniform crossover: each entry from `a` or `b` (both (n, P)) with equal odds; canonical
        rows, or the raw genotypes with ``canonical=False`` (see `mutate`)."""
        ca, cb = self.check_choices(a, "a"), self.check_choices(b, "b")
        if ca.shape != cb.shape:
            raise ValueError(f"a and b must have the same shape, got {ca.shape} and {cb.shape}")
        child = _core.crossover(ca, cb, _arguments.core_seed(seed))
        return self.canonical(child) if canonical else child

    def _row(self, arch: int | ArrayLike) -> NDArray[np.uint8]:
        """One canonical row from an index or a row of choices."""
        if np.ndim(arch) == 0:
            return self.decode(operator.index(arch))  # type: ignore[arg-type]
        return self.canonical(np.asarray(arch)[None, :])[0]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.params == self.params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, repr(self.params)))


def _word(part: Any, name: str) -> NDArray[np.uint64]:
    """One half of an index pair (hi, lo) as uint64, or ValueError quoting the offending value:
    a float, a negative number or one of 2**64 or more would be truncated or wrap around."""
    arr = np.asarray(part)
    expected = "indices (hi, lo) must hold integers in [0, 2**64)"
    if arr.size and arr.dtype.kind not in "uiO":
        raise ValueError(f"{expected}, got {name} of dtype {arr.dtype}")
    if arr.dtype.kind == "i" and (arr < 0).any():
        raise ValueError(f"{expected}, got {arr[arr < 0].flat[0]} in {name}")
    if arr.dtype == object:
        bad = [v for v in arr.ravel().tolist() if isinstance(v, bool) or not isinstance(v, numbers.Integral)
               or not 0 <= int(v) <= _radix.M64]
        if bad:
            raise ValueError(f"{expected}, got {bad[0]!r} in {name}")
    return np.ascontiguousarray(arr, dtype=np.uint64).ravel()


# ---------------------------------------------------------------------------- NAS-Bench-201

class NASBench201(Space):
    """NAS-Bench-201's cell space: 6 edges, each one of 5 ops; indices are the official ones.

    Columns are the edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (the arch string's order), codes
    0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3.
    """

    name = "nb201"
    odometer_index = False  # official indices are a shuffle of the lexicographic numbers
    OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))

    def __init__(self) -> None:
        self.names = tuple(f"edge_{i}_{j}" for i, j in self.EDGES)
        self.n_choices = np.full(6, 5, dtype=np.int64)
        self.group_sizes = (5,) * 6
        self._radices = np.full(6, 5, dtype=np.uint64)
        super().__init__()
        self._official_to_number, self._number_to_official = _nb201_order()

    def _values(self, position: int) -> tuple[Any, ...]:
        return self.OPS

    def index_from_number(self, lo: NDArray[np.uint64]) -> NDArray[np.uint64]:
        return self._number_to_official[lo]

    def number_from_index(self, lo: NDArray[np.uint64]) -> NDArray[np.uint64]:
        return self._official_to_number[lo]

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f"{n}={op}" for n in self.names for op in self.OPS)

    def to_string(self, arch: int | ArrayLike) -> str:
        ops = [self.OPS[c] for c in self._row(arch)]
        nodes = ["|" + "|".join(f"{ops[k]}~{j}" for k, (i, j) in enumerate(self.EDGES) if i == node) + "|"
                 for node in (1, 2, 3)]
        return "+".join(nodes)

    def from_string(self, text: str) -> NDArray[np.uint8]:
        if not isinstance(text, str) or len(text) > 256:  # a cell's string has about 100 characters
            shown = text[:40] + "..." if isinstance(text, str) else repr(text)
            raise ValueError(f"not a NAS-Bench-201 arch string (at most 256 characters): {shown!r}")
        found = re.findall(r"([a-z_0-9x]+)~(\d+)", text)
        edges = [(node, int(j)) for node, count in ((1, 1), (2, 2), (3, 3)) for j in range(count)]
        if len(found) != 6 or [int(j) for _, j in found] != [j for _, j in edges] \
                or text.count("+") != 2:
            raise ValueError(f"not a NAS-Bench-201 arch string: {text!r}")
        try:
            return np.array([self.OPS.index(op) for op, _ in found], dtype=np.uint8)
        except ValueError:
            raise ValueError(f"unknown op in {text!r}; ops: {', '.join(self.OPS)}") from None


@functools.lru_cache(maxsize=1)
def _nb201_order() -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """(official index -> lexicographic number, and back), from the bundled table's ops column."""
    with (files("oneproxy") / "data" / "nb201.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        ops = z["column/ops"]
        if not (z["arch_index"] == np.arange(len(ops))).all():
            raise RuntimeError("the bundled nb201 table is not in official index order")
    number = (ops.astype(np.uint64) * (np.uint64(5) ** np.arange(5, -1, -1, dtype=np.uint64))).sum(axis=1)
    inverse = np.empty_like(number)
    inverse[number] = np.arange(len(number), dtype=np.uint64)
    for a in (number, inverse):
        a.flags.writeable = False
    return number, inverse


# ---------------------------------------------------------------------------- FBNet

class FBNet(Space):
    """FBNet's space as in HELP / HW-NAS-Bench: 22 searchable layers, 9 block types each.

    Codes: 0 k3_e1, 1 k3_e1_g2, 2 k3_e3, 3 k3_e6, 4 k5_e1, 5 k5_e1_g2, 6 k5_e3, 7 k5_e6,
    8 skip. The string form is HELP's ``op_idx`` (``"7-8-1-..."``); `from_string` also reads the
    space-separated block names of HELP's ``ops`` column.
    """

    name = "fbnet"
    BLOCKS = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip")

    def __init__(self) -> None:
        self.names = tuple(f"layer_{k}" for k in range(22))
        self.n_choices = np.full(22, 9, dtype=np.int64)
        self.group_sizes = (9,) * 22
        self._radices = np.full(22, 9, dtype=np.uint64)
        super().__init__()

    def _values(self, position: int) -> tuple[Any, ...]:
        return self.BLOCKS

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f"{n}={b}" for n in self.names for b in self.BLOCKS)

    def to_string(self, arch: int | ArrayLike) -> str:
        return "-".join(str(c) for c in self._row(arch))

    def from_string(self, text: str) -> NDArray[np.uint8]:
        parts = text.split("-") if "-" in text or text.isdigit() else text.split()
        try:
            codes = [int(p) if p.isdigit() else self.BLOCKS.index(p) for p in parts]
        except ValueError:
            raise ValueError(f"not an FBNet op_idx or ops string: {text!r}") from None
        if len(codes) != 22 or max(codes) > 8:
            raise ValueError(f"an FBNet string has 22 codes 0-8 (or block names), got {text!r}")
        return np.array(codes, dtype=np.uint8)


# ---------------------------------------------------------------------------- once-for-all

class OneHotLayout(NamedTuple):
    """Where once-for-all's blocks sit in a row of choices and in its one-hot encoding (the 60
    kernel, 60 expansion and then resolution inputs of once-for-all's accuracy predictor).

    Arrays are int64 (20,), indexed by block ``b = 4 * stage + slot``, unless said otherwise.
    Block b adds inputs ``kernel_input[b] + row[kernel_column[b]]`` and ``expand_input[b] +
    row[expand_column[b]]`` when ``used[row[depth_column[b]], slot[b]]``; the resolution adds
    ``resolution_input`` plus its bin.
    """

    depth_column: NDArray[np.int64]  #: column holding the depth code of block b's stage
    slot: NDArray[np.int64]  #: place of block b in its stage, 0-3
    used: NDArray[np.bool_]  #: bool (3, 4): block j of a stage with depth code d is used (the depth rule)
    kernel_column: NDArray[np.int64]  #: column of block b's kernel code
    expand_column: NDArray[np.int64]  #: column of block b's expansion code
    kernel_input: NDArray[np.int64]  #: first of block b's 3 kernel inputs
    expand_input: NDArray[np.int64]  #: first of block b's 3 expansion inputs
    resolution_column: int  #: column of the resolution code
    resolution_input: int  #: first resolution input (after the 120 block inputs)


def _ofa_layout(depths: Sequence[int]) -> OneHotLayout:
    """The layout of `OneHotLayout`; ``depths[d]`` blocks of 4 are used at depth code d."""
    b = np.arange(20, dtype=np.int64)
    used = np.arange(4) < np.array(depths)[:, None]  # block j is used when j < depth
    layout = OneHotLayout(depth_column=1 + b // 4, slot=b % 4, used=used, kernel_column=6 + b,
                          expand_column=26 + b, kernel_input=3 * b, expand_input=60 + 3 * b,
                          resolution_column=0, resolution_input=120)
    for a in layout:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return layout


class OFAMobileNetV3(Space):
    """once-for-all's MobileNetV3 space (w1.2): resolution, then 5 stages of 2-4 blocks.

    Columns: ``resolution`` (code k means ``resolutions[k]`` pixels), ``depth_0..4`` (codes
    0-2: depth 2-4), ``kernel_0..19`` (codes 0-2: 3/5/7), ``expand_0..19`` (codes 0-2: 3/4/6).
    Block ``4 * s + j`` is block ``j`` of stage ``s``; it is used when ``j < depth_s``, and a
    canonical row holds 0 in the kernel and expansion of the unused ones. The string form is
    ``"r=192 d=2-2-3-4-3 ks=<20 kernels> e=<20 expansions>"`` (values, unused blocks shown as 3).
    `depths` and `active_blocks` apply the depth rule; `one_hot_layout` (a `OneHotLayout`) holds
    the rule and the columns for kernels.

    Parameters
    ----------
    resolutions : sequence of int
        Input resolutions in pixels, 1 to 4096 (default 128, 132, ..., 224: once-for-all's 25).
    """

    name = "ofa-mbv3"
    KERNELS = (3, 5, 7)
    EXPANDS = (3, 4, 6)
    DEPTHS = (2, 3, 4)
    #: The columns of the blocks and the depth rule, as plain arrays for kernels (see `OneHotLayout`).
    one_hot_layout: ClassVar[OneHotLayout] = _ofa_layout(DEPTHS)
    _STAGE = 7371  # 9**2 + 9**3 + 9**4 canonical (depth, blocks) settings of a stage

    def __init__(self, resolutions: Sequence[int] = range(128, 225, 4)) -> None:
        if isinstance(resolutions, (str, bytes)) or not isinstance(resolutions, Iterable):
            raise ValueError(f"resolutions must be a sequence of ints (pixels), got {resolutions!r}")
        res = tuple(_arguments.integer(r, f"resolutions[{k}]", 1, _MAX_RESOLUTION) for k, r in enumerate(resolutions))
        if not res or len(set(res)) != len(res) or len(res) > 255:
            raise ValueError(f"resolutions must be 1 to 255 distinct ints, got {resolutions!r}")
        self.resolutions = res
        self.names = ("resolution", *(f"depth_{s}" for s in range(5)),
                      *(f"kernel_{b}" for b in range(20)), *(f"expand_{b}" for b in range(20)))
        self.n_choices = np.array([len(res)] + [3] * 45, dtype=np.int64)
        self.group_sizes = (len(res),) + (9,) * 20
        self._radices = np.array([len(res)] + [self._STAGE] * 5, dtype=np.uint64)
        super().__init__()
        self._stage_rows, self._stage_offset = _ofa_stage_tables(self.DEPTHS)

    @property
    def params(self) -> dict[str, Any]:
        return {"resolutions": list(self.resolutions)}

    def _values(self, position: int) -> tuple[Any, ...]:
        if position == 0:
            return self.resolutions
        return self.DEPTHS if position <= 5 else self.KERNELS if position <= 25 else self.EXPANDS

    def _activation(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        # a block's kernel and expansion are used from the first depth code that uses the block
        # on (deeper codes use every block a shallower one uses)
        lay = self.one_hot_layout
        switch = np.full(46, -1, dtype=np.int64)
        threshold = np.zeros(46, dtype=np.int64)
        for b in range(20):
            first = int(np.argmax(lay.used[:, lay.slot[b]]))
            if first > 0:
                for column in (lay.kernel_column[b], lay.expand_column[b]):
                    switch[column], threshold[column] = lay.depth_column[b], first
        return switch, threshold

    def depths(self, choices: ArrayLike) -> NDArray[np.int64]:
        """Blocks used in each stage (int64 (n, 5), 2-4) of `choices` (n, 46)."""
        c = self.check_choices(choices)
        return np.array(self.DEPTHS, dtype=np.int64)[c[:, self.one_hot_layout.depth_column[::4]]]

    def active_blocks(self, choices: ArrayLike) -> NDArray[np.bool_]:
        """Which blocks of each stage `choices` (n, 46) use: bool (n, 5, 4), block j of stage s
        when ``j < depths[s]``.

        >>> space = OFAMobileNetV3()
        >>> space.active_blocks(space.from_spec(224, [2, 3, 4, 4, 4], [3] * 20, [3] * 20)[None])[0, :2]
        array([[ True,  True, False, False],
               [ True,  True,  True, False]])
        """
        c = self.check_choices(choices)
        lay = self.one_hot_layout
        return lay.used[c[:, lay.depth_column], lay.slot].reshape(len(c), 5, 4)

    def groups(self, choices: ArrayLike) -> NDArray[np.int16]:
        c = self.check_choices(choices)
        g = np.empty((len(c), 21), dtype=np.int16)
        _ofa_groups(c, self.one_hot_layout, g)
        return g

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*(f"r={r}" for r in self.resolutions),
                *(f"block_{b}=k{k}_e{e}" for b in range(20) for k in self.KERNELS for e in self.EXPANDS))

    def _digit_tables(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        # digit 0 (resolution) takes group 0's row; a stage digit sums its used blocks' entries
        out = np.zeros((6, self._STAGE))
        out[0, :len(self.resolutions)] = weights[0, :len(self.resolutions)]
        rows = self._stage_rows.astype(np.int64)
        used = self.one_hot_layout.used[rows[:, 0]]  # (7371, 4)
        ke = 3 * rows[:, 1:5] + rows[:, 5:9]
        for s in range(5):
            w = weights[1 + 4 * s:5 + 4 * s]  # (4 blocks, max size)
            out[1 + s] = np.where(used, w[np.arange(4), ke], 0.0).sum(axis=1)
        return out

    def _to_digits(self, choices: NDArray[np.uint8]) -> NDArray[np.uint16]:
        digits = np.empty((len(choices), 6), dtype=np.uint16)
        digits[:, 0] = choices[:, 0]
        used = self.one_hot_layout.used
        for s in range(5):
            d = choices[:, 1 + s].astype(np.int64)  # depth code
            blocks = 3 * choices[:, 6 + 4 * s:10 + 4 * s].astype(np.int64) + choices[:, 26 + 4 * s:30 + 4 * s]
            # base-9 number of the used blocks, first block most significant
            ke = np.zeros(len(choices), dtype=np.int64)
            for j in range(4):
                ke = np.where(used[d, j], ke * 9 + blocks[:, j], ke)
            digits[:, 1 + s] = self._stage_offset[d] + ke
        return digits

    def _from_digits(self, digits: NDArray) -> NDArray[np.uint8]:
        out = np.empty((len(digits), 46), dtype=np.uint8)
        out[:, 0] = digits[:, 0]
        for s in range(5):
            row = self._stage_rows[digits[:, 1 + s]]  # (n, 9): depth code, 4 kernels, 4 expansions
            out[:, 1 + s] = row[:, 0]
            out[:, 6 + 4 * s:10 + 4 * s] = row[:, 1:5]
            out[:, 26 + 4 * s:30 + 4 * s] = row[:, 5:9]
        return out

    def spec(self, arch: int | ArrayLike) -> dict[str, Any]:
        """once-for-all's net config of one architecture: ``{"r": px, "d": [5], "ks": [20], "e": [20]}``
        (unused blocks shown with kernel 3 and expansion 3)."""
        c = self._row(arch)
        return {"r": self.resolutions[c[0]], "d": [self.DEPTHS[v] for v in c[1:6]],
                "ks": [self.KERNELS[v] for v in c[6:26]], "e": [self.EXPANDS[v] for v in c[26:46]]}

    def from_spec(self, r: int, d: Sequence[int], ks: Sequence[int], e: Sequence[int]) -> NDArray[np.uint8]:
        """The canonical row of choices of a net config (values; entries of unused blocks ignored)."""
        if r not in self.resolutions:
            raise ValueError(f"r = {r} is not one of this space's resolutions {self.resolutions}")
        try:
            row = [self.resolutions.index(r), *(self.DEPTHS.index(v) for v in d),
                   *(self.KERNELS.index(v) for v in ks), *(self.EXPANDS.index(v) for v in e)]
        except ValueError as err:
            raise ValueError(f"invalid net config: depths in {self.DEPTHS}, kernels in {self.KERNELS}, "
                             f"expansions in {self.EXPANDS}: {err}") from None
        if len(d) != 5 or len(ks) != 20 or len(e) != 20:
            raise ValueError(f"a net config has 5 depths, 20 kernels and 20 expansions, got "
                             f"{len(d)}, {len(ks)} and {len(e)}")
        return self.canonical(np.array([row], dtype=np.uint8))[0]

    def to_string(self, arch: int | ArrayLike) -> str:
        s = self.spec(arch)
        return (f"r={s['r']} d={'-'.join(map(str, s['d']))} ks={'-'.join(map(str, s['ks']))} "
                f"e={'-'.join(map(str, s['e']))}")

    def from_string(self, text: str) -> NDArray[np.uint8]:
        m = re.fullmatch(r"\s*r=(\d+)\s+d=([\d-]+)\s+ks=([\d-]+)\s+e=([\d-]+)\s*", text)
        if m is None:
            raise ValueError(f"not an OFA spec string 'r=.. d=..-.. ks=..-.. e=..-..': {text!r}")
        r, d, ks, e = m.groups()
        return self.from_spec(int(r), *([int(v) for v in part.split("-")] for part in (d, ks, e)))


@njit(cache=True)
def _first_above(c: NDArray[np.uint8], limit: NDArray[np.uint8]) -> int:
    """Flat index of the first entry of `c` (n, P) above its column's `limit` (P,), or -1."""
    n, P = c.shape
    for i in range(n):
        above = np.uint8(0)
        for p in range(P):
            above |= np.uint8(c[i, p] > limit[p])
        if above:
            for p in range(P):
                if c[i, p] > limit[p]:
                    return i * P + p
    return -1


@njit(cache=True)
def _ofa_groups(c: NDArray[np.uint8], layout: OneHotLayout, out: NDArray[np.int16]) -> None:
    """once-for-all's groups: the resolution, then 3 * kernel + expansion of each block, -1 where
    the block is past its stage's depth (see `OneHotLayout`)."""
    for i in range(c.shape[0]):
        out[i, 0] = c[i, 0]
        for b in range(layout.slot.shape[0]):
            used = layout.used[c[i, layout.depth_column[b]], layout.slot[b]]
            out[i, 1 + b] = 3 * np.int16(c[i, layout.kernel_column[b]]) + c[i, layout.expand_column[b]] if used else -1


@functools.lru_cache(maxsize=1)
def _ofa_stage_tables(depths: tuple[int, ...]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Rows (7371, 9) of (depth code, 4 kernel codes, 4 expansion codes) for each stage digit,
    and the first digit of each depth code (a stage of depth ``depths[d]`` uses its first
    ``depths[d]`` blocks)."""
    rows = []
    for code, d in enumerate(depths):
        for number in range(9**d):
            blocks = [(number // 9 ** (d - 1 - j)) % 9 for j in range(d)] + [0] * (4 - d)
            rows.append([code, *(b // 3 for b in blocks), *(b % 3 for b in blocks)])
    table = np.array(rows, dtype=np.uint8)
    table.flags.writeable = False
    return table, np.cumsum([0, *(9**d for d in depths[:-1])]).astype(np.int64)


# ---------------------------------------------------------------------------- registry

_SPACES: dict[str, type[Space]] = {"nb201": NASBench201, "fbnet": FBNet, "ofa-mbv3": OFAMobileNetV3}


def available() -> tuple[str, ...]:
    """Names accepted by `get`."""
    return tuple(_SPACES)


def get(name: str | Space, **params: Any) -> Space:
    """A space by registry name (``"nb201"``, ``"fbnet"``, ``"ofa-mbv3"``); a Space passes through."""
    if isinstance(name, Space):
        return name
    if not isinstance(name, str) or name not in _SPACES:
        raise ValueError(f"space must be one of {', '.join(_SPACES)}, got {name!r}")
    return _SPACES[name](**params)
