"""The ``oneproxy`` command. It parses arguments, calls the API and prints; nothing more.

`_parser` builds one sub-parser a command (``_srcc_command``, ...), each naming the function
that runs it (``_srcc``, ...); arguments several commands share are added by one function each
(`_dataset_arguments`, `_measure_arguments`, `_objective_arguments`, ...).
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import oneproxy
from oneproxy import _arguments, datasets, objectives, spaces, workflow
from oneproxy.measure import BackendUnavailable
from oneproxy.objectives import NamedObjectives
from oneproxy.spaces import Space
from oneproxy.workflow import Monotonicity

if TYPE_CHECKING:
    _Commands = argparse._SubParsersAction[argparse.ArgumentParser]  # what add_subparsers returns


# ---------------------------------------------------------------------------- the parser

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oneproxy",
        description="Hardware-aware NAS with one proxy device: latency monotonicity between "
        "devices, proxy reuse and adaptation, measured on bundled real latency data. "
        "Start with 'oneproxy demo'.",
    )
    parser.add_argument("--version", action="version", version=f"oneproxy {oneproxy.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_srcc_command, _bench_command, _demo_command, _reuse_command, _adapt_command,
                _measure_command, _device_command, _scan_command, _search_command, _front_command,
                _export_command):
        add(commands)
    return parser


def _srcc_command(commands: _Commands) -> None:
    srcc = commands.add_parser(
        "srcc",
        help="device x device rank correlation of latencies (latency monotonicity)",
        description="Print the device x device rank correlation of a dataset's latencies (bundled, "
        "or your CSV with --space) "
        "(or, with --db, of this machine's measured devices beside the bundled ones over the "
        "architectures measured), its summary (median, minimum, share of pairs >= 0.9), and "
        "optionally write a clustered heatmap and the matrix as CSV. Missing latencies are "
        "skipped pairwise.",
    )
    _dataset_arguments(srcc, space_help="the space of a --dataset CSV's architectures, or with --db the "
                       "space of the measurements (default: the only one the db holds)")
    srcc.add_argument("--db", type=Path, default=None, metavar="FILE.sqlite",
                      help="measurements of this machine ('oneproxy measure'): its devices against "
                      "each other and the bundled devices (once-for-all: their predictors and the "
                      "Note10 table) over the measured architectures")
    srcc.add_argument("--method", default="spearman", choices=("spearman", "kendall"),
                      help="rank correlation (default: spearman)")
    srcc.add_argument("--devices", default=None, metavar="A,B,...",
                      help="comma-separated subset of the dataset's devices (default: all)")
    srcc.add_argument("--out", type=Path, default=None, metavar="FILE.png",
                      help="write a clustered heatmap (PNG, SVG or PDF by suffix)")
    srcc.add_argument("--csv", type=Path, default=None, metavar="FILE.csv",
                      help="write the matrix as CSV (device names as header and first column)")
    srcc.set_defaults(run=_srcc)


def _bench_command(commands: _Commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="time oneproxy against NumPy, scipy and moocore on the same data",
        description="Time the compiled routines (rank correlation, Pareto filtering and sorting, "
        "hypervolume) against a plain NumPy baseline and, where installed, scipy and moocore, "
        "on the same generated data in the same run; check that the answers agree; print the "
        "times and speed-ups.",
    )
    bench.add_argument("--n", type=int, default=1_000_000, help="points per routine (default: 1e6)")
    bench.add_argument("--quick", action="store_true", help="one repeat, smaller matrices")
    bench.add_argument("--json", type=Path, default=None, metavar="FILE.json",
                       help="also write the results as JSON")
    bench.set_defaults(run=_bench)


def _demo_command(commands: _Commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="the OneProxy method on the bundled data or yours: a report with figures",
        description="Measure latency monotonicity, proxy reuse and AdaProxy adaptation on the "
        "bundled NAS-Bench-201 data (or on your CSV of latencies with --dataset and --space) and "
        "write report.md with its PNG figures into a folder (bundled: about 30-60 s on 2 cores). "
        "Every number is computed in the run; sections that need data yours lacks (accuracy, "
        "enough architectures) are left out and the report says so.",
    )
    demo.add_argument("--dataset", default=None, metavar="FILE.csv",
                      help="your CSV of latencies (format: docs/data.md; default: the bundled data)")
    demo.add_argument("--space", default=None, choices=spaces.available(),
                      help="the space of --dataset's architectures")
    demo.add_argument("--out", type=Path, default=Path("oneproxy-demo"), metavar="DIR",
                      help="output folder (default: ./oneproxy-demo)")
    demo.add_argument("--quick", action="store_true", help="one seed and three sample sizes (seconds)")
    _no_progress_argument(demo)
    demo.set_defaults(run=_demo)


def _reuse_command(commands: _Commands) -> None:
    reuse = commands.add_parser(
        "reuse",
        help="what reusing a proxy's Pareto set on a target costs",
        description="Find the Pareto set (accuracy vs latency) with the proxy's measured latency, "
        "evaluate it on the target, and compare it with the target's own front: hypervolume "
        "ratio, IGD+, accuracy regret under latency budgets, overlap. Optionally plot both.",
    )
    _dataset_arguments(reuse)
    reuse.add_argument("--proxy", required=True, help="proxy device (a latency column)")
    reuse.add_argument("--target", required=True, help="target device (a latency column)")
    reuse.add_argument("--predictor", type=Path, default=None, metavar="FILE.npz",
                       help="use this predictor's latency (e.g. from 'oneproxy adapt') as the proxy's")
    reuse.add_argument("--out", type=Path, default=None, metavar="FILE.png", help="plot the two sets")
    reuse.set_defaults(run=_reuse)


def _adapt_command(commands: _Commands) -> None:
    adapt = commands.add_parser(
        "adapt",
        help="adapt a proxy's latency predictor to a target from a few target samples (AdaProxy)",
        description="Fit the proxy's LinearLatency on all its rows, draw --samples of the target's "
        "measured rows, adapt (AdaProxy with a guard, lambda by 5-fold CV on SRCC), report SRCC "
        "before and after on the target's other rows, and save the adapted predictor (.npz).",
    )
    _dataset_arguments(adapt)
    adapt.add_argument("--proxy", default=None, help="proxy device (with --db: a device or 'auto', the default)")
    adapt.add_argument("--target", default=None, help="target device of the dataset (not with --db)")
    adapt.add_argument("--db", type=Path, default=None, metavar="FILE.sqlite",
                       help="use this machine's measurements ('oneproxy measure') as the target; "
                       "--dataset nb201 or ofa-mbv3 says which space's")
    adapt.add_argument("--device", default=None, metavar="TEXT",
                       help="with --db: the device whose fingerprint contains TEXT (needed when the "
                       "db holds several)")
    adapt.add_argument("--samples", type=int, default=70, help="target measurements to use (default: 70)")
    _seed_argument(adapt, "the draw")
    adapt.add_argument("--out", type=Path, default=None, metavar="FILE.npz", help="save the predictor")
    adapt.set_defaults(run=_adapt)


def _measure_command(commands: _Commands) -> None:
    meas = commands.add_parser(
        "measure",
        help="measure networks' latency on this machine (ONNX Runtime or OpenVINO)",
        description="Build NAS-Bench-201 or once-for-all MobileNetV3 networks as ONNX graphs (random "
        "weights), time them with a runtime backend (warm-up, repeats interleaved across networks, "
        "median and IQR) and store each in SQLite, keyed by space and device (CPU, runtime and "
        "version, threads, batch): rerunning resumes and measures nothing twice. A network that fails "
        "is recorded with its error and reported at the end. Needs: pip install 'oneproxy[measure]' "
        "(and 'oneproxy[openvino]' for --backend openvino).",
    )
    _measure_arguments(meas, space="nb201", resolutions="once-for-all's 128-224", repeats=30, warmup=10)
    meas.add_argument("--n", type=int, default=30, help="architectures to sample (default 30)")
    meas.add_argument("--archs", type=Path, default=None, metavar="FILE.csv",
                      help="measure exactly the architectures of this CSV (a column 'index' or "
                      "'architecture', e.g. a front written by search or scan) instead of sampling")
    _seed_argument(meas, "the sample")
    meas.add_argument("--csv", type=Path, default=None, metavar="FILE.csv", help="also export CSV")
    meas.set_defaults(run=_measure)


def _device_command(commands: _Commands) -> None:
    dev = commands.add_parser(
        "device",
        help="a new device end to end: measure subnets here, adapt, search, measure the front",
        description="Measure --samples once-for-all MobileNetV3 subnets (160-224 px) on this "
        "machine (and --holdout more), score every bundled proxy on them and adapt the best "
        "(single or multi-proxy), run NSGA-II with once-for-all's accuracy predictor and the "
        "adapted latency, measure up to --front-size subnets of the found front, and do the same "
        "with the proxy alone and, with --oracle N, with a predictor fitted on N measured "
        "subnets. Writes report.md with its figures. Measurements are stored in --db: a rerun "
        "resumes and measures nothing twice.",
    )
    _measure_arguments(dev, space="ofa-mbv3", resolutions="the Note10 table's 160-224", repeats=10, warmup=3,
                       offered=("ofa-mbv3",), space_help="search space (the loop runs on ofa-mbv3 only)", batch=False)
    dev.add_argument("--samples", type=int, default=30, help="subnets to adapt from (default 30)")
    dev.add_argument("--holdout", type=int, default=50, help="further subnets to check on (default 50)")
    dev.add_argument("--oracle", type=int, default=0, metavar="N",
                     help="also fit a predictor on N measured subnets and search with it (e.g. 300; minutes)")
    dev.add_argument("--front-size", type=int, default=20, help="subnets measured per front (default 20)")
    _evolution_arguments(dev, "NSGA-II population (default 100)", "NSGA-II generations (default 50)")
    _seed_argument(dev, "the samples and the search")
    dev.add_argument("--out", type=Path, default=Path("device-report"), metavar="DIR",
                     help="report folder (default ./device-report)")
    _no_progress_argument(dev)
    dev.set_defaults(run=_device)


def _scan_command(commands: _Commands) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan an index range (or a sample) of a space for its Pareto front",
        description="Evaluate every architecture of an index range of a space (or --sample N "
        "random ones) under several objectives and write the Pareto front as CSV. Objectives: "
        "device names of --dataset (its LinearLatency, ms, minimised), 'accuracy' and 'note10' "
        "(once-for-all's accuracy predictor, maximised, and Note10 table, minimised; "
        "ofa-mbv3 restricted to 160-224 px), or saved predictors (FILE.npz). Additive objectives "
        "run in C++ at hundreds of millions of candidates per second.",
    )
    _objective_arguments(scan)
    scan.add_argument("--start", default="0", help="first index (default 0)")
    scan.add_argument("--stop", default=None, help="index past the last (default: the space's size; 1e9 works)")
    scan.add_argument("--sample", default=None, help="scan this many random architectures instead")
    _seed_argument(scan, "--sample")
    scan.add_argument("--threads", type=int, default=None,
                      help="C++ threads (default: $ONEPROXY_NUM_THREADS, else all cores)")
    scan.add_argument("--checkpoint", type=Path, default=None, metavar="FILE",
                      help="save progress there every few seconds; rerun the same command to resume")
    scan.add_argument("--dask", default=None, metavar="local|tcp://HOST:8786",
                      help="run the scan as Dask tasks on a local cluster or a scheduler")
    scan.add_argument("--out", type=Path, default=None, metavar="FILE.csv", help="write the front as CSV")
    scan.set_defaults(run=_scan)


def _search_command(commands: _Commands) -> None:
    search = commands.add_parser(
        "search",
        help="NSGA-II search over a space for non-additive objectives",
        description="Evolve a population with NSGA-II (the compiled non-dominated sort and "
        "crowding distance, the space's crossover and mutation, no architecture evaluated twice); "
        "write the final front as CSV and its plot as PNG. Objectives as for 'scan'.",
    )
    _objective_arguments(search)
    _evolution_arguments(search, "population size (default 100)", "generations (default 50)")
    _seed_argument(search, "the search")
    search.add_argument("--crossover-rate", type=float, default=0.3, metavar="P",
                        help="probability that a child is a crossover of two parents (default 0.3)")
    search.add_argument("--mutation-rate", type=float, default=None, metavar="P",
                        help="probability that each decision of a child changes (default 0.5 / decisions)")
    search.add_argument("--budget", default=None, metavar="K<=VALUE",
                        help="a constraint on objective K (0-based), e.g. '1<=25' for a 25 ms budget")
    search.add_argument("--checkpoint", type=Path, default=None, metavar="FILE",
                        help="save after every generation; rerun the same command to resume")
    search.add_argument("--out", type=Path, default=None, metavar="FILE.csv",
                        help="write the front as CSV and its plot beside it (FILE.png)")
    search.set_defaults(run=_search)


def _front_command(commands: _Commands) -> None:
    front = commands.add_parser(
        "front",
        help="the exact Pareto front of a whole space under additive objectives",
        description="Dynamic programming over the index digits finds the exact front of the "
        "whole space (e.g. all 9**22 FBNet architectures) in seconds, one architecture per point.",
    )
    _objective_arguments(front)
    front.add_argument("--exact", action="store_true", required=True,
                       help="the exact front by dynamic programming (the only method, and required)")
    front.add_argument("--out", type=Path, default=None, metavar="FILE.csv", help="write the front as CSV")
    front.set_defaults(run=_front)


def _export_command(commands: _Commands) -> None:
    export = commands.add_parser(
        "export",
        help="write found architectures as once-for-all net configs, ONNX networks or CSV",
        description="Read a CSV of architectures (a front written by scan, search, front or "
        "device, or a list for measure --archs: a column 'index' or 'architecture') and write "
        "them into --out: 'csv' gives architectures.csv (index in the space, for NAS-Bench-201 "
        "the official one, and the architecture string); 'ofa-json' gives subnets.json, "
        "once-for-all's net config {r, d, ks, e} per architecture for set_active_subnet; "
        "'onnx' gives one ONNX network per architecture (random weights; needs "
        "pip install 'oneproxy[measure]'). An architecture not in the space is an error naming its line.",
    )
    export.add_argument("archs", type=Path, metavar="FRONT.csv", help="the architectures")
    export.add_argument("--space", required=True, choices=spaces.available(),
                        help="their search space")
    _resolutions_argument(export, "for a CSV of indices only (default 128-224)")
    export.add_argument("--format", required=True, choices=("csv", "ofa-json", "onnx"), help="what to write")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    export.add_argument("--batch", type=int, default=1, help="onnx: batch size of the input (default 1)")
    _seed_argument(export, "the random weights", "onnx: ")
    export.set_defaults(run=_export)


# ---------------------------------------------------------------------------- arguments several commands share

def _dataset_arguments(command: argparse.ArgumentParser,
                       space_help: str = "the space of a --dataset CSV's architectures") -> None:
    """--dataset (a bundled name or a CSV, default nb201) and --space of srcc, reuse and adapt."""
    command.add_argument("--dataset", default="nb201", metavar="NAME|FILE.csv",
                         help=f"bundled dataset ({', '.join(datasets.available())}) or your CSV of "
                         f"latencies, with --space (format: docs/data.md; default: nb201)")
    command.add_argument("--space", default=None, choices=spaces.available(), help=space_help)


def _measure_arguments(command: argparse.ArgumentParser, *, space: str, resolutions: str, repeats: int,
                       warmup: int, offered: tuple[str, ...] = ("nb201", "ofa-mbv3"), space_help: str | None = None,
                       batch: bool = True) -> None:
    """How measure and device time networks, with their own defaults (device: ofa-mbv3 at batch 1 only)."""
    from oneproxy.measure import BACKENDS

    command.add_argument("--space", default=space, choices=offered, help=space_help or f"search space (default {space})")
    _resolutions_argument(command, f"in px: a range in steps of 4 (160-224) or a list (default: {resolutions})")
    command.add_argument("--db", type=Path, required=True, metavar="FILE.sqlite", help="SQLite file")
    command.add_argument("--backend", default="onnxruntime", choices=tuple(BACKENDS),
                         help="runtime that runs the networks (default onnxruntime)")
    command.add_argument("--threads", type=int, default=1, help="the runtime's threads (default 1)")
    command.add_argument("--repeats", type=int, default=repeats, help=f"timed runs per network (default {repeats})")
    command.add_argument("--warmup", type=int, default=warmup, help=f"untimed runs first (default {warmup})")
    if batch:
        command.add_argument("--batch", type=int, default=1, help="batch size (default 1)")


def _resolutions_argument(command: argparse.ArgumentParser, details: str) -> None:
    command.add_argument("--resolutions", default=None, metavar="LO-HI|R,R,...",
                         help=f"ofa-mbv3 input resolutions {details}")


def _objective_arguments(command: argparse.ArgumentParser) -> None:
    """The space and the objectives of scan, search and front (`oneproxy.objectives.named_objectives`)."""
    command.add_argument("--space", required=True, choices=spaces.available(), help="search space")
    command.add_argument("--dataset", default=None, metavar="NAME|FILE.csv",
                         help="dataset whose devices name objectives: bundled, or your CSV of "
                         "latencies over --space (default: the space's own)")
    command.add_argument("--objectives", required=True, metavar="A,B,...",
                         help="comma-separated: device names, 'accuracy', 'note10' or FILE.npz")
    command.add_argument("--sense", default=None, metavar="min,max,...",
                         help="per objective (default: max for accuracy, min otherwise)")
    command.add_argument("--senses", dest="sense", action=_Deprecated, use="--sense", help=argparse.SUPPRESS)


class _Deprecated(argparse.Action):
    """An old spelling of an option (hidden from --help): stores into the new one's `dest`, and
    says in one line on stderr that it is deprecated."""

    def __init__(self, option_strings: list[str], dest: str, use: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.use = use

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"oneproxy: warning: {option_string} is deprecated; use {self.use}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _evolution_arguments(command: argparse.ArgumentParser, population: str, generations: str) -> None:
    command.add_argument("--population", type=int, default=100, help=population)
    command.add_argument("--generations", type=int, default=50, help=generations)


def _seed_argument(command: argparse.ArgumentParser, of: str, prefix: str = "") -> None:
    command.add_argument("--seed", type=int, default=0, help=f"{prefix}seed of {of} (default 0)")


def _no_progress_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


# ---------------------------------------------------------------------------- values from the command line

def _dataset(args: argparse.Namespace) -> datasets.Dataset:
    """--dataset (a bundled name or a CSV file) over --space, as `oneproxy.datasets.get`."""
    return datasets.get(args.dataset, args.space, name="--dataset", space_name="--space")


def _comma_list(text: str | None) -> list[str] | None:
    """A comma-separated option as its stripped, non-empty items; None when not given."""
    return None if text is None else [item.strip() for item in text.split(",") if item.strip()]


def _measure_space(args: argparse.Namespace) -> Space:
    """The space of --space and --resolutions."""
    if args.resolutions is None:
        return spaces.get(args.space)
    if args.space != "ofa-mbv3":
        raise ValueError(f"--resolutions is for ofa-mbv3, not {args.space}")
    return spaces.OFAMobileNetV3(_resolutions(args.resolutions))


def _resolutions(text: str) -> list[int]:
    """once-for-all resolutions (px) from '160-224' (steps of 4) or '128,160,192'."""
    try:
        if "-" in text:
            lo, hi = (int(v) for v in text.replace(" ", "").split("-"))
            values = list(range(lo, hi + 1, 4))
        else:
            values = [int(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        raise ValueError(f"--resolutions must look like 160-224 or 128,160,192, got {text!r}") from None
    unknown = [r for r in values if r not in spaces.OFAMobileNetV3().resolutions]
    if not values or unknown:
        raise ValueError(f"--resolutions must be once-for-all's (128, 132, ..., 224 px), got "
                         f"{unknown or values} in {text!r}")
    return values


def _count(text: str | None, name: str) -> int | None:
    """An index or count from the command line: an integer, or scientific notation like 1e9."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)  # exact, also beyond 2**53
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise ValueError(f"{name} must be a whole number (e.g. 1000000 or 1e6), got {text!r}")
    return int(value)


