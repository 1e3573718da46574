"""Atomic writes reach the disk in the right order and clean up after killed writers; .npz reads run no pickle code
and allocate nothing a crafted header asks for."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from botarena.envs.common import io as safe_io


def test_a_write_fsyncs_the_data_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd):
        events.append("fsync directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        fsync(fd)

    def recording_replace(src, dst):
        events.append("rename")
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    safe_io.atomic_write_bytes(tmp_path / "a.bin", b"data")
    assert events == ["fsync file", "rename", "fsync directory"]
    assert (tmp_path / "a.bin").read_bytes() == b"data"


def _finished_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_write_deletes_what_killed_writers_left_and_nothing_else(tmp_path):
    target = tmp_path / "run.pt"
    tag = safe_io.writer_tag()
    host = tag.rsplit(".", 2)[0]
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".run.pt.{host}.{_finished_pid()}.abc123.tmp",  # a writer killed mid-write: garbage
            "live": f".run.pt.{host}.{live.pid}.def456.tmp",  # another process writing now: must survive
            "other host": ".run.pt.some-other-host.1.ghi789.tmp",  # we cannot know: left alone
            "other file": f".best.pt.{host}.{_finished_pid()}.jkl012.tmp",  # another target's: its own write cleans
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"half a checkpoint")
        safe_io.atomic_write_bytes(target, b"whole")
        left = {p.name for p in tmp_path.iterdir()}
    finally:
        live.kill()
        live.wait()
    assert names["dead"] not in left
    assert {names["live"], names["other host"], names["other file"], "run.pt"} <= left
    assert target.read_bytes() == b"whole"


def test_a_write_that_raises_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    safe_io.atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError, match="serialiser failed"), safe_io.atomic_write(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("serialiser failed")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.bin"]


# ---------------------------------------------------------------------- load_npz
def _npz(path, **arrays) -> None:
    np.savez(path, **arrays)


def _with_header(path, name: str, shape: tuple[int, ...], dtype: str, payload: bytes) -> None:
    """An .npz whose entry ``name`` has a hand-written header (shape and dtype) over ``payload``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", header.getvalue() + payload)


def test_load_npz_round_trips_plain_arrays(tmp_path):
    _npz(tmp_path / "a.npz", x=np.arange(6.0).reshape(2, 3), y=np.asfortranarray(np.eye(3, dtype=np.int16)),
         empty=np.zeros((0, 4)), scalar=np.float32(2.5))
    arrays = safe_io.load_npz(tmp_path / "a.npz")
    np.testing.assert_array_equal(arrays["x"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(arrays["y"], np.eye(3))
    assert arrays["empty"].shape == (0, 4) and arrays["scalar"] == np.float32(2.5)


def test_a_header_claiming_a_gigantic_array_is_refused_before_anything_is_allocated(tmp_path):
    path = tmp_path / "huge.npz"
    _with_header(path, "x", (10**12,), "<f8", np.zeros(3).tobytes())  # 8 TB claimed, 24 bytes stored
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"declares shape \(1000000000000,\).* but stores 24 bytes"):
            safe_io.load_npz(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_an_npz_that_would_expand_past_the_limit_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, x=np.zeros(4 * 2**20, np.uint8))  # 4 MiB of zeros in a few kB
    assert path.stat().st_size < 64 * 2**10
    with pytest.raises(ValueError, match="would expand to 4,194,.* bytes, more than the 1,048,576 allowed"):
        safe_io.load_npz(path, max_bytes=2**20)
    assert safe_io.load_npz(path, max_bytes=8 * 2**20)["x"].shape == (4 * 2**20,)


class _Payload:
    def __reduce__(self):
        return (print, ("unpickled",))


@pytest.mark.parametrize("write,message", [
    (lambda p: _npz(p, x=np.array([_Payload()], dtype=object)), "holds Python objects.*pickle is never run"),
    (lambda p: p.write_bytes(os.urandom(4000)), "corrupt or not an .npz"),
    (lambda p: p.write_bytes(b""), "corrupt or not an .npz"),
    (lambda p: (_npz(p, x=np.arange(1000.0)), p.write_bytes(p.read_bytes()[:3000])), "corrupt or not an .npz"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("notes.txt", "hi"), "entry 'notes.txt' is not a .npy array"),
    (lambda p: _with_header(p, "x", (3,), "<f8", b"\0" * 16), r"declares shape \(3,\) of float64 \(24 bytes\)"),
    (lambda p: _with_header(p, "x", (-1, 8), "<f8", b""), r"declares shape \(-1, 8\)"),
], ids=["object-array", "random-bytes", "empty", "truncated", "not-npy-entry", "short-data", "negative-shape"])
def test_a_bad_npz_is_a_value_error_that_names_the_file(tmp_path, write, message, capsys):
    path = tmp_path / "bad.npz"
    write(path)

    class MyError(ValueError):
        pass

    with pytest.raises(MyError, match=message) as error:
        safe_io.load_npz(path, what="thing", error=MyError)
    assert str(error.value).startswith(f"thing {path} ")
    assert "unpickled" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="does not exist"):
        safe_io.load_npz(tmp_path / "missing.npz")
