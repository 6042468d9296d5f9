"""A new device, end to end: measure a few once-for-all MobileNetV3 subnets on this machine,
adapt the best bundled proxy to them, search with the adapted predictor, and measure the found
front on the hardware itself.

The loop (`run`), as the paper has it for a new target device:

1. measure `samples` random subnets on the device (resuming what the store already holds),
   and `holdout` more to check predictions on (or an `oracle` pool, see 4);
2. score every bundled proxy on the samples (SRCC) and adapt (`adapt_measured`): the best single
   proxy and all proxies together, keeping the better cross-validated model;
3. NSGA-II (`oneproxy.search.evolve`) with once-for-all's accuracy predictor up and the adapted
   latency down; up to `front_size` subnets spread along the front are measured on the device;
4. the same search with the proxy's own predictor (no adaptation) and, with ``oracle=N``, with a
   predictor fitted on N measured subnets alone (ridge on the one-hot features, lambda by
   cross-validated SRCC: the per-device predictor the method avoids building);
   their fronts are measured as well, and the measured fronts compared by hypervolume.

Accuracy is once-for-all's predicted ImageNet top-1 throughout (no training here); latency of
the fronts is measured. The space is once-for-all's at 160-224 px, the range of the Note10 table.
"""
from __future__ import annotations

import contextlib
import functools
import os
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oneproxy import _arguments, spaces
from oneproxy import measure as measuring
from oneproxy.adaptation import adapt
from oneproxy.correlation import spearman
from oneproxy.datasets import Dataset, load
from oneproxy.pareto import hypervolume
from oneproxy.predictors import (AdaptedLatency, LinearLatency, OFANote10Latency, linear_latency, ofa_accuracy,
                                 ofa_note10_latency)
from oneproxy.progress import Steps
from oneproxy.spaces import OFAMobileNetV3, Space
from oneproxy.workflow import proxy_predictors

__all__ = ["proxies", "adapt_measured", "stored_space", "stored_device", "adapt_stored", "Adapted", "FrontCheck",
           "DeviceResult", "run", "write_report", "measured_space", "measured_latencies", "RESOLUTIONS"]

#: The loop's input resolutions (px): those the Note10 table covers, `OFANote10Latency.RESOLUTIONS`.
RESOLUTIONS = OFANote10Latency.RESOLUTIONS


# ---------------------------------------------------------------------------- proxies and adaptation

@functools.lru_cache(maxsize=4)
def _proxies(resolutions: tuple[int, ...]) -> tuple[tuple[str, LinearLatency], ...]:
    space = OFAMobileNetV3(resolutions)
    ds = load("ofa-mbv3")
    keep, choices = _recode(ds.choices, ds.space, space)
    out = []
    for device in ds.devices:
        if device == "note10_lut_ms":  # the table itself, below, on many more subnets
            continue
        y = ds.latency_of(device)[keep]
        out.append((device, LinearLatency.fit(space, choices[~np.isnan(y)], y[~np.isnan(y)])))
    table = ofa_note10_latency(space)
    drawn = space.sample(20_000, seed=0)
    out.append(("note10", LinearLatency.fit(space, drawn, table.predict(drawn))))
    return tuple(out)


def _recode(choices: NDArray[np.uint8], source: Any, target: OFAMobileNetV3
            ) -> tuple[NDArray[np.bool_], NDArray[np.uint8]]:
    """The rows of once-for-all `choices` of space `source` whose resolution `target` has (mask),
    and those rows with the resolution coded as in `target`."""
    px = np.array(source.resolutions)[choices[:, 0]]
    keep = np.isin(px, target.resolutions)
    out = choices[keep].copy()
    out[:, 0] = np.searchsorted(np.array(target.resolutions), px[keep])
    return keep, out