def _budget(text: str | None) -> dict[int, tuple[str, float]] | None:
    """--budget 'K<=VALUE' or 'K>=VALUE' as evolve's constraints."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*", text)
    if match is None or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", match.group(3)) \
            or not math.isfinite(float(match.group(3))):  # 1e999 overflows to inf
        raise ValueError(f"--budget must be an objective's position, <= or >=, and a finite number, "
                         f"like '1<=25' or '0>=0.8'; got {text!r}")
    return {int(match.group(1)): (match.group(2), float(match.group(3)))}


def _objectives(args: argparse.Namespace) -> NamedObjectives:
    """--space, --dataset, --objectives and --sense as `oneproxy.objectives.named_objectives`."""
    dataset = None if args.dataset is None else _dataset(args)
    return objectives.named_objectives(args.space, _comma_list(args.objectives) or [], dataset,
                                       _comma_list(args.sense))


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output that cannot be written before the work starts, not after it."""
    for option in ("out", "csv", "checkpoint", "json"):
        path = getattr(args, option, None)
        if not isinstance(path, Path):
            continue
        folder = path if path.is_dir() else path.parent
        if not folder.is_dir():
            raise ValueError(f"--{option} {str(path)!r}: folder {str(folder)!r} does not exist")
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise ValueError(f"--{option} {str(path)!r} cannot be written (no permission)")


