"""Typed failures, sorted by who can fix them.

`KinemaError` and its children are mistakes a user or programmer can correct (bad input, an
unknown backend, a missing extra): the CLI turns them into one line and exit code 2. Failures of
models at run time (timeouts, malformed answers) are not exceptions here; they become data in state.
"""

from __future__ import annotations

from typing import Any


class KinemaError(Exception):
    """Base of every error whose message tells the user what to do next."""


class BadInputError(KinemaError):
    """The request itself cannot be run (empty prompt, impossible size, unwritable folder)."""


class UnknownBackendError(KinemaError):
    """A spec string names no registered backend."""

    def __init__(self, role: str, spec: str, known: list[str]) -> None:
        self.role, self.spec, self.known = role, spec, known
        super().__init__(
            f"unknown {role} backend {spec!r}: choose one of {', '.join(known) or '(none)'}"
        )


class BackendUnavailable(KinemaError):
    """A backend exists but cannot run here (missing extra, missing key, no GPU)."""


class VideoReadError(KinemaError):
    """A video file cannot be opened or decoded."""


class StudioUnsupported(KinemaError):
    """The offline studio cannot simulate this prompt; a real generator can."""


class RunLockedError(KinemaError):
    """Another process is working on this run folder; a second one would pay for work twice."""

    def __init__(self, run_dir: str, holder: str) -> None:
        self.run_dir, self.holder = run_dir, holder
        super().__init__(f"the run in {run_dir!r} is in use by {holder}: wait for it to finish "
                         "(or stop that process), then try again")


class StorageError(KinemaError):
    """The disk is full, or a folder stopped being writable, while Kinema was writing a run.

    Nothing is left half-written: every file is written beside its destination and renamed
    into place, so the run can be resumed once there is room.
    """


def invalid_input(exc: Any, what: str = "input") -> BadInputError:
    """A pydantic ValidationError as one line naming the field; NaN is called 'not a number'."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or what
    message = str(first["msg"]).removeprefix("Value error, ")
    if first.get("type") == "finite_number":
        message = "not a number (NaN or infinity): give a finite number"
    return BadInputError(f"invalid {where}: {message}")


# errno values that mean "this folder cannot take more data" rather than a bug.
_NO_ROOM = {"ENOSPC", "EDQUOT", "EFBIG"}
_NOT_WRITABLE = {"EACCES", "EPERM", "EROFS"}


def is_storage_failure(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a full disk or a folder that stopped being writable.

    Backends wrap I/O errors (PyAV, diffusers), so the cause chain is searched too; SQLite says
    so with its own error names.
    """
    return _storage_cause(exc) is not None


def _storage_cause(exc: BaseException) -> BaseException | None:
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = errno.errorcode.get(current.errno or 0, "") if isinstance(current, OSError) else ""
        if code in _NO_ROOM | _NOT_WRITABLE or _sqlite_kind(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def _sqlite_kind(exc: BaseException) -> str:
    """'full', 'io' or 'readonly' for SQLite's storage failures (the checkpoint), else ''."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    if name.startswith("SQLITE_FULL"):
        return "full"
    if name.startswith("SQLITE_IOERR"):  # what SQLite reports for EFBIG, EIO, ENOSPC mid-write
        return "io"
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
        return "readonly"
    return ""


def storage_error(exc: BaseException, where: str) -> StorageError:
    """The one-line StorageError for a write that failed at `where`."""
    import errno

    exc = _storage_cause(exc) or exc
    code = errno.errorcode.get(getattr(exc, "errno", None) or 0, "")
    kind = _sqlite_kind(exc) or ("full" if code in _NO_ROOM else "readonly")
    why, fix = {
        "full": ("no space left on the device", "free some space"),
        "io": ("the device failed a write (full, or a file size limit)", "free some space"),
        "readonly": ("the folder is not writable", "make it writable"),
    }[kind]
    return StorageError(f"cannot write {where!r}: {why}; {fix}, then resume the run")
