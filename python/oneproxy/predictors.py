"""Latency and accuracy predictors over a space's choices, with Numba inference kernels.

Every predictor has ``space``, ``predict(choices) -> float64 (n,)`` (ms, or accuracy in the
unit of its source) and ``save(path)``; `load` reads any of them back. Files are plain ``.npz``
with a JSON header, never pickles.

Additive predictors (`LinearLatency`, `AdaptedLatency`, `OFANote10Latency`) also expose
``weights`` and ``constant``: the prediction is ``constant + sum_g weights[g, code_g]`` over the
space's one-hot groups (``Space.groups``; an inactive group adds nothing). The scans of the
evaluation loop use these tables directly.

Examples
--------
>>> from oneproxy import datasets, predictors
>>> nb201 = datasets.load("nb201")
>>> model = predictors.linear_latency(nb201, "gold_6240")
>>> model.weights.shape, round(model.fit_report.srcc, 3)
((6, 5), 0.961)
>>> acc = predictors.ofa_accuracy()
>>> ofa = datasets.load("ofa-mbv3")
>>> bool(np.abs(acc.predict(ofa.choices) - ofa.accuracy).max() < 1e-5)
True
"""
from __future__ import annotations

import json
import math
import os
import re
import zipfile
from dataclasses import asdict, dataclass
from importlib.resources import files
from typing import Any, ClassVar, Protocol, Union, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _additive, _arguments, _mlp, spaces
from oneproxy.correlation import spearman
from oneproxy.datasets import Dataset
from oneproxy.datasets import as_dataset
from oneproxy.spaces import OFAMobileNetV3, Space
from oneproxy.threads import blas_threads, numba_threads, run_kernel

__all__ = ["Predictor", "FitReport", "LinearLatency", "linear_latency", "AdaptedLatency", "TableLatency",
           "TableAccuracy", "OFAAccuracy", "ofa_accuracy", "OFANote10Latency",
           "ofa_note10_latency", "load"]

PathLike = Union[str, "os.PathLike[str]"]


@runtime_checkable
class Predictor(Protocol):
    """What every predictor offers."""

    @property
    def space(self) -> Space:
        """The space whose rows of choices `predict` takes (a subclass of Space is one too)."""
        ...

    def predict(self, choices: ArrayLike) -> NDArray[np.float64]:
        """Predictions (n,) for choices (n, space.n_positions)."""
        ...

    def save(self, path: PathLike) -> None:
        """Write to a ``.npz`` file that `load` reads."""
        ...


# ---------------------------------------------------------------------------- files

#: Every predictor class `load` can read back, by the ``kind`` its files are written under.
_KINDS: dict[str, type[_Stored]] = {}


class _Stored:
    """A predictor that saves to ``.npz`` and that `load` reads back.

    A subclass that sets ``kind`` in its own body is registered under it; one that does not
    (an abstract base, or a subclass that is saved as its parent) is not.
    """

    kind: ClassVar[str]
    space: Space

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None and _KINDS.setdefault(kind, cls) is not cls:
            raise TypeError(f"predictor kind {kind!r} is already {_KINDS[kind].__qualname__}'s")

    def _write(self, path: PathLike, meta: dict[str, Any], **arrays: NDArray) -> None:
        header = {"kind": self.kind, "space": self.space.name, "space_params": self.space.params, **meta}
        with open(path, "wb") as f:  # an open file keeps np.savez from appending ".npz"
            np.savez(f, allow_pickle=False, header=np.array(json.dumps(header)), **arrays)

    @classmethod
    def _from_file(cls, space: Space, header: dict[str, Any], arrays: dict[str, NDArray]) -> Any:
        """The predictor from a file's header (without kind and space) and arrays; KeyError
        for a missing field or array."""
        raise NotImplementedError