# ---------------------------------------------------------------------------- the commands

def _srcc(args: argparse.Namespace) -> None:
    devices = _comma_list(args.devices) if args.devices else None
    if args.db is not None:
        from oneproxy import device

        if devices is not None:
            raise ValueError("--devices is for bundled datasets, not --db")
        space = device.measured_space(args.db, args.space, name="--space")
        names, L, indices = device.measured_latencies(args.db, space)
        mono = workflow.monotonicity(L, names, args.method)
        title, n = f"{space} architectures measured in {args.db}", len(indices)
    else:
        data = _dataset(args)
        if devices is not None and len(devices) < 2:
            raise ValueError(f"--devices needs at least two devices, got {devices}")
        mono, title, n = workflow.monotonicity(data, devices, args.method), data.name, data.n_archs
    _print_matrix(mono, f"{mono.statistic} of latency between {len(mono.devices)} devices over {n} architectures "
                        f"of {title}")
    if args.csv is not None:
        print(f"wrote {mono.to_csv(args.csv)}")
    if args.out is not None:
        from oneproxy.plots import correlation_heatmap

        written = correlation_heatmap(mono.matrix, mono.devices, args.out,
                                      title=f"{mono.statistic} of latency, {title} ({n} architectures)")
        print(f"wrote {written}")


