"""`kinema mcp`: Kinema as an MCP server over stdio, with `generate_video` and `judge_video`.

Built on mcp 2.x, where FastMCP became `mcp.server.mcpserver.MCPServer`. Each tool call runs on
a worker thread so the server keeps answering while a video is made; a `KinemaError` becomes an
error result whose text tells the client what to change (mcp hides other exceptions' text).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from agent.api import agenerate, judge_video
from agent.context import Context
from agent.subgraph import outcome
from tools.errors import KinemaError

INSTRUCTIONS = (
    "Kinema makes short videos whose physics holds up and judges the physics of any video. "
    "Call generate_video with a description; call judge_video with a video file path."
)


def build_server(context: Context | None = None, **request: Any) -> MCPServer:
    """The MCP server; `context` and `request` fields (duration_s, width, ...) apply to every run.

    Example:
        >>> build_server(Context(out_dir="runs")).run("stdio")  # doctest: +SKIP
    """
    server: MCPServer = MCPServer(name="kinema", instructions=INSTRUCTIONS)
    base = context or Context()

    @server.tool(name="generate_video")
    async def generate_video(prompt: str, max_generations: int | None = None) -> dict[str, Any]:
        """Generate a short physics-grounded video for PROMPT.

        Returns the video path, its physics score in [0, 1], why the loop stopped, and the path
        of result.json. max_generations caps how many videos are generated.
        """
        budget = base.budget
        if max_generations is not None:
            budget = budget.model_copy(update={"max_generations": max_generations})
        with _told_to_client():
            result = await agenerate(prompt, context=base, budget=budget, **request)
        return {**outcome(result), "run_id": result.run_id, "rounds": len(result.rounds)}

    @server.tool(name="judge_video")
    async def judge_video_tool(path: str, prompt: str | None = None,
                               judge: str = "kinematics") -> dict[str, Any]:
        """Judge the physics of the video file at PATH; with a PROMPT, its rules are checked.

        Returns scores in [0, 1] and a verdict per rule: followed, violated or unclear, with
        evidence and time span.
        """
        with _told_to_client():
            verdict = await asyncio.to_thread(judge_video, path, prompt, judge)
        return verdict.model_dump(mode="json", exclude={"measurements"})

    return server


@contextmanager
def _told_to_client() -> Iterator[None]:
    """A user's mistake reaches the client as its message (other errors stay generic)."""
    try:
        yield
    except KinemaError as exc:
        raise ToolError(str(exc)) from exc


def serve_stdio(context: Context | None = None, **request: Any) -> None:
    """Serves over stdin/stdout until the client closes the connection."""
    build_server(context, **request).run("stdio")


if __name__ == "__main__":
    serve_stdio()
