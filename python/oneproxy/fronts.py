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

__all__ = ["write_csv", "read_csv", "architecture_column", "parse_architecture"]

INDEX_COLUMNS = ("index", "arch_index")  # headers of a column of indices
STRING_COLUMNS = ("architecture", "arch", "string")  # headers of a column in the space's notation


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
    column, by_index = architecture_column(rows[0], f"architectures file {str(p)!r}")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        text = row[column] if column < len(row) else ""
        try:
            index = parse_architecture(space, text, by_index)
        except ValueError as err:
            raise ValueError(f"{str(p)!r} line {line}: not an architecture of {space!r}: {err} "
                             f"(column {rows[0][column].strip()!r})") from None
        out.append(index)
    if not out:
        raise ValueError(f"architectures file {str(p)!r} lists no architectures")
    return out


def architecture_column(header: Sequence[str], what: str = "the table") -> tuple[int, bool]:
    """(position, by_index) of the column of `header` that names the architectures.

    The string notation wins over an index when both are given. Raises ValueError, starting
    with `what`, for a header without either."""
    names = [str(h).strip().lower() for h in header]
    # The string names the architecture itself; an index depends on the space's parameters (an
    # ofa-mbv3 front written at 160-224 px has other indices at 128-224 px), so it comes first.
    column = next((names.index(c) for c in STRING_COLUMNS + INDEX_COLUMNS if c in names), None)
    if column is None:
        raise ValueError(f"{what} has no index column ({', '.join(INDEX_COLUMNS)}) nor string column "
                         f"({', '.join(STRING_COLUMNS)}); its header is {list(header)}")
    return column, names[column] in INDEX_COLUMNS


def parse_architecture(space: Space, cell: object, by_index: bool) -> int:
    """The index in `space` of one cell of an architecture column: an exact whole number when
    `by_index` (an integer or its text), else the space's string notation; ValueError if it is
    not an architecture of `space`."""
    if by_index:
        text = str(cell).strip()
        if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
            text = str(int(cell))
        if not text.isdigit():
            raise ValueError(f"an index must be a whole number >= 0, got {text!r}")
        index = int(text)
        space.decode(index)  # out of range: a clear error
        return index
    if not isinstance(cell, str):
        raise ValueError(f"an architecture string is text, got {cell!r}")
    return int(space.encode(space.from_string(cell.strip())))