def _print_matrix(mono: Monotonicity, heading: str) -> None:
    """A correlation matrix with numbered columns, and its summary."""
    print(heading)
    width = max(len(d) for d in mono.devices)
    print(" " * (width + 4) + " ".join(f"{j:>5d}" for j in range(len(mono.devices))))
    for i, d in enumerate(mono.devices):
        print(f"{i:>2d} {d:<{width}} " + " ".join(f"{v:5.2f}" for v in mono.matrix[i]))
    summary = mono.summary(0.9)
    if summary["pairs"]:
        a, b = summary["lowest"]
        print(f"\npairs: {summary['pairs']}  median: {summary['median']:.3f}  min: {summary['min']:.3f} "
              f"({a} vs {b})  pairs >= 0.9: {summary['at_least']:.1%}")


def _bench(args: argparse.Namespace) -> None:
    import json

    from oneproxy import bench

    rows = bench.run(args.n, quick=args.quick,
                     progress=lambda name: print(f"timing {name} ...", file=sys.stderr, flush=True))
    print(bench.format_table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps([row.to_dict() for row in rows], indent=2) + "\n")
        print(f"wrote {args.json}")
    if not all(row.agree for row in rows):
        raise ValueError("some implementations disagree (see the 'agree' column)")


def _demo(args: argparse.Namespace) -> None:
    from oneproxy import demo

    data = None if args.dataset is None else _dataset(args)
    report = demo.run(args.out, quick=args.quick, progress=not args.no_progress, dataset=data)
    print(f"wrote {report} and its figures in {report.parent}")


