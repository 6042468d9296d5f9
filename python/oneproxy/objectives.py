"""The objectives of a scan or a search: checked, evaluated, seen as digit tables, probed.

`scan`, `exact_front` and `evolve` take the same objectives: predictors (with ``predict``) or
callables mapping rows of choices (n, P) to values (n,), each minimised or maximised. This module
is their one home: `check` validates them against a space and their senses, `evaluate` computes
them column by column, `additive` sees an additive one (per-choice ``weights``, as
`LinearLatency` and the once-for-all Note10 table have) as tables over the space's index digits,
and `probe` is the fixed sample of a space a checkpoint fingerprints other objectives on.
`named_objectives` makes them from names, as ``oneproxy scan``, ``search`` and ``front`` take
them: devices of a dataset, once-for-all's ``"accuracy"`` and ``"note10"``, or saved predictors.

Examples
--------
>>> from oneproxy import objectives, predictors, spaces
>>> fbnet = spaces.FBNet()
>>> objs, maximise = objectives.check(fbnet, [predictors.linear_latency("fbnet", "pixel3")], ["min"])
>>> objectives.evaluate(objs, fbnet.sample(3, seed=0)).shape, maximise.tolist()
((3, 1), [False])
>>> objectives.additive(fbnet, objs[0]).tables.shape[0]   # one table: no conditioning digit
1
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments
from oneproxy.datasets import Dataset
from oneproxy.datasets import as_dataset
from oneproxy.predictors import (LinearLatency, OFANote10Latency, Predictor, linear_latency, ofa_accuracy,
                                 ofa_note10_latency)
from oneproxy.predictors import load as load_predictor
from oneproxy.spaces import OFAMobileNetV3, Space
from oneproxy.spaces import get as get_space

__all__ = ["Objective", "Additive", "additive", "check", "evaluate", "probe", "NamedObjectives", "named_objectives"]

#: What scans and searches take as an objective: a predictor, or a callable mapping rows of
#: choices (n, P) to values (n,).
Objective = Union[Predictor, Callable[[NDArray[np.uint8]], ArrayLike]]


@dataclass(frozen=True)
class Additive:
    """An objective as digit tables: ``tables[r]`` (digits, max radix) and ``constant[r]`` for
    each value r of digit 0 (one entry when it does not depend on digit 0); ``slack[r]``, twice
    the most by which two orders of summing an architecture's terms can differ; and
    whether ``predict`` sums exactly as the scan's archive does: the constant, then the digits'
    entries left to right."""

    tables: NDArray[np.float64]  # (R, D, C)
    constant: NDArray[np.float64]  # (R,)
    slack: NDArray[np.float64]  # (R,)
    exact: bool

    @property
    def conditional(self) -> bool:
        return len(self.constant) > 1


def additive(space: Space, obj: Objective) -> Additive | None:
    """`obj` as digit tables of `space` when it is additive (per-choice ``weights`` (G, C) and a
    scalar ``constant``, or one table per value of digit 0: ``weights`` (R, G, C), ``constant``
    (R,)); None for any other objective."""
    weights, constant = getattr(obj, "weights", None), getattr(obj, "constant", None)
    if not isinstance(weights, np.ndarray) or constant is None:
        return None
    shape = (len(space.group_sizes), max(space.group_sizes))
    if weights.shape == shape and np.ndim(constant) == 0:
        tables = space.digit_tables(weights)
        # where the digits are the groups (NAS-Bench-201, FBNet), the archive sums in the order
        # of a predictor that sums left to right
        exact = getattr(obj, "sums_left_to_right", False) is True and tables.shape[0] == len(space.group_sizes) \
            and [int(r) for r in space.radices] == list(space.group_sizes) \
            and np.array_equal(tables, weights[:, :tables.shape[1]])
        return Additive(tables[None], np.array([float(constant)]), np.array([_slack(weights, float(constant))]),
                         exact)
    if weights.ndim == 3 and weights.shape[1:] == shape and np.shape(constant) == (len(weights),) \
            and len(weights) == int(space.radices[0]):
        tables = np.stack([space.digit_tables(np.nan_to_num(w)) for w in weights])
        tables[:, 0] = 0.0  # the conditioning digit adds nothing itself
        constants = np.asarray(constant, dtype=np.float64)
        return Additive(tables, constants, np.array([_slack(w[1:], c) for w, c in zip(weights, constants)]), False)
    return None


def _slack(weights: NDArray[np.float64], constant: float) -> float:
    """Twice the most by which two sums of one architecture's terms (the constant and one weight
    per group) in different orders can differ.

    Adding n terms x_i in any order errs by at most gamma_(n-1) sum |x_i|, gamma_k = k u / (1 - k u),
    u = 2**-53 (Higham, Accuracy and Stability of Numerical Algorithms, 2002, sec. 4.2), and
    sum |x_i| <= |constant| + sum_g max_c |weights[g, c]|. Comparing two points needs twice the
    distance of two orders, about 4 n u sum |x_i|; 16 (n + 2) u leaves room for the rounding of
    the comparisons themselves. The core takes the larger of this and its own bound over the
    digit tables (it cannot see the terms a digit groups). A NaN constant (a resolution the
    table lacks, refused when scanned) gives 0.
    """
    w = np.nan_to_num(np.abs(weights), nan=0.0, posinf=0.0)
    magnitude = abs(constant) + float(w.max(axis=1).sum()) if np.isfinite(constant) else 0.0
    return 16.0 * (len(weights) + 3) * 2.0**-53 * magnitude


def check(space: Space, objectives: Sequence[Objective], sense: Sequence[str] | None
          ) -> tuple[list[Objective], NDArray[np.bool_]]:
    """(objectives as a list, which are maximised (m,) bool) after checking that there is at
    least one, one sense of "min"/"max" each (default all "min"), each over `space` (when it says
    which) and each a predictor or a callable; ValueError naming the offending one."""
    objs = list(objectives)
    if not objs:
        raise ValueError("objectives must not be empty")
    maximise = np.array(_arguments.sense(sense, len(objs)), dtype=bool)
    for k, obj in enumerate(objs):
        own = getattr(obj, "space", None)
        if own is not None and own != space:
            raise ValueError(f"objectives[{k}] is over {own!r}, not over the scanned space {space!r}")
        if not callable(obj) and not hasattr(obj, "predict"):
            raise ValueError(f"objectives[{k}] must be a predictor (with predict) or a callable "
                             f"taking rows of choices, got {type(obj).__name__}")
    return objs, maximise


def evaluate(objs: Sequence[Objective], choices: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The objectives' values on rows of `choices` (n, P): (n, m) float64, ``predict`` or the call
    of each; ValueError naming one that returns another shape than (n,)."""
    cols = []
    for k, obj in enumerate(objs):
        v = np.asarray(obj.predict(choices) if hasattr(obj, "predict") else obj(choices), dtype=np.float64)
        if v.shape != (len(choices),):
            raise ValueError(f"objectives[{k}] returned shape {v.shape} for {len(choices)} architectures")
        cols.append(v)
    return np.column_stack(cols)


