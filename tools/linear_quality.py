"""Quality of LinearLatency per device: fit on 1,000 random architectures, score on the rest.

Prints the Markdown table of docs/predictors.md: for every device of the bundled ``nb201`` and
``fbnet`` tables, SRCC and R^2 of the one-hot linear model on the held-out rows, with the
column's number of distinct values and its resolution (smallest step between distinct values),
which explain most of the misses.

    python tools/linear_quality.py [--train 1000] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse

import numpy as np

from oneproxy import datasets, spearman
from oneproxy.predictors import LinearLatency


def scores(ds: datasets.Dataset, device: str, train: int, seed: int) -> tuple[float, float]:
    y = ds.latency_of(device)
    rows = np.flatnonzero(~np.isnan(y))
    order = np.random.default_rng(seed).permutation(rows)
    fit, test = order[:train], order[train:]
    model = LinearLatency.fit(ds.space, ds.choices[fit], y[fit], holdout=0)
    pred = model.predict(ds.choices[test])
    resid = y[test] - pred
    r2 = 1 - float(resid @ resid) / float(((y[test] - y[test].mean()) ** 2).sum())
    return float(spearman(pred, y[test])), r2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    print("| dataset | device | SRCC | R² | distinct values | step (ms) |")
    print("|---|---|---|---|---|---|")
    for name in ("nb201", "fbnet"):
        ds = datasets.load(name)
        for device in ds.devices:
            s = np.array([scores(ds, device, args.train, seed) for seed in args.seeds])
            y = ds.latency_of(device)
            values = np.unique(y[~np.isnan(y)])
            step = float(np.diff(values).min()) if len(values) > 1 else float("nan")
            print(f"| {name} | {device} | {s[:, 0].mean():.3f} | {s[:, 1].mean():.3f} | "
                  f"{len(values)} | {step:.3g} |")


if __name__ == "__main__":
    main()
