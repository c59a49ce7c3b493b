"""`kinema batch`: one run per prompt of a file, resumable, on local workers or a Ray cluster.

The driver (this module) reads the prompt file, pins the batch's items and run options in
`OUT/batch.json`, and hands items to an executor (`agent.executors`) while the batch budget
allows; workers run them (`agent.batch_item.run_item`, exactly once per item). Running the same
command again continues the batch: settled items are skipped, interrupted runs resume from their
checkpoints. Only one driver works on a folder at a time (`OUT/.batch.lock`).

Ctrl-C (or SIGTERM in the CLI, or `touch OUT/.stop` from any shell or node) asks the running
items to stop after their current node, which saves them, and starts no more; a second Ctrl-C
kills the workers (their runs still resume from their last checkpoint).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.backends import validate_specs
from agent.batch_item import (
    BATCH_FILE,
    STOP_FILE,
    ItemOutcome,
    ItemRecord,
    ItemTask,
    item_budget,
    item_folder,
    read_record,
    run_item,
    write_record,
)
from agent.batch_summary import write_summaries
from agent.context import Context
from agent.executors import ExecutorKind, Placement, Setup, WorkerLost, open_executor
from agent.intake import request_for
from agent.rundir import write_json_atomic
from agent.state import Ledger
from tools.base import Resources, registry
from tools.errors import BadInputError, KinemaError
from tools.prompt_sets import PromptItem, read_prompt_set

LOCK_FILE = ".batch.lock"
MAX_LOST = 2  # an item whose worker died this many times is failed, not retried again


class BatchBusyError(KinemaError):
    """Another process is driving a batch in the same folder."""


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: what ran is saved; the same command continues it."""

    def __init__(self, out_dir: Path) -> None:
        super().__init__(str(out_dir))
        self.out_dir = out_dir


@dataclass(frozen=True)
class BatchLimits:
    """The batch budget: no new item starts once finished items have spent this much."""

    usd: float | None = None
    gpu_seconds: float | None = None

    def spent(self, total: Ledger) -> str | None:
        """Why the budget is spent, or None while it is not."""
        if self.usd is not None and total.usd >= self.usd:
            return f"batch budget spent: ${total.usd:.4f} of ${self.usd:g}"
        if self.gpu_seconds is not None and total.gpu_seconds >= self.gpu_seconds:
            return (f"batch budget spent: {total.gpu_seconds:.1f} of {self.gpu_seconds:g} "
                    "GPU seconds")
        return None


@dataclass
class BatchProgress:
    """Where the batch stands; handed to `on_progress` after every change and every second."""

    total: int
    completed: int = 0
    failed: int = 0
    running: int = 0
    usd: float = 0.0
    gpu_seconds: float = 0.0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    finished: ItemOutcome | None = None  # the item that just finished, if any
    note: str | None = None  # a change of course: stopping, budget spent, a worker lost

    @property
    def pending(self) -> int:
        return self.total - self.completed - self.failed - self.running


OnProgress = Callable[[BatchProgress], None]


@dataclass
class _Ledgers:
    """The latest ledger of each item's run: a resumed run's ledger already holds its past."""

    by_item: dict[str, Ledger] = field(default_factory=dict)

    def total(self) -> Ledger:
        out = Ledger()
        for ledger in self.by_item.values():
            out = out.plus(ledger)
        return out