def _reuse(args: argparse.Namespace) -> None:
    from oneproxy import predictors

    ds = _dataset(args)
    predictor = None if args.predictor is None else predictors.load(args.predictor)
    pair = workflow.reuse_pair(ds, args.proxy, args.target, predictor=predictor)
    r = pair.reuse
    source = f"predictor {args.predictor}" if args.predictor else f"proxy {args.proxy}"
    print(f"{ds.name}: {source} -> target {args.target} over {len(pair.rows)} architectures "
          f"(SRCC {pair.srcc:.3f})")
    print(f"Pareto set sizes: proxy {len(r.proxy_set)}, target {len(r.target_set)}; "
          f"Jaccard overlap {r.jaccard:.3f}")
    print(f"hypervolume ratio on the target: {r.hv_ratio:.4f}   IGD+ (scaled): {r.igd_plus:.4f}")
    print(f"accuracy regret over {len(r.budgets)} latency budgets: mean {r.mean_regret:.3f}, "
          f"max {r.max_regret:.3f} ({ds.accuracy_name}); budgets the proxy's set cannot meet: {r.infeasible:.1%}")
    if args.out is not None:
        from oneproxy.plots import reuse_fronts

        reuse_fronts([(f"{source} -> {args.target}", pair.accuracy, pair.target_latency, r.target_set, r.proxy_set)],
                     args.out, accuracy_label=str(ds.accuracy_name))
        print(f"wrote {args.out}")