def proxies(space: OFAMobileNetV3 | None = None) -> dict[str, LinearLatency]:
    """The bundled proxies over `space` (default 160-224 px), as additive predictors that
    `adapt` can take: each GPU column of the ``ofa-mbv3`` dataset (a `LinearLatency` fitted on
    its rows at the space's resolutions) and ``"note10"``, a `LinearLatency` fitted to
    once-for-all's Samsung Note10 table on 20,000 uniform subnets (SRCC 0.99 to the table)."""
    space = space or OFAMobileNetV3(RESOLUTIONS)
    if not isinstance(space, OFAMobileNetV3) or not set(space.resolutions) <= set(RESOLUTIONS):
        raise ValueError(f"space must be an OFAMobileNetV3 with resolutions within 160-224 px (the "
                         f"Note10 table's), got {space!r}")
    return dict(_proxies(tuple(space.resolutions)))


@dataclass(frozen=True)
class Adapted:
    """What `adapt_measured` chose.

    Attributes
    ----------
    model : AdaptedLatency
        The kept model (single- or multi-proxy, whichever cross-validated better).
    proxy : str
        The best single proxy (highest SRCC with the measurements).
    scores : dict of str to float
        Every proxy's SRCC with the measurements, best first.
    single, multi : AdaptedLatency
        The two fits compared.
    measurements : int
        How many measured architectures they were fitted on.
    """

    model: AdaptedLatency
    proxy: str
    scores: dict[str, float]
    single: AdaptedLatency
    multi: AdaptedLatency
    measurements: int = 0

    @property
    def kind(self) -> str:
        return "single" if self.model is self.single else "multi"