def run_batch(source: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
              context: Context | None = None, request: dict[str, Any] | None = None,
              executor: ExecutorKind = "local", workers: int | None = None,
              ray_address: str | None = None, limits: BatchLimits | None = None,
              retry_failed: bool = False, setup: Setup | None = None,
              on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Runs every item of `source` not yet done into `out_dir`; returns `summary.json`'s content.

    Args:
        source: a prompt file (see `tools.prompt_sets`).
        out_dir: the batch folder; created, or continued when it holds this batch.
        context: backends, per-run budget and stop-rule settings for every item.
        request: RunRequest fields for every item (duration_s, fps, width, height, seed).
        executor: `local` (a thread, or `workers` processes) or `ray`.
        workers: items at once; Ray's default is what the cluster's resources hold.
        ray_address: a Ray cluster to join (`auto`, `ray://host:10001`); none starts a local one.
        limits: the batch budget.
        retry_failed: run failed items again (resuming their runs where they have one).
        setup: called once in every worker before its first item (to register backends that
            are not installed as entry points).
        on_progress: called with a `BatchProgress` as the batch goes.

    Raises:
        BadInputError: a bad prompt file or option, or a folder holding another batch.
        BatchBusyError: another driver works on `out_dir`.
        BatchInterrupted: Ctrl-C; the batch is saved and the same call continues it.
    """
    items = read_prompt_set(source)
    ctx = context or Context()
    fields = dict(request or {})
    _validate(items, ctx, fields)
    out = _batch_folder(out_dir)
    with _batch_lock(out):
        manifest = _pin(out, Path(source), items, ctx, fields)
        (out / STOP_FILE).unlink(missing_ok=True)
        tasks = [ItemTask(batch_dir=str(out.resolve()), batch_id=manifest["batch_id"], item=item,
                          request=fields, context=_portable(ctx), retry_failed=retry_failed)
                 for item in items]
        driver = _Driver(out, tasks, limits or BatchLimits(), on_progress)
        try:
            pool = open_executor(executor, workers, placement=placement_of(ctx), setup=setup,
                                 ray_address=ray_address)
            driver.session.update(executor=executor, workers=pool.slots)
            driver.drive(pool)
        except KeyboardInterrupt:
            driver.interrupted = True
        finally:
            (out / STOP_FILE).unlink(missing_ok=True)
            summary = write_summaries(out, items, manifest, driver.stopped,
                                      driver.session_record())
    if driver.interrupted:
        raise BatchInterrupted(out)
    return summary


def placement_of(ctx: Context) -> Placement:
    """What each item needs: one CPU, plus what its backends declare."""
    needs = Resources()
    for role, spec in ctx.specs().items():
        needs = needs.merge(registry.resources(role, spec))
    return Placement(cpus=1.0, gpus=needs.gpus, stateful=needs.holds_model)


def _validate(items: list[PromptItem], ctx: Context, fields: dict[str, Any]) -> None:
    """Every mistake in the options is reported before anything is written."""
    validate_specs(ctx)
    for item in items:
        try:
            request_for(item.prompt, **fields)
            if item.budget:
                item_budget(ctx.budget, item.budget)
        except BadInputError as exc:
            raise BadInputError(f"item {item.id}: {exc}") from None


def _batch_folder(out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"cannot create batch folder {str(out)!r} ({exc.strerror}): pass a "
                            "writable --out") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise BadInputError(f"batch folder {str(out)!r} is not writable: pass a writable --out")
    return out


@contextmanager
def _batch_lock(out: Path) -> Iterator[None]:
    with open(out / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BatchBusyError(f"{holder} is already running the batch in {str(out)!r}: wait "
                                 "for it to finish or stop it, or pass another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"kinema batch (pid {os.getpid()})")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _portable(ctx: Context) -> dict[str, Any]:
    """The Context as the manifest pins it: everything but where runs go (the batch decides)."""
    return {k: v for k, v in ctx.model_dump(mode="json").items() if k != "out_dir"}


def _pin(out: Path, source: Path, items: list[PromptItem], ctx: Context,
         fields: dict[str, Any]) -> dict[str, Any]:
    """Writes `batch.json` on the first session; later sessions must ask for the same batch."""
    wanted = {"items": [i.model_dump(mode="json") for i in items],
              "run": {"request": fields, "context": _portable(ctx)}}
    path = out / BATCH_FILE
    if path.is_file():
        pinned = json.loads(path.read_text(encoding="utf-8"))
        difference = _difference(pinned, wanted)
        if difference:
            raise BadInputError(f"{str(out)!r} holds a batch with other {difference}: run it "
                                "with the same prompt file and run options, or pass another --out")
        return dict(pinned)
    manifest = {"batch_id": uuid.uuid4().hex, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "source": str(source.resolve()), **wanted}
    write_json_atomic(path, manifest)
    return manifest


def _difference(pinned: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """The first way two batches differ, in words."""
    old, new = pinned.get("items", []), wanted["items"]
    if [i["id"] for i in old] != [i["id"] for i in new]:
        return f"items ({len(old)} pinned, {len(new)} in this file)"
    for a, b in zip(old, new, strict=True):
        if a != b:
            return f"content for item {a['id']}"
    flat_old, flat_new = _flat(pinned.get("run", {})), _flat(wanted["run"])
    for key in sorted(set(flat_old) | set(flat_new)):
        if flat_old.get(key) != flat_new.get(key):
            return f"run options ({key}: {flat_old.get(key)!r} pinned, {flat_new.get(key)!r} now)"
    return None


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}{key}." if prefix or key else ""))
        return out
    return {prefix.rstrip("."): value}


class _Driver:
    """Hands items to an executor while the budget allows, and keeps count."""

    def __init__(self, out: Path, tasks: list[ItemTask], limits: BatchLimits,
                 on_progress: OnProgress | None) -> None:
        self.out, self.limits, self.on_progress = out, limits, on_progress
        self.tasks = {t.item.id: t for t in tasks}
        self.ledgers = _Ledgers()
        self.progress = BatchProgress(total=len(tasks))
        self.lost: Counter[str] = Counter()
        self.stopped: str | None = None  # why items were left unstarted
        self.interrupted = False
        self.started = time.monotonic()
        self.finished_here = 0
        self.session: dict[str, Any] = {"executor": None, "workers": None}
        self.todo: deque[str] = deque()
        for item_id, task in self.tasks.items():
            record = read_record(item_folder(out, item_id))
            self._count_settled(record, task.retry_failed)
            if record is None or not self._settled(record, task.retry_failed):
                self.todo.append(item_id)

    def _settled(self, record: ItemRecord, retry_failed: bool) -> bool:
        return record.status == "completed" or (record.status == "failed" and not retry_failed)

    def _count_settled(self, record: ItemRecord | None, retry_failed: bool) -> None:
        if record is None:
            return
        if record.run_dir:
            self.ledgers.by_item[record.id] = _run_ledger(self.out / record.run_dir)
        if self._settled(record, retry_failed):
            if record.status == "completed":
                self.progress.completed += 1
            else:
                self.progress.failed += 1

    def session_record(self) -> dict[str, Any]:
        """This session's pace: items it settled per minute of its own wall time."""
        seconds = time.monotonic() - self.started
        return {**self.session, "seconds": round(seconds, 2),
                "items_settled": self.finished_here,
                "items_per_minute": round(60 * self.finished_here / seconds, 2) if seconds else 0}

    def drive(self, pool: Any) -> None:
        self.started = time.monotonic()  # the pace counts from when workers exist
        stopping = False
        try:
            while (self.todo and not stopping and not self.stopped) or pool.running:
                try:
                    if not stopping and (self.out / STOP_FILE).exists():
                        stopping = self.interrupted = True  # `touch OUT/.stop` from anywhere
                        self._emit(note="stop requested: running items save after their "
                                   "current step")
                    if not stopping and not self.stopped:
                        self._start_what_fits(pool)
                    for key, outcome, error in pool.wait(1.0):
                        self._settle(key, outcome, error)
                    self._emit()
                except KeyboardInterrupt:
                    if stopping:
                        raise
                    stopping = self.interrupted = True
                    (self.out / STOP_FILE).touch()
                    self._emit(note=f"stopping: {pool.running} running items save after their "
                               "current step (Ctrl-C again to kill them)")
        except BaseException:  # a second Ctrl-C, or a mistake of setup: stop the workers now
            pool.abort()
            raise
        finally:
            pool.close()

    def _start_what_fits(self, pool: Any) -> None:
        while self.todo and pool.running < pool.slots:
            spent = self.limits.spent(self.ledgers.total())
            if spent:
                self.stopped = spent
                self._emit(note=f"{spent}: {len(self.todo)} items not started")
                return
            item_id = self.todo.popleft()
            pool.submit(item_id, run_item, self.tasks[item_id])
            self.progress.running += 1

    def _settle(self, key: str, outcome: ItemOutcome | None, error: BaseException | None) -> None:
        self.progress.running -= 1
        if isinstance(error, WorkerLost):
            self._lost(key, error)
            return
        if error is not None:
            raise error  # a mistake of setup (e.g. workers that cannot see the folder)
        assert outcome is not None
        self.ledgers.by_item[key] = outcome.ledger
        if outcome.status == "interrupted":
            self._emit(finished=outcome)
            return
        self.finished_here += 1
        if outcome.status == "completed":
            self.progress.completed += 1
        else:
            self.progress.failed += 1
        self._emit(finished=outcome)

    def _lost(self, key: str, error: WorkerLost) -> None:
        """A dead worker's item runs again (resuming its run), unless it keeps killing workers."""
        self.lost[key] += 1
        if self.lost[key] < MAX_LOST:
            self.todo.appendleft(key)
            self._emit(note=f"{key}: its worker died ({error}); resuming it")
            return
        folder = item_folder(self.out, key)
        record = read_record(folder) or ItemRecord(id=key, status="failed")
        reason = f"its worker died {MAX_LOST} times while running it (out of memory?): {error}"
        write_record(folder, record.model_copy(update={"status": "failed", "error": reason,
                                                        "finished_at": time.time()}))
        self.progress.failed += 1
        self._emit(finished=ItemOutcome(id=key, status="failed", run_dir=record.run_dir,
                                        error=reason))

    def _emit(self, finished: ItemOutcome | None = None, note: str | None = None) -> None:
        if self.on_progress is None:
            return
        total = self.ledgers.total()
        elapsed = time.monotonic() - self.started
        left = self.progress.pending + self.progress.running
        rate = self.finished_here / elapsed if self.finished_here and elapsed > 0 else 0.0
        self.progress.usd, self.progress.gpu_seconds = total.usd, total.gpu_seconds
        self.progress.elapsed_s = elapsed
        self.progress.eta_s = left / rate if rate else None
        self.progress.finished, self.progress.note = finished, note
        self.on_progress(self.progress)


def _run_ledger(run_dir: Path) -> Ledger:
    path = run_dir / "result.json"
    if not path.is_file():
        return Ledger()
    ledger = json.loads(path.read_text(encoding="utf-8")).get("ledger")
    return Ledger.model_validate(ledger) if ledger else Ledger()
