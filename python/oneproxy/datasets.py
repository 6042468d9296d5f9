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
Sources, commits and licenses: ``oneproxy/data/NOTICE.md``; columns: ``docs/data.md``.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

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
        Official NAS-Bench-201 index, or the source's architecture id (FBNet, OFA).
    latency : ndarray of float64, shape (n_devices, n_archs)
        Milliseconds per forward pass; NaN where not measured.
    accuracy : ndarray of float64, shape (n_archs,), or None
        Accuracy where the source has one (see `accuracy_name` for which and its unit).
    accuracy_name : str or None
        Column the accuracy comes from: ``"c10_test_200ep"`` (%) or ``"ofa_pred_top1"``
        (fraction).
    columns : mapping of str to ndarray
        Further per-architecture columns, first axis n_archs: ``ops`` (NB201 op codes, (n, 6)),
        ``op_idx`` (FBNet, (n, 22)), ``resolution``/``depths``/``kernel_sizes``/
        ``expand_ratios`` (OFA), ``params_M`` and the 12-epoch accuracies (``nb201``), ...
    source : str
        One-line provenance.

    All arrays are read-only.
    """

    name: str
    devices: tuple[str, ...]
    arch_index: NDArray[np.int64]
    latency: NDArray[np.float64]
    accuracy: NDArray[np.float64] | None
    accuracy_name: str | None
    columns: Mapping[str, np.ndarray]
    source: str

    @property
    def n_archs(self) -> int:
        """Number of architectures."""
        return self.latency.shape[1]

    @property
    def n_devices(self) -> int:
        """Number of devices."""
        return self.latency.shape[0]

    def latency_of(self, device: str) -> NDArray[np.float64]:
        """Latency (ms) of every architecture on `device`, shape (n_archs,).

        Raises
        ------
        ValueError
            If `device` is not one of `devices` (the message lists them).
        """
        try:
            return self.latency[self.devices.index(device)]
        except ValueError:
            raise ValueError(
                f"unknown device {device!r} for dataset {self.name!r}; "
                f"valid devices: {', '.join(self.devices)}"
            ) from None

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, {self.n_archs} architectures x {self.n_devices} "
                f"devices, accuracy={self.accuracy_name!r})")


def available() -> tuple[str, ...]:
    """Names of the bundled datasets."""
    return _NAMES


def _decimal(z: Mapping[str, np.ndarray], key: str) -> NDArray[np.float64]:
    """Decodes a column stored as integers x * 10**d (see tools/pack_datasets.py)."""
    values = z[key] / 10.0 ** int(z[f"{key}/decimals"])
    if f"{key}/missing" in z:
        values[z[f"{key}/missing"]] = np.nan
    return values


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=None)
def load(name: str) -> Dataset:
    """Load a bundled dataset by name (cached: later calls return the same object).

    Parameters
    ----------
    name : {"nb201", "nb201-oneproxy", "fbnet", "ofa-mbv3"}

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown name (the message lists :func:`available`).

    Examples
    --------
    >>> nb201 = load("nb201")
    >>> nb201.latency.shape, nb201.accuracy_name
    ((21, 15625), 'c10_test_200ep')
    >>> round(float(nb201.accuracy.max()), 4)
    94.3733
    """
    if name not in _NAMES:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(_NAMES)}")
    with (files("oneproxy") / "data" / f"{name}.npz").open("rb") as f, np.load(f) as npz:
        z = {k: npz[k] for k in npz.files}
    devices = tuple(str(d) for d in z["devices"])
    latency = np.stack([_decimal(z, f"latency/{d}") for d in devices])
    has_accuracy = "accuracy" in z
    columns = {
        key.removeprefix("column/"): _read_only(_decimal(z, key) if f"{key}/decimals" in z else z[key])
        for key in z
        if key.startswith("column/") and key.count("/") == 1
    }
    return Dataset(
        name=name,
        devices=devices,
        arch_index=_read_only(z["arch_index"].astype(np.int64)),
        latency=_read_only(latency),
        accuracy=_read_only(_decimal(z, "accuracy")) if has_accuracy else None,
        accuracy_name=str(z["accuracy/name"]) if has_accuracy else None,
        columns=MappingProxyType(columns),
        source=str(z["source"]),
    )
