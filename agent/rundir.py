"""The run directory on disk: its name, its creation, and the JSON files it holds.

Every file is written beside its destination and renamed into place, with secrets redacted, so a
crash or a full disk never leaves a half-written `result.json`, and no key reaches the disk.
Reading is as careful: a missing or corrupt file is a one-line `BadInputError`, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.context import Context
from agent.state import (
    BestRef,
    CandidateSummary,
    DecisionSummary,
    Iteration,
    RoundSummary,
    RunRequest,
    RunResult,
)
from tools.errors import BadInputError, is_storage_failure, storage_error
from tools.redact import redact

RESULT_FILE = "result.json"
CONTEXT_FILE = "context.json"
REQUEST_FILE = "request.json"
CHECKPOINTS_FILE = "checkpoints.sqlite"
FINAL_VIDEO = "final.mp4"
# A run id is one plain path component: nothing a graph input could use to leave the out folder.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

_M = TypeVar("_M", bound=BaseModel)


def _file_mode() -> int:
    """The mode a new file gets under this process's umask (what `final.mp4` gets)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def new_run_id() -> str:
    """Sortable by time, unique across concurrent runs in one process."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def create_run_dir(out_dir: str | os.PathLike[str]) -> tuple[str, Path]:
    """Makes `out_dir/<run_id>/`, failing with advice when the parent cannot be written."""
    parent = Path(out_dir).expanduser()
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(
            f"cannot create output folder {str(parent)!r} ({exc.strerror}): pass a writable --out"
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInputError(f"output folder {str(parent)!r} is not writable: pass a writable --out")
    while True:
        run_id = new_run_id()
        run_dir = parent / run_id
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            if is_storage_failure(exc):
                raise storage_error(exc, str(run_dir)) from None
            raise
        return run_id, run_dir


def run_folder(out_dir: str | os.PathLike[str], run_id: str) -> Path:
    """Where run `run_id` lives: always inside `out_dir`, whatever `run_id` holds.

    Raises:
        BadInputError: `run_id` is not one plain path component.
    """
    if not RUN_ID.fullmatch(run_id or "") or ".." in run_id:
        raise BadInputError(f"invalid run id {run_id!r}: leave it out and Kinema chooses one")
    return Path(out_dir).expanduser() / run_id


def round_dir(run_dir: str | os.PathLike[str], index: int) -> Path:
    return Path(run_dir) / "rounds" / f"{index:02d}"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Writes `data` beside `path` and renames it into place; on failure nothing is left.

    Raises:
        StorageError: the disk is full or the folder is not writable.
    """
    tmp = path.with_name(f".tmp-{path.name}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if is_storage_failure(exc):
            raise storage_error(exc, str(path)) from None
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Text as UTF-8; characters UTF-8 cannot hold (lone surrogates) are escaped, never fatal."""
    write_bytes_atomic(path, text.encode("utf-8", "backslashreplace"))


def write_json_atomic(path: Path, payload: Any) -> None:
    """`payload` as JSON with secrets redacted, atomically (see `write_bytes_atomic`)."""
    write_text_atomic(path, json.dumps(redact(payload), indent=2, default=str) + "\n")


def read_json(path: Path, what: str) -> Any:
    """A JSON file Kinema wrote, or a one-line BadInputError saying what is wrong with it."""
    if path.parent.is_file():
        raise BadInputError(f"{str(path.parent)!r} is a file, not a run folder: pass the folder "
                            "of a run")
    try:
        return json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except FileNotFoundError as exc:
        raise BadInputError(f"{str(path)!r} does not exist: pass {what}") from exc
    except IsADirectoryError as exc:
        raise BadInputError(f"{str(path)!r} is a folder, not a file: pass {what}") from exc
    except ValueError as exc:
        raise BadInputError(f"{str(path)!r} is corrupt ({_short(exc)})") from None
    except OSError as exc:
        raise BadInputError(f"cannot read {str(path)!r} ({exc.strerror})") from None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:160]


def best_of(iterations: list[Iteration]) -> BestRef | None:
    """The best candidate over all rounds; the earliest wins a tie."""
    best: BestRef | None = None
    for it in iterations:
        for cand, verdict in zip(it.candidates, it.verdicts, strict=False):
            if cand.error is None and (best is None or verdict.score > best.score):
                best = BestRef(round=it.index, candidate=cand.id, video=cand.video,
                               score=verdict.score)
    return best


def round_summary(it: Iteration) -> RoundSummary:
    """A round as `result.json` records it."""
    verdicts = _pad(it.verdicts, len(it.candidates))
    return RoundSummary(
        index=it.index,
        prompt=it.prompt,
        keyframes=len(it.keyframes),
        candidates=[
            CandidateSummary(
                id=c.id, video=c.video, seed=c.seed,
                score=v.score if v else None,
                physics=v.physics if v else None,
                adherence=v.adherence if v else None,
                violations=v.violations if v else [],
                adherence_violations=v.adherence_violations if v else [],
                error=c.error,
            )
            for c, v in zip(it.candidates, verdicts, strict=True)
        ],
        decision=(DecisionSummary(action=it.decision.action, reason=it.decision.reason,
                                  detail=it.decision.detail) if it.decision else None),
        refinement=it.refinement.notes if it.refinement else [],
    )


def _pad(items: list[Any], n: int) -> list[Any]:
    return list(items[:n]) + [None] * max(0, n - len(items))


def copy_final(run_dir: Path, best: BestRef | None) -> str | None:
    """Copies the best candidate to `final.mp4` (atomically; nothing is left on failure)."""
    if best is None or not Path(best.video).is_file():
        return None
    target = run_dir / FINAL_VIDEO
    tmp = run_dir / f".tmp-{FINAL_VIDEO}"
    try:
        shutil.copyfile(best.video, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if is_storage_failure(exc):
            raise storage_error(exc, str(target)) from None
        raise
    return str(target)


def write_result(run_dir: Path, result: RunResult) -> Path:
    """Writes `result.json` with every path relative to the run folder, so it can be moved."""
    path = run_dir / RESULT_FILE
    write_json_atomic(path, relative_paths(result.model_dump(mode="json"), run_dir))
    return path


def load_result(run_dir: str | os.PathLike[str]) -> RunResult:
    """The RunResult of a run folder, its paths joined to the folder (as `generate()` returns).

    Raises:
        BadInputError: the folder holds no readable `result.json`.
    """
    folder = Path(run_dir)
    payload = resolve_paths(read_result(folder), folder)
    try:
        return RunResult.model_validate(payload)
    except ValidationError as exc:
        raise BadInputError(f"{str(folder / RESULT_FILE)!r} is corrupt ({_short(exc)})") from None


# Where `result.json` and `rounds/record.json` hold paths of files (`*`: every list item).
PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("run_dir",), ("final_video",), ("best", "video"),
    ("rounds", "*", "candidates", "*", "video"),
    ("iterations", "*", "candidates", "*", "video"),
    ("iterations", "*", "keyframes", "*", "image"),
)


def relative_paths(payload: Any, run_dir: Path) -> Any:
    """`payload` with every path inside `run_dir` written relative to it (`run_dir` itself: ".").

    Paths outside the run folder are made absolute instead, so the file reads the same
    whichever folder a later command runs in.
    """
    base = Path(os.path.abspath(run_dir))

    def rewrite(value: str) -> str:
        path = Path(os.path.abspath(value))
        return os.path.relpath(path, base) if path.is_relative_to(base) else str(path)

    return _map_paths(payload, rewrite)


def resolve_paths(payload: Any, run_dir: Path) -> Any:
    """The inverse of `relative_paths`: relative paths joined to `run_dir` (as it was given)."""
    return _map_paths(payload, lambda value: value if os.path.isabs(value)
                      else os.path.normpath(Path(run_dir) / value))


def _map_paths(payload: Any, rewrite: Any) -> Any:
    for field_path in PATH_FIELDS:
        payload = _map_at(payload, field_path, rewrite)
    return payload


def _map_at(node: Any, field_path: tuple[str, ...], rewrite: Any) -> Any:
    if not field_path:
        return rewrite(node) if isinstance(node, str) and node else node
    head, rest = field_path[0], field_path[1:]
    if head == "*":
        return [_map_at(v, rest, rewrite) for v in node] if isinstance(node, list) else node
    if isinstance(node, dict) and head in node:
        return {**node, head: _map_at(node[head], rest, rewrite)}
    return node


def read_result(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """`result.json` as written (paths relative to the run folder); see `load_result`."""
    path = Path(run_dir) / RESULT_FILE
    payload = read_json(path, "a run directory")
    if not isinstance(payload, dict):
        raise BadInputError(f"{str(path)!r} is corrupt (not a JSON object)")
    return payload


def write_context(run_dir: Path, ctx: Context) -> Path:
    """Saves the run's Context, so `kinema resume` rebuilds the run exactly as it was started."""
    path = run_dir / CONTEXT_FILE
    write_json_atomic(path, ctx.model_dump(mode="json"))
    return path


def read_context(run_dir: str | os.PathLike[str]) -> Context:
    return _read_model(Path(run_dir) / CONTEXT_FILE, Context)


def write_request(run_dir: Path, request: RunRequest) -> Path:
    """Saves the request, so a run whose checkpoint is lost can be replayed from its start."""
    path = run_dir / REQUEST_FILE
    write_json_atomic(path, request.model_dump(mode="json"))
    return path


def read_request(run_dir: str | os.PathLike[str]) -> RunRequest:
    return _read_model(Path(run_dir) / REQUEST_FILE, RunRequest)


def _read_model(path: Path, model: type[_M]) -> _M:
    """A run file read back as its model; a file that does not validate is corrupt (exit 2)."""
    payload = read_json(path, "the directory of a run started by `kinema run`")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadInputError(f"{str(path)!r} is corrupt ({_short(exc)})") from None
