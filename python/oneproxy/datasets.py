"""Real measured latency and accuracy data, shipped inside the package.

=================  =====================  ======================================================
name               architectures          devices (latency columns, ms per forward pass)
=================  =====================  ======================================================
``nb201``          15,625 NAS-Bench-201   21: GPUs at batch 1/32/256, Xeons, phones, Raspberry Pi,
                   cells (all of them)    Eyeriss and FPGA simulators (HELP, HW-NAS-Bench)
``nb201-oneproxy`` 1,999 NAS-Bench-201    18: the OneProxy paper's devices (nn-Meter,
                   cells                  HW-NAS-Bench, Eagle/BRP-NAS); ``rice_edgetpu`` has NaN
``fbnet``          5,000 FBNet            21, as ``nb201`` (GPUs at batch 1/32/64); no accuracy
``ofa-mbv3``       5,000 once-for-all     10: GPUs at batch 1/32/64 and ``note10_lut_ms``
                   MobileNetV3            (NaN for resolutions outside 160-224)
=================  =====================  ======================================================

Accuracy is CIFAR-10 test accuracy after 200 epochs (%, ``c10_test_200ep``) for the NAS-Bench-201
sets and once-for-all's predicted ImageNet top-1 (fraction, ``ofa_pred_top1``) for ``ofa-mbv3``.
Every value equals ``float(text)`` of its cell in the source CSV. Sources, commits and licenses:
``oneproxy/data/NOTICE.md``; the columns in more detail: ``docs/data.md``.

Your own latencies load the same way: :func:`from_csv` (a CSV of architectures x devices, format
in ``docs/data.md``), :func:`from_frame` (a pandas DataFrame or a mapping of columns) and
:func:`from_db` (``oneproxy measure``'s SQLite store) return a `Dataset` that every function of
``oneproxy.workflow`` takes; :meth:`Dataset.to_csv` writes one back. :func:`get` takes either a
bundled name or a CSV's path, as ``oneproxy --dataset`` does.

Examples
--------
>>> from oneproxy import datasets
>>> datasets.available()
('nb201', 'nb201-oneproxy', 'fbnet', 'ofa-mbv3')
>>> one = datasets.load("nb201-oneproxy")
>>> one.n_archs, one.n_devices, one.accuracy_name
(1999, 18, 'c10_test_200ep')
>>> int(np.isnan(one.latency_of("rice_edgetpu")).sum())
259
"""
from __future__ import annotations

import csv
import functools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from importlib.resources import files
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from oneproxy import fronts
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3, Space
from oneproxy.spaces import available as space_names
from oneproxy.spaces import get as get_space

__all__ = ["Dataset", "available", "load", "as_dataset", "get", "from_csv", "from_frame", "from_db"]

