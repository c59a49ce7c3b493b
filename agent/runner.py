"""One run from request to run directory: the shared path of the CLI, the API and the evals."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent import tracing
from agent.backends import validate_specs
from agent.context import Context
from agent.graph import build_graph
from agent.nodes.finish import build_result
from agent.rundir import RESULT_FILE, create_run_dir, write_result
from agent.state import RunRequest, RunResult, RunState, RunStatus
from tools.errors import KinemaError

# Called with (node name, the node's update) after every node finishes.
OnUpdate = Callable[[str, dict[str, Any]], None]

_graph: Any = None


def _compiled() -> Any:
    global _graph
    if _graph is None:
        _graph = build_graph()
    return _graph


def run(request: RunRequest, context: Context | None = None, *,
        on_update: OnUpdate | None = None) -> RunResult:
    """Runs the loop to its stop and returns the result written to `result.json`.

    Bad specs and unwritable folders fail before anything is written. A run that fails on a
    user's mistake before anything was generated leaves no directory behind; any other failure or
    a Ctrl-C leaves `result.json` with status `failed` or `cancelled` beside what was paid for.
    """
    ctx = context or Context()
    validate_specs(ctx)
    run_id, run_dir = create_run_dir(ctx.out_dir)
    tracing.open_run(run_id, run_dir, ctx.otlp_endpoint)
    progress = _Progress(RunState(request=request, run_id=run_id, run_dir=str(run_dir)))
    status: RunStatus = "failed"
    try:
        _drive(progress, ctx, on_update)
        status = "completed"
    except KeyboardInterrupt:
        status = "cancelled"
        _record_unfinished(progress.state, ctx, status, "interrupted")
        raise
    except KinemaError as exc:
        if progress.state.ledger.generations == 0:
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


class _Progress:
    """The latest full state seen while streaming, kept so a failure can still be recorded."""

    def __init__(self, state: RunState) -> None:
        self.state = state


def _drive(progress: _Progress, ctx: Context, on_update: OnUpdate | None) -> None:
    stream = _compiled().stream(progress.state, context=ctx, stream_mode=["updates", "values"])
    for mode, chunk in stream:
        if mode == "values":
            progress.state = RunState.model_validate(chunk) if isinstance(chunk, dict) else chunk
        elif on_update is not None:
            for node_name, update in chunk.items():
                on_update(node_name, update or {})


def _record_unfinished(state: RunState, ctx: Context, status: RunStatus, error: str) -> None:
    run_dir = Path(state.run_dir)
    if run_dir.is_dir() and not (run_dir / RESULT_FILE).exists():
        write_result(run_dir, build_result(state, ctx, status, error))
