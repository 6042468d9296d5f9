"""Checkpoints cannot be misread: each kind of damage is refused with one error naming the file,
never used to resume, and a planted link at the temporary path is not followed."""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from oneproxy import checkpoints, predictors
from oneproxy.cli import main
from oneproxy.scan import scan
from oneproxy.search import evolve
from oneproxy.spaces import FBNet

FB = FBNet()


@pytest.fixture(scope="module")
def objectives():
    return [predictors.linear_latency("fbnet", d) for d in ("pixel3", "gold_6240")]


@pytest.fixture()
def scan_checkpoint(tmp_path, objectives):
    path = tmp_path / "s.ckpt"
    scan(FB, objectives, ["min", "max"], stop=300_000, checkpoint=path, progress=False)
    return path


def search_checkpoint(path, objectives, generations=2):
    return evolve(FB, objectives, ["min", "max"], population=12, generations=generations, seed=1,
                  checkpoint=path, progress=False)


def resume_scan(path, objectives):
    return scan(FB, objectives, ["min", "max"], stop=300_000, checkpoint=path, progress=False)


def test_a_whole_checkpoint_round_trips(tmp_path):
    path = tmp_path / "c.ckpt"
    checkpoints.save(path, "scan", "f" * 64, {"position": "7"}, points=np.eye(2))
    header, arrays = checkpoints.load(path, "scan", "f" * 64, expected={"points": ("f", (None, 2))})
    assert header["position"] == "7" and np.array_equal(arrays["points"], np.eye(2))
    assert checkpoints.load(tmp_path / "none.ckpt", "scan", "x") is None
    assert [p.name for p in tmp_path.iterdir()] == ["c.ckpt"]  # no temporary file left


@pytest.mark.parametrize("damage, reason", [
    (lambda b: b"", "not a whole oneproxy checkpoint"),
    (lambda b: b[: len(b) // 2], "not a whole oneproxy checkpoint"),
    (lambda b: b"garbage, not a zip file at all" * 10, "not a whole oneproxy checkpoint"),
])
def test_empty_truncated_or_garbage_files_are_refused(scan_checkpoint, objectives, damage, reason):
    scan_checkpoint.write_bytes(damage(scan_checkpoint.read_bytes()))
    with pytest.raises(checkpoints.CheckpointError, match=f"{reason}.*delete it"):
        resume_scan(scan_checkpoint, objectives)


def rewrite_member(path, name, transform):
    """Rewrite one array of the npz, its checksum left as it was (an edit by hand)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = transform(arrays[name])
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_flipped_bytes_in_the_middle_are_caught_by_the_checksum(scan_checkpoint, objectives):
    with np.load(scan_checkpoint) as z:
        assert len(z["points"]) > 10
    raw = bytearray(scan_checkpoint.read_bytes())
    with zipfile.ZipFile(scan_checkpoint) as zf:
        info = zf.getinfo("points.npy")
    middle = info.header_offset + 30 + len(info.filename) + info.file_size // 2  # inside the points' data
    raw[middle] ^= 0xFF
    damaged = scan_checkpoint.with_name("flipped.ckpt")
    damaged.write_bytes(bytes(raw))
    with pytest.raises(checkpoints.CheckpointError, match="cannot be used"):
        resume_scan(damaged, objectives)
    rewrite_member(scan_checkpoint, "points", lambda p: p + 1e-9)  # a careful edit, CRCs intact
    with pytest.raises(checkpoints.CheckpointError, match="do not match its checksum"):
        resume_scan(scan_checkpoint, objectives)


def test_a_missing_field_or_array_is_refused(tmp_path, scan_checkpoint, objectives):
    with np.load(scan_checkpoint) as z:
        header = json.loads(str(z["header"]))
        arrays = {k: z[k] for k in z.files if k not in ("header", "checksum")}
    fingerprint = header.pop("fingerprint")
    own = {k: v for k, v in header.items() if k not in ("format", "version", "kind", "position")}
    checkpoints.save(scan_checkpoint, "scan", fingerprint, own, **arrays)  # no position
    with pytest.raises(checkpoints.CheckpointError, match="lacks position"):
        resume_scan(scan_checkpoint, objectives)
    arrays.pop("hi")
    checkpoints.save(scan_checkpoint, "scan", fingerprint, {**own, "position": "1"}, **arrays)
    with pytest.raises(checkpoints.CheckpointError, match="lacks hi"):
        resume_scan(scan_checkpoint, objectives)


def test_arrays_of_the_wrong_shape_are_refused(scan_checkpoint, objectives):
    with np.load(scan_checkpoint) as z:
        header = json.loads(str(z["header"]))
        arrays = {k: z[k] for k in z.files if k not in ("header", "checksum")}
    own = {k: v for k, v in header.items() if k not in ("format", "version", "kind", "fingerprint")}
    arrays["points"] = arrays["points"][:, :1]  # one objective where the scan has two
    checkpoints.save(scan_checkpoint, "scan", header["fingerprint"], own, **arrays)
    with pytest.raises(checkpoints.CheckpointError, match="array 'points' has dtype float64 and shape"):
        resume_scan(scan_checkpoint, objectives)


def test_an_older_format_is_refused(scan_checkpoint, objectives):
    with np.load(scan_checkpoint) as z:
        arrays = {k: z[k] for k in z.files if k not in ("header", "checksum")}
        header = json.loads(str(z["header"]))
    old = {k: v for k, v in header.items() if k not in ("format", "version", "kind")}  # 0.1's header
    with open(scan_checkpoint, "wb") as f:
        np.savez(f, header=np.array(json.dumps(old)), **arrays)
    with pytest.raises(checkpoints.CheckpointError, match="no header or checksum"):
        resume_scan(scan_checkpoint, objectives)


def test_another_commands_checkpoint_is_refused(tmp_path, scan_checkpoint, objectives):
    with pytest.raises(checkpoints.CheckpointError, match="it is a 'scan' checkpoint, not a 'search' one"):
        search_checkpoint(scan_checkpoint, objectives)
    other = tmp_path / "search.ckpt"
    search_checkpoint(other, objectives)
    with pytest.raises(checkpoints.CheckpointError, match="it is a 'search' checkpoint, not a 'scan' one"):
        resume_scan(other, objectives)


def test_a_search_checkpoint_without_its_fingerprint_is_a_one_line_cli_error(tmp_path, capsys, objectives):
    path = tmp_path / "s.ckpt"
    argv = ["search", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--population", "12",
            "--generations", "2", "--checkpoint", str(path)]
    assert main(argv) == 0
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(str(arrays["header"]))
    del header["fingerprint"]
    arrays["header"] = np.array(json.dumps(header))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"oneproxy: error: checkpoint '{path}' cannot be used")


def test_the_temporary_file_does_not_follow_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = tmp_path / "c.ckpt"
    os.symlink(victim, tmp_path / "c.ckpt.tmp")  # where 0.1 wrote its temporary file
    checkpoints.save(path, "scan", "x", {}, a=np.zeros(3))
    assert victim.read_text() == "keep me"
    assert checkpoints.load(path, "scan", "x")[1]["a"].shape == (3,)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_checkpoint_gets_the_permissions_open_would_give_it(tmp_path, umask):
    """mkstemp makes owner-only files; a checkpoint is the user's file like the CSVs beside it."""
    before = os.umask(umask)
    try:
        checkpoints.save(tmp_path / "c.ckpt", "scan", "x", {}, a=np.zeros(3))
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(before)
    mode = (tmp_path / "c.ckpt").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask == (tmp_path / "plain.txt").stat().st_mode & 0o777
