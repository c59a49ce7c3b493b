"""One run from request to run directory: the shared path of the CLI, the API and the evals.

Runs are durable: every step is checkpointed to `checkpoints.sqlite` in the run directory before
the next begins (LangGraph's `durability="sync"`), each candidate is its own task whose result
is saved as soon as it is done, and every paid step is journalled on disk (`agent.journal`).
`resume` continues a run that crashed, was killed or was interrupted from its last checkpoint
(or, when that is lost, by replaying it through the journal), so no finished candidate is ever
generated (or paid) twice. One process at a time works on a run folder (`agent.lock`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import BaseModel

from agent import tracing
from agent.backends import preflight
from agent.context import Context
from agent.graph import runner_graph
from agent.lock import run_lock
from agent.nodes.finish import build_result
from agent.report import write_report
from agent.rundir import (
    CHECKPOINTS_FILE,
    RESULT_FILE,
    create_run_dir,
    read_context,
    read_request,
    read_result,
    write_context,
    write_request,
    write_result,
)
from agent.state import RunInput, RunRequest, RunResult, RunState, RunStatus, typed_update
from tools.errors import (
    BadInputError,
    KinemaError,
    StorageError,
    is_storage_failure,
    storage_error,
)
from tools.redact import redact_bytes, redact_text

# Called with (node name, the node's update) after every node finishes.
OnUpdate = Callable[[str, dict[str, Any]], None]
# Called with every (stream mode, chunk) the graph emits: "tasks", "updates" and "values".
OnChunk = Callable[[str, Any], None]
# Called with an interrupt's value (a plan awaiting approval); returns the value to resume with.
OnInterrupt = Callable[[Any], Any]



class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the run is saved and `kinema resume RUN_DIR` continues it."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(str(run_dir))
        self.run_dir = run_dir


class _Hooks:
    """The caller's callbacks, passed along together."""

    def __init__(self, on_update: OnUpdate | None, on_chunk: OnChunk | None,
                 on_interrupt: OnInterrupt | None) -> None:
        self.on_update, self.on_chunk, self.on_interrupt = on_update, on_chunk, on_interrupt


def run(request: RunRequest, context: Context | None = None, *,
        on_update: OnUpdate | None = None, on_chunk: OnChunk | None = None,
        on_interrupt: OnInterrupt | None = None) -> RunResult:
    """Runs the loop to its stop and returns the result written to `result.json`.

    Every role's backend is checked before anything is written or spent (`preflight`). The run
    folder is locked while the run works on it. A run that fails on a user's mistake before
    anything was generated leaves no directory behind; any other failure or a Ctrl-C leaves
    `result.json` with status `failed` or `cancelled` beside what was paid for, and a full disk
    leaves a run that `resume` continues once there is room.
    With `on_interrupt`, the plan waits for approval (the run's Context gets
    `approve_plan=True`) and the callback's answer resumes it; `api.stream()`, the CLI's
    progress and the chat are built on `on_chunk`.
    """
    ctx = context or Context()
    preflight(ctx)
    run_id, run_dir = create_run_dir(ctx.out_dir)
    with run_lock(run_dir, command="kinema run"):
        try:
            write_context(run_dir, ctx)
            write_request(run_dir, request)
        except StorageError:
            shutil.rmtree(run_dir, ignore_errors=True)  # nothing was spent yet
            raise
        state = RunState(request=request, run_id=run_id, run_dir=str(run_dir))
        payload = RunInput(request=request, run_id=run_id).model_dump(mode="json")
        return _execute(state, payload, ctx, _Hooks(on_update, on_chunk, on_interrupt),
                        fresh=True)


