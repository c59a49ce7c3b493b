"""Kinema as a LangChain tool, for agents that pick tools by name and schema."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from agent.api import agenerate, generate
from agent.context import Context
from agent.intake import context_for, lowered
from agent.nodes.finish import outcome
from tools.schema import MAX_PROMPT_CHARS

DESCRIPTION = (
    "Generate a short video whose physics holds up (falling, bouncing, rolling, sliding, "
    "swinging, colliding objects). Kinema plans the physics, generates candidates, measures "
    "them and refines until another round is not worth its cost. Returns the video path, its "
    "physics score in [0, 1], why it stopped, and the path of result.json."
)


class GenerateVideoArgs(BaseModel):
    """The tool's arguments, as the calling model sees them (caps only lower the tool's own)."""

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS,
                        description="What the video should show, e.g. 'a rubber ball bounces "
                                    "on a wooden floor'.")
    max_generations: int | None = Field(None, ge=1, le=50,
                                        description="At most this many videos are generated.")
    max_usd: float | None = Field(None, ge=0, description="At most this many US dollars.")
    max_seconds: float | None = Field(None, gt=0, description="At most this many seconds.")
    max_gpu_seconds: float | None = Field(None, gt=0,
                                          description="At most this many accelerator seconds.")
    max_tokens: int | None = Field(None, ge=1, description="At most this many LLM/VLM tokens.")


def as_tool(context: Context | None = None, *, name: str = "generate_physics_video",
            description: str = DESCRIPTION, **request: Any) -> BaseTool:
    """A LangChain tool that runs Kinema; its content is JSON, its artifact the RunResult.

    Args:
        context: backends, budget, target and output folder for every call; a call's caps can
            only lower its budget.
        name: the tool's name as the model sees it.
        description: what the model is told the tool does.
        **request: fixed `RunRequest` fields for every call (`duration_s`, `width`, ...).

    Example:
        >>> from agent import as_tool
        >>> tool = as_tool()
        >>> tool.invoke({"prompt": "a ball falls", "max_generations": 2})  # doctest: +SKIP
        '{"video": "/.../runs/.../final.mp4", "score": 0.91, "stop_reason": "target_reached", ...}'
        >>> llm.bind_tools([tool])  # doctest: +SKIP
    """
    base = context_for(context)

    def _kwargs(caps: dict[str, Any]) -> dict[str, Any]:
        return {"context": base, "budget": lowered(base.budget, caps), **request}

    def run_tool(prompt: str, **caps: Any) -> tuple[str, dict[str, Any]]:
        result = generate(prompt, **_kwargs(caps))
        return json.dumps(outcome(result)), result.model_dump(mode="json")

    async def arun_tool(prompt: str, **caps: Any) -> tuple[str, dict[str, Any]]:
        result = await agenerate(prompt, **_kwargs(caps))
        return json.dumps(outcome(result)), result.model_dump(mode="json")

    return StructuredTool.from_function(
        func=run_tool, coroutine=arun_tool, name=name, description=description,
        args_schema=GenerateVideoArgs, response_format="content_and_artifact",
    )
