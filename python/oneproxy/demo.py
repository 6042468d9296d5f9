"""``oneproxy demo``: the OneProxy method on the bundled data, or on yours, as a report with figures.

Every number in the report is computed in the run. The only figures not computed here are the
reference implementation's (the OneProxy repository's cvxpy AdaProxy solver, 60 + 10 target
samples, on the same nb201-oneproxy data), measured once beforehand; they are labelled as such.
With a user's `Dataset` the report has the same sections over its devices; a section that needs
data it lacks (accuracy for reuse, enough architectures for adaptation) is left out and says so.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from oneproxy import plots
from oneproxy.datasets import Dataset, load
from oneproxy.progress import Steps
from oneproxy.workflow import Monotonicity, monotonicity, reuse_pair, samples_curve, study

# The OneProxy repository's own AdaProxy (its cvxpy solver) on the nb201-oneproxy protocol, measured
# once on the same data: 60 + 10 target samples, pairs with SRCC < 0.9, several seeds.
REFERENCE = {"pairs": 240, "before": 0.701, "after": 0.869, "at_least_0.9": 0.517, "min": 0.318,
             "time": "20.5 ms per solve, for each lambda tried"}

GRID_DEVICES = ("2080ti_1", "2080ti_256", "gold_6240", "pixel3")  # same GPU at two batch sizes, a CPU, a phone


def run(out: str | Path = "oneproxy-demo", *, quick: bool = False, progress: bool = True,
        dataset: Dataset | None = None) -> Path:
    """Write ``report.md`` and its figures into `out`; returns the report's path.

    ``quick`` runs one seed and fewer sample sizes (for tests); the figures are the same kinds.
    `dataset` (e.g. from ``datasets.from_csv``) reports on its devices instead of the bundled
    NAS-Bench-201 data; it needs at least 2 devices.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if dataset is not None:
        return _run_user(dataset, out, quick=quick, progress=progress)
    seeds, sizes = _seeds(quick), _sizes(quick)
    bar = Steps({"monotonicity": 1, "reuse": 1, "study nb201": 3, "study nb201-oneproxy": 4,
                    "samples curve nb201-oneproxy": 8, "samples curve nb201": 10, "report": 1}, progress)
    started = time.perf_counter()
    lines: list[str] = ["# oneproxy demo", "",
                        "Everything below was computed by this run from the data bundled with oneproxy "
                        "(`oneproxy.datasets`). Re-run with `oneproxy demo`.", ""]

    bar("monotonicity")
    nb201, one = load("nb201"), load("nb201-oneproxy")
    mono = {ds.name: monotonicity(ds) for ds in (nb201, one)}
    lines += _monotonicity(out, nb201, mono)
    bar("reuse")
    lines += _reuse(out, nb201, mono["nb201"])
    lines += _reuse_against_srcc(out, nb201, bar)
    lines += _adaptation(out, one, seeds, sizes, quick, bar)
    return _write(out, lines, started, bar)


def _monotonicity(out: Path, nb201: Dataset, mono: dict[str, Monotonicity]) -> list[str]:
    """Section 1 of the bundled report: the two datasets' SRCC heatmaps and a latency grid."""
    for name, m in mono.items():
        plots.correlation_heatmap(m.matrix, m.devices, out / f"srcc-{name}.png",
                                  title=f"{name}: SRCC of latencies between devices")
    plots.latency_grid(np.stack([nb201.latency_of(d) for d in GRID_DEVICES]), GRID_DEVICES,
                       out / "latency-grid.png", title="nb201: latency of the same 15,625 cells")
    lines = ["## 1. Latency monotonicity", ""]
    lines += [f"- `{name}`: {_summary(m)}" for name, m in mono.items()]
    return lines + ["", "![nb201 SRCC](srcc-nb201.png)", "", "![nb201-oneproxy SRCC](srcc-nb201-oneproxy.png)", "",
              "Same GPU at batch 1 and 256, a Xeon CPU and a phone, over the same cells:", "",
              "![latency grid](latency-grid.png)", ""]


