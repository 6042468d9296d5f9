"""Checkpoints of long runs (`scan`, `evolve`): written atomically, read only when whole.

A checkpoint is an ``.npz`` file (no pickles) holding the run's arrays, a JSON ``header`` and a
``checksum``: SHA-256 over the header and every array's name, dtype, shape and bytes. `load`
refuses, with one `CheckpointError` that names the file and says what to do, a file that is
empty, truncated, not an npz, pickled, damaged anywhere (the checksum), of an older format,
written by another command, or by the same command with other arguments (the fingerprint); the
caller's `expected` shapes catch arrays that do not fit the run. A resumed run therefore never
builds on a file it cannot trust.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oneproxy import objectives
from oneproxy.spaces import Space

__all__ = ["CheckpointError", "fingerprint", "save", "load"]

FORMAT = "oneproxy-checkpoint"
VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used."""


def _checksum(header_text: str, arrays: Mapping[str, NDArray]) -> str:
    h = hashlib.sha256(header_text.encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def fingerprint(space: Space, objs: Sequence[Any], maximise: NDArray[np.bool_], extra: Mapping[str, Any]) -> str:
    """SHA-256 naming a run: its space, senses (`maximise`), other arguments (`extra`, JSON-able)
    and what each objective computes: an additive one's digit tables, any other's type and its
    values on `objectives.probe` of the space (an objective whose values changed is another run)."""
    # "sums": the archive holds values summed in predict's order (earlier checkpoints do not)
    h = hashlib.sha256(json.dumps({"space": space.name, "params": space.params, "sums": "predict",
                                   "maximise": maximise.tolist(), **extra}, sort_keys=True).encode())
    for obj in objs:
        add = objectives.additive(space, obj)
        if add is not None:
            h.update(add.tables.tobytes() + add.constant.tobytes())
        else:  # what it computes: its values on a fixed probe of the space
            h.update(f"{type(obj).__module__}.{type(obj).__qualname__}".encode())
            h.update(objectives.evaluate([obj], objectives.probe(space)).tobytes())
    return h.hexdigest()


def save(path: str | os.PathLike[str], kind: str, fingerprint: str, header: Mapping[str, Any],
         **arrays: NDArray) -> None:
    """Write `arrays` and `header` (JSON-able) for a `kind` run with `fingerprint` atomically: a
    fresh temporary file beside `path` (``mkstemp``: never through a planted link), fsync,
    rename; a reader sees the old file or the new one, never half of one. The file gets the
    permissions ``open`` would give it (``mkstemp``'s are owner-only)."""
    target = Path(path)
    text = json.dumps({"format": FORMAT, "version": VERSION, "kind": kind, "fingerprint": fingerprint,
                       **header}, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, header=np.array(text), checksum=np.array(_checksum(text, arrays)),
                     **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load(path: str | os.PathLike[str], kind: str, fingerprint: str, *, what: str | None = None,
         expected: Mapping[str, tuple[str, tuple[int | None, ...]]] | None = None,
         fields: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, NDArray]] | None:
    """(header, arrays) of the checkpoint at `path`, None if there is none.

    Raises CheckpointError unless it is whole, of this format, a `kind` checkpoint with this
    `fingerprint` (`what` names the run in the message), with the header `fields` and the arrays
    `expected` as ``{name: (dtype kind, shape)}``, None in a shape for any length."""
    p = Path(path)
    if not p.exists():
        return None

    def refuse(reason: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {str(p)!r} cannot be used: {reason}; delete it, or rerun "
                               f"without it (or with another path)")

    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise refuse(f"it is not a whole oneproxy checkpoint ({type(err).__name__}: "
                     f"{str(err).splitlines()[0] if str(err) else 'empty or truncated'})") from None
    text, checksum = arrays.pop("header", None), arrays.pop("checksum", None)
    if text is None or checksum is None or text.shape != () or checksum.shape != ():
        raise refuse("it has no header or checksum (not written by this version of oneproxy)")
    try:
        header = json.loads(str(text))
    except ValueError:
        raise refuse("its header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise refuse("it is not a oneproxy checkpoint")
    if header.get("version") != VERSION:
        raise refuse(f"it is of checkpoint format {header.get('version')!r}; this oneproxy reads {VERSION}")
    if str(checksum) != _checksum(str(text), arrays):
        raise refuse("its contents do not match its checksum (damaged or edited)")
    if header.get("kind") != kind:
        raise refuse(f"it is a {header.get('kind')!r} checkpoint, not a {kind!r} one")
    if header.get("fingerprint") != fingerprint:
        raise CheckpointError(f"checkpoint {str(p)!r} belongs to a {what or kind} with other arguments; "
                              f"remove it or pass another path")
    missing = [f for f in fields if f not in header] + [a for a in (expected or {}) if a not in arrays]
    if missing:
        raise refuse(f"it lacks {', '.join(missing)}")
    for name, (dtype_kind, shape) in (expected or {}).items():
        a = arrays[name]
        if a.dtype.kind not in dtype_kind or a.ndim != len(shape) or \
                any(s is not None and s != d for s, d in zip(shape, a.shape)):
            raise refuse(f"its array {name!r} has dtype {a.dtype} and shape {a.shape}, expected kind "
                         f"{dtype_kind!r} and shape {tuple('*' if s is None else s for s in shape)}")
    return header, arrays