def load(path: PathLike) -> Any:
    """Read a predictor written by any predictor's ``save``; ValueError for any other file."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in z.files if k != "header"}
        if not isinstance(header, dict) or not {"kind", "space", "space_params"} <= set(header):
            raise KeyError("header fields")
    except (ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:  # OSError (missing file) passes
        raise ValueError(f"{os.fspath(path)!r} is not a oneproxy predictor (an .npz written by a "
                         f"predictor's save(), e.g. 'oneproxy adapt --out'): {type(err).__name__}") from None
    kind = header.pop("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"{os.fspath(path)!r} holds an unknown predictor kind {kind!r} "
                         f"(known: {', '.join(sorted(_KINDS))})")
    try:
        space = spaces.get(header.pop("space"), **header.pop("space_params"))
        return cls._from_file(space, header, arrays)
    except KeyError as err:  # a field or an array the kind needs is missing
        raise ValueError(f"{os.fspath(path)!r} holds a {kind} predictor without its {err.args[0]!r} "
                         f"(a damaged or hand-made file: save the predictor again)") from None


# ---------------------------------------------------------------------------- additive models

def _codes(space: Space, choices: ArrayLike) -> NDArray:
    """Group codes for an additive kernel; for spaces whose groups are their choices, a uint8
    array with the right shape passes as it is (the kernel checks the ranges)."""
    arr = np.asarray(choices)
    if (type(space).groups is Space.groups and arr.dtype == np.uint8 and arr.ndim == 2
            and arr.shape[1] == space.n_positions and arr.flags.c_contiguous):
        return arr
    return space.groups(choices)


def _additive_predict(space: Space, choices: ArrayLike, W: NDArray[np.float64],
                      constant: NDArray[np.float64], conditional: bool) -> NDArray[np.float64]:
    codes = _codes(space, choices)
    out = np.empty(len(codes), dtype=np.float64)
    sizes = space.group_size_array
    if run_kernel(_additive.predict_serial, _additive.predict, len(codes), _additive.SERIAL_BELOW,
                  codes, sizes, W, constant, conditional, out):
        space.check_choices(choices)  # raises with the first bad entry named
        raise ValueError("choices hold codes out of range")
    return out


@dataclass(frozen=True)
class FitReport:
    """Quality of a fit on rows it did not see.

    The model is fitted on a random ``1 - holdout`` of the rows and scored on the rest; the
    returned model is then refitted on all rows. Scores are NaN when fewer than 3 rows are held out.
    """

    n_fit: int
    n_holdout: int
    r2: float
    srcc: float
    mae_ms: float


class _AdditiveLatency(_Stored):
    """Latency as ``constant + sum_g weights[g, code_g]`` over the space's one-hot groups: what
    `LinearLatency` and `AdaptedLatency` share (``space``, ``weights`` and ``constant``, as
    `LinearLatency` documents them, and `predict`), and what the scans and `adapt` read.
    """

    def __init__(self, space: Space | str, weights: ArrayLike, constant: float) -> None:
        self.space = spaces.get(space)
        w = self.space.check_weights(weights)
        if not np.isfinite(w).all():
            raise ValueError("weights must be finite")
        self.weights = w
        self.constant = _arguments.real(constant, "constant")

    def predict(self, choices: ArrayLike) -> NDArray[np.float64]:
        """Predicted latency (ms, float64 (n,)) of choices (n, space.n_positions)."""
        return _additive_predict(self.space, choices, self.weights[None], np.array([self.constant]), False)

    @property
    def sums_left_to_right(self) -> bool:
        """Whether `predict` adds the constant, then group 0's weight, 1's, ... in that order
        (this class's `predict`, not overridden): a scan whose digits are the groups then sums
        in the same order and returns ``predict``'s values bit for bit."""
        return type(self).predict is _AdditiveLatency.predict


class LinearLatency(_AdditiveLatency):
    """Latency as a sum of per-decision costs plus a constant (least squares on one-hot features).

    Attributes
    ----------
    space : Space
    weights : ndarray of float64, shape (len(space.group_sizes), max(space.group_sizes))
        ms added by code ``c`` of group ``g`` (0 past a group's size).
    constant : float
        ms.
    ridge : float
        The L2 penalty the weights were fitted with (0: least squares, minimum-norm).
    fit_report : FitReport or None
    """

    kind: ClassVar[str] = "LinearLatency"

    def __init__(self, space: Space | str, weights: ArrayLike, constant: float, *, ridge: float = 0.0,
                 fit_report: FitReport | None = None) -> None:
        super().__init__(space, weights, constant)
        self.ridge = _arguments.real(ridge, "ridge", 0.0)
        self.fit_report = fit_report

    @classmethod
    def fit(cls, space: Space | str, choices: ArrayLike, latency_ms: ArrayLike, *,
            ridge: float = 0.0, holdout: float = 0.2, seed: int = 0) -> LinearLatency:
        """Fit on measured latencies.

        Parameters
        ----------
        space : Space or str
        choices : array of int, shape (n, space.n_positions)
        latency_ms : array of float, shape (n,)
            Measured latency (ms); NaN is refused (drop those rows first).
        ridge : float, default 0
            L2 penalty on the weights (the constant is not penalised). 0 gives the
            minimum-norm least-squares solution.
        holdout : float in [0, 1), default 0.2
            Fraction of rows held out for `fit_report`.
        seed : int
            Seed of the holdout split.
        """
        space = spaces.get(space)
        c = space.check_choices(choices)
        y = np.asarray(latency_ms, dtype=np.float64)
        if y.shape != (len(c),):
            raise ValueError(f"latency_ms must have shape ({len(c)},) to match choices, got {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError(f"latency_ms holds {int((~np.isfinite(y)).sum())} NaN or infinite "
                             f"values; drop those rows first")
        if len(y) < 2:
            raise ValueError(f"need at least 2 architectures to fit, got {len(y)}")
        ridge = _arguments.real(ridge, "ridge", 0.0)
        holdout = _arguments.real(holdout, "holdout", 0.0, 1.0, open_high=True)
        X = space.features(c)
        order = np.random.default_rng(_arguments.seed(seed)).permutation(len(y))
        n_out = int(round(holdout * len(y)))
        test, train = order[:n_out], order[n_out:]
        report = FitReport(len(train), n_out, math.nan, math.nan, math.nan)
        if n_out >= 3 and len(train) >= 2:
            w, b = _ridge(X[train], y[train], ridge)
            pred = X[test] @ w + b
            resid = y[test] - pred
            ss = float(((y[test] - y[test].mean()) ** 2).sum())
            report = FitReport(len(train), n_out, 1 - float(resid @ resid) / ss if ss > 0 else math.nan,
                               _srcc(pred, y[test]), float(np.abs(resid).mean()))
        w, b = _ridge(X, y, ridge)
        return cls(space, space.weights_table(w), b, ridge=ridge, fit_report=report)

    def save(self, path: PathLike) -> None:
        """Write to ``.npz`` (weights array and a JSON header)."""
        report = None if self.fit_report is None else asdict(self.fit_report)
        self._write(path, {"constant": self.constant, "ridge": self.ridge, "fit_report": report},
                    weights=self.weights)

    @classmethod
    def _from_file(cls, space: Space, header: dict[str, Any], arrays: dict[str, NDArray]) -> LinearLatency:
        report = header["fit_report"]
        return cls(space, arrays["weights"], header["constant"], ridge=header["ridge"],
                   fit_report=None if report is None else FitReport(**report))

    def __repr__(self) -> str:
        return f"LinearLatency({self.space!r}, constant={self.constant:.4g} ms, ridge={self.ridge})"


class AdaptedLatency(_AdditiveLatency):
    """A latency predictor adapted to a target device by `~oneproxy.adaptation.adapt`, which
    explains the method and its candidates. Additive like `LinearLatency`, so the scans use it
    directly; it is made by `adapt`, not fitted.

    Attributes
    ----------
    space, weights, constant
        As `LinearLatency`'s: the prediction is ``constant + sum_g weights[g, code_g]`` (ms).
    method : {"proxy", "adaproxy", "multi-proxy", "target-only"}
        The candidate that cross-validated best.
    lambda_ : float
        Its ridge penalty relative to the design's largest squared singular value (nan for
        ``"proxy"``).
    cv_srcc : float
        Its cross-validated SRCC on the samples.
    candidates : dict of str to (cv_srcc, lambda_)
        Every candidate's figures.
    mix : ndarray of float64, shape (n_proxies,)
        The proxies' coefficients (``a``, or ``alpha`` for several proxies; 0 for target-only).
    """

    kind: ClassVar[str] = "AdaptedLatency"

    def __init__(self, space: Space | str, weights: ArrayLike, constant: float, *, method: str,
                 lambda_: float, cv_srcc: float, candidates: dict[str, tuple[float, float]],
                 mix: ArrayLike) -> None:
        super().__init__(space, weights, constant)
        self.method = method
        self.lambda_ = float(lambda_)
        self.cv_srcc = float(cv_srcc)
        self.candidates = dict(candidates)
        self.mix = np.asarray(mix, dtype=np.float64)

    def save(self, path: PathLike) -> None:
        """Write to ``.npz`` (weights and mix arrays and a JSON header)."""
        self._write(path, {"constant": self.constant, "method": self.method, "lambda_": self.lambda_,
                           "cv_srcc": self.cv_srcc, "candidates": self.candidates},
                    weights=self.weights, mix=self.mix)

    @classmethod
    def _from_file(cls, space: Space, header: dict[str, Any], arrays: dict[str, NDArray]) -> AdaptedLatency:
        return cls(space, arrays["weights"], header["constant"], method=header["method"],
                   lambda_=header["lambda_"], cv_srcc=header["cv_srcc"],
                   candidates={k: tuple(v) for k, v in header["candidates"].items()}, mix=arrays["mix"])

    def __repr__(self) -> str:
        return (f"AdaptedLatency({self.space!r}, method={self.method!r}, "
                f"cv_srcc={self.cv_srcc:.3f}, lambda_={self.lambda_:.3g})")


def _ridge(X: NDArray[np.float64], y: NDArray[np.float64], ridge: float) -> tuple[NDArray[np.float64], float]:
    """Weights and intercept minimising |X w + b - y|^2 + ridge |w|^2 (b unpenalised); BLAS on
    oneproxy's thread setting."""
    with blas_threads():
        return _ridge_solve(X, y, ridge)


def _ridge_solve(X: NDArray[np.float64], y: NDArray[np.float64], ridge: float) -> tuple[NDArray[np.float64], float]:
    xm, ym = X.mean(axis=0), y.mean()
    Xc = X - xm
    if ridge > 0:
        w = np.linalg.solve(Xc.T @ Xc + ridge * np.eye(X.shape[1]), Xc.T @ (y - ym))
    else:
        w = np.linalg.lstsq(Xc, y - ym, rcond=None)[0]
    return w, float(ym - xm @ w)


def _srcc(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(spearman(a, b)) if len(a) >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0 else math.nan


def linear_latency(dataset: Dataset | str, device: str, *, ridge: float = 0.0) -> LinearLatency:
    """`LinearLatency` fitted on one device's whole column of a bundled dataset.

    Rows where the device has no measurement (NaN) are left out. ``fit_report`` scores a fit on
    80 % of the rows against the other 20 %; the weights come from all rows.
    """
    ds = as_dataset(dataset)
    y = ds.latency_of(device)
    keep = ~np.isnan(y)
    return LinearLatency.fit(ds.space, ds.choices[keep], y[keep], ridge=ridge)


# ---------------------------------------------------------------------------- tables

class _Table(_Stored):
    """Exact values for the architectures a table holds, keyed by their canonical choices."""

    unit: ClassVar[str]

    def __init__(self, space: Space | str, choices: ArrayLike, values: ArrayLike, *,
                 fallback: Predictor | None = None) -> None:
        self.space = spaces.get(space)
        c = self.space.canonical(choices)
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (len(c),):
            raise ValueError(f"values must have shape ({len(c)},) to match choices, got {v.shape}")
        keep = ~np.isnan(v)
        keys = _keys(c[keep])
        order = np.argsort(keys, kind="stable")
        self._keys, self._values = keys[order], v[keep][order]
        if len(self._keys) > 1 and (self._keys[1:] == self._keys[:-1]).any():
            raise ValueError("choices must not repeat an architecture")
        self._choices = c[keep][order]
        if fallback is not None and not isinstance(fallback, Predictor):
            raise ValueError("fallback must be a predictor (with predict and save)")
        self.fallback = fallback

    def __len__(self) -> int:
        return len(self._keys)

    def predict(self, choices: ArrayLike) -> NDArray[np.float64]:
        """The table's values for choices (n, P); rows it lacks go to `fallback`, or raise."""
        c = self.space.canonical(choices)
        keys = _keys(c)
        pos = np.minimum(np.searchsorted(self._keys, keys), max(len(self._keys) - 1, 0))
        found = self._keys[pos] == keys if len(self._keys) else np.zeros(len(c), dtype=bool)
        out = np.where(found, self._values[pos] if len(self._keys) else 0.0, np.nan)
        if not found.all():
            if self.fallback is None:
                first = int(np.argmin(found))
                raise ValueError(f"{int((~found).sum())} of the {len(c)} architectures are not in the "
                                 f"table (first: row {first}, {self.space.to_string(c[first])!r}); "
                                 f"pass fallback= to predict them")
            missing = np.flatnonzero(~found)
            try:
                out[missing] = self.fallback.predict(c[missing])
            except ValueError as err:  # name the caller's rows, not the fallback's subset
                raise ValueError(re.sub(r"choices\[(\d+)", lambda m: f"choices[{missing[int(m[1])]}",
                                        str(err))) from None
        return out

    def save(self, path: PathLike) -> None:
        """Write to ``.npz``; a fallback is not saved (pass it again after `load`)."""
        self._write(path, {}, choices=self._choices, values=self._values)

    @classmethod
    def _from_file(cls, space: Space, header: dict[str, Any], arrays: dict[str, NDArray]) -> Any:
        return cls(space, arrays["choices"], arrays["values"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.space!r}, {len(self)} architectures, {self.unit})"


def _keys(c: NDArray[np.uint8]) -> NDArray:
    """Rows of choices as sortable byte strings."""
    return np.ascontiguousarray(c).view(f"V{c.shape[1]}").ravel()


class TableLatency(_Table):
    """Measured latency (ms) of the architectures of a table; see `from_dataset`."""

    kind = "TableLatency"
    unit = "ms"

    @classmethod
    def from_dataset(cls, dataset: Dataset | str, device: str, *,
                     fallback: Predictor | None = None) -> TableLatency:
        """One device's column of a bundled dataset (rows with NaN left out)."""
        ds = as_dataset(dataset)
        return cls(ds.space, ds.choices, ds.latency_of(device), fallback=fallback)


class TableAccuracy(_Table):
    """Accuracy of the architectures of a table, in the unit of its source; see `from_dataset`."""

    kind = "TableAccuracy"
    unit = "accuracy"

    @classmethod
    def from_dataset(cls, dataset: Dataset | str, *, fallback: Predictor | None = None) -> TableAccuracy:
        """A bundled dataset's accuracy column (ValueError for ``fbnet``, which has none)."""
        ds = as_dataset(dataset)
        if ds.accuracy is None:
            raise ValueError(f"dataset {ds.name!r} has no accuracy column")
        return cls(ds.space, ds.choices, ds.accuracy, fallback=fallback)


# ---------------------------------------------------------------------------- once-for-all

def _ofa_space(space: OFAMobileNetV3 | None) -> OFAMobileNetV3:
    space = OFAMobileNetV3() if space is None else space
    if not isinstance(space, OFAMobileNetV3):
        raise ValueError(f"space must be an OFAMobileNetV3, got {space!r}")
    return space


def _ofa_choices(space: OFAMobileNetV3, choices: ArrayLike, usable: NDArray[np.bool_], what: str) -> NDArray[np.uint8]:
    c = space.check_choices(choices)
    bad = ~usable[c[:, 0]]
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"choices[{i}] has resolution {space.resolutions[c[i, 0]]}, which {what} "
                         f"does not cover")
    return c


class _BundledOFA(_Stored):
    """A predictor made from a file bundled with oneproxy: saving writes only a reference to it."""

    space: OFAMobileNetV3

    def __init__(self, space: OFAMobileNetV3 | None = None) -> None:
        raise NotImplementedError

    def save(self, path: PathLike) -> None:
        """Write a reference to the bundled data (it is not copied)."""
        self._write(path, {})

    @classmethod
    def _from_file(cls, space: Space, header: dict[str, Any], arrays: dict[str, NDArray]) -> Any:
        return cls(_ofa_space(space))  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.space!r})"


