"""The edge every node passes through: its span, its wall time, and the run directory."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from agent import tracing
from agent.backends import as_context
from agent.context import Context
from agent.lock import holds
from agent.rundir import create_run_dir, run_folder
from agent.state import CandidateTask, RunState
from tools.errors import BadInputError

NodeFn = Callable[[RunState, Context], dict[str, Any]]
BranchFn = Callable[[CandidateTask, Context], dict[str, Any]]


def node(name: str) -> Callable[[NodeFn], Any]:
    """Wraps a node `(state, ctx) -> update` into a LangGraph node with tracing and timing.

    The wall time of every node is added to the ledger here, once, so `ledger.seconds` is the
    run's wall time whatever the backends report. A graph started without a run directory (as
    `langgraph dev` does) gets one on its first node.
    """

    def wrap(fn: NodeFn) -> Any:
        def run_node(state: RunState, runtime: Runtime[Context]) -> dict[str, Any]:
            ctx = as_context(getattr(runtime, "context", None))
            opened = _run_folder(state, ctx)
            if opened:
                state = state.model_copy(update=opened)
            run = tracing.open_run(state.run_id, Path(state.run_dir), ctx.otlp_endpoint)
            started = time.perf_counter()
            attrs = {"kinema.node": name, "kinema.round": max(state.round, 1)}
            with run.span(f"node.{name}", attrs) as span:
                update = fn(state, ctx)
                elapsed = time.perf_counter() - started
                ledger = update.get("ledger", state.ledger)
                update["ledger"] = ledger.model_copy(update={"seconds": ledger.seconds + elapsed})
                span.set_attribute("kinema.seconds", round(elapsed, 4))
            return {**opened, **update}

        # Not functools.wraps: LangGraph reads the signature to pass `runtime`, and __wrapped__
        # would show it the inner (state, ctx) signature instead.
        run_node.__name__ = run_node.__qualname__ = fn.__name__
        run_node.__doc__ = fn.__doc__
        return run_node

    return wrap


def _run_folder(state: RunState, ctx: Context) -> dict[str, Any]:
    """The run folder, always `ctx.out_dir/<run_id>`: what the state says is never trusted.

    A run id in the graph's input is accepted only from Kinema's runner, which holds the
    folder's lock; any other caller gets a fresh folder of its own by leaving it out.
    """
    if not state.run_id:
        run_id, fresh = create_run_dir(ctx.out_dir)
        return {"run_id": run_id, "run_dir": str(fresh)}
    folder = run_folder(ctx.out_dir, state.run_id)
    if state.plan is None and not state.iterations and not holds(folder):
        raise BadInputError(f"the graph's input names run {state.run_id!r}, which this process "
                            "did not start: leave run_id out and Kinema makes a run folder")
    return {} if state.run_dir == str(folder) else {"run_dir": str(folder)}


def branch(name: str) -> Callable[[BranchFn], Any]:
    """Wraps a `Send` branch `(task, ctx) -> update` into a traced LangGraph node.

    Branches of one fan-out run side by side, so they must not write the ledger (a plain value
    that only one writer may set per step): each reports its cost, wall time included, inside what
    it returns, and the node that gathers the branches charges it.
    """

    def wrap(fn: BranchFn) -> Any:
        def run_branch(task: Any, runtime: Runtime[Context]) -> dict[str, Any]:
            ctx = as_context(getattr(runtime, "context", None))
            task = CandidateTask.model_validate(task)
            task.run_dir = str(run_folder(ctx.out_dir, task.run_id))
            run = tracing.open_run(task.run_id, Path(task.run_dir), ctx.otlp_endpoint)
            attrs = {"kinema.node": name, "kinema.round": task.round}
            with run.span(f"node.{name}", attrs):
                return fn(task, ctx)

        run_branch.__name__ = run_branch.__qualname__ = fn.__name__
        run_branch.__doc__ = fn.__doc__
        return run_branch

    return wrap