def _summary(m: Monotonicity) -> str:
    """Section 1's sentence on one dataset's monotonicity (it needs a pair with an SRCC)."""
    summ = m.summary(0.9)
    a, b = summ["lowest"]
    return (f"{len(m.devices)} devices, median SRCC {summ['median']:.3f}, {summ['at_least']:.0%} of "
            f"{summ['pairs']} pairs at or above 0.9, lowest {summ['min']:.3f} ({a} vs {b}); best single proxy "
            f"for all the others (highest worst-case SRCC): `{m.best_proxy()}`.")


def _reuse(out: Path, nb201: Dataset, m: Monotonicity) -> list[str]:
    """Section 2: reusing the proxy's set, for the most and the least monotone pair of nb201."""
    accuracy = nb201.accuracy
    assert accuracy is not None
    pairs = [(a, b, r) for a, b, r in m.pairs_below(1.1)]
    high, low_pair = pairs[-1], pairs[0]
    panels, rows = [], []
    for proxy, target, r in (high, low_pair):
        res = reuse_pair(nb201, proxy, target).reuse  # nb201 has every latency: all its rows
        panels.append((f"proxy {proxy} -> target {target} (SRCC {r:.2f})", accuracy,
                       nb201.latency_of(target), res.target_set, res.proxy_set))
        rows.append(f"| {proxy} | {target} | {r:.3f} | {res.hv_ratio:.4f} | {res.igd_plus:.4f} | "
                    f"{res.mean_regret:.2f} | {res.jaccard:.2f} | {len(res.proxy_set)} / {len(res.target_set)} |")
    plots.reuse_fronts(panels, out / "reuse-fronts.png", accuracy_label="CIFAR-10 test accuracy (%)")
    return ["## 2. Reusing a proxy's Pareto set", "",
              "NAS-Bench-201, CIFAR-10 accuracy against latency: the proxy's Pareto set, placed at "
              "its latency on the target, against the target's own front.", "",
              "| proxy | target | SRCC | HV ratio | IGD+ | mean regret (% acc.) | Jaccard | set sizes |",
              "|---|---|---|---|---|---|---|---|", *rows, "", "![reuse](reuse-fronts.png)", ""]


def _reuse_against_srcc(out: Path, nb201: Dataset, bar: Steps) -> list[str]:
    """Section 3: the reuse loss of every ordered pair of nb201 against its SRCC."""
    bar("study nb201")
    s201 = study(nb201, samples=70, seed=0,
                 progress=lambda k, n: bar("study nb201", k / n))
    plots.reuse_vs_srcc(s201.full_srcc, s201.hv_ratio_before, s201.regret_before,
                        out / "reuse-vs-srcc.png", hv_after=s201.hv_ratio_after, regret_unit="(% acc.)")
    hi = s201.full_srcc >= 0.9
    return ["## 3. Reuse loss against monotonicity (all ordered pairs of nb201)", "",
              f"Over {len(hi)} ordered pairs: where SRCC >= 0.9 ({hi.sum()} pairs) the proxy's set "
              f"reaches a median {np.median(s201.hv_ratio_before[hi]):.4f} of the target front's "
              f"hypervolume (worst {s201.hv_ratio_before[hi].min():.4f}), mean regret "
              f"{np.nanmean(s201.regret_before[hi]):.2f} points; below 0.9 ({(~hi).sum()} pairs) "
              f"{np.median(s201.hv_ratio_before[~hi]):.4f} (worst {s201.hv_ratio_before[~hi].min():.4f}), "
              f"regret {np.nanmean(s201.regret_before[~hi]):.2f}. With the predictor adapted from 70 "
              f"target samples, the pairs below 0.9 reach {np.median(s201.hv_ratio_after[~hi]):.4f} "
              f"(worst {s201.hv_ratio_after[~hi].min():.4f}).", "", "![reuse vs SRCC](reuse-vs-srcc.png)", ""]


