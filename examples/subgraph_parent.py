"""A parent LangGraph agent that calls Kinema as a subgraph.

The parent keeps a log with an `operator.add` reducer. Kinema's subgraph is Kinema's own graph:
it reads only `prompt` (and optionally `budget`, `options`, `init_image`) from the parent's
state and writes back only `video`, `score`, `physics`, `adherence`, `stop_reason` and
`result_path`, so the parent's log is never doubled by the subgraph's update. It runs with the
parent's checkpointer, and its nodes (plan, keyframes, generate, judge, decide, ...) show in the
parent's stream with `subgraphs=True`, which this example prints as it goes.

Run it (offline, on the studio; about ten seconds):
    python examples/subgraph_parent.py --out runs/examples
"""

from __future__ import annotations

import argparse
import operator
from pathlib import Path
from typing import Annotated, Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from agent import Context, build_subgraph


class StoryboardState(TypedDict, total=False):
    brief: str
    log: Annotated[list[str], operator.add]
    prompt: str
    budget: dict[str, Any]
    video: str | None
    score: float | None
    physics: float | None
    stop_reason: str
    result_path: str


def write_shot(state: StoryboardState) -> dict[str, Any]:
    """The parent's own step: turns a creative brief into a shot for Kinema."""
    prompt = f"a red rubber ball {state['brief']}"
    return {"prompt": prompt, "budget": {"max_generations": 2}, "log": [f"shot: {prompt}"]}


def review(state: StoryboardState) -> dict[str, Any]:
    verdict = "keep" if (state.get("score") or 0) >= 0.5 else "reshoot later"
    return {"log": [f"video {state.get('video')} scored {state.get('score')}: {verdict}"]}


def build_parent(context: Context | None = None) -> Any:
    kinema = build_subgraph(context, duration_s=1.0, width=320, height=180)
    builder = StateGraph(StoryboardState, context_schema=Context)
    builder.add_node("write_shot", write_shot)
    builder.add_node("kinema", kinema)
    builder.add_node("review", review)
    builder.add_edge(START, "write_shot")
    builder.add_edge("write_shot", "kinema")
    builder.add_edge("kinema", "review")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=InMemorySaver())


def main(out_dir: Path, context: Context | None = None) -> dict[str, Any]:
    ctx = (context or Context()).model_copy(update={"out_dir": str(out_dir)})
    parent = build_parent()
    config = {"configurable": {"thread_id": "storyboard-1"}}
    start = {"brief": "drops from a table onto the floor and bounces", "log": ["brief received"]}
    # The parent's context reaches the subgraph; its nodes stream with the parent's.
    for namespace, update in parent.stream(start, config, context=ctx, subgraphs=True,
                                           stream_mode="updates"):
        where = "kinema" if namespace else "parent"
        print(f"[{where}] {', '.join(update)}")
    final: dict[str, Any] = parent.get_state(config).values
    for line in final["log"]:
        print(line)
    print(f"stop reason: {final['stop_reason']}; result: {final['result_path']}")
    return final


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/examples"))
    main(parser.parse_args().out)