_NAMES = ("nb201", "nb201-oneproxy", "fbnet", "ofa-mbv3")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Latencies of one set of architectures measured on several devices.

    Attributes
    ----------
    name : str
        The name it was loaded by (user data: the file's stem, or the `name` given).
    devices : tuple of str
        Device (latency column) names, in the order of the rows of `latency`.
    arch_index : ndarray of int64, shape (n_archs,)
        Official NAS-Bench-201 index (``nb201``, ``nb201-oneproxy``; for ``nb201``,
        ``arch_index[k] == k``), or the source's architecture id (``fbnet``, ``ofa-mbv3``).
        User data: its ``id`` column if it has one, else the index in the space when every
        index of the space fits int64 (NAS-Bench-201's official index), else the row number.
    latency : ndarray of float64, shape (n_devices, n_archs)
        Milliseconds per forward pass; NaN where not measured.
    accuracy : ndarray of float64, shape (n_archs,), or None
        Accuracy where the source has one: CIFAR-10 test accuracy in % after 200 epochs
        (``accuracy_name == "c10_test_200ep"``) or predicted ImageNet top-1 as a fraction
        (``"ofa_pred_top1"``); None for ``fbnet``.
    accuracy_name : str or None
        The source column `accuracy` comes from, as above.
    columns : mapping of str to ndarray
        Further per-architecture columns, first axis n_archs:

        - ``nb201``: ``ops`` (uint8, (n, 6): op codes 0 none, 1 skip_connect, 2 nor_conv_1x1,
          3 nor_conv_3x3, 4 avg_pool_3x3 on the edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2),
          ``params_M`` (millions), ``naswot_score`` (NaN for the 341 cells whose output is cut
          off from the input), ``c10valid_val_200ep``, ``c10valid_test_200ep`` and the
          12-epoch accuracies ``c10_test_12ep``, ``c10valid_val_12ep``, ``c100_test_12ep``,
          ``c100_val_12ep``, ``in16_test_12ep``, ``in16_val_12ep`` (float64, %).
        - ``nb201-oneproxy``: ``row`` (uint16, order in the source), ``ops`` (as above).
        - ``fbnet``: ``op_idx`` (uint8, (n, 22): 0 k3_e1, 1 k3_e1_g2, 2 k3_e3, 3 k3_e6,
          4 k5_e1, 5 k5_e1_g2, 6 k5_e3, 7 k5_e6, 8 skip).
        - ``ofa-mbv3``: ``resolution`` (uint16, pixels), ``depths`` (uint8, (n, 5)),
          ``kernel_sizes`` and ``expand_ratios`` (uint8, (n, 20); entries past a stage's depth
          are unused and hold arbitrary valid values).
        - user data: ``choices`` (uint8, (n, space.n_positions), canonical).
    source : str
        One-line provenance.
    space : oneproxy.spaces.Space
        The space the architectures belong to (``nb201`` and ``nb201-oneproxy``:
        NASBench201; ``fbnet``: FBNet; ``ofa-mbv3``: OFAMobileNetV3). Needed, with a
        ``choices`` column, for a dataset that is not bundled; a bundled name gives it.
    choices : ndarray of uint8, shape (n_archs, space.n_positions)
        The architectures as canonical rows of the space's choices (read-only);
        ``space.encode(choices)`` gives their indices in the space.

    Notes
    -----
    The arrays of a loaded dataset are read-only and `columns` cannot be changed: `load`
    returns the same object to every caller.
    """

    name: str
    devices: tuple[str, ...]
    arch_index: NDArray[np.int64]
    latency: NDArray[np.float64]
    accuracy: NDArray[np.float64] | None
    accuracy_name: str | None
    columns: Mapping[str, np.ndarray]
    source: str
    space: Space = None  # type: ignore[assignment]  # filled in from `name` by __post_init__

    def __post_init__(self) -> None:
        if self.space is None:
            if self.name not in _NAMES:
                raise ValueError(f"space must be given for a dataset that is not bundled ({self.name!r})")
            object.__setattr__(self, "space", _space_of(self.name))
        elif not isinstance(self.space, Space):
            raise ValueError(f"space must be a oneproxy.spaces.Space, got {self.space!r}")
        elif self.name not in _NAMES and "choices" not in self.columns:
            raise ValueError("columns must hold 'choices' (n_archs, space.n_positions) for a dataset "
                             "that is not bundled")
        if self.latency.ndim != 2 or self.latency.shape[0] != len(self.devices):
            raise ValueError(f"latency must have shape (n_devices, n_archs) = ({len(self.devices)}, "
                             f"n_archs), got {self.latency.shape}")
        n = self.latency.shape[1]
        if self.arch_index.shape != (n,):
            raise ValueError(f"arch_index must have shape ({n},), got {self.arch_index.shape}")
        if self.accuracy is not None and self.accuracy.shape != (n,):
            raise ValueError(f"accuracy must have shape ({n},), got {self.accuracy.shape}")
        if (self.accuracy is None) != (self.accuracy_name is None):
            raise ValueError("accuracy and accuracy_name must be both given or both None")
        for key, column in self.columns.items():
            if column.ndim == 0 or column.shape[0] != n:
                raise ValueError(f"columns[{key!r}] must have first axis {n}, got shape {column.shape}")

    @functools.cached_property
    def choices(self) -> NDArray[np.uint8]:
        """Canonical choices of the architectures (see the class docstring)."""
        c = self.columns
        if "choices" in c:
            rows = c["choices"]
        elif "ops" in c:
            rows = c["ops"]
        elif "op_idx" in c:
            rows = c["op_idx"]
        else:
            space = self.space
            assert isinstance(space, OFAMobileNetV3)
            rows = np.concatenate([
                np.searchsorted(space.resolutions, c["resolution"])[:, None],
                np.searchsorted(space.DEPTHS, c["depths"]),
                np.searchsorted(space.KERNELS, c["kernel_sizes"]),
                np.searchsorted(space.EXPANDS, c["expand_ratios"])], axis=1)
        return _read_only(self.space.canonical(rows))

    @property
    def n_archs(self) -> int:
        """Number of architectures."""
        return int(self.latency.shape[1])

    @property
    def n_devices(self) -> int:
        """Number of devices."""
        return int(self.latency.shape[0])

    def latency_of(self, device: str) -> NDArray[np.float64]:
        """Latency of every architecture on one device.

        Parameters
        ----------
        device : str
            One of `devices`.

        Returns
        -------
        ndarray of float64, shape (n_archs,)
            Milliseconds per forward pass, NaN where not measured; a view of a row of `latency`.

        Raises
        ------
        ValueError
            If `device` is not one of `devices` (the message lists them).
        """
        if device not in self.devices:
            raise ValueError(f"device must be one of the devices of {self.name!r}, got {device!r}; "
                             f"valid devices: {', '.join(self.devices)}")
        return self.latency[self.devices.index(device)]

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the dataset as a CSV that :func:`from_csv` reads back to identical arrays.

        Columns: ``index`` (in `space`, exact), ``id`` (`arch_index`, when it is not the index),
        one per device (ms, shortest exact decimal, empty where not measured), ``accuracy:NAME``
        when there is an accuracy, and ``architecture`` (the space's string notation). Other
        `columns` are not written: they follow from the architecture or are the source's own.

        Returns
        -------
        pathlib.Path
            `path`.
        """
        path = Path(path)
        indices = [int(i) for i in self.space.encode(self.choices)]
        with_id = any(int(a) != i for a, i in zip(self.arch_index, indices))
        header = ["index", *(["id"] if with_id else []), *self.devices,
                  *([f"accuracy:{self.accuracy_name}"] if self.accuracy is not None else []), "architecture"]
        cells = [[_cell(v) for v in column] for column in self.latency]
        if self.accuracy is not None:
            cells.append([_cell(v) for v in self.accuracy])
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(header)
            for k, index in enumerate(indices):
                out.writerow([str(index), *([str(int(self.arch_index[k]))] if with_id else []),
                              *(c[k] for c in cells), self.space.to_string(self.choices[k])])
        return path

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, {self.n_archs} architectures x {self.n_devices} "
                f"devices, accuracy={self.accuracy_name!r})")


def available() -> tuple[str, ...]:
    """Names of the bundled datasets, in the order of the table in the module docstring."""
    return _NAMES


def load(name: str) -> Dataset:
    """Load a bundled dataset by name.

    Parameters
    ----------
    name : {"nb201", "nb201-oneproxy", "fbnet", "ofa-mbv3"}
        One of :func:`available`.

    Returns
    -------
    Dataset
        Read-only and cached: later calls with the same name return the same object.

    Raises
    ------
    ValueError
        For an unknown name (the message lists :func:`available`).

    Examples
    --------
    >>> nb201 = load("nb201")
    >>> nb201.latency.shape, nb201.accuracy_name
    ((21, 15625), 'c10_test_200ep')
    >>> best = int(np.argmax(nb201.accuracy))
    >>> int(nb201.arch_index[best]), float(nb201.accuracy[best]), nb201.columns["ops"][best].tolist()
    (6111, 94.373333, [3, 3, 3, 1, 3, 2])
    """
    if not isinstance(name, str) or name not in _NAMES:
        raise ValueError(f"name must be one of the bundled datasets, got {name!r}; "
                         f"available: {', '.join(_NAMES)}")
    return _load(name)


def as_dataset(dataset: Dataset | str, name: str = "dataset") -> Dataset:
    """`dataset` itself, or the bundled dataset it names (:func:`load`): what functions taking
    ``Dataset | str`` read their argument with. TypeError naming `name` for anything else.

    >>> as_dataset("nb201") is load("nb201") is as_dataset(load("nb201"))
    True
    """
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, str):
        return load(dataset)
    raise TypeError(f"{name} must be a Dataset or the name of a bundled dataset, got {type(dataset).__name__}")