def _adaptation(out: Path, one: Dataset, seeds: list[int], sizes: tuple[int, ...], quick: bool,
                bar: Steps) -> list[str]:
    """Section 4: AdaProxy on the reference protocol, and the samples curves of both datasets."""
    bar("study nb201-oneproxy")
    sone = study(one, samples=70, seeds=seeds, threshold=0.9,
                 progress=lambda k, n: bar("study nb201-oneproxy", k / n))
    summ = sone.summary(0.9)
    below = sone.below(0.9)
    plots.before_after(sone.before[below], {"AdaProxy": sone.adaproxy[below],
                                            "target-only ridge": sone.target_only[below]},
                       out / "before-after.png")
    curves = _samples_curves(out, seeds, sizes, quick, bar)
    methods = {m: int((sone.method[below] == m).sum()) for m in ("proxy", "adaproxy", "target-only")}
    lines = ["## 4. Adapting the proxy (AdaProxy) from 70 target samples", "",
              f"Protocol: `nb201-oneproxy`, every ordered pair with SRCC < 0.9, proxy predictor = "
              f"`LinearLatency` on all the proxy's rows, 70 target samples, the rest as test rows, "
              f"seeds {seeds}. SRCC on the test rows.", "",
              "| | pairs | mean SRCC before | mean SRCC after | pairs >= 0.9 after | lowest after | time |",
              "|---|---|---|---|---|---|---|",
              f"| OneProxy repository's cvxpy AdaProxy solver, 60 + 10 samples, same data | {REFERENCE['pairs']} | "
              f"{REFERENCE['before']:.3f} | {REFERENCE['after']:.3f} | {REFERENCE['at_least_0.9']:.1%} | "
              f"{REFERENCE['min']:.3f} | {REFERENCE['time']} |",
              f"| oneproxy `adapt`, one proxy | {summ['pairs']} | {summ['before']:.3f} | {summ['adaproxy']:.3f} | "
              f"{summ['adaproxy_at_least_0.9']:.1%} | {summ['adaproxy_min']:.3f} | "
              f"{summ['ms_per_adapt']:.2f} ms per whole adaptation (lambda chosen by 5-fold CV) |",
              f"| target-only ridge, same samples | {summ['pairs']} | | {summ['target_only']:.3f} | "
              f"{summ['target_only_at_least_0.9']:.1%} | {sone.target_only[below].min():.3f} | |",
              f"| oneproxy `adapt`, all other devices as proxies (per target) | "
              f"{len(np.unique(sone.target[below]))} targets x {len(seeds)} seeds | | {summ['multi']:.3f} | "
              f"{summ['multi_at_least_0.9']:.1%} | | |", "",
              f"Largest drop of a pair below its start: {-min(summ['adaproxy_worst_change'], 0):.4f} SRCC. "
              f"Candidates kept by cross-validation: {methods}.", "",
              "![before/after](before-after.png)", "",
              "Mean SRCC after adaptation against the number of target samples (pairs below 0.9; "
              f"seeds {seeds} for nb201-oneproxy, {_nb201_seeds(seeds, quick)} for nb201):", ""]
    return lines + _curves_table(curves, prefix=True)


def _samples_curves(out: Path, seeds: list[int], sizes: tuple[int, ...], quick: bool,
                    bar: Steps) -> dict[str, dict[str, np.ndarray]]:
    """Section 4's samples curves of both bundled datasets (nb201 on two seeds unless quick)."""
    curves = {}
    for name in ("nb201-oneproxy", "nb201"):
        step = f"samples curve {name}"
        bar(step)
        curves[name] = samples_curve(name, sizes=sizes, seeds=_nb201_seeds(seeds, quick) if name == "nb201" else seeds,
                                     progress=functools.partial(bar.fraction, step))
    plots.samples_curves(curves, out / "samples-curve.png")
    return curves


def _nb201_seeds(seeds: list[int], quick: bool) -> list[int]:
    """nb201's samples curve runs on two seeds (its 21 devices make it the slow one), unless quick."""
    return seeds if quick else [0, 1]