def _adapt(args: argparse.Namespace) -> None:
    if args.db is not None:
        _adapt_measured(args)
        return
    if args.proxy is None or args.target is None:
        raise ValueError("adapt needs --proxy and --target (or --db with this machine's measurements)")
    ds = _dataset(args)
    _arguments.integer(args.samples, "--samples", 1)
    _arguments.seed(args.seed, "--seed")
    a = workflow.adapt_pair(ds, args.proxy, args.target, args.samples, args.seed)
    print(f"{ds.name}: proxy {args.proxy} -> target {args.target}, {args.samples} target samples")
    for method, (cv, lam) in a.model.candidates.items():
        print(f"  candidate {method:<12} CV SRCC {cv:.3f}   lambda {lam:.3g}")
    print(f"kept: {a.model.method}")
    print(f"SRCC on the other {len(a.test)} measured architectures: before {a.before:.3f} "
          f"(proxy measured vs target), after {a.after:.3f} (adapted predictor vs target)")
    if args.out is not None:
        a.model.save(args.out)
        print(f"wrote {args.out}")


def _adapt_measured(args: argparse.Namespace) -> None:
    from oneproxy import device

    ds = _dataset(args)
    space = device.stored_space(ds)
    fingerprint = device.stored_device(args.db, space, args.device, name="--device")  # the store first: cheap
    chosen = device.adapt_stored(args.db, fingerprint, ds, proxy=args.proxy, seed=args.seed)
    print(f"proxy chosen: {chosen.proxy} (SRCC {chosen.scores[chosen.proxy]:.3f} with the {chosen.measurements} "
          f"measured architectures)")
    print(f"{chosen.measurements} measurements; single proxy ({chosen.single.method}) CV SRCC "
          f"{chosen.single.cv_srcc:.3f}, all {len(chosen.scores)} proxies ({chosen.multi.method}) CV SRCC "
          f"{chosen.multi.cv_srcc:.3f}; kept the {chosen.kind}-proxy model")
    if args.out is not None:
        chosen.model.save(args.out)
        print(f"wrote {args.out} (use it with oneproxy reuse --predictor or scan --objectives)")