def get(dataset: str | os.PathLike[str], space: Space | str | None = None, *, name: str = "dataset",
        space_name: str = "space") -> Dataset:
    """A bundled dataset by name (:func:`load`), or your CSV of latencies by path (:func:`from_csv`).

    Parameters
    ----------
    dataset : str or path-like
        One of :func:`available` (a bundled name wins over a file of that name), else the path
        of a CSV file.
    space : Space or str, optional
        For a CSV, the space of its architectures (required). For a bundled name, if given, it
        must be the dataset's space.
    name, space_name : str
        What errors call `dataset` and `space` (``oneproxy`` passes ``"--dataset"`` and
        ``"--space"``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For a name that is neither bundled nor a file, a CSV without `space`, a bundled dataset
        over another space than `space`, and whatever :func:`from_csv` refuses.

    Examples
    --------
    >>> get("nb201-oneproxy").n_archs
    1999
    >>> get("fbnet", "nb201")
    Traceback (most recent call last):
    ...
    ValueError: space nb201: dataset fbnet is over fbnet
    """
    text = os.fspath(dataset) if isinstance(dataset, (str, os.PathLike)) else None
    if text in _NAMES:
        ds = load(text)
        if space is not None and get_space(space) != ds.space:
            over = ds.space.name if isinstance(space, str) else repr(ds.space)
            raise ValueError(f"{space_name} {space}: dataset {text} is over {over}")
        return ds
    if text is None or not Path(text).is_file():
        got = f"{dataset!r}" if text is None else f"{text!r} (no such file)"
        raise ValueError(f"{name} must be a bundled dataset ({', '.join(_NAMES)}) or a CSV file, got {got}")
    if space is None:
        raise ValueError(f"{name} {text}: a CSV needs {space_name} ({', '.join(space_names())}), the space of "
                         f"its architectures")
    return from_csv(text, space)


