"""The run-folder lock: one process works on a run folder at a time.

Two `kinema resume` on one folder would each generate the candidates the checkpoint lacks, and
pay for them twice. The lock is an advisory `flock` on `RUN_DIR/.lock`, a file that also names
its holder (pid, host, command, since when) for the message the second process shows. The
kernel drops a `flock` when its process dies, however it dies, so a lock left by a killed
process is stale by construction and the next process simply takes it over.

Usage (the batch command reuses it)::

    with run_lock(run_dir):
        ...  # raises RunLockedError at entry when another process holds the folder
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.errors import RunLockedError, StorageError

__all__ = ["LOCK_FILE", "RunLockedError", "holder", "run_lock"]

LOCK_FILE = ".lock"

# Folders this process holds, so a second lock from the same process (another thread) is
# refused too, and the graph's nodes can tell that the runner started the run they work on.
_held: dict[str, int] = {}
_held_lock = threading.Lock()


@contextmanager
def run_lock(run_dir: str | os.PathLike[str], command: str | None = None) -> Iterator[Path]:
    """Holds `run_dir`'s lock for the block; yields the lock file's path.

    Raises:
        RunLockedError: another process (or another thread of this one) holds it.
        StorageError: the lock file cannot be written (full disk, read-only folder).
    """
    folder = Path(run_dir)
    key = _key(folder)
    with _held_lock:
        if key in _held:
            raise RunLockedError(str(folder), _describe(folder / LOCK_FILE)
                                 or f"process {os.getpid()} (this one)")
        _held[key] = -1
    try:
        fd = _acquire(folder / LOCK_FILE, str(folder), command)
    except BaseException:
        with _held_lock:
            _held.pop(key, None)
        raise
    with _held_lock:
        _held[key] = fd
    try:
        yield folder / LOCK_FILE
    finally:
        with _held_lock:
            _held.pop(key, None)
        _release(folder / LOCK_FILE, fd)


def holds(run_dir: str | os.PathLike[str]) -> bool:
    """Whether this process holds `run_dir`'s lock right now."""
    with _held_lock:
        return _held.get(_key(Path(run_dir)), -1) >= 0


def holder(run_dir: str | os.PathLike[str]) -> str | None:
    """Who holds `run_dir`'s lock, in words; None when nobody does (a stale file counts as none)."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try_flock(fd):
            _unflock(fd)
            return None
        return _describe(path)
    finally:
        os.close(fd)


def _key(folder: Path) -> str:
    return os.path.realpath(folder)


def _acquire(path: Path, shown: str, command: str | None) -> int:
    """Opens and flocks the lock file, retrying when a releasing holder unlinks it meanwhile."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError as exc:
            raise StorageError(f"{shown!r} is not a run folder (it does not exist)") from exc
        except OSError as exc:
            raise StorageError(f"cannot write the lock file in {shown!r} ({exc.strerror}): "
                               "free some space or make the folder writable") from exc
        if not _try_flock(fd):
            os.close(fd)
            raise RunLockedError(shown, _wait_for_label(path))
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            _write_holder(fd, command)
            return fd
        # The holder released and unlinked the file between our open and our flock.
        _unflock(fd)
        os.close(fd)


def _write_holder(fd: int, command: str | None) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
            "command": command or " ".join(["kinema", *sys.argv[1:2]]).strip()}
    data = json.dumps(info).encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
    except OSError:
        pass  # the lock holds without its label; the message then says "another process"


def _wait_for_label(path: Path, patience_s: float = 1.0) -> str:
    """The holder's label; a holder that has just locked writes it a moment later."""
    deadline = time.monotonic() + patience_s
    while (label := _describe(path)) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return label or "another process"


def _describe(path: Path) -> str | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["since"])))
        return f"process {int(info['pid'])} on {info['host']} ({info['command']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _release(path: Path, fd: int) -> None:
    # Unlink while still holding the flock, so nobody who opens the path later sees our lock.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    _unflock(fd)
    os.close(fd)


try:
    import fcntl

    def _try_flock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unflock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows: msvcrt's byte-range lock, also dropped when the process dies
    import msvcrt

    def _try_flock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unflock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
