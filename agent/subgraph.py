"""Kinema as a subgraph of a larger LangGraph agent: the loop itself, behind a narrow interface.

`build_subgraph()` is Kinema's compiled graph (plan, approve, keyframes, generate, judge,
decide, refine, finish) with `KinemaInput` / `KinemaOutput` as its input and output schemas.
Added to a parent (`parent.add_node("video", build_subgraph())`) it is a real LangGraph
subgraph:

- it reads only `prompt` (and optionally `budget`, `options`, `init_image`, the video fields)
  from the parent's state and writes back only `video`, `score`, `physics`, `adherence`,
  `stop_reason` and `result_path`, so the parent's reducers never see Kinema's own state;
- it runs with the parent's context when that is a Kinema `Context` (else the one given here)
  and checkpoints with the parent's checkpointer, so a parent that is interrupted or resumed
  takes Kinema's progress with it, and plan approval (`Context(approve_plan=True)`) is an
  interrupt the parent's caller answers;
- its nodes show in the parent's stream with `subgraphs=True`.
"""

from __future__ import annotations

from typing import Any

from agent.context import Context
from agent.graph import build_graph
from agent.nodes.finish import outcome
from agent.state import KinemaInput, KinemaOutput

__all__ = ["KinemaInput", "KinemaOutput", "build_subgraph", "outcome", "subgraph"]


def build_subgraph(context: Context | None = None, **request: Any) -> Any:
    """Compiles Kinema as a subgraph, ready to add to a parent graph.

    Args:
        context: backends, budget, target and output folder; a parent that runs with a Kinema
            `Context` as its own runtime context overrides it.
        **request: defaults for request fields the input leaves out (`duration_s`, `width`,
            `height`, `fps`, `seed`).

    Example:
        >>> from langgraph.graph import StateGraph, START
        >>> parent = StateGraph(MyState)  # MyState has prompt, video, score, ...  # doctest: +SKIP
        >>> parent.add_node("make_video", build_subgraph())  # doctest: +SKIP
        >>> parent.add_edge(START, "make_video")  # doctest: +SKIP
    """
    return build_graph(context, name="kinema_subgraph", **request)


subgraph = build_subgraph()