def from_csv(path: str | os.PathLike[str], space: Space | str, *, accuracy: str | None = None,
             devices: Sequence[str] | None = None, name: str | None = None) -> Dataset:
    """Load your own latency table: a CSV of architectures x devices.

    Parameters
    ----------
    path : path-like
        A CSV file with a header row (format: ``docs/data.md``). One column gives the
        architectures, by index in `space` (``index`` or ``arch_index``) or in its string
        notation (``architecture``, ``arch`` or ``string``; preferred when both are there):
        NAS-Bench-201's ``|nor_conv_3x3~0|+|...|``, FBNet's ``7-8-1-...`` (22 codes) or
        once-for-all's ``r=224 d=4-... ks=7-... e=6-...``. An optional ``id`` column gives
        `Dataset.arch_index`. Every other column is one device's latency in ms per forward
        pass, positive, empty (or ``nan``, ``NA``) where not measured; except the accuracy column.
    space : Space or {"nb201", "fbnet", "ofa-mbv3"}
        The space the architectures belong to.
    accuracy : str, optional
        The accuracy column's header. By default the column ``accuracy`` or ``accuracy:NAME``
        (NAME becomes `Dataset.accuracy_name`), if there is one. Accuracy must be a number in
        every row (any unit; higher is better).
    devices : sequence of str, optional
        The latency columns to keep (default: all).
    name : str, optional
        The dataset's name (default: the file's stem).

    Returns
    -------
    Dataset
        In file order; latency float64 (n_devices, n_archs) with NaN where not measured.

    Raises
    ------
    ValueError
        For a file that cannot be read as CSV text, a header without an architecture column
        or without a latency column, an unknown device or accuracy column, and for a cell that
        is not an architecture of `space`, a duplicated architecture, a latency that is not a
        positive number of ms or a missing accuracy: the message names the line and the column.

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "mine.csv")
    >>> _ = open(path, "w").write("architecture,phone,gpu\\n"
    ...     "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|,12.5,1.1\\n"
    ...     "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|,0.8,\\n")
    >>> mine = from_csv(path, "nb201")
    >>> mine
    Dataset('mine', 2 architectures x 2 devices, accuracy=None)
    >>> mine.latency_of("gpu").tolist(), mine.arch_index.tolist()
    ([1.1, nan], [6111, 7690])
    """
    p = Path(path)
    where = f"{str(p)!r}"
    try:
        with open(p, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{where} is empty (a header row is needed)")
            rows = [(f"line {reader.line_num}", row) for row in reader if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{where} cannot be read as a CSV text file: {err}") from None
    width = len(header)
    for label, row in rows:
        if len(row) != width:
            raise ValueError(f"{where} {label} has {len(row)} cells, the header has {width}: "
                             f"is it a comma-separated file?")
    columns: dict[str, list[object]] = {h: [row[k] for _, row in rows] for k, h in enumerate(header)}
    return _from_columns(columns, [label for label, _ in rows], list(header), space, where=where,
                         accuracy=accuracy, devices=devices, name=p.stem if name is None else name,
                         source=f"{p} (oneproxy.datasets.from_csv)")


def from_frame(frame: object, space: Space | str, *, accuracy: str | None = None,
               devices: Sequence[str] | None = None, name: str = "frame") -> Dataset:
    """Load your own latency table from a pandas DataFrame or a mapping of column -> values.

    The columns, the cells and the checks are those of :func:`from_csv`; cells may be numbers
    (NaN or None where not measured) or text. Errors name the row by its position (0-based)
    and the column.

    Examples
    --------
    >>> table = {"index": [6111, 1462], "phone": [12.5, 0.8], "accuracy": [94.37, 10.0]}
    >>> from_frame(table, "nb201", name="mine").accuracy_name
    'accuracy'
    """
    if hasattr(frame, "columns") and hasattr(frame, "__getitem__"):  # a DataFrame, without pandas here
        header = [str(c) for c in frame.columns]
        columns = {str(c): list(frame[c]) for c in frame.columns}  # type: ignore[index]
    elif isinstance(frame, Mapping):
        header = [str(c) for c in frame]
        columns = {str(c): list(v) for c, v in frame.items()}
    else:
        raise ValueError(f"frame must be a pandas DataFrame or a mapping of column -> values, got "
                         f"{type(frame).__name__}")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"frame's columns must have equal lengths, got {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    return _from_columns(columns, [f"row {k}" for k in range(n)], header, space, where="frame",
                         accuracy=accuracy, devices=devices, name=name, source="oneproxy.datasets.from_frame")


def from_db(db: str | os.PathLike[str], space: Space | str | None = None, *, name: str | None = None) -> Dataset:
    """The measurements of ``oneproxy measure`` as a Dataset: one device per fingerprint.

    Parameters
    ----------
    db : path-like
        The SQLite store (``oneproxy measure --db``); it must exist.
    space : Space or str, optional
        The space whose measurements to take (default: the only one `db` holds). For
        ``"ofa-mbv3"``, once-for-all's 128-224 px, which holds every measured subnet.
    name : str, optional
        The dataset's name (default: the file's stem).

    Returns
    -------
    Dataset
        The architectures measured on any device, in index order; `devices` are the full
        fingerprints (CPU | runtime and version | threads | batch); latency is the median
        (ms), NaN where a device lacks an architecture.
    """
    from oneproxy import measure  # measure builds networks; datasets must stay light

    p = Path(db)
    if not p.is_file():
        raise ValueError(f"db {str(p)!r} does not exist")
    held = measure.devices(p, space)
    if space is None and len(held) != 1:
        raise ValueError(f"db {str(p)!r} holds measurements of {', '.join(held) or 'no space'}; "
                         f"pass space")
    sp = get_space(space if space is not None else next(iter(held)))
    fingerprints = tuple(held.get(sp.name, {}))
    if not fingerprints:
        raise ValueError(f"db {str(p)!r} holds no {sp.name} measurements")
    per_device = [measure.stored(p, d, space=sp) for d in fingerprints]
    indices = sorted(set().union(*per_device))
    latency = np.array([[m[i][0] if i in m else np.nan for i in indices] for m in per_device],
                       dtype=np.float64)
    return Dataset(name=p.stem if name is None else name, devices=fingerprints,
                   arch_index=_arch_index(sp, indices, None), latency=latency, accuracy=None,
                   accuracy_name=None, columns=MappingProxyType({"choices": _read_only(sp.decode(indices))}),
                   source=f"{p} (oneproxy.datasets.from_db)", space=sp)


_MISSING = frozenset({"", "nan", "na", "n/a"})
_ID = "id"


def _from_columns(columns: dict[str, list[object]], labels: list[str], header: list[str],
                  space: Space | str, *, where: str, accuracy: str | None, devices: Sequence[str] | None,
                  name: str, source: str) -> Dataset:
    """A Dataset from a table's columns (in header order); `labels` name its rows in errors."""
    sp = get_space(space)
    stripped = [h.strip() for h in header]
    columns = {h.strip(): v for h, v in columns.items()}
    arch_name, by_index, accuracy, found = _roles(stripped, header, where, accuracy, devices)
    if not labels:
        raise ValueError(f"{where} lists no architectures")
    indices = _architectures(sp, columns[arch_name], labels, where, arch_name, by_index)
    latency = np.array([_numbers(columns[d], labels, where, d, "latency") for d in found], dtype=np.float64)
    for d, row in zip(found, latency):
        if np.isnan(row).all():
            raise ValueError(f"{where}: latency column {d!r} holds no measurement")
    acc = None if accuracy is None else _numbers(columns[accuracy], labels, where, accuracy, "accuracy")
    ids = None
    if _ID in {h.lower() for h in stripped}:
        id_name = next(h for h in stripped if h.lower() == _ID)
        ids = [_whole(cell, label, where, id_name) for label, cell in zip(labels, columns[id_name])]
    acc_name = None if accuracy is None else (
        accuracy.split(":", 1)[1].strip() or "accuracy" if accuracy.lower().startswith("accuracy:") else accuracy)
    return Dataset(name=name, devices=tuple(found), arch_index=_arch_index(sp, indices, ids), latency=latency,
                   accuracy=acc, accuracy_name=acc_name,
                   columns=MappingProxyType({"choices": _read_only(sp.decode(indices))}), source=source, space=sp)


def _roles(stripped: list[str], header: list[str], where: str, accuracy: str | None,
           devices: Sequence[str] | None) -> tuple[str, bool, str | None, list[str]]:
    """What the header's columns hold: (architecture column, whether it holds indices, accuracy
    column or None, latency columns); ValueError for a header that does not say."""
    for k, h in enumerate(stripped):
        if not h:
            raise ValueError(f"{where}: column {k + 1} of the header has no name")
        if h in stripped[:k]:
            raise ValueError(f"{where}: column {h!r} appears twice in the header")
    column, by_index = fronts.architecture_column(stripped, where)
    arch_name = stripped[column]
    if accuracy is None:
        accuracy = next((h for h in stripped if h.lower() == "accuracy" or h.lower().startswith("accuracy:")), None)
    elif accuracy not in stripped:
        raise ValueError(f"accuracy must be a column of {where}, got {accuracy!r}; its header is {header}")
    ignored = {h for h in stripped if h.lower() in {*fronts.INDEX_COLUMNS, *fronts.STRING_COLUMNS, _ID}} | {accuracy}
    found = [h for h in stripped if h not in ignored]
    if devices is not None:
        unknown = [d for d in devices if d not in found]
        if unknown or not devices:
            raise ValueError(f"devices must be latency columns of {where} ({', '.join(found) or 'none'}), "
                             f"got {list(devices)}")
        found = list(devices)
    if not found:
        raise ValueError(f"{where} has no latency column (one column of ms per device beside "
                         f"{arch_name!r}); its header is {header}")
    return arch_name, by_index, accuracy, found


def _architectures(space: Space, cells: list[object], labels: list[str], where: str, column: str,
                   by_index: bool) -> list[int]:
    """The indices of a column of architectures; ValueError naming the row for a cell that is
    not one of `space` or repeats an earlier one."""
    indices: list[int] = []
    first: dict[int, str] = {}
    for label, cell in zip(labels, cells):
        try:
            index = fronts.parse_architecture(space, cell, by_index)
        except ValueError as err:
            raise ValueError(f"{where} {label}, column {column!r}: not an architecture of {space!r}: {err}") from None
        if index in first:
            raise ValueError(f"{where} {label}, column {column!r}: {space.to_string(index)} is also at "
                             f"{first[index]}; give each architecture once (e.g. the median of repeats)")
        first[index] = label
        indices.append(index)
    return indices


def _numbers(cells: Iterable[object], labels: list[str], where: str, column: str, what: str) -> NDArray[np.float64]:
    """A column of positive latencies (NaN where missing) or of accuracies (none missing)."""
    out = np.empty(len(labels), dtype=np.float64)
    for k, (label, cell) in enumerate(zip(labels, cells)):
        value = math.nan
        if isinstance(cell, str):
            text = cell.strip()
            if text.lower() not in _MISSING:
                try:
                    value = float(text)
                except ValueError:
                    value = math.inf  # reported below with the cell as given
        elif cell is not None and not isinstance(cell, bool):
            try:
                value = float(cell)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                value = math.inf
        elif isinstance(cell, bool):
            value = math.inf
        if what == "latency" and not (math.isnan(value) or (math.isfinite(value) and value > 0)):
            raise ValueError(f"{where} {label}, column {column!r}: a latency must be a positive number "
                             f"of ms (empty where not measured), got {cell!r}")
        if what == "accuracy" and not math.isfinite(value):
            raise ValueError(f"{where} {label}, column {column!r}: accuracy must be a number in every "
                             f"row, got {cell!r}")
        out[k] = value
    return out


def _whole(cell: object, label: str, where: str, column: str) -> int:
    text = str(int(cell)) if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool) else str(cell).strip()
    if not text.lstrip("-").isdigit() or not -2**63 <= int(text) < 2**63:
        raise ValueError(f"{where} {label}, column {column!r}: an id must be a whole number (int64), got {cell!r}")
    return int(text)


