"""One run from request to run directory: the shared path of the CLI, the API and the evals.

Runs are durable: every step is checkpointed to `checkpoints.sqlite` in the run directory before
the next begins (LangGraph's `durability="sync"`), and each candidate is its own task whose result
is saved as soon as it is done. `resume` continues a run that crashed, was killed or was
interrupted from its last checkpoint, so no finished candidate is ever generated (or paid) twice.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agent import tracing
from agent.backends import validate_specs
from agent.context import Context
from agent.graph import build_graph
from agent.nodes.finish import build_result
from agent.report import write_report
from agent.rundir import (
    CHECKPOINTS_FILE,
    RESULT_FILE,
    create_run_dir,
    read_context,
    read_result,
    write_context,
    write_result,
)
from agent.state import RunRequest, RunResult, RunState, RunStatus
from tools.errors import BadInputError, KinemaError

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

    Bad specs and unwritable folders fail before anything is written. A run that fails on a
    user's mistake before anything was generated leaves no directory behind; any other failure or
    a Ctrl-C leaves `result.json` with status `failed` or `cancelled` beside what was paid for.
    With `on_interrupt`, the plan waits for approval (`build_graph(approve_plan=True)`) and the
    callback's answer resumes it; `api.stream()` and the chat are built on `on_chunk`.
    """
    ctx = context or Context()
    validate_specs(ctx)
    run_id, run_dir = create_run_dir(ctx.out_dir)
    write_context(run_dir, ctx)
    state = RunState(request=request, run_id=run_id, run_dir=str(run_dir))
    return _execute(state, state, ctx, _Hooks(on_update, on_chunk, on_interrupt), fresh=True)


def resume(run_dir: str | os.PathLike[str], *, on_update: OnUpdate | None = None,
           on_chunk: OnChunk | None = None,
           on_interrupt: OnInterrupt | None = None) -> RunResult:
    """Continues an unfinished run from its last checkpoint, with the Context it was started with.

    Finished steps, and finished candidates of a round that was cut short, are not run again.
    A completed run cannot be resumed; a failed or cancelled one can (its `result.json` is
    rewritten when it ends).
    """
    folder = Path(run_dir).expanduser()
    ctx = read_context(folder)
    validate_specs(ctx)
    if (folder / RESULT_FILE).exists():
        if read_result(folder).get("status") == "completed":
            raise BadInputError(f"the run in {str(folder)!r} has already completed")
        (folder / RESULT_FILE).unlink()
    with _checkpointer(folder) as saver:
        snapshot = build_graph(checkpointer=saver).get_state(_config(folder.name))
    if not snapshot.values:
        raise BadInputError(f"{str(folder)!r} has no checkpoint to resume from")
    state = RunState.model_validate(snapshot.values)
    return _execute(state, None, ctx, _Hooks(on_update, on_chunk, on_interrupt), fresh=False)


def _execute(state: RunState, payload: Any, ctx: Context, hooks: _Hooks, *,
             fresh: bool) -> RunResult:
    """Drives the graph from `payload` (None resumes) and records how the run ended."""
    run_id, run_dir = state.run_id, Path(state.run_dir)
    tracing.open_run(run_id, run_dir, ctx.otlp_endpoint)
    progress = _Progress(state)
    status: RunStatus = "failed"
    try:
        _drive(progress, payload, ctx, hooks)
        status = "completed"
    except KeyboardInterrupt as exc:
        status = "cancelled"
        _record_unfinished(progress.state, ctx, status, "interrupted")
        raise RunInterrupted(run_dir) from exc
    except KinemaError as exc:
        if fresh and progress.state.ledger.generations == 0:
            tracing.close_run(run_id, status)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        _record_unfinished(progress.state, ctx, status, str(exc))
        raise
    except Exception as exc:
        _record_unfinished(progress.state, ctx, status, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        tracing.close_run(run_id, status)
    return build_result(progress.state, ctx, "completed")


@contextmanager
def _checkpointer(run_dir: Path) -> Iterator[SqliteSaver]:
    """The run's SQLite checkpointer; nodes run on worker threads, so the connection is shared."""
    with closing(sqlite3.connect(run_dir / CHECKPOINTS_FILE, check_same_thread=False)) as conn:
        yield SqliteSaver(conn)


def _config(run_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": run_id}}


class _Progress:
    """The latest full state seen while streaming, kept so a failure can still be recorded."""

    def __init__(self, state: RunState) -> None:
        self.state = state


def _drive(progress: _Progress, payload: Any, ctx: Context, hooks: _Hooks) -> None:
    with _checkpointer(Path(progress.state.run_dir)) as saver:
        graph = build_graph(checkpointer=saver, approve_plan=hooks.on_interrupt is not None)
        _stream(graph, progress, payload, ctx, hooks)


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
                        on_update(node_name, update or {})
        if not interrupts or on_interrupt is None:
            return
        payload = Command(resume=on_interrupt(interrupts[0].value))


def _record_unfinished(state: RunState, ctx: Context, status: RunStatus, error: str) -> None:
    run_dir = Path(state.run_dir)
    if run_dir.is_dir() and not (run_dir / RESULT_FILE).exists():
        result = build_result(state, ctx, status, error)
        write_result(run_dir, result)
        write_report(run_dir, result, state.plan)