def _device(args: argparse.Namespace) -> None:
    from oneproxy import device

    resolutions = device.RESOLUTIONS if args.resolutions is None else _resolutions(args.resolutions)
    result = device.run(args.db, args.out, samples=args.samples, holdout=args.holdout, oracle=args.oracle,
                        backend=args.backend, threads=args.threads, repeats=args.repeats, warmup=args.warmup,
                        front_size=args.front_size, population=args.population,
                        generations=args.generations, seed=args.seed, resolutions=resolutions,
                        progress=not args.no_progress)
    a = result.adapted
    print(f"{result.device}: {result.measured} subnets measured or reused from {args.db}")
    print(f"best proxy {a.proxy} (SRCC {a.scores[a.proxy]:.3f} on {len(result.samples)} samples); kept the "
          f"{a.kind}-proxy model ({a.model.method}, CV SRCC {a.model.cv_srcc:.3f})")
    print(f"held-out subnets: {len(result.heldout)}, SRCC {result.heldout_srcc:.3f}, MAPE {result.heldout_mape:.1%}")
    for name, ratio in result.hv_ratio.items():
        print(f"front found with {name}: measured hypervolume {result.hypervolume[name]:.4g} (ratio {ratio:.4f})")
    print(f"wrote {args.out / 'report.md'}")
    for i, error in result.failed.items():
        print(f"failed: {result.space.to_string(i)}: {error}", file=sys.stderr)