def _curves_table(curves: dict[str, dict[str, np.ndarray]], prefix: bool) -> list[str]:
    """Samples curves as a table: one row per dataset (named when `prefix`) and method."""
    sizes = next(iter(curves.values()))["sizes"]
    lines = ["| samples | " + " | ".join(str(int(n)) for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name, c in curves.items():
        for key, label in (("adaproxy", "AdaProxy"), ("multi", "multi-proxy"), ("target_only", "target-only")):
            lines.append(f"| {f'{name} ' if prefix else ''}{label} | " + " | ".join(f"{v:.3f}" for v in c[key]) + " |")
    return lines + ["", "![samples curve](samples-curve.png)", ""]


def _write(out: Path, lines: list[str], started: float, bar: Steps) -> Path:
    """report.md from `lines`, ending with the run's time."""
    bar("report")
    report = out / "report.md"
    report.write_text("\n".join([*lines, f"_Run took {time.perf_counter() - started:.0f} s._", ""]))
    bar.finish()
    return report


def _run_user(ds: Dataset, out: Path, *, quick: bool, progress: bool) -> Path:
    """The report's sections over a user's dataset (see `run`)."""
    if ds.n_devices < 2:
        raise ValueError(f"dataset {ds.name!r} has {ds.n_devices} device; the demo needs at least 2")
    bar = Steps({"monotonicity": 1, "reuse": 1, "study": 4, "samples curve": 6, "report": 1}, progress)
    started = time.perf_counter()
    lines = [f"# oneproxy demo: {ds.name}", "",
             f"Everything below was computed by this run from `{ds.source}`: {ds.n_archs} architectures "
             f"of {ds.space!r} on {ds.n_devices} devices ({', '.join(ds.devices)}), accuracy "
             f"{ds.accuracy_name or 'none'}. Missing latencies are left out pairwise.", ""]
    bar("monotonicity")
    m = monotonicity(ds)
    lines += _user_monotonicity(out, ds, m)
    bar("reuse")
    lines += _user_reuse(out, ds, m)
    bar("study")
    lines += _user_adaptation(out, ds, quick, bar)
    lines += ["## Left out", "",
              "- The comparison of two datasets of one space (the bundled report's nb201 and nb201-oneproxy) "
              "and the OneProxy repository's reference row: they need the bundled data (`oneproxy demo` "
              "without --dataset).", ""]
    return _write(out, lines, started, bar)


def _user_monotonicity(out: Path, ds: Dataset, m: Monotonicity) -> list[str]:
    """Section 1 over a user's dataset: its SRCC heatmap, a latency grid of its first devices."""
    plots.correlation_heatmap(m.matrix, m.devices, out / "srcc.png",
                              title=f"{ds.name}: SRCC of latencies between devices")
    grid = ds.devices[:4]
    plots.latency_grid(np.stack([ds.latency_of(d) for d in grid]), grid, out / "latency-grid.png",
                       title=f"{ds.name}: latency of the same architectures")
    lines = ["## 1. Latency monotonicity", ""]
    if m.summary(0.9)["pairs"]:
        lines += [f"- {_summary(m)}", ""]
    else:
        lines += ["- No pair of devices shares enough measured architectures for an SRCC.", ""]
    return lines + ["![SRCC](srcc.png)", "", f"The first {len(grid)} devices over the same architectures:", "",
                    "![latency grid](latency-grid.png)", ""]


def _user_reuse(out: Path, ds: Dataset, m: Monotonicity) -> list[str]:
    """Section 2 over a user's dataset: reuse for its most and least monotone pair, if it can."""
    lines = ["## 2. Reusing a proxy's Pareto set", ""]
    pairs = [p for p in m.pairs_below(1.1) if np.isfinite(p[2])]
    if ds.accuracy is None:
        return lines + ["_Left out: the dataset has no accuracy column, and a Pareto set needs one._", ""]
    if not pairs:
        return lines + ["_Left out: no pair of devices has an SRCC._", ""]
    panels, rows = [], []
    for proxy, target, r in dict.fromkeys([pairs[-1], pairs[0]]):
        pair = reuse_pair(ds, proxy, target)
        res = pair.reuse
        panels.append((f"proxy {proxy} -> target {target} (SRCC {r:.2f})", pair.accuracy, pair.target_latency,
                       res.target_set, res.proxy_set))
        rows.append(f"| {proxy} | {target} | {r:.3f} | {res.hv_ratio:.4f} | {res.igd_plus:.4f} | "
                    f"{res.mean_regret:.3g} | {res.jaccard:.2f} | {len(res.proxy_set)} / {len(res.target_set)} |")
    plots.reuse_fronts(panels, out / "reuse-fronts.png", accuracy_label=str(ds.accuracy_name))
    return lines + ["The most and the least monotone pair: the proxy's Pareto set (accuracy against latency), "
                    "placed at its latency on the target, against the target's own front.", "",
                    f"| proxy | target | SRCC | HV ratio | IGD+ | mean regret ({ds.accuracy_name}) | Jaccard | "
                    "set sizes |", "|---|---|---|---|---|---|---|---|", *rows, "", "![reuse](reuse-fronts.png)", ""]


def _user_adaptation(out: Path, ds: Dataset, quick: bool, bar: Steps) -> list[str]:
    """Section 3 over a user's dataset: `study` of every pair, if its devices have enough rows."""
    least = min(int(np.sum(~np.isnan(row))) for row in ds.latency)
    samples = min(70, least - 10)
    lines = ["## 3. Adapting the proxy (AdaProxy) from a few target samples", ""]
    if samples < 10:
        return lines + [f"_Left out: a device has {least} measured architectures; adaptation needs at least "
                        f"20 (10 samples and 10 test rows)._", ""]
    seeds = _seeds(quick)
    s = study(ds, samples=samples, seeds=seeds, progress=lambda k, n: bar("study", k / n))
    summ = s.summary(0.9)
    lines += [f"Every ordered pair of devices, proxy predictor = `LinearLatency` on all the proxy's rows, "
              f"{samples} target samples, the rest as test rows, seeds {seeds}. SRCC on the test rows "
              f"over the {summ['pairs']} pairs below 0.9:", ""]
    if not summ["pairs"]:
        return lines + ["_Every pair is at or above 0.9: the proxy can be reused as it is; nothing to adapt._", ""]
    below = s.below(0.9)
    plots.before_after(s.before[below], {"AdaProxy": s.adaproxy[below],
                                         "target-only ridge": s.target_only[below]}, out / "before-after.png")
    lines += ["| | pairs | mean SRCC before | mean SRCC after | pairs >= 0.9 after |", "|---|---|---|---|---|",
              f"| oneproxy `adapt`, one proxy | {summ['pairs']} | {summ['before']:.3f} | "
              f"{summ['adaproxy']:.3f} | {summ['adaproxy_at_least_0.9']:.1%} |",
              f"| target-only ridge, same samples | {summ['pairs']} | | {summ['target_only']:.3f} | "
              f"{summ['target_only_at_least_0.9']:.1%} |", "", "![before/after](before-after.png)", ""]
    return lines + _user_samples_curve(out, ds, [n for n in _sizes(quick) if n <= least - 10], seeds, bar)


def _user_samples_curve(out: Path, ds: Dataset, sizes: list[int], seeds: list[int], bar: Steps) -> list[str]:
    """Section 3's samples curve over a user's dataset."""
    bar("samples curve")
    curve = samples_curve(ds, sizes=sizes, seeds=seeds, progress=functools.partial(bar.fraction, "samples curve"))
    plots.samples_curves({ds.name: curve}, out / "samples-curve.png")
    return ["Mean SRCC after adaptation against the number of target samples (pairs below 0.9):", "",
            *_curves_table({ds.name: curve}, prefix=False)]


def _seeds(quick: bool) -> list[int]:
    """The seeds of a report's studies: one when quick."""
    return [0] if quick else [0, 1, 2]


def _sizes(quick: bool) -> tuple[int, ...]:
    """The sample sizes of a report's samples curves: three when quick."""
    return (10, 30, 70) if quick else (10, 20, 30, 50, 70, 100, 200)
