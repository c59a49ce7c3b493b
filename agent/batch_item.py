"""One batch item, exactly once: the worker's side of `kinema batch`.

Each item owns `OUT/items/<id>/`: its status record `item.json`, a lock file, and the run folder
the runner creates inside it. `run_item` holds the item's lock for the whole run, so two
processes never work on one item (a worker orphaned by a killed driver finishes its node first,
and a new session waits for it); under the lock it reads what is already on disk and does only
what is left:
- a completed item, or a failed one (unless retried), is reported without running anything;
- a run folder with a checkpoint is resumed (finished generations are not paid again);
- a run folder that finished while nobody was recording it is recorded as it ended;
- otherwise the run starts.
A failure of the run is recorded with its error and returned, never raised: one bad item must
not stop a batch. The driver's stop request (`OUT/.stop`) and a dead driver stop the run after
its current node; it is saved, and the next session resumes it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent import executors
from agent.context import Context
from agent.intake import context_for, request_for
from agent.rundir import CHECKPOINTS_FILE, CONTEXT_FILE, RESULT_FILE, write_json_atomic
from agent.state import Budget, Ledger, RunRequest
from tools.errors import BadInputError, KinemaError
from tools.prompt_sets import PromptItem

ITEMS_DIR = "items"
ITEM_FILE = "item.json"
ITEM_LOCK = ".lock"
STOP_FILE = ".stop"
BATCH_FILE = "batch.json"

ItemStatus = Literal["running", "completed", "failed"]
OutcomeStatus = Literal["completed", "failed", "interrupted"]
Ending = tuple[OutcomeStatus, str | None]  # how a run ended: (status, error)


class ItemRecord(BaseModel):
    """`item.json`: where an item stands; written only by the holder of the item's lock."""

    id: str
    status: ItemStatus
    attempts: int = Field(0, description="Times a worker started or resumed the item's run.")
    run_dir: str | None = Field(None, description="The run folder, relative to the batch folder.")
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = Field(None, description="host:pid of the last worker.")


class ItemTask(BaseModel):
    """What the driver sends a worker: the item and every run option."""

    batch_dir: str
    batch_id: str
    item: PromptItem
    request: dict[str, Any] = Field(description="RunRequest fields other than the prompt.")
    context: dict[str, Any] = Field(description="The Context every item runs with.")
    retry_failed: bool = False


class ItemOutcome(BaseModel):
    """What a worker reports back."""

    id: str
    status: OutcomeStatus
    run_dir: str | None = None
    error: str | None = None
    score: float | None = None
    ledger: Ledger = Field(default_factory=Ledger)
    ran: bool = Field(True, description="False when the item was already done on disk.")


def item_folder(batch_dir: Path, item_id: str) -> Path:
    return batch_dir / ITEMS_DIR / item_id


def read_record(folder: Path) -> ItemRecord | None:
    path = folder / ITEM_FILE
    if not path.is_file():
        return None
    return ItemRecord.model_validate_json(path.read_text(encoding="utf-8"))


def write_record(folder: Path, record: ItemRecord) -> None:
    write_json_atomic(folder / ITEM_FILE, record.model_dump(mode="json"))


@contextmanager
def item_lock(folder: Path) -> Iterator[None]:
    """The item's lock, held across processes (and machines sharing the folder) for a whole run.

    A lock held by a dead process is released by the kernel, so a crash never leaves it stale.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ITEM_LOCK, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_item(task: ItemTask) -> ItemOutcome:
    """Brings one item to completed or failed (or saves it, when stopped); see the module doc."""
    batch_dir = Path(task.batch_dir)
    _check_visible(batch_dir, task.batch_id)
    folder = item_folder(batch_dir, task.item.id)
    with item_lock(folder):
        record = read_record(folder)
        if record is not None and _settled(record, task.retry_failed):
            return _reported(batch_dir, record, ran=False)
        run_dir = previous_run(folder)
        ended = _how_it_ended(run_dir, task.retry_failed)
        attempts = record.attempts if record else 0
        if ended is not None:
            return _finish(batch_dir, folder, task.item.id, attempts, run_dir, ended, ran=False)
        write_record(folder, ItemRecord(
            id=task.item.id, status="running", attempts=attempts + 1, started_at=time.time(),
            run_dir=_relative(batch_dir, run_dir), worker=f"{socket.gethostname()}:{os.getpid()}"))
        status, error = _run_or_resume(task, folder, run_dir)
        run_dir = previous_run(folder)
        if status == "interrupted":  # unless it finished just as the stop came
            ended = _how_it_ended(run_dir, retry_failed=False)
            if ended is None:
                return _saved(batch_dir, folder, run_dir)
            status, error = ended
        return _finish(batch_dir, folder, task.item.id, attempts + 1, run_dir, (status, error),
                       ran=True)


def _settled(record: ItemRecord, retry_failed: bool) -> bool:
    return record.status == "completed" or (record.status == "failed" and not retry_failed)


def _run_or_resume(task: ItemTask, folder: Path, run_dir: Path | None) -> Ending:
    """Runs (or resumes) the item's run; a failure is returned with its message, not raised."""
    from agent.runner import RunInterrupted, resume, run

    hook = _stop_hook(Path(task.batch_dir))
    try:
        if run_dir is not None:
            # `resume` holds the run folder's own lock (agent.lock) while it works.
            resume(run_dir, on_update=hook)
        else:
            run(_request(task), _context(task, folder), on_update=hook)
    except RunInterrupted:
        return "interrupted", None
    except KinemaError as exc:
        return "failed", str(exc)
    except Exception as exc:  # a backend's bug fails this item, not the batch
        return "failed", f"{type(exc).__name__}: {exc}"
    return "completed", None


