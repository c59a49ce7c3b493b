"""`kinema mcp`: Kinema as an MCP server over stdio, with `generate_video` and `judge_video`.

Built on mcp 2.x, where FastMCP became `mcp.server.mcpserver.MCPServer`. Each tool call runs on
a worker thread so the server keeps answering while a video is made; a `KinemaError` becomes an
error result whose text tells the client what to change (mcp hides other exceptions' text).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from agent.api import agenerate, judge_video
from agent.context import Context
from agent.state import Budget
from agent.subgraph import outcome
from tools.errors import BadInputError, KinemaError, invalid_input
from tools.redact import install_log_redaction, redact_text
from tools.schema import MAX_PROMPT_CHARS

MAX_GENERATIONS = 50

INSTRUCTIONS = (
    "Kinema makes short videos whose physics holds up and judges the physics of any video. "
    "Call generate_video with a description; call judge_video with the path of a video under "
    "the server's out folder (or a folder it allows)."
)


def build_server(context: Context | None = None, *,
                 allow: Sequence[str | os.PathLike[str]] = (), **request: Any) -> MCPServer:
    """The MCP server; `context` and `request` fields (duration_s, width, ...) apply to every run.

    The server, not the client, decides what runs and what is read: `judge_video` uses the
    Context's judge and reads only files under the Context's out folder and the `allow` folders
    (symbolic links resolved first), so a client can neither read any file on the host nor send
    frames of a local video to a provider of its choosing.

    Example:
        >>> build_server(Context(out_dir="runs"), allow=["clips"]).run("stdio")  # doctest: +SKIP
    """
    # WARNING: mcp configures the process's root logger, and at INFO every library's chatter
    # (litellm's per-call lines) would reach stderr.
    server: MCPServer = MCPServer(name="kinema", instructions=INSTRUCTIONS, log_level="WARNING")
    base = context or Context()
    readable = [Path(base.out_dir), *(Path(a) for a in allow)]

    @server.tool(name="generate_video")
    async def generate_video(
        prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS,
                                     description="What the video should show.")],
        max_generations: Annotated[int | None, Field(
            ge=1, le=MAX_GENERATIONS, description="At most this many videos.")] = None,
    ) -> dict[str, Any]:
        """Generate a short physics-grounded video for PROMPT.

        Returns the video path, its physics score in [0, 1], why the loop stopped, and the path
        of result.json. max_generations caps how many videos are generated.
        """
        with _told_to_client():
            budget = base.budget
            if max_generations is not None:
                budget = Budget.model_validate({**budget.model_dump(),
                                                "max_generations": max_generations})
            result = await agenerate(prompt, context=base, budget=budget, **request)
        return {**outcome(result), "run_id": result.run_id, "rounds": len(result.rounds)}

    @server.tool(name="judge_video")
    async def judge_video_tool(
        path: Annotated[str, Field(min_length=1, max_length=4096,
                                   description="A video file the server may read.")],
        prompt: Annotated[str | None, Field(max_length=MAX_PROMPT_CHARS,
                                            description="What the video should show.")] = None,
    ) -> dict[str, Any]:
        """Judge the physics of the video file at PATH; with a PROMPT, its rules are checked.

        Returns scores in [0, 1] and a verdict per rule: followed, violated or unclear, with
        evidence and time span. Only files under the server's out folder (and the folders it
        was started with `--allow`) can be judged.
        """
        with _told_to_client():
            video = readable_file(path, readable)
            verdict = await asyncio.to_thread(judge_video, video, prompt, base.judge)
        return verdict.model_dump(mode="json", exclude={"measurements"})

    return server


def readable_file(path: str, roots: Sequence[Path]) -> Path:
    """`path` with links resolved, when it lies under one of `roots`.

    Raises:
        BadInputError: it lies anywhere else.
    """
    real = Path(os.path.realpath(Path(path).expanduser()))
    for root in roots:
        if real.is_relative_to(os.path.realpath(root.expanduser())):
            return real
    shown = ", ".join(str(r) for r in roots)
    raise BadInputError(f"{path!r} is outside the folders this server may read ({shown}): "
                        "restart it with --allow DIR to judge videos there")


@contextmanager
def _told_to_client() -> Iterator[None]:
    """A user's mistake reaches the client as its message (other errors stay generic)."""
    try:
        yield
    except ValidationError as exc:
        raise ToolError(str(invalid_input(exc))) from exc
    except KinemaError as exc:
        raise ToolError(redact_text(str(exc))) from exc


def serve_stdio(context: Context | None = None, *,
                allow: Sequence[str | os.PathLike[str]] = (), **request: Any) -> None:
    """Serves over stdin/stdout until the client closes the connection."""
    install_log_redaction()
    build_server(context, allow=allow, **request).run("stdio")


if __name__ == "__main__":
    serve_stdio()
