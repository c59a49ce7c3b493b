"""The edge every node passes through: its Context, its span, its wall time, the run folder.

It is also where a run started through an exported graph (`langgraph dev`, a parent graph)
becomes a run like any other: the first node turns the narrow input into a `RunRequest`
through the front door and makes the run folder, and `finish` (or a failure) closes the run's
trace, which Kinema's runner does itself for the runs it drives.

Updates leave every node as plain JSON (pydantic models dumped), so any checkpointer (the
runner's, a parent graph's, the LangGraph server's) stores them without pickling or warning
about unregistered types; the next node reads them back as models through `RunState`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent import tracing
from agent.backends import preflight
from agent.context import Context
from agent.intake import context_for, hosted_run
from agent.lock import holds
from agent.rundir import create_run_dir, run_folder, write_context, write_request
from agent.state import CandidateTask, RunState
from tools.errors import BadInputError

NodeFn = Callable[[RunState, Context], dict[str, Any]]
BranchFn = Callable[[CandidateTask, Context], dict[str, Any]]


@dataclass(frozen=True)
class GraphDefaults:
    """What a compiled graph falls back on: its Context when the caller passes none (or a
    parent's context of another kind), and request fields its narrow input leaves out."""

    context: Context | None = None
    request: Mapping[str, Any] = field(default_factory=dict)


DEFAULTS = GraphDefaults()


def bind(fn: Callable[..., Any], defaults: GraphDefaults) -> Callable[..., Any]:
    """`fn(state, runtime, defaults)` as the `(state, runtime)` node LangGraph calls."""

    def bound(state: Any, runtime: Runtime[Context]) -> Any:
        return fn(state, runtime, defaults)

    bound.__name__ = bound.__qualname__ = getattr(fn, "__name__", "node")
    bound.__doc__ = fn.__doc__
    return bound


def plain(update: Any) -> Any:
    """An update with its models dumped to JSON values, recursively."""
    if isinstance(update, BaseModel):
        return update.model_dump(mode="json")
    if isinstance(update, dict):
        return {k: plain(v) for k, v in update.items()}
    if isinstance(update, list | tuple):
        return [plain(v) for v in update]
    return update


def run_context(runtime: Any, defaults: GraphDefaults = DEFAULTS,
                state: RunState | None = None) -> Context:
    """The Context a node works with.

    The caller's (`graph.invoke(..., context=ctx)`, a parent graph's, the LangGraph server's
    `context` dict), else the graph's default; a hosted run's own `budget` and `options`
    (from its input) on top.
    """
    given = getattr(runtime, "context", None)
    if isinstance(given, Context):
        ctx = given
    elif isinstance(given, Mapping) and given:
        ctx = context_for(dict(given))
    else:  # none, or a parent's context of its own kind
        ctx = defaults.context or Context()
    if state is not None and (state.budget or state.options):
        ctx = context_for(ctx, budget=state.budget, options=state.options)
    return ctx


def node(name: str, *, timed: bool = True) -> Callable[[NodeFn], Any]:
    """Wraps a node `(state, ctx) -> update` into a LangGraph node with tracing and timing.

    The wall time of every node is added to the ledger here, once, so `ledger.seconds` is the
    run's wall time whatever the backends report. `finish` (`timed=False`) writes the result:
    time spent after it is not in the result, so it is not counted, and the ledger the result
    shows is the run's one duration everywhere (CLI, report, trace).
    """

    def wrap(fn: NodeFn) -> Any:
        def run_node(state: RunState, runtime: Runtime[Context],
                     defaults: GraphDefaults = DEFAULTS) -> dict[str, Any]:
            ctx = run_context(runtime, defaults, state)
            opened, ctx = _start(state, ctx, defaults)
            if opened:
                state = state.model_copy(update=opened)
            run = tracing.open_run(state.run_id, Path(state.run_dir), ctx.otlp_endpoint)
            started = time.perf_counter()
            attrs = {"kinema.node": name, "kinema.round": max(state.round, 1)}
            try:
                with run.span(f"node.{name}", attrs) as span:
                    update = fn(state, ctx)
                    elapsed = time.perf_counter() - started
                    if timed:
                        ledger = update.get("ledger", state.ledger)
                        update["ledger"] = ledger.model_copy(
                            update={"seconds": ledger.seconds + elapsed})
                    span.set_attribute("kinema.seconds", round(elapsed, 4))
            except GraphBubbleUp:  # an interrupt (plan approval): the run goes on later
                raise
            except BaseException:
                _close_hosted(state, "failed")
                raise
            return plain({**opened, **update})

        # Not functools.wraps: LangGraph reads the signature to pass `runtime`, and __wrapped__
        # would show it the inner (state, ctx) signature instead.
        run_node.__name__ = run_node.__qualname__ = fn.__name__
        run_node.__doc__ = fn.__doc__
        return run_node

    return wrap


def _start(state: RunState, ctx: Context,
           defaults: GraphDefaults) -> tuple[dict[str, Any], Context]:
    """The request (from a hosted run's narrow input, checked and preflighted) and the run
    folder, on the first node."""
    opened: dict[str, Any] = {}
    if state.request is None:
        values = {k: getattr(state, k) for k in ("init_image", "duration_s", "fps", "width",
                                                 "height", "budget", "options")}
        values["prompt"] = state.prompt if "prompt" in state.model_fields_set else None
        if "seed" in state.model_fields_set:
            values["seed"] = state.seed
        request, ctx = hosted_run(values, defaults.request, ctx)
        preflight(ctx)  # as the runner does: nothing is written or paid for a run that cannot
        opened["request"] = request
    opened.update(_run_folder(state, ctx))
    if "request" in opened:  # a hosted run's folder describes it like any other
        folder = Path(opened.get("run_dir", state.run_dir))
        write_context(folder, ctx)
        write_request(folder, opened["request"])
    return opened, ctx


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


def hosted(state: RunState) -> bool:
    """Whether this run was started through an exported graph, not by Kinema's runner."""
    return bool(state.run_dir) and not holds(state.run_dir)


def _close_hosted(state: RunState, status: str) -> None:
    """Ends a hosted run's trace: no runner is there to close its root span."""
    if state.run_id and hosted(state):
        tracing.close_run(state.run_id, status)


def close_hosted(state: RunState, status: str, seconds: float | None = None) -> None:
    """`finish` calls this: a hosted run's root span ends with the run."""
    if state.run_id and hosted(state):
        tracing.close_run(state.run_id, status, seconds=seconds)


def branch(name: str) -> Callable[[BranchFn], Any]:
    """Wraps a `Send` branch `(task, ctx) -> update` into a traced LangGraph node.

    Branches of one fan-out run side by side, so they must not write the ledger (a plain value
    that only one writer may set per step): each reports its cost, wall time included, inside what
    it returns, and the node that gathers the branches charges it.
    """

    def wrap(fn: BranchFn) -> Any:
        def run_branch(task: Any, runtime: Runtime[Context],
                       defaults: GraphDefaults = DEFAULTS) -> dict[str, Any]:
            task = CandidateTask.model_validate(task)
            ctx = run_context(runtime, defaults)
            if task.options:
                ctx = context_for(ctx, options=task.options)
            task.run_dir = str(run_folder(ctx.out_dir, task.run_id))
            run = tracing.open_run(task.run_id, Path(task.run_dir), ctx.otlp_endpoint)
            attrs = {"kinema.node": name, "kinema.round": task.round}
            with run.span(f"node.{name}", attrs):
                return plain(fn(task, ctx))

        run_branch.__name__ = run_branch.__qualname__ = fn.__name__
        run_branch.__doc__ = fn.__doc__
        return run_branch

    return wrap
