"""What a run has paid for, kept on disk beside what it bought, so nothing is paid twice.

Each paid backend call (the plan, a round's keyframes, every candidate, every judgement, every
refinement) has a journal entry in `RUN_DIR/journal/`, named for the step and the hash of its
inputs. The entry is opened before the call (so a kill mid-call is known afterwards as a lost,
paid attempt) and closed with the call's result and the content hashes of the files it made.

LangGraph's checkpoint already skips finished steps on resume; the journal covers what the
checkpoint cannot: a step that finished just before a kill and was not yet checkpointed, and a
checkpoint that is corrupt or gone, after which the run is replayed from its request and every
step whose entry matches (same inputs, files intact) is taken from disk instead of being paid
for again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from agent.rundir import write_json_atomic
from tools.media import sha256_file

JOURNAL_DIR = "journal"
T = TypeVar("T")


class Entry(BaseModel):
    """One paid step: how often it was started, and what it produced once it finished."""

    name: str = Field(description="The step, e.g. 'r01c0' or 'plan'.")
    key: str = Field(description="Hash of everything the step's result depends on.")
    attempts: int = Field(0, ge=0, description="Calls started, finished or not.")
    result: Any = Field(None, description="The step's result as JSON, once it finished.")
    files: dict[str, str] = Field(default_factory=dict, description="Path -> sha256 it made.")


def key_of(*parts: Any) -> str:
    """A stable hash of what a step's result depends on (pydantic models included).

    Costs are left out: they are what earlier steps paid (wall seconds among them), not what
    this step is asked to do, and they differ between a run and its replay.
    """
    plain = _without_costs([_plain(p) for p in parts])
    text = json.dumps(plain, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _without_costs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_costs(v) for k, v in value.items() if k != "cost"}
    if isinstance(value, list):
        return [_without_costs(v) for v in value]
    return value


def _path(run_dir: str | os.PathLike[str], name: str, key: str) -> Path:
    return Path(run_dir) / JOURNAL_DIR / f"{name}-{key[:16]}.json"


def read(run_dir: str | os.PathLike[str], name: str, key: str) -> Entry | None:
    """The entry of step `name` with inputs `key`; None when absent or unreadable."""
    try:
        entry = Entry.model_validate_json(_path(run_dir, name, key).read_bytes())
    except (OSError, ValueError):
        return None
    return entry if entry.key == key else None


def begin(run_dir: str | os.PathLike[str], name: str, key: str) -> Entry:
    """Records that step `name` is being paid for now; returns the entry as it was before.

    Written before the call, so a process killed during it leaves proof that it was started.
    """
    before = read(run_dir, name, key) or Entry(name=name, key=key)
    started = before.model_copy(update={"attempts": before.attempts + 1, "result": None,
                                        "files": {}})
    path = _path(run_dir, name, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, started.model_dump(mode="json"))
    return before


def cancel(run_dir: str | os.PathLike[str], name: str, key: str) -> None:
    """Takes back a `begin` whose call was refused before anything was paid (a user's mistake)."""
    entry = read(run_dir, name, key)
    if entry is not None and entry.result is None and entry.attempts > 0:
        undone = entry.model_copy(update={"attempts": entry.attempts - 1})
        write_json_atomic(_path(run_dir, name, key), undone.model_dump(mode="json"))


def finish(run_dir: str | os.PathLike[str], name: str, key: str, result: Any,
           files: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Closes step `name` with its result and the content hashes of the files it made."""
    entry = read(run_dir, name, key) or Entry(name=name, key=key, attempts=1)
    hashes = {str(f): sha256_file(f) for f in files if f and Path(f).is_file()}
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    done = entry.model_copy(update={"result": payload, "files": hashes})
    write_json_atomic(_path(run_dir, name, key), done.model_dump(mode="json"))


def finished(entry: Entry | None, kind: Any) -> Any | None:
    """The entry's result as `kind` when it finished and every file it made is intact."""
    if entry is None or entry.result is None:
        return None
    for path, digest in entry.files.items():
        if not Path(path).is_file() or sha256_file(path) != digest:
            return None
    try:
        return TypeAdapter(kind).validate_python(entry.result)
    except ValidationError:
        return None


def once(run_dir: str | os.PathLike[str], name: str, key: str, kind: type[T] | Any,
         call: Callable[[], T], files: Callable[[T], Iterable[str]] = lambda _: ()
         ) -> tuple[T, bool]:
    """`call()`'s result, journalled; the recorded result instead when step `name` already ran.

    Returns the result and whether it came from the journal (nothing was paid this time).
    """
    recorded = finished(read(run_dir, name, key), kind)
    if recorded is not None:
        return recorded, True
    begin(run_dir, name, key)
    result = call()
    finish(run_dir, name, key, _dumpable(result), files(result))
    return result, False


def _dumpable(result: Any) -> Any:
    if isinstance(result, list):
        return [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in result]
    return result