def resume(run_dir: str | os.PathLike[str], *, on_update: OnUpdate | None = None,
           on_chunk: OnChunk | None = None,
           on_interrupt: OnInterrupt | None = None) -> RunResult:
    """Continues an unfinished run from its last checkpoint, with the Context it was started with.

    Finished steps, and finished candidates of a round that was cut short, are not run again.
    Nothing is deleted: `result.json` of a failed or cancelled run is replaced only when the
    resumed run ends. A checkpoint that is corrupt or missing is set aside (kept) and the run is
    replayed from its request, every step already paid for taken from the journal on disk.
    A completed run cannot be resumed.

    Raises:
        RunLockedError: another process is working on the folder.
        BadInputError: not a run folder, or a run that cannot be recovered (every file kept).
    """
    folder = Path(run_dir).expanduser()
    if not folder.is_dir():
        what = "a file" if folder.exists() else "not there"
        raise BadInputError(f"{str(folder)!r} is {what}: pass the folder of a run (runs/<run_id>)")
    with run_lock(folder, command="kinema resume"):
        # The folder is where the run is now: its out folder is the one holding it.
        ctx = read_context(folder).model_copy(update={"out_dir": str(folder.parent)})
        preflight(ctx)
        if _previous_status(folder) == "completed":
            raise BadInputError(f"the run in {str(folder)!r} has already completed")
        hooks = _Hooks(on_update, on_chunk, on_interrupt)
        snapshot = _readable_checkpoint(folder)
        if snapshot is None:
            state = _replay_state(folder)
            payload: Any = RunInput(request=state.req, run_id=state.run_id).model_dump(
                mode="json")
            return _execute(state, payload, ctx, hooks, fresh=False)
        state = snapshot.state.model_copy(update={"run_dir": str(folder)})
        if snapshot.finished:  # the graph ended; only the record of it was lost
            return _rewrite_finished(state, ctx)
        return _execute(state, None, ctx, hooks, fresh=False)


def _previous_status(folder: Path) -> str | None:
    """The status in `result.json`, or None when there is none or it is unreadable (kept)."""
    if not (folder / RESULT_FILE).is_file():
        return None
    try:
        return str(read_result(folder).get("status"))
    except BadInputError:
        return None


class _Snapshot:
    def __init__(self, state: RunState, finished: bool) -> None:
        self.state, self.finished = state, finished


def _readable_checkpoint(folder: Path) -> _Snapshot | None:
    """The last checkpoint, or None when it is missing, empty or cannot be read."""
    if not (folder / CHECKPOINTS_FILE).is_file():
        return None
    try:
        with _checkpointer(folder) as saver:
            snapshot = runner_graph(saver).get_state(_config(folder.name))
        if not snapshot.values:
            return None
        # `next` leaves out tasks whose writes were saved (a fan-out's finished branches whose
        # step was cut short); the graph has ended only when no task is left at all.
        return _Snapshot(RunState.model_validate(snapshot.values),
                         not snapshot.next and not snapshot.tasks)
    except Exception:  # any failure to read it (not a database, bad blobs) means it is corrupt
        return None


def _replay_state(folder: Path) -> RunState:
    """The start of a replay: the saved request, the corrupt checkpoint set aside, not deleted."""
    try:
        request = read_request(folder)
    except BadInputError as exc:
        raise BadInputError(
            f"the checkpoint of {str(folder)!r} is missing or corrupt and the run cannot be "
            f"replayed ({exc}); every file is kept") from None
    _set_aside(folder)
    return RunState(request=request, run_id=folder.name, run_dir=str(folder))


