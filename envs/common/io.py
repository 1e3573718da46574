"""Safe files: atomic writes that survive a kill, and ``.npz`` reads that run no pickle code and trust no size.

Writes (:func:`atomic_write`, :func:`atomic_write_bytes`, :func:`atomic_write_text`) go to a temporary file
beside the target, are flushed and fsynced, renamed over the target (``os.replace``, atomic on POSIX and
Windows) and the directory is fsynced, so after a crash or a ``SIGKILL`` a reader finds the old file or the
new one, never a torn one, and a power cut does not undo a rename that returned. A writer killed mid-write
leaves its temporary file, ``.<name>.<host>.<pid>.<random>.tmp``: no loader opens it (loaders read the
target's own path), and the next successful write of the same target on the same host deletes it once its
process is gone.

Reads (:func:`load_npz`) check each array's header before allocating anything: an array that would need
pickle (``dtype=object``) is refused, a header whose shape and dtype do not match the bytes stored is refused,
and the archive may not expand beyond its own size or ``max_bytes`` (1 GiB by default), whichever is larger,
so a truncated, crafted or zip-bomb file costs at most that much memory and ends in a ``ValueError`` that
names the file and the problem.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_directory", "fsync_tree", "load_npz",
           "NPZ_MAX_BYTES", "writer_tag", "writer_is_gone"]

NPZ_MAX_BYTES = 1 << 30  # what an .npz may expand to beyond its own size on disk (a compressed one)
_HOST = socket.gethostname().replace(os.sep, "_")


@contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces ``path`` atomically when the block ends without an exception.

    For writers that stream (``torch.save``, ``np.savez``) instead of holding the whole file in memory. On an
    exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the mode any new file gets here (0644 under umask 022), so a
        # shared leaderboard page or recording stays readable.
        umask = os.umask(0)
        os.umask(umask)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the rename can make it visible
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)  # the rename itself survives a power cut
    _remove_dead_writers_temps(path)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def writer_tag() -> str:
    """``<host>.<pid>.``: put in a temporary name after its prefix, so a later run can tell it was abandoned."""
    return f"{_HOST}.{os.getpid()}."


def writer_is_gone(tagged: str) -> bool:
    """Whether ``tagged`` (a temporary name's part after its prefix, starting with a :func:`writer_tag`) was
    left by a process of this host that no longer runs: then nothing will finish or rename it.

    False for another host's or a live process's name, and wherever a process cannot be probed without side
    effects (``os.kill`` on Windows terminates it).
    """
    if os.name != "posix" or not tagged.startswith(f"{_HOST}."):  # hostnames may hold dots: match it whole
        return False
    pid_text = tagged[len(_HOST) + 1:].split(".", 1)[0]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def fsync_tree(path: str | Path) -> None:
    """fsync every file under ``path`` and every directory, so a rename that publishes it survives a power cut."""
    for folder, _, files in os.walk(path):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
        fsync_directory(Path(folder))


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{writer_tag()}"


def fsync_directory(directory: str | Path) -> None:
    """fsync a directory, so the renames and new entries in it survive a power cut (a no-op where unsupported)."""
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename itself
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a directory we may write but not read: the rename happened, only its durability is unsure
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems (a few network mounts) do not sync directories; the rename still happened
        pass
    finally:
        os.close(fd)


def _remove_dead_writers_temps(path: Path) -> None:
    """Delete temporary files of ``path`` that killed writers on this host left (never a live writer's)."""
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:  # an unlistable directory: leave the leftovers, the write itself succeeded
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(".tmp") and writer_is_gone(entry.name[len(prefix):]):
            with suppress(OSError):  # another writer removed it first, or we may not: it stays harmless
                Path(entry.path).unlink()


# ---------------------------------------------------------------------- reading .npz files
class _Refused(Exception):
    """Internal: why an .npz is refused (turned into the caller's error class with the file's name)."""


def load_npz(path: str | Path, *, what: str = "file", error: type[ValueError] = ValueError,
             max_bytes: int = NPZ_MAX_BYTES) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, read without pickle and with memory bounded before reading.

    ``what`` names the file in messages (``"recording"``); ``error`` is the ``ValueError`` subclass raised for
    a missing, corrupt, crafted or oversized file (the message names the path and the problem). The arrays
    together may take at most the file's size on disk or ``max_bytes``, whichever is larger.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} {path} does not exist")
    try:
        limit = max(max_bytes, path.stat().st_size)
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(member.file_size for member in members)
            if declared > limit:
                raise _Refused(f"it would expand to {declared:,} bytes, more than the {limit:,} allowed (its own size "
                               f"or {max_bytes:,}, whichever is larger)")
            arrays = {}
            for member in members:
                if not member.filename.endswith(".npy"):
                    raise _Refused(f"entry {member.filename!r} is not a .npy array")
                with archive.open(member) as handle:
                    arrays[member.filename[:-len(".npy")]] = _read_npy(handle, member)
        return arrays
    except _Refused as err:
        raise error(f"{what} {path} is refused: {err}") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise error(f"{what} {path} is corrupt or not an .npz file: {err}") from err


def _read_npy(handle: BinaryIO, member: zipfile.ZipInfo) -> np.ndarray:
    """One array, after checking its header against the bytes the archive declares for it."""
    name = member.filename
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        raise _Refused(f"entry {name!r} is .npy format {version}; 1.0 and 2.0 are read")
    if dtype.hasobject:
        raise _Refused(f"entry {name!r} holds Python objects ({dtype}), which only pickle could load; "
                       "pickle is never run (allow_pickle=False)")
    nbytes = math.prod(shape) * dtype.itemsize
    stored = member.file_size - handle.tell()
    if nbytes != stored:
        raise _Refused(f"entry {name!r} declares shape {shape} of {dtype} ({nbytes:,} bytes) but stores "
                       f"{stored:,} bytes")
    handle.seek(0)
    return np.lib.format.read_array(handle, allow_pickle=False)
