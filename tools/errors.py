"""Typed failures, sorted by who can fix them.

`KinemaError` and its children are mistakes a user or programmer can correct (bad input, an
unknown backend, a missing extra): the CLI turns them into one line and exit code 2. Failures of
models at run time (timeouts, malformed answers) are not exceptions here; they become data in state.
"""

from __future__ import annotations


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
