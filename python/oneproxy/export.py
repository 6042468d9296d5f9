"""Architectures out, in the forms other tools read: once-for-all net configs, ONNX files, CSV.

The input is a list of architectures: a CSV as ``scan``, ``search``, ``front`` and ``device``
write it (or as ``measure --archs`` reads it; see `oneproxy.fronts`), or indices in the space.

==============  =========================================================================
format          writes into the output folder
==============  =========================================================================
``csv``         ``architectures.csv``: ``index`` in the space (for NAS-Bench-201 its official
                index) and ``architecture`` in the space's notation (NAS-Bench-201's arch string)
``ofa-json``    ``subnets.json``: once-for-all's net config ``{"r", "d", "ks", "e"}`` per
                architecture, in input order (``OFAMobileNetV3.spec``); set it on the supernet
                with ``net.set_active_subnet(ks=c["ks"], e=c["e"], d=c["d"])`` and feed
                ``r`` x ``r`` images. ``architectures.csv`` beside it.
``onnx``        ``arch-000.onnx``, ... one network per architecture, built by
                `oneproxy.networks` (random weights; NAS-Bench-201 and once-for-all), and
                ``architectures.csv`` with the file of each
==============  =========================================================================

Examples
--------
>>> import json, tempfile
>>> from oneproxy import export, spaces
>>> space = spaces.OFAMobileNetV3()
>>> best = space.encode(space.from_spec(224, [4] * 5, [7] * 20, [6] * 20))
>>> out = tempfile.mkdtemp()
>>> [p.name for p in export.export([best], space, "ofa-json", out)]
['subnets.json', 'architectures.csv']
>>> config = json.load(open(f"{out}/subnets.json"))[0]
>>> config["r"], config["d"], config["ks"][:3]
(224, [4, 4, 4, 4, 4], [7, 7, 7])
"""
from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

from oneproxy import fronts
from oneproxy.spaces import OFAMobileNetV3, Space
from oneproxy.spaces import get as get_space

__all__ = ["FORMATS", "export"]

FORMATS = ("csv", "ofa-json", "onnx")


def export(archs: str | os.PathLike[str] | Sequence[int], space: Space | str, format: str,
           out: str | os.PathLike[str], *, batch: int = 1, seed: int = 0) -> list[Path]:
    """Write architectures in `format` into the folder `out` (created if needed).

    Parameters
    ----------
    archs : path-like or sequence of int
        A CSV of architectures (a column ``index`` or ``architecture``; see `oneproxy.fronts`)
        or their indices in `space`.
    space : Space or {"nb201", "fbnet", "ofa-mbv3"}
        The space of the architectures (``"ofa-mbv3"``: 128-224 px).
    format : {"csv", "ofa-json", "onnx"}
        See the module docstring. ``ofa-json`` needs an OFAMobileNetV3 space; ``onnx`` a space
        with a network builder (not FBNet).
    out : path-like
        Output folder; files of the same names are overwritten.
    batch, seed : int
        ``onnx``: the input's batch size and the seed of the random weights.

    Returns
    -------
    list of pathlib.Path
        The files written, the format's own first and ``architectures.csv`` last.

    Raises
    ------
    ValueError
        For an unknown format, a format the space does not have, and an architecture that is
        not in the space (a CSV's line is named, an index's position in `archs`).
    """
    sp = get_space(space)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if format == "ofa-json" and not isinstance(sp, OFAMobileNetV3):
        raise ValueError(f"format 'ofa-json' is once-for-all's net config: space must be ofa-mbv3, got {sp!r}")
    if format == "onnx":
        from oneproxy import networks

        build = networks.builder(sp)  # ValueError for a space without networks, before any work
    indices = _indices(archs, sp)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    files: list[str] = []
    if format == "ofa-json":
        assert isinstance(sp, OFAMobileNetV3)
        path = folder / "subnets.json"
        configs = [json.dumps(sp.spec(i)) for i in indices]  # one architecture a line
        path.write_text("[\n" + ",\n".join(configs) + "\n]\n")
        written.append(path)
    elif format == "onnx":
        for k, i in enumerate(indices):
            path = folder / f"arch-{k:03d}.onnx"
            path.write_bytes(build(sp.decode(i), batch=batch, seed=seed).SerializeToString())
            written.append(path)
            files.append(path.name)
    table = folder / "architectures.csv"
    with open(table, "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["index", "architecture", *(["file"] if files else [])])
        for k, i in enumerate(indices):
            rows.writerow([str(i), sp.to_string(i), *([files[k]] if files else [])])
    return [*written, table]


def _indices(archs: str | os.PathLike[str] | Sequence[int], space: Space) -> list[int]:
    """Checked indices of `archs` (a CSV path or a sequence of indices) in `space`."""
    if isinstance(archs, (str, os.PathLike)):
        return fronts.read_csv(archs, space)
    out = []
    for k, cell in enumerate(archs):
        try:
            out.append(fronts.parse_architecture(space, cell, by_index=True))
        except ValueError as err:
            raise ValueError(f"archs[{k}]: not an architecture of {space!r}: {err}") from None
    if not out:
        raise ValueError("archs lists no architectures")
    return out