def adapt_measured(proxies: Mapping[str, Any], choices: ArrayLike, latency_ms: ArrayLike, *,
                   seed: int = 0) -> Adapted:
    """Adapt to measurements of a new device: score each proxy by the SRCC of its predictions
    with `latency_ms` (ms, (n,)) on `choices` (n, P), adapt the best one, and adapt all of them
    together (multi-proxy); keep the fit with the higher cross-validated SRCC."""
    if len(proxies) < 1:
        raise ValueError("proxies must hold at least one predictor")
    y = np.asarray(latency_ms, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant predictor: nan, ranked last
        raw = {name: float(spearman(p.predict(choices), y)) for name, p in proxies.items()}
    scores = dict(sorted(raw.items(), key=lambda kv: -np.nan_to_num(kv[1], nan=-2.0)))
    best = next(iter(scores))
    single = adapt(proxies[best], choices, y, seed=seed)
    multi = adapt(proxies=list(proxies.values()), choices=choices, target_latency_ms=y, seed=seed) \
        if len(proxies) > 1 else single
    model = single if single.cv_srcc >= multi.cv_srcc else multi
    return Adapted(model, best, scores, single, multi, len(y))


def stored_space(dataset: Dataset) -> Space:
    """The space whose measurements in a store adapt `dataset`'s proxies (`adapt_stored`):
    NAS-Bench-201's, or once-for-all's at the proxies' resolutions (`RESOLUTIONS`)."""
    if dataset.space.name == "nb201":
        return dataset.space
    if dataset.space.name == "ofa-mbv3":
        return OFAMobileNetV3(RESOLUTIONS)
    raise ValueError(f"measurements are of nb201 or ofa-mbv3; dataset {dataset.name!r} is over neither")


def stored_device(db: str | os.PathLike[str], space: Space | str, device: str | None = None, *,
                  name: str = "device") -> str:
    """The fingerprint of the one device whose `space` measurements `db` holds: the one equal to
    `device`, else the one containing it as text (``"threads=2"``, ``"openvino"``); None: the
    only device there is.

    Raises ValueError when none or several match, listing the store's devices of `space`;
    the message calls `device` `name` (the command line's ``--device``).
    """
    space = spaces.get(space)
    held = list(measuring.devices(db, space).get(space.name, {}))
    match = [device] if device in held else [d for d in held if device is None or device in d]
    if len(match) != 1:
        listed = "; ".join(held) or "none"
        raise ValueError(f"{db} holds {len(match)} {space.name} devices"
                         f"{'' if device is None else f' matching {device!r}'}: pass {name} TEXT to pick "
                         f"one of: {listed}")
    return match[0]


def adapt_stored(db: str | os.PathLike[str], fingerprint: str, dataset: Dataset, *, proxy: str | None = None,
                 seed: int = 0) -> Adapted:
    """`adapt_measured` on the measurements of device `fingerprint` in store `db` (`stored_space`
    of `dataset`): with every device of an nb201 `dataset` as a proxy (`linear_latency`), or
    once-for-all's bundled `proxies`; `proxy` (None or ``"auto"``: all of them) keeps one.
    Needs at least 10 measurements."""
    space = stored_space(dataset)
    candidates = dict(zip(dataset.devices, proxy_predictors(dataset))) if space.name == "nb201" \
        else proxies(OFAMobileNetV3(RESOLUTIONS))
    choices, y = measuring.measured_latency(db, fingerprint, space=space)
    if len(y) < 10:
        raise ValueError(f"{db} holds {len(y)} {space.name} measurements of {fingerprint!r}"
                         f"{' at 160-224 px' if space.name == 'ofa-mbv3' else ''}; adaptation needs at least 10")
    if proxy not in (None, "auto"):
        if proxy not in candidates:
            raise ValueError(f"proxy must be 'auto' or one of {', '.join(candidates)}, got {proxy!r}")
        candidates = {proxy: candidates[proxy]}
    return adapt_measured(candidates, choices, y, seed=seed)


# ---------------------------------------------------------------------------- the loop

@dataclass(frozen=True)
class FrontCheck:
    """A front found with one latency predictor, measured on the device.

    Attributes
    ----------
    indices : list of int
        The measured subnets of the front (up to ``front_size``, spread along it).
    accuracy : ndarray (k,)
        once-for-all's predicted top-1 (fraction).
    predicted_ms, measured_ms : ndarray (k,)
        The predictor's latency and the device's (ms).
    front_size : int
        Subnets on the found front before choosing which to measure.
    """

    indices: list[int]
    accuracy: NDArray[np.float64]
    predicted_ms: NDArray[np.float64]
    measured_ms: NDArray[np.float64]
    front_size: int

    @property
    def points(self) -> NDArray[np.float64]:
        """(accuracy, measured ms) of the measured subnets, (k, 2)."""
        return np.column_stack([self.accuracy, self.measured_ms])


@dataclass
class DeviceResult:
    """What `run` measured and found; see `write_report`."""

    device: str
    space: OFAMobileNetV3
    samples: list[int]
    heldout: list[int]
    latency: dict[int, float]
    adapted: Adapted
    heldout_srcc: float
    heldout_mape: float
    proxy_heldout_srcc: float
    fronts: dict[str, FrontCheck]
    reference: NDArray[np.float64]
    hypervolume: dict[str, float]
    oracle: int
    failed: dict[int, str]
    seconds: dict[str, float] = field(default_factory=dict)
    measured: int = 0

    @property
    def hv_ratio(self) -> dict[str, float]:
        """Each measured front's hypervolume over the oracle front's (or the adapted one's)."""
        base = self.hypervolume.get("oracle", self.hypervolume["adapted"])
        return {k: v / base if base > 0 else float("nan") for k, v in self.hypervolume.items()}


def _mape(pred: NDArray, y: NDArray) -> float:
    return float(np.mean(np.abs(pred - y) / y)) if len(y) else float("nan")


def _srcc(a: ArrayLike, b: ArrayLike) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearman(a, b)) if len(np.asarray(a)) >= 2 else float("nan")


