"""Kinema as a node of a larger LangGraph agent, behind a narrow input and output schema.

A parent graph adds the compiled subgraph as a node (`parent.add_node("video", build_subgraph())`).
The subgraph reads only `prompt`, `budget` and `image` from the parent's state and writes back only
`video`, `score`, `stop_reason` and `result_path`; Kinema's own state (rounds, candidates, its
append-only `iterations`) never reaches the parent, so the parent's reducers see one clean update
and nothing is doubled. Progress is forwarded to the parent's `custom` stream as event dicts.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from agent.api import prepare
from agent.context import Context
from agent.events import EventTranslator
from agent.runner import run
from agent.state import Budget, RunResult
from tools.errors import BadInputError

__all__ = ["KinemaInput", "KinemaOutput", "build_subgraph", "outcome", "subgraph"]


class KinemaInput(TypedDict, total=False):
    """What a parent hands Kinema: the prompt, and optionally hard caps and a first frame."""

    prompt: str
    budget: Budget | dict[str, Any] | None
    image: str | None


class KinemaOutput(TypedDict):
    """What Kinema hands back: the best video, its score, why it stopped, and `result.json`."""

    video: str | None
    score: float | None
    stop_reason: str
    result_path: str


class KinemaIO(KinemaInput, KinemaOutput, total=False):
    """The subgraph's internal state: its input and output keys, nothing else."""


def outcome(result: RunResult) -> KinemaOutput:
    """The four fields a host agent needs from a run."""
    return {
        "video": result.final_video,
        "score": result.best.score if result.best else None,
        "stop_reason": result.stop_reason,
        "result_path": f"{result.run_dir}/result.json",
    }


def build_subgraph(context: Context | None = None, **request: Any) -> Any:
    """Compiles Kinema behind `KinemaInput` / `KinemaOutput`, ready to add to a parent graph.

    Args:
        context: backends, budget, target and output folder; a parent that invokes with a Kinema
            `Context` as its own runtime context overrides it.
        **request: fixed `RunRequest` fields for every run (`duration_s`, `width`, `height`,
            `fps`, `seed`).

    Example:
        >>> from langgraph.graph import StateGraph, START
        >>> parent = StateGraph(MyState)  # MyState has prompt, video, score, ...  # doctest: +SKIP
        >>> parent.add_node("make_video", build_subgraph())  # doctest: +SKIP
        >>> parent.add_edge(START, "make_video")  # doctest: +SKIP
    """
    default = context or Context()

    def kinema(state: KinemaIO, runtime: Runtime[Any]) -> KinemaOutput:
        prompt = state.get("prompt")
        if not prompt:
            raise BadInputError("the subgraph needs a 'prompt' in its input")
        ctx = runtime.context if isinstance(runtime.context, Context) else default
        req, ctx = prepare(prompt, budget=state.get("budget"), context=ctx,
                           init_image=state.get("image"), **request)
        writer, translator = get_stream_writer(), EventTranslator()

        def forward(mode: str, chunk: Any) -> None:
            for event in translator.feed(mode, chunk):
                writer({"kinema": event.model_dump(mode="json")})

        return outcome(run(req, ctx, on_chunk=forward))

    builder = StateGraph(KinemaIO, input_schema=KinemaInput, output_schema=KinemaOutput)
    builder.add_node("kinema", kinema)
    builder.add_edge(START, "kinema")
    builder.add_edge("kinema", END)
    return builder.compile(name="kinema_subgraph")


subgraph = build_subgraph()