def _measure(args: argparse.Namespace) -> None:
    from oneproxy import measure

    space = _measure_space(args)

    def report(done: int, total: int) -> None:
        print(f"measured {done}/{total}", file=sys.stderr, flush=True)

    n = None if args.archs is not None else _arguments.integer(args.n, "--n", 1)  # --archs replaces --n
    done = measure.run(args.db, space=space, n=n, archs=args.archs, seed=args.seed, backend=args.backend,
                       threads=args.threads, repeats=args.repeats, warmup=args.warmup, batch=args.batch,
                       progress=report)
    print(f"{done.device.fingerprint}: {len(done.results)} {space.name} architectures stored in {args.db}")
    for index, (median, iqr, _) in sorted(done.results.items())[:10]:
        print(f"  {index:>5d}  {median:8.3f} ms  (IQR {iqr:.3f})  {space.to_string(index)}")
    if args.csv is not None:
        rows = measure.export_csv(args.db, args.csv, done.device, space=space)
        print(f"wrote {rows} rows to {args.csv}")
    if done.failed:
        print(f"{len(done.failed)} architectures failed:", file=sys.stderr)
        for i, error in done.failed.items():
            print(f"  {space.to_string(i)}: {error}", file=sys.stderr)
        raise ValueError(f"{len(done.failed)} of {len(done.requested)} architectures could not be measured")


def _scan(args: argparse.Namespace) -> None:
    from oneproxy.scan import scan

    named = _objectives(args)
    result = scan(named.space, named.objectives, sense=named.sense, start=_count(args.start, "--start") or 0,
                  stop=_count(args.stop, "--stop"), sample=_count(args.sample, "--sample"), seed=args.seed,
                  threads=args.threads, progress=True, checkpoint=args.checkpoint, client=args.dask)
    print(f"front: {len(result.front)} architectures out of {result.n_evaluated:,} evaluated "
          f"in {result.seconds:.1f} s")
    _write_front(named.space, result.front, list(result.indices), named.names, args.out)


def _search(args: argparse.Namespace) -> None:
    from oneproxy.search import evolve

    named = _objectives(args)
    result = evolve(named.space, named.objectives, sense=named.sense, population=args.population,
                    generations=args.generations, seed=args.seed, constraints=_budget(args.budget),
                    checkpoint=args.checkpoint, crossover_rate=args.crossover_rate,
                    mutation_rate=args.mutation_rate)
    print(f"front: {len(result.front)} architectures; {len(result.evaluated_values)} evaluated in "
          f"{result.seconds:.1f} s; hypervolume {result.hypervolume[0]:.4g} -> {result.hypervolume[-1]:.4g}")
    _write_front(named.space, result.front, list(result.indices), named.names, args.out)
    if args.out is not None and len(named.names) == 2:
        from oneproxy.plots import search_front

        png = search_front(result.evaluated_values, result.front, list(named.names), args.out.with_suffix(".png"))
        print(f"wrote {png}")


def _front(args: argparse.Namespace) -> None:
    from oneproxy.scan import exact_front

    named = _objectives(args)
    result = exact_front(named.space, named.objectives, sense=named.sense)
    print(f"front: {len(result.front)} architectures ({result.n_evaluated:,} partial sums formed) "
          f"in {result.seconds:.1f} s")
    _write_front(named.space, result.front, list(result.indices), named.names, args.out)


def _write_front(space: Space, front: np.ndarray, indices: Sequence[int], names: Sequence[str],
                 out: Path | None) -> None:
    """Print the first rows of a front and write it all as CSV: index, objectives, architecture."""
    rows = [",".join(["index", *names, "architecture"])]
    rows += [",".join([str(int(i)), *(f"{v:.6g}" for v in front[k]), space.to_string(int(i))])
             for k, i in enumerate(indices[:10])]
    print("\n".join(rows) + (f"\n... ({len(indices) - 10} more)" if len(indices) > 10 else ""))
    if out is not None:
        from oneproxy.fronts import write_csv

        write_csv(out, space, indices, front, list(names))
        print(f"wrote {out}")


def _export(args: argparse.Namespace) -> None:
    from oneproxy import export

    written = export.export(args.archs, _measure_space(args), args.format, args.out, batch=args.batch,
                            seed=args.seed)
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written[:5])
          + (", ..." if len(written) > 5 else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _check_outputs(args)
        args.run(args)
    except (ValueError, TypeError, OSError, ImportError, BackendUnavailable) as error:
        print(f"oneproxy: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
