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
from agent.rundir import create_run_dir
from agent.state import CandidateTask, RunState

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
            opened: dict[str, Any] = {}
            if not state.run_id:
                run_id, run_dir = create_run_dir(ctx.out_dir)
                opened = {"run_id": run_id, "run_dir": str(run_dir)}
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
            run = tracing.open_run(task.run_id, Path(task.run_dir), ctx.otlp_endpoint)
            attrs = {"kinema.node": name, "kinema.round": task.round}
            with run.span(f"node.{name}", attrs):
                return fn(task, ctx)

        run_branch.__name__ = run_branch.__qualname__ = fn.__name__
        run_branch.__doc__ = fn.__doc__
        return run_branch

    return wrap