class OFAAccuracy(_BundledOFA):
    """once-for-all's accuracy predictor: ImageNet top-1 (fraction) of an OFA-MobileNetV3 net.

    An MLP 128 -> 400 -> 400 -> 400 -> 1 (ReLU) in float32 with once-for-all's published weights
    (``oneproxy/data/ofa_acc_predictor_mlp.npz``); it reads resolutions 112-239 px (8 bins of 16).
    """

    kind: ClassVar[str] = "OFAAccuracy"

    def __init__(self, space: OFAMobileNetV3 | None = None) -> None:
        self.space = _ofa_space(space)
        with (files("oneproxy") / "data" / "ofa_acc_predictor_mlp.npz").open("rb") as f, \
                np.load(f, allow_pickle=False) as z:
            self.layers = [(z[f"{k}_weight"], z[f"{k}_bias"]) for k in (0, 2, 4, 6)]
        (w0, self._b0), (w1, self._b1), (w2, self._b2), (w3, b3) = self.layers
        self._W0T, self._W1T, self._W2T = (_mlp.aligned(w.T) for w in (w0, w1, w2))
        self._w3, self._b3 = np.ascontiguousarray(w3[0]), float(b3[0])
        bins = (np.array(self.space.resolutions) - 112) // 16
        self._usable = (bins >= 0) & (bins < 8)
        self.res_bin = np.where(self._usable, bins, 0).astype(np.int64)

    def predict(self, choices: ArrayLike) -> NDArray[np.float64]:
        """Predicted top-1 accuracy (fraction, float64 (n,)) of OFA choices (n, 46)."""
        c = _ofa_choices(self.space, choices, self._usable, "the accuracy predictor (112-239 px)")
        out = np.empty(len(c), dtype=np.float64)
        with numba_threads() as threads:
            _mlp.predict(c, self.res_bin, self._W0T, self._b0, self._W1T, self._b1, self._W2T,
                         self._b2, self._w3, self._b3, out, threads)
        return out



