"""The ``oneproxy`` command. It parses arguments, calls the API and prints; nothing more."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import oneproxy
from oneproxy import datasets
from oneproxy.correlation import kendall_matrix, spearman_matrix


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oneproxy",
        description="Hardware-aware NAS with one proxy device: latency monotonicity between "
        "devices, measured on bundled real latency data.",
    )
    parser.add_argument("--version", action="version", version=f"oneproxy {oneproxy.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    srcc = commands.add_parser(
        "srcc",
        help="device x device rank correlation of latencies (latency monotonicity)",
        description="Print the device x device rank correlation of a bundled dataset's latencies, "
        "its summary (median, minimum, share of pairs >= 0.9), and optionally write a clustered "
        "heatmap and the matrix as CSV. Missing latencies are skipped pairwise.",
    )
    srcc.add_argument("--dataset", default="nb201", choices=datasets.available(),
                      help="bundled dataset (default: nb201)")
    srcc.add_argument("--method", default="spearman", choices=("spearman", "kendall"),
                      help="rank correlation (default: spearman)")
    srcc.add_argument("--devices", default=None, metavar="A,B,...",
                      help="comma-separated subset of the dataset's devices (default: all)")
    srcc.add_argument("--out", type=Path, default=None, metavar="FILE.png",
                      help="write a clustered heatmap (PNG, SVG or PDF by suffix)")
    srcc.add_argument("--csv", type=Path, default=None, metavar="FILE.csv",
                      help="write the matrix as CSV (device names as header and first column)")
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
    return parser


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


def _srcc(args: argparse.Namespace) -> None:
    data = datasets.load(args.dataset)
    if args.devices:
        devices = tuple(d.strip() for d in args.devices.split(",") if d.strip())
        if len(devices) < 2:
            raise ValueError(f"--devices needs at least two devices, got {list(devices)}")
        L = np.stack([data.latency_of(d) for d in devices])
    else:
        devices, L = data.devices, data.latency
    correlate = spearman_matrix if args.method == "spearman" else kendall_matrix
    R = correlate(L, nan_policy="omit")

    name = "SRCC" if args.method == "spearman" else "Kendall tau-b"
    print(f"{name} of latency between {len(devices)} devices over {L.shape[1]} architectures "
          f"of {data.name}")
    width = max(len(d) for d in devices)
    print(" " * (width + 4) + " ".join(f"{j:>5d}" for j in range(len(devices))))
    for i, d in enumerate(devices):
        print(f"{i:>2d} {d:<{width}} " + " ".join(f"{v:5.2f}" for v in R[i]))
    rows, cols = np.triu_indices(len(devices), k=1)
    upper = R[rows, cols]
    finite = np.isfinite(upper)
    if finite.any():
        worst = int(np.flatnonzero(finite)[np.argmin(upper[finite])])
        upper = upper[finite]
        print(f"\npairs: {upper.size}  median: {np.median(upper):.3f}  min: {upper.min():.3f} "
              f"({devices[rows[worst]]} vs {devices[cols[worst]]})  "
              f"pairs >= 0.9: {np.mean(upper >= 0.9):.1%}")

    if args.csv is not None:
        header = ",".join(["device", *devices])
        lines = [",".join([d, *(f"{v:.6f}" for v in R[k])]) for k, d in enumerate(devices)]
        args.csv.write_text("\n".join([header, *lines]) + "\n")
        print(f"wrote {args.csv}")
    if args.out is not None:
        from oneproxy.plots import correlation_heatmap

        correlation_heatmap(R, devices, args.out,
                            title=f"{name} of latency, {data.name} ({L.shape[1]} architectures)")
        print(f"wrote {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        {"srcc": _srcc, "bench": _bench}[args.command](args)
    except (ValueError, TypeError, OSError) as error:
        print(f"oneproxy: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