def _spread(front: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Up to k rows of a front (accuracy, latency), evenly spaced along it by latency."""
    order = np.argsort(front[:, 1], kind="stable")
    if len(order) <= k:
        return order
    return order[np.unique(np.round(np.linspace(0, len(order) - 1, k)).astype(np.intp))]


def run(db: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, samples: int = 30,
        holdout: int = 50, oracle: int = 0, backend: str = "onnxruntime", threads: int = 1,
        repeats: int = 10, warmup: int = 3, front_size: int = 20, population: int = 100,
        generations: int = 50, seed: int = 0, resolutions: Sequence[int] = RESOLUTIONS,
        progress: bool = True) -> DeviceResult:
    """Run the new-device loop (module docstring) on this machine; write the report into `out`.

    Parameters
    ----------
    db : path
        The measurement store (SQLite); a rerun resumes and measures nothing twice.
    out : path, optional
        Folder for ``report.md`` and its figures (`write_report`).
    samples : int
        Subnets measured to adapt from (>= 10: 5-fold cross-validation needs them).
    holdout : int
        Further measured subnets to check predictions on.
    oracle : int
        With N > 0, a pool of N measured subnets (the first N of the same draw, so it holds the
        samples and the held-out subnets) to fit the oracle predictor on; 0 leaves it out.
    backend, threads, repeats, warmup
        How subnets are timed (`oneproxy.measure.measure`).
    front_size : int
        Subnets measured per found front, spread evenly along it.
    population, generations, seed
        NSGA-II's settings (`oneproxy.search.evolve`); `seed` also draws the samples.
    resolutions : sequence of int
        Input resolutions (px) within 160-224.
    """
    seed = _check_loop(samples, holdout, oracle, front_size, seed)
    space = OFAMobileNetV3(resolutions)
    prox, accuracy = proxies(space), ofa_accuracy(space)
    runtime = measuring.get_backend(backend, threads)
    pool = measuring.sample_indices(space, max(samples + holdout, oracle), seed)
    loop = _Loop(db, space, runtime, repeats, warmup, Steps(
        {"measure subnets": float(len(pool)), "adapt": 2.0, "search": 3.0, "measure fronts": 3.0 * front_size,
         "report": 1.0}, progress))
    with loop.step("measure subnets"):
        lat = loop.measure(pool, "measure subnets")
    sample, heldout = [i for i in pool[:samples] if i in lat], [i for i in pool[samples:] if i in lat]
    if len(sample) < 10:
        raise ValueError(f"only {len(sample)} of {samples} samples could be measured; see measure.failures")
    with loop.step("adapt"):
        adapted, models = _models(prox, space, sample, lat, [i for i in pool if i in lat] if oracle else None, seed)
    fronts, chosen = _measured_fronts(loop, accuracy, models, front_size, population=population,
                                      generations=generations, seed=seed)
    reference, hv = _hypervolumes(fronts)
    wanted = set(pool) | chosen
    failed = {i: e for i, e in measuring.failures(db, loop.device, space=space).items() if i in wanted}
    srcc, mape, proxy_srcc = _heldout_figures(space, heldout, lat, adapted.model, prox[adapted.proxy])
    result = DeviceResult(
        device=loop.device.fingerprint, space=space, samples=sample, heldout=heldout, latency=lat, adapted=adapted,
        heldout_srcc=srcc, heldout_mape=mape, proxy_heldout_srcc=proxy_srcc, fronts=fronts, reference=reference,
        hypervolume=hv, oracle=oracle, failed=failed, seconds=loop.seconds, measured=len(wanted) - len(failed))
    if out is not None:
        loop.bar("report")
        write_report(result, out)
    loop.bar.finish()
    return result


def _check_loop(samples: int, holdout: int, oracle: int, front_size: int, seed: int) -> int:
    """`run`'s counts checked; returns the seed."""
    for name, value, low in (("samples", samples, 10), ("holdout", holdout, 0), ("oracle", oracle, 0),
                             ("front_size", front_size, 2)):
        _arguments.integer(value, name, low)
    seed = _arguments.seed(seed)
    if oracle and oracle < samples + 10:
        raise ValueError(f"oracle must be 0 or at least samples + 10 = {samples + 10}, got {oracle}")
    return seed


class _Loop:
    """What `run`'s steps share: the store and backend that time subnets, the progress bar, and
    the seconds each step took (`DeviceResult.seconds`, summed over a step's repeats)."""

    def __init__(self, db: str | os.PathLike[str], space: OFAMobileNetV3, backend: measuring.Backend,
                 repeats: int, warmup: int, bar: Steps) -> None:
        self.space, self.bar = space, bar
        self.seconds: dict[str, float] = {}
        self.device = measuring.this_device(backend=backend)
        self._timing: dict[str, Any] = dict(db=db, space=space, backend=backend, repeats=repeats, warmup=warmup)

    @contextlib.contextmanager
    def step(self, name: str, fraction: float = 0.0) -> Iterator[None]:
        self.bar(name, fraction)
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def measure(self, indices: Sequence[int], step: str) -> dict[int, float]:
        """Median latency (ms) of the subnets measured or found in the store; the others failed."""
        got = measuring.run(archs=list(indices), progress=lambda d, t: self.bar(step, d / max(t, 1)), **self._timing)
        return {i: v[0] for i, v in got.results.items()}


def _models(prox: dict[str, LinearLatency], space: OFAMobileNetV3, sample: list[int], lat: dict[int, float],
            oracle_pool: list[int] | None, seed: int) -> tuple[Adapted, dict[str, Any]]:
    """The proxies adapted to the samples (`adapt_measured`), and the latency predictors searched
    with: the adapted model, the best proxy alone and, given a pool, the oracle fitted on it."""
    adapted = adapt_measured(prox, space.decode(sample), np.array([lat[i] for i in sample]), seed=seed)
    models: dict[str, Any] = {"adapted": adapted.model, "proxy-only": prox[adapted.proxy]}
    if oracle_pool is not None:
        # the per-device predictor the method avoids: a ridge fit of the pool, lambda by CV
        models["oracle"] = adapt(prox[adapted.proxy], space.decode(oracle_pool), [lat[i] for i in oracle_pool],
                                 seed=seed, methods=["target-only"])
    return adapted, models


def _measured_fronts(loop: _Loop, accuracy: Any, models: dict[str, Any], front_size: int, **search: Any
                     ) -> tuple[dict[str, FrontCheck], set[int]]:
    """NSGA-II (accuracy up, each model's latency down) and up to `front_size` subnets of each
    found front measured; returns the checks and every subnet chosen to measure."""
    from oneproxy.search import evolve

    fronts: dict[str, FrontCheck] = {}
    chosen: set[int] = set()
    for k, (name, model) in enumerate(models.items()):
        with loop.step("search", k / len(models)):
            found = evolve(loop.space, [accuracy, model], ["max", "min"], progress=False, **search)
            spread = [found.indices[j] for j in _spread(found.front, front_size)]
        with loop.step("measure fronts", k / len(models)):
            fronts[name] = _check_front(found, spread, loop.measure(spread, "measure fronts"))
        chosen.update(spread)
    return fronts, chosen


def _hypervolumes(fronts: dict[str, FrontCheck]) -> tuple[NDArray[np.float64], dict[str, float]]:
    """The reference point (a tenth of the span below the union of the measured fronts' accuracy
    and above their latency) and each measured front's hypervolume."""
    union = np.vstack([f.points for f in fronts.values()])
    span = np.ptp(union, axis=0)
    reference = np.array([union[:, 0].min() - 0.1 * span[0], union[:, 1].max() + 0.1 * span[1]])
    return reference, {k: hypervolume(f.points, reference, ["max", "min"]) for k, f in fronts.items()}


def _heldout_figures(space: OFAMobileNetV3, heldout: list[int], lat: dict[int, float], model: Any,
                     proxy: Any) -> tuple[float, float, float]:
    """SRCC and MAPE of `model` and SRCC of `proxy` on the held-out subnets (NaN without them)."""
    if not heldout:
        return float("nan"), float("nan"), float("nan")
    H, y = space.decode(heldout), np.array([lat[i] for i in heldout])
    pred = model.predict(H)
    return _srcc(pred, y), _mape(pred, y), _srcc(proxy.predict(H), y)


def _check_front(found: Any, chosen: list[int], latency: dict[int, float]) -> FrontCheck:
    """The measured subnets of `chosen` (indices of `found`'s front) beside their predictions."""
    row = {i: k for k, i in enumerate(found.indices)}
    ok = [i for i in chosen if i in latency]
    rows = [row[i] for i in ok]
    return FrontCheck(ok, found.front[rows, 0], found.front[rows, 1], np.array([latency[i] for i in ok]),
                      len(found.front))


# ---------------------------------------------------------------------------- the report

def write_report(result: DeviceResult, out: str | os.PathLike[str]) -> Path:
    """Write ``report.md`` with ``device-predictions.png`` and ``device-fronts.png`` into `out`."""
    from oneproxy import plots

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    r = result
    front = r.fronts["adapted"]
    panels = []
    if r.heldout:
        panels.append(("held-out subnets", r.adapted.model.predict(r.space.decode(r.heldout)),
                       _measured_of(r, r.heldout)))
    panels.append(("adapted front", front.predicted_ms, front.measured_ms))
    plots.predicted_vs_measured(panels, folder / "device-predictions.png")
    plots.measured_fronts({k: f.points for k, f in r.fronts.items()}, folder / "device-fronts.png")
    lines = [*_report_proxies(r), *_report_predictions(r), *_report_fronts(r), *_report_claim(r)]
    if r.failed:
        lines += ["", f"{len(r.failed)} subnets could not be measured:", "",
                  *(f"- `{r.space.to_string(i)}`: {e}" for i, e in r.failed.items())]
    lines += ["", "Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in r.seconds.items()), ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path


def _report_proxies(r: DeviceResult) -> list[str]:
    """The report's title and section 1: every proxy's SRCC on the samples, the model kept."""
    a, space = r.adapted, r.space
    return ["# A new device: once-for-all MobileNetV3 on this machine", "",
            f"Device: `{r.device}`.", "",
            f"Space: once-for-all MobileNetV3 (w1.2) at {space.resolutions[0]}-{space.resolutions[-1]} px. "
            f"Accuracy is once-for-all's predicted ImageNet top-1; every latency below marked "
            f"*measured* was timed on this device ({r.measured} subnets in all).", "",
            "## 1. Proxies scored on the samples", "",
            f"SRCC of each bundled proxy's predicted latency with the {len(r.samples)} measured samples:", "",
            "| proxy | SRCC |", "|---|---|",
            *(f"| {k} | {v:.3f} |" for k, v in a.scores.items()), "",
            f"Single proxy `{a.proxy}`: {a.single.method}, CV SRCC {a.single.cv_srcc:.3f}. "
            f"All {len(a.scores)} proxies: {a.multi.method}, CV SRCC {a.multi.cv_srcc:.3f}. "
            f"Kept: the {a.kind}-proxy model ({a.model.method}).", ""]


def _report_predictions(r: DeviceResult) -> list[str]:
    """Section 2: predicted against measured latency, held out and on the adapted front."""
    front = r.fronts["adapted"]
    lines = ["## 2. Predicted against measured latency", "",
             "| subnets | n | SRCC | MAPE |", "|---|---|---|---|"]
    if r.heldout:
        lines.append(f"| held-out (adapted predictor) | {len(r.heldout)} | {r.heldout_srcc:.3f} | "
                     f"{r.heldout_mape:.1%} |")
        lines.append(f"| held-out (proxy `{r.adapted.proxy}`, no adaptation) | {len(r.heldout)} | "
                     f"{r.proxy_heldout_srcc:.3f} | - |")
    return lines + [f"| adapted front | {len(front.indices)} | {_srcc(front.predicted_ms, front.measured_ms):.3f} | "
                    f"{_mape(front.predicted_ms, front.measured_ms):.1%} |", "",
                    "![predicted vs measured](device-predictions.png)", ""]


def _report_fronts(r: DeviceResult) -> list[str]:
    """Section 3: each front found, measured, by hypervolume."""
    lines = ["## 3. The fronts, measured", "",
             f"NSGA-II (accuracy up, latency down) with each latency predictor; up to "
             f"{max(len(f.indices) for f in r.fronts.values())} subnets spread along each found front "
             f"were measured. Hypervolume of (predicted accuracy, measured latency) with reference "
             f"point ({r.reference[0]:.4f}, {r.reference[1]:.2f} ms).", "",
             "| front found with | subnets on front | measured | hypervolume | ratio |", "|---|---|---|---|---|"]
    names = {"adapted": f"adapted predictor ({len(r.samples)} samples)",
             "proxy-only": f"proxy `{r.adapted.proxy}` alone (no adaptation)",
             "oracle": f"oracle: fitted on {r.oracle} measured subnets"}
    ratio = r.hv_ratio
    for k, f in r.fronts.items():
        lines.append(f"| {names[k]} | {f.front_size} | {len(f.indices)} | {r.hypervolume[k]:.4g} | {ratio[k]:.4f} |")
    return lines + ["", "![measured fronts](device-fronts.png)", ""]


def _report_claim(r: DeviceResult) -> list[str]:
    """Section 4: does the adapted front reach the oracle's hypervolume (goal 0.99)?"""
    ratio = r.hv_ratio
    lines = ["## 4. The claim, checked", ""]
    if "oracle" in r.fronts:
        verdict = "holds" if ratio["adapted"] >= 0.99 else "does not hold"
        return lines + [f"The adapted front, as measured, reaches **{ratio['adapted']:.4f}** of the oracle "
                        f"front's hypervolume (goal 0.99: the claim {verdict} here); the proxy-only front "
                        f"{ratio['proxy-only']:.4f}."]
    return lines + [f"No oracle front (rerun with `--oracle 300`): the proxy-only front reaches "
                    f"{ratio['proxy-only']:.4f} of the adapted front's hypervolume."]


def _measured_of(r: DeviceResult, indices: Sequence[int]) -> NDArray[np.float64]:
    return np.array([r.latency[i] for i in indices])


# ---------------------------------------------------------------------------- this machine beside the bundled devices

def measured_space(db: str | os.PathLike[str], space: str | None = None, *, name: str = "space") -> str:
    """The space of the measurements in `db` (see `measured_latencies`): `space` when `db` holds
    measurements of it, else the only space it holds. ValueError otherwise, asking for `name`
    (the command line's ``--space``)."""
    held = measuring.devices(db, space)
    if len(held) != 1:
        raise ValueError(f"{db} holds measurements of {', '.join(held) or 'no space'}; pass {name}")
    return next(iter(held))


def measured_latencies(db: str | os.PathLike[str], space: str = "ofa-mbv3"
                       ) -> tuple[tuple[str, ...], NDArray[np.float64], list[int]]:
    """Latency (ms) of the architectures measured in `db`: one row per device fingerprint there
    (named by the fingerprint without its CPU), then one per bundled device (NAS-Bench-201: its
    measured columns; once-for-all: the bundled proxies' predictions, and the Note10 table at
    160-224 px), NaN where unknown. `measured_space` says which space a store holds.

    Returns (names, latency (d, n), indices of the n architectures in the space)."""
    sp = spaces.get(space)
    held = measuring.devices(db, sp).get(sp.name, {})
    if not held:
        raise ValueError(f"db {str(db)!r} holds no {sp.name} measurements")
    per_device = {d: measuring.stored(db, d, space=sp) for d in held}
    indices = sorted(set().union(*per_device.values()))
    rows = [np.array([per_device[d][i][0] if i in per_device[d] else np.nan for i in indices]) for d in held]
    names = [d.split(" | ", 1)[-1] for d in held]  # the runtime and its settings; the CPU is this one
    choices = sp.decode(indices)
    if sp.name == "nb201":
        ds = load("nb201")  # measured columns over all 15,625 cells, in official index order
        rows += [ds.latency_of(d)[np.array(indices)] for d in ds.devices]
        names += list(ds.devices)
    else:
        ds = load("ofa-mbv3")
        for device in ds.devices:
            if device != "note10_lut_ms":  # the table itself, below
                rows.append(linear_latency(ds, device).predict(choices))
                names.append(f"{device} (predicted)")
        table_space = OFAMobileNetV3(RESOLUTIONS)
        inside, rows_in = _recode(choices, sp, table_space)
        note10 = np.full(len(indices), np.nan)
        if inside.any():
            note10[inside] = ofa_note10_latency(table_space).predict(rows_in)
        rows.append(note10)
        names.append("note10 (table)")
    return tuple(names), np.array(rows, dtype=np.float64), indices