@functools.lru_cache(maxsize=8)
def probe(space: Space) -> NDArray[np.uint8]:
    """A fixed sample of 256 rows of `space` (read-only, cached): what a checkpoint's fingerprint
    evaluates a non-additive objective on, so that it names what the objective computes."""
    rows = space.sample(256, np.random.default_rng(20221))
    rows.flags.writeable = False
    return rows


# ---------------------------------------------------------------------------- objectives by name

@dataclass(frozen=True)
class NamedObjectives:
    """A search's objectives from their names (`named_objectives`), for `oneproxy.scan.scan`,
    `oneproxy.scan.exact_front` or `oneproxy.search.evolve` as ``(space, objectives, sense)``.

    Attributes
    ----------
    space : Space
        The space to search: the one named, or once-for-all's at the Note10 table's resolutions
        when ``"accuracy"`` or ``"note10"`` is among the names.
    names : tuple of str
    objectives : list of Objective
        One predictor per name, in order.
    sense : list of {"min", "max"}
        One per name.
    """

    space: Space
    names: tuple[str, ...]
    objectives: list[Objective]
    sense: list[str]


def named_objectives(space: str, names: Sequence[str], dataset: Dataset | str | None = None,
                     sense: Sequence[str] | None = None) -> NamedObjectives:
    """Objectives of a search over `space` (a registry name: ``"nb201"``, ``"fbnet"``,
    ``"ofa-mbv3"``) by name, as ``oneproxy scan``, ``search`` and ``front`` take them.

    Each of `names` is a device of `dataset` (its `linear_latency`, ms; the dataset defaults to
    the space's own bundled one, loaded only when a device is named), a saved predictor's path
    (ending ``.npz``, `oneproxy.predictors.load`), or, on ofa-mbv3, ``"accuracy"`` or
    ``"note10"``: once-for-all's accuracy predictor (fraction of top-1) and the Samsung Note10
    table (ms), which restrict the space to the table's resolutions
    (`~oneproxy.predictors.OFANote10Latency.RESOLUTIONS`, 160-224 px). `sense` defaults to
    ``"max"`` for ``"accuracy"`` and ``"min"`` for every other name (`check` checks it against the
    objectives).

    >>> named = named_objectives("ofa-mbv3", ["accuracy", "note10"])
    >>> named.space.resolutions[0], named.sense
    (160, ['max', 'min'])
    """
    names = tuple(names)
    if not names:
        raise ValueError("names must hold at least one objective, got none")
    own = get_space(space)
    ofa = OFAMobileNetV3(OFANote10Latency.RESOLUTIONS) if own.name == "ofa-mbv3" and any(
        n in ("accuracy", "note10") for n in names) else None
    target = own if ofa is None else ofa
    objs: list[Objective] = []
    for name in names:
        if ofa is not None and name == "accuracy":
            objs.append(ofa_accuracy(ofa))
        elif ofa is not None and name == "note10":
            objs.append(ofa_note10_latency(ofa))
        elif name.endswith(".npz"):
            objs.append(load_predictor(name))
        else:
            objs.append(_device_objective(space if dataset is None else dataset, name, target))
    chosen = [("max" if n == "accuracy" else "min") for n in names] if sense is None else list(sense)
    return NamedObjectives(target, names, objs, chosen)


def _device_objective(dataset: Dataset | str, name: str, space: Space) -> LinearLatency:
    """`linear_latency` of device `name` of `dataset`, which must be over `space`."""
    ds = as_dataset(dataset)
    if ds.space != space:
        raise ValueError(f"objective {name!r}: devices of {ds.name} are over {ds.space!r}, not "
                         f"{space!r} (with 'accuracy'/'note10' the space is 160-224 px)")
    return linear_latency(ds, name)