def _stop_hook(batch_dir: Path) -> Any:
    stop_file = batch_dir / STOP_FILE

    def check(node: str, update: dict[str, Any]) -> None:
        if stop_file.exists() or executors.driver_gone():
            raise KeyboardInterrupt  # the runner saves the run as cancelled: resumable

    return check


def _request(task: ItemTask) -> RunRequest:
    fields = dict(task.request)
    if task.item.seed is not None:
        fields["seed"] = task.item.seed
    return request_for(task.item.prompt, **fields)


def _context(task: ItemTask, folder: Path) -> Context:
    return context_for(task.context, out_dir=folder, budget=task.item.budget or None)


def item_budget(base: Budget, override: dict[str, Any]) -> Budget:
    """The batch's per-run budget with the item's own caps over it."""
    return context_for(Context(budget=base), budget=override).budget


def previous_run(folder: Path) -> Path | None:
    """The item's run folder; folders no step was saved in are removed (nothing to resume)."""
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and (p / CONTEXT_FILE).is_file())
    kept = [p for p in runs if (p / CHECKPOINTS_FILE).is_file() or (p / RESULT_FILE).is_file()]
    for empty in set(runs) - set(kept):
        shutil.rmtree(empty, ignore_errors=True)
    return kept[-1] if kept else None


def _result(run_dir: Path | None) -> dict[str, Any] | None:
    if run_dir is None or not (run_dir / RESULT_FILE).is_file():
        return None
    return dict(json.loads((run_dir / RESULT_FILE).read_text(encoding="utf-8")))


def _how_it_ended(run_dir: Path | None, retry_failed: bool) -> Ending | None:
    """How a run that nobody recorded ended, or None when it can still go on (or never ran)."""
    result = _result(run_dir)
    if result is None or result.get("status") == "cancelled":
        return None
    if result.get("status") == "completed":
        return "completed", None
    return None if retry_failed else ("failed", str(result.get("error") or "failed"))


def _ledger(run_dir: Path | None) -> Ledger:
    result = _result(run_dir)
    return Ledger.model_validate(result["ledger"]) if result and "ledger" in result else Ledger()


def _saved(batch_dir: Path, folder: Path, run_dir: Path | None) -> ItemOutcome:
    """A run stopped on request: still `running` on disk, resumable from its checkpoint."""
    record = read_record(folder)
    assert record is not None  # written before the run started
    record.run_dir = _relative(batch_dir, run_dir)
    write_record(folder, record)
    return ItemOutcome(id=record.id, status="interrupted", run_dir=record.run_dir,
                       ledger=_ledger(run_dir))


def _finish(batch_dir: Path, folder: Path, item_id: str, attempts: int, run_dir: Path | None,
            ending: Ending, *, ran: bool) -> ItemOutcome:
    """Records the item as it ended (completed, or failed with its error) and reports it."""
    status, error = ending
    previous = read_record(folder)
    record = ItemRecord(
        id=item_id, status="completed" if status == "completed" else "failed",
        attempts=attempts, run_dir=_relative(batch_dir, run_dir), error=error,
        started_at=previous.started_at if previous else None, finished_at=time.time(),
        worker=f"{socket.gethostname()}:{os.getpid()}")
    write_record(folder, record)
    return _reported(batch_dir, record, ran=ran)


def _reported(batch_dir: Path, record: ItemRecord, *, ran: bool) -> ItemOutcome:
    run_dir = batch_dir / record.run_dir if record.run_dir else None
    result = _result(run_dir) or {}
    best = result.get("best") or {}
    status: OutcomeStatus = "completed" if record.status == "completed" else "failed"
    return ItemOutcome(id=record.id, status=status, run_dir=record.run_dir, error=record.error,
                       score=best.get("score"), ledger=_ledger(run_dir), ran=ran)


def _relative(batch_dir: Path, run_dir: Path | None) -> str | None:
    return None if run_dir is None else os.path.relpath(run_dir, batch_dir)


def _check_visible(batch_dir: Path, batch_id: str) -> None:
    """Fails when this worker does not see the driver's batch folder (no shared storage)."""
    path = batch_dir / BATCH_FILE
    try:
        seen = json.loads(path.read_text(encoding="utf-8")).get("batch_id")
    except (OSError, ValueError):
        seen = None
    if seen != batch_id:
        raise BadInputError(
            f"the batch folder {str(batch_dir)!r} is not visible from worker host "
            f"{socket.gethostname()!r}: put --out on storage every Ray node mounts at the same "
            "path")