def ofa_accuracy(space: OFAMobileNetV3 | None = None) -> OFAAccuracy:
    """once-for-all's accuracy MLP over `space` (default ``OFAMobileNetV3()``); see `OFAAccuracy`."""
    return OFAAccuracy(space)


class OFANote10Latency(_BundledOFA):
    """Samsung Note10 latency (ms) from once-for-all's per-layer lookup table.

    The table gives each layer's latency at `RESOLUTIONS` (160-224 px); a network's latency is the
    sum over its layers. Given the resolution that sum is additive over blocks: ``constant[r]``
    (stem, first block, head) plus ``weights[r, 1 + b, 3 * k + e]`` for every used block ``b``
    with kernel code ``k`` and expansion code ``e`` (group 0, the resolution, adds nothing).

    Attributes
    ----------
    RESOLUTIONS : tuple of int
        The input resolutions (px) the table covers, 160-224 in steps of 4 (a class attribute):
        the space of a scan or search with this objective (`oneproxy.objectives.named_objectives`)
        and of the new-device loop (`oneproxy.device`).
    weights : ndarray of float64, shape (len(resolutions), 21, 25)
        NaN rows for resolutions the table lacks.
    constant : ndarray of float64, shape (len(resolutions),)
    """

    kind: ClassVar[str] = "OFANote10Latency"
    RESOLUTIONS: ClassVar[tuple[int, ...]] = tuple(range(160, 225, 4))
    # once-for-all MobileNetV3 w1.2: per stage, output width, first stride, squeeze-excite, h-swish
    _WIDTH, _STRIDE, _SE, _HSWISH = (32, 48, 96, 136, 192), (2, 2, 2, 1, 2), (0, 1, 0, 1, 1), (0, 0, 1, 1, 1)

    def __init__(self, space: OFAMobileNetV3 | None = None) -> None:
        self.space = _ofa_space(space)
        lut = _note10_lut()
        n_res = len(self.space.resolutions)
        self.weights = np.full((n_res, 21, max(self.space.group_sizes)), np.nan)
        self.constant = np.full(n_res, np.nan)
        for k, r in enumerate(self.space.resolutions):
            if r in self.RESOLUTIONS:
                self.constant[k], self.weights[k, 1:, :9] = self._layers(lut, r)
                self.weights[k, 0] = 0.0
                self.weights[k, 1:, 9:] = 0.0
        self._usable = ~np.isnan(self.constant)

    @classmethod
    def _layers(cls, lut: dict[tuple[int, str], float], r: int) -> tuple[float, NDArray[np.float64]]:
        """(constant, block table (20, 9)) at resolution r, by once-for-all's layer naming."""
        def q(kind: str, shape_in: tuple[int, ...], shape_out: tuple[int, ...], extra: str = "") -> float:
            key = f"{kind}-input:{'x'.join(map(str, shape_in))}-output:{'x'.join(map(str, shape_out))}{extra}"
            if (r, key) not in lut:
                raise ValueError(f"the Note10 table has no layer {key!r} at resolution {r}")
            return lut[(r, key)]

        def block(f: int, c_in: int, f_out: int, c_out: int, e: int, ks: int, stride: int, skip: int,
                  se: int, hs: int) -> float:
            return q("expanded_conv", (f, f, c_in), (f_out, f_out, c_out),
                     f"-expand:{c_in * e}-kernel:{ks}-stride:{stride}-idskip:{skip}-se:{se}-hs:{hs}")

        f = (r + 1) // 2
        constant = q("Conv", (r, r, 3), (f, f, 24)) + block(f, 24, f, 24, 1, 3, 1, 1, 0, 0)
        table = np.empty((20, 9))
        c = 24
        for s in range(5):
            for j in range(4):
                stride = cls._STRIDE[s] if j == 0 else 1
                f_out = (f - 1) // stride + 1
                for kc, ks in enumerate(OFAMobileNetV3.KERNELS):
                    for ec, e in enumerate(OFAMobileNetV3.EXPANDS):
                        table[4 * s + j, 3 * kc + ec] = block(f, c, f_out, cls._WIDTH[s], e, ks, stride,
                                                             int(j > 0), cls._SE[s], cls._HSWISH[s])
                f, c = f_out, cls._WIDTH[s]
        constant += (q("Conv_1", (f, f, 192), (f, f, 1152)) + q("AvgPool2D", (f, f, 1152), (1, 1, 1152))
                     + q("Conv_2", (1, 1, 1152), (1, 1, 1536)) + q("Logits", (1, 1, 1536), (1000,)))
        return constant, table

    def predict(self, choices: ArrayLike) -> NDArray[np.float64]:
        """Latency (ms, float64 (n,)) of OFA choices (n, 46) whose resolution the table covers."""
        c = _ofa_choices(self.space, choices, self._usable, "the Note10 table (160-224 px)")
        return _additive_predict(self.space, c, self.weights, self.constant, True)



def _note10_lut() -> dict[tuple[int, str], float]:
    """(resolution, layer key) -> mean ms, from the bundled copy of once-for-all's table."""
    text = (files("oneproxy") / "data" / "note10_lut.csv").read_text()
    lines = text.splitlines()
    if lines[0].split(",")[:4] != ["resolution", "op_key", "count", "mean_ms"]:
        raise RuntimeError("unexpected header in the bundled note10_lut.csv")
    out = {}
    for line in lines[1:]:
        r, key, _, mean, _ = line.split(",")
        out[(int(r), key)] = float(mean)
    return out


def ofa_note10_latency(space: OFAMobileNetV3 | None = None) -> OFANote10Latency:
    """The Samsung Note10 lookup table over `space` (default ``OFAMobileNetV3()``)."""
    return OFANote10Latency(space)
