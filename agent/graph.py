"""The wiring: plan, approve, keyframes, generate, judge, decide, then refine and loop, or finish.

`graph` (the `kinema` graph of `langgraph.json`) and `build_graph()` show a host the narrow
`KinemaInput` / `KinemaOutput` interface; Kinema's own runner compiles the same nodes with its
internal input (`runner_graph`), so every entry point runs one loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph

from agent.context import Context
from agent.nodes.approve import approve
from agent.nodes.decide import decide, route_after_decide
from agent.nodes.finish import finish
from agent.nodes.generate import generate, route_candidates
from agent.nodes.judge import judge
from agent.nodes.keyframes import keyframes
from agent.nodes.plan import plan
from agent.nodes.refine import refine, route_after_refine
from agent.nodes.wrap import GraphDefaults, bind
from agent.state import CandidateTask, KinemaInput, KinemaOutput, RunInput, RunState


def build_graph(context: Context | None = None, checkpointer: Any = None, *,
                name: str = "kinema", **request: Any) -> Any:
    """Compiles Kinema's loop behind its narrow interface.

    The input is `KinemaInput` (`prompt`, and optionally `budget`, `options`, `init_image`,
    `duration_s`, `fps`, `width`, `height`, `seed`); the output is `KinemaOutput` (`video`,
    `score`, `physics`, `adherence`, `stop_reason`, `result_path`). Each run gets its own
    folder under the Context's out folder, with `result.json`, `report.html` and
    `trace.jsonl` as from `kinema run`.

    Args:
        context: the Context when the caller passes none at invocation (or a parent graph's
            context of another kind); `graph.invoke(inp, context=ctx)` overrides it.
        checkpointer: a LangGraph checkpointer; as a subgraph, leave it out and the parent's
            is used. Plan approval (`Context(approve_plan=True)`) needs one.
        name: the compiled graph's name.
        **request: defaults for the request fields the input leaves out (`duration_s`,
            `width`, `height`, `fps`, `seed`).

    Example:
        >>> from agent.graph import graph
        >>> out = graph.invoke({"prompt": "a ball falls"},
        ...                    context=Context(out_dir="runs"))  # doctest: +SKIP
        >>> out["video"], out["score"]  # doctest: +SKIP
    """
    defaults = GraphDefaults(context=context, request=_request_defaults(request))
    builder = StateGraph(RunState, context_schema=Context, input_schema=KinemaInput,
                         output_schema=KinemaOutput)
    return _wire(builder, defaults).compile(checkpointer=checkpointer, name=name)


def runner_graph(checkpointer: Any = None) -> Any:
    """The loop as Kinema's runner drives it: it hands in the request and the run it locked."""
    builder = StateGraph(RunState, context_schema=Context, input_schema=RunInput)
    return _wire(builder, GraphDefaults()).compile(checkpointer=checkpointer, name="kinema")


def _request_defaults(request: Mapping[str, Any]) -> dict[str, Any]:
    from agent.intake import REQUEST_FIELDS
    from tools.errors import BadInputError

    unknown = sorted(set(request) - set(REQUEST_FIELDS))
    if unknown:
        raise BadInputError(f"unknown request field {unknown[0]!r}: use "
                            f"{', '.join(REQUEST_FIELDS)}")
    return dict(request)


def _wire(builder: StateGraph[Any, Any, Any, Any], defaults: GraphDefaults) -> Any:
    for name, fn in (("plan", plan), ("approve", approve), ("keyframes", keyframes),
                     ("judge", judge), ("decide", decide), ("refine", refine),
                     ("finish", finish)):
        if name == "approve":
            builder.add_node(name, bind(fn, defaults), destinations=("keyframes", "plan"))
        else:
            builder.add_node(name, bind(fn, defaults))
    builder.add_node("generate", bind(generate, defaults), input_schema=CandidateTask)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "approve")
    # One `generate` branch per candidate (a fan-out runs them side by side), then judge them all.
    builder.add_conditional_edges("keyframes", route_candidates, ["generate"])
    builder.add_edge("generate", "judge")
    builder.add_edge("judge", "decide")
    builder.add_conditional_edges("decide", route_after_decide, ["refine", "finish"])
    builder.add_conditional_edges("refine", route_after_refine, ["keyframes", "finish"])
    builder.add_edge("finish", END)
    return builder


graph = build_graph()
