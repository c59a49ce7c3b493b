"""The wiring: plan, keyframes, generate, judge, decide, then refine and loop, or finish."""

from __future__ import annotations

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
from agent.state import CandidateTask, RunInput, RunState


def build_graph(context: Context | None = None, checkpointer: Any = None, *,
                approve_plan: bool = False) -> Any:
    """Compiles Kinema's loop.

    Args:
        context: accepted for symmetry with the API; the run's Context is passed at invocation
            (`graph.invoke(state, context=ctx)`), so one compiled graph serves many runs.
        checkpointer: a LangGraph checkpointer, for durable and resumable runs.
        approve_plan: pause after planning with an `interrupt` until the plan is approved,
            edited or cancelled (the chat uses this; it needs a checkpointer).
    """
    del context
    builder = StateGraph(RunState, context_schema=Context, input_schema=RunInput)
    builder.add_node("plan", plan)
    builder.add_node("keyframes", keyframes)
    builder.add_node("generate", generate, input_schema=CandidateTask)
    builder.add_node("judge", judge)
    builder.add_node("decide", decide)
    builder.add_node("refine", refine)
    builder.add_node("finish", finish)
    builder.add_edge(START, "plan")
    if approve_plan:
        builder.add_node("approve", approve, destinations=("keyframes", "plan"))
        builder.add_edge("plan", "approve")
    else:
        builder.add_edge("plan", "keyframes")
    # One `generate` branch per candidate (a fan-out runs them side by side), then judge them all.
    builder.add_conditional_edges("keyframes", route_candidates, ["generate"])
    builder.add_edge("generate", "judge")
    builder.add_edge("judge", "decide")
    builder.add_conditional_edges("decide", route_after_decide, ["refine", "finish"])
    builder.add_conditional_edges("refine", route_after_refine, ["keyframes", "finish"])
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name="kinema")


graph = build_graph()
