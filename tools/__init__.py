"""What the agent calls: model backends, the offline studio, judges and media I/O."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kinema")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
