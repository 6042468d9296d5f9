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

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3, Space

__all__ = ["Dataset", "available", "load"]

_NAMES = ("nb201", "nb201-oneproxy", "fbnet", "ofa-mbv3")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Latencies of one set of architectures measured on several devices.

    Attributes
    ----------
    name : str
        The name it was loaded by.
    devices : tuple of str
        Device (latency column) names, in the order of the rows of `latency`.
    arch_index : ndarray of int64, shape (n_archs,)
        Official NAS-Bench-201 index (``nb201``, ``nb201-oneproxy``; for ``nb201``,
        ``arch_index[k] == k``), or the source's architecture id (``fbnet``, ``ofa-mbv3``).
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
    source : str
        One-line provenance.
    space : oneproxy.spaces.Space
        The space the architectures belong to (``nb201`` and ``nb201-oneproxy``:
        NASBench201; ``fbnet``: FBNet; ``ofa-mbv3``: OFAMobileNetV3).
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

    def __post_init__(self) -> None:
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

    @property
    def space(self) -> Space:
        """The search space of the architectures (see the class docstring)."""
        return _space_of(self.name)

    @functools.cached_property
    def choices(self) -> NDArray[np.uint8]:
        """Canonical choices of the architectures (see the class docstring)."""
        c = self.columns
        if "ops" in c:
            rows = c["ops"]
        elif "op_idx" in c:
            rows = c["op_idx"]
        else:
            space = self.space
            assert isinstance(space, OFAMobileNetV3)
            rows = np.concatenate([
                np.searchsorted(space.resolutions, c["resolution"])[:, None],
                c["depths"] - 2,
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
