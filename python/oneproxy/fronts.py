"""CSV files of architectures: the fronts that ``scan``, ``search``, ``front`` and ``device`` write,
and the lists that ``measure --archs`` reads.

A file has a header row. Each architecture is given by its index in the space (column ``index``
or ``arch_index``, exact integers of any size) or by the space's string notation (column
``architecture``, ``arch`` or ``string``; used when both are given, since an index depends on the
space's parameters such as once-for-all's resolutions); other columns (objective values) are kept as text.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from oneproxy.spaces import Space

__all__ = ["write_csv", "read_csv"]

_INDEX = ("index", "arch_index")
_STRING = ("architecture", "arch", "string")


def write_csv(path: str | os.PathLike[str], space: Space, indices: Sequence[int], values: ArrayLike,
              names: Sequence[str]) -> None:
    """Write ``index,<names...>,architecture``: one row per index, `values` (n, len(names))."""
    V = np.asarray(values, dtype=np.float64).reshape(len(indices), len(names))
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["index", *names, "architecture"])
        for k, i in enumerate(indices):
            out.writerow([str(int(i)), *(f"{v:.6g}" for v in V[k]), space.to_string(int(i))])


def read_csv(path: str | os.PathLike[str], space: Space) -> list[int]:
    """The indices in `space` of the architectures listed in the CSV at `path`, in file order.

    Raises ValueError naming the file and row for a row that is not an architecture of the
    space, and for a file without an index or string column."""
    p = Path(path)
    try:
        with open(p, newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"architectures file {str(p)!r} cannot be read: {err}") from None
    if not rows:
        raise ValueError(f"architectures file {str(p)!r} is empty (a header row is needed)")
    header = [h.strip().lower() for h in rows[0]]
    # The string names the architecture itself; an index depends on the space's parameters (an
    # ofa-mbv3 front written at 160-224 px has other indices at 128-224 px), so it comes first.
    column = next((header.index(c) for c in _STRING + _INDEX if c in header), None)
    if column is None:
        raise ValueError(f"architectures file {str(p)!r} has no index column ({', '.join(_INDEX)}) "
                         f"nor string column ({', '.join(_STRING)}); its header is {rows[0]}")
    by_index = header[column] in _INDEX
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        text = row[column].strip() if column < len(row) else ""
        try:
            if by_index:
                if not text.isdigit():
                    raise ValueError(f"an index must be a whole number >= 0, got {text!r}")
                index = int(text)
                space.decode(index)  # out of range: a clear error
            else:
                index = int(space.encode(space.from_string(text)))
        except ValueError as err:
            raise ValueError(f"{str(p)!r} line {line}: not an architecture of {space!r}: {err}") from None
        out.append(index)
    if not out:
        raise ValueError(f"architectures file {str(p)!r} lists no architectures")
    return out