def _set_aside(folder: Path) -> None:
    """Renames an unreadable checkpoint (and SQLite's side files) so a new one can start."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = folder / f"{CHECKPOINTS_FILE}{suffix}"
        if path.exists():
            os.replace(path, folder / f"checkpoints.unreadable-{stamp}.sqlite{suffix}")


def _rewrite_finished(state: RunState, ctx: Context) -> RunResult:
    result = build_result(state, ctx, "completed")
    write_result(Path(state.run_dir), result)
    write_report(state.run_dir, result, state.plan)
    return result


def _execute(state: RunState, payload: Any, ctx: Context, hooks: _Hooks, *,
             fresh: bool) -> RunResult:
    """Drives the graph from `payload` (None resumes) and records how the run ended."""
    run_id, run_dir = state.run_id, Path(state.run_dir)
    tracing.open_run(run_id, run_dir, ctx.otlp_endpoint)
    progress = _Progress(state)
    # The plan waits for approval only when someone is there to give it.
    ctx = ctx.model_copy(update={"approve_plan": hooks.on_interrupt is not None})
    status: RunStatus = "failed"
    try:
        _drive(progress, payload, ctx, hooks)
        status = "completed"
    except KeyboardInterrupt as exc:
        status = "cancelled"
        _record_unfinished(progress.state, ctx, status, "interrupted")
        raise RunInterrupted(run_dir) from exc
    except KinemaError as exc:
        if isinstance(exc, StorageError):
            raise _resumable(exc, progress.state, ctx) from None
        if fresh and progress.state.ledger.generations == 0:
            tracing.close_run(run_id, status)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        _record_unfinished(progress.state, ctx, status, str(exc))
        raise
    except Exception as exc:
        if is_storage_failure(exc):
            raise _resumable(storage_error(exc, str(run_dir)), progress.state, ctx) from None
        _record_unfinished(progress.state, ctx, status, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        tracing.close_run(run_id, status, seconds=progress.state.ledger.seconds)
    return build_result(progress.state, ctx, "completed")


def _resumable(exc: StorageError, state: RunState, ctx: Context) -> StorageError:
    """A full disk: record what can be recorded (there may be no room) and say how to go on."""
    with contextlib.suppress(StorageError):
        _record_unfinished(state, ctx, "failed", str(exc))
    return StorageError(f"{exc}: `kinema resume {state.run_dir}`")


class _RedactingSerializer(JsonPlusSerializer):
    """Checkpoint blobs with secrets overwritten in place (same length, so they stay valid).

    Kinema's own state models are allowed to be read back by name, so a resume does not warn
    about them (LangGraph blocks unlisted types in a future version).
    """

    def __init__(self) -> None:
        super().__init__(allowed_msgpack_modules=_state_models())

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, data = super().dumps_typed(obj)
        return kind, redact_bytes(data)


def _state_models() -> list[type]:
    """Every pydantic model of the state's modules (found, so new ones are never missed)."""
    import agent.state
    import tools.schema

    return [obj for module in (tools.schema, agent.state) for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, BaseModel)
            and obj.__module__ == module.__name__]


@contextmanager
def _checkpointer(run_dir: Path) -> Iterator[SqliteSaver]:
    """The run's SQLite checkpointer; nodes run on worker threads, so the connection is shared."""
    with closing(sqlite3.connect(run_dir / CHECKPOINTS_FILE, check_same_thread=False)) as conn:
        yield SqliteSaver(conn, serde=_RedactingSerializer())


def _config(run_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": run_id}}


class _Progress:
    """The latest full state seen while streaming, kept so a failure can still be recorded."""

    def __init__(self, state: RunState) -> None:
        self.state = state


def _drive(progress: _Progress, payload: Any, ctx: Context, hooks: _Hooks) -> None:
    with _checkpointer(Path(progress.state.run_dir)) as saver:
        _stream(runner_graph(saver), progress, payload, ctx, hooks)


def _stream(graph: Any, progress: _Progress, payload: Any, ctx: Context, hooks: _Hooks) -> None:
    on_update, on_chunk, on_interrupt = hooks.on_update, hooks.on_chunk, hooks.on_interrupt
    config = _config(progress.state.run_id)
    while True:
        interrupts: list[Any] = []
        modes = ["updates", "values", "tasks"]
        for mode, chunk in graph.stream(payload, config, context=ctx, stream_mode=modes,
                                        durability="sync"):
            if on_chunk is not None:
                on_chunk(mode, chunk)
            if mode == "values" and isinstance(chunk, dict) and "__interrupt__" in chunk:
                continue  # a pause, not a state
            if mode == "values":
                progress.state = (RunState.model_validate(chunk) if isinstance(chunk, dict)
                                  else chunk)
            elif mode == "updates":
                interrupts.extend(chunk.get("__interrupt__", ()))
                for node_name, update in chunk.items():
                    if on_update is not None and node_name != "__interrupt__":
                        on_update(node_name, typed_update(update or {}))
        if not interrupts or on_interrupt is None:
            return
        payload = Command(resume=on_interrupt(interrupts[0].value))


def _record_unfinished(state: RunState, ctx: Context, status: RunStatus, error: str) -> None:
    """Writes `result.json` (and the report) of a run that did not finish.

    A completed result is never overwritten: whatever failed after `finish` did not undo it.
    """
    run_dir = Path(state.run_dir)
    if not run_dir.is_dir() or _previous_status(run_dir) == "completed":
        return
    result = build_result(state, ctx, status, redact_text(error))
    write_result(run_dir, result)
    write_report(run_dir, result, state.plan)