def _arch_index(space: Space, indices: list[int], ids: list[int] | None) -> NDArray[np.int64]:
    """The ids given, else the indices in `space` when all of its indices fit int64, else row numbers."""
    if ids is not None:
        return _read_only(np.array(ids, dtype=np.int64))
    if space.size <= 2**63:
        return _read_only(np.array(indices, dtype=np.int64))
    return _read_only(np.arange(len(indices), dtype=np.int64))


def _cell(value: float) -> str:
    """A float as the shortest text that reads back to it exactly; empty for NaN."""
    return "" if math.isnan(value) else repr(float(value))


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Dataset:
    # The file layout is documented in tools/pack_datasets.py, which writes it.
    with (files("oneproxy") / "data" / f"{name}.npz").open("rb") as f, \
            np.load(f, allow_pickle=False) as npz:
        z = {key: npz[key] for key in npz.files}
    devices = tuple(str(d) for d in z["devices"])
    has_accuracy = "accuracy" in z
    columns = {
        key.removeprefix("column/"): _read_only(_decode(z, key))
        for key in z
        if key.startswith("column/") and key.count("/") == 1
    }
    return Dataset(
        name=name,
        devices=devices,
        arch_index=_read_only(z["arch_index"].astype(np.int64)),
        latency=_read_only(np.stack([_decode(z, f"latency/{d}") for d in devices])),
        accuracy=_read_only(_decode(z, "accuracy")) if has_accuracy else None,
        accuracy_name=str(z["accuracy/name"]) if has_accuracy else None,
        columns=MappingProxyType(columns),
        source=str(z["source"]),
    )


@functools.lru_cache(maxsize=None)
def _space_of(name: str) -> Space:
    return {"nb201": NASBench201, "nb201-oneproxy": NASBench201, "fbnet": FBNet,
            "ofa-mbv3": OFAMobileNetV3}[name]()


def _decode(z: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    """A stored column: integer codes as they are, decimals as float64 with NaN where missing."""
    stored = z[key]
    if f"{key}/decimals" not in z:
        return stored  # integer codes, or a float64 column with its NaN already in place
    # Both operands are exact doubles, so the quotient is the correctly rounded decimal,
    # bit for bit what float(text) gave for the CSV cell.
    values = stored.astype(np.float64) / 10.0 ** int(z[f"{key}/decimals"])
    if f"{key}/missing" in z:
        values[z[f"{key}/missing"]] = np.nan
    return values


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
