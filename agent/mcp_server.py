"""`kinema mcp`: Kinema as an MCP server over stdio, with `generate_video` and `judge_video`.

Built on mcp 2.x, where FastMCP became `mcp.server.mcpserver.MCPServer`. Each tool call runs on
a worker thread so the server keeps answering while a video is made; a `KinemaError` becomes an
error result whose text tells the client what to change (mcp hides other exceptions' text).
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context as McpContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.text import Text

from agent.api import astream, judge_video
from agent.context import Context
from agent.events import Finished, NodeFinished, RunEvent
from agent.intake import context_for, lowered
from agent.nodes.finish import outcome
from agent.render import Progress
from agent.state import RuleVerdict, RunResult
from tools import __version__
from tools.errors import BadInputError, KinemaError, invalid_input
from tools.redact import install_log_redaction, redact_text
from tools.schema import MAX_PROMPT_CHARS

MAX_GENERATIONS = 50

INSTRUCTIONS = (
    "Kinema makes short videos whose physics holds up and judges the physics of any video. "
    "Call generate_video with a description; call judge_video with the path of a video under "
    "the server's out folder (or a folder it allows)."
)


class VideoAnswer(BaseModel):
    """What generate_video returns."""

    video: str | None = Field(description="Absolute path of the best video (final.mp4), or "
                              "null when no candidate could be made.")
    score: float | None = Field(description="The best video's score in [0, 1].")
    physics: float | None = Field(description="Its physics score in [0, 1].")
    adherence: float | None = Field(description="How well it shows the prompt, in [0, 1], when "
                                    "the judge measures it.")
    stop_reason: str = Field(description="Why the loop stopped, e.g. target_reached, no_gain, "
                             "budget_generations.")
    result_path: str = Field(description="Absolute path of the run's result.json.")
    run_id: str = Field(description="The run's id (its folder's name).")
    rounds: int = Field(description="Rounds the loop ran.")
    generations: int = Field(description="Videos generated.")
    usd: float = Field(description="US dollars spent.")
    seconds: float = Field(description="Wall-clock seconds the run took.")


class VerdictAnswer(BaseModel):
    """What judge_video returns (the verdict without its raw measurements)."""

    judge: str = Field(description="The judge that made the verdict.")
    score: float = Field(description="Overall score in [0, 1].")
    physics: float = Field(description="Physics score in [0, 1].")
    adherence: float | None = Field(None, description="Prompt adherence in [0, 1], if measured.")
    coverage: float | None = Field(None, description="Share of the motion the judge could "
                                   "check, in [0, 1], if measured.")
    rules: list[RuleVerdict] = Field(description="A verdict per rule: followed, violated or "
                                     "unclear, with confidence, evidence and time span.")


def build_server(context: Context | None = None, *,
                 allow: Sequence[str | os.PathLike[str]] = (), **request: Any) -> MCPServer:
    """The MCP server; `context` and `request` fields (duration_s, width, ...) apply to every run.

    The server, not the client, decides what runs and what is read: a call's caps can only
    lower the server's; `judge_video` uses the Context's judge and reads only files under the
    Context's out folder and the `allow` folders (symbolic links resolved first), so a client
    can neither read any file on the host nor send frames of a local video to a provider of its
    choosing. `generate_video` reports progress (one notification per node and verdict) to a
    client that asks for it.

    Example:
        >>> build_server(Context(out_dir="runs"), allow=["clips"]).run("stdio")  # doctest: +SKIP
    """
    # WARNING: mcp configures the process's root logger, and at INFO every library's chatter
    # (litellm's per-call lines) would reach stderr.
    server: MCPServer = MCPServer(name="kinema", version=__version__,
                                  instructions=INSTRUCTIONS, log_level="WARNING")
    base = context_for(context)
    readable = [Path(base.out_dir), *(Path(a) for a in allow)]

    @server.tool(name="generate_video")
    async def generate_video(
        prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS,
                                     description="What the video should show, e.g. 'a rubber "
                                                 "ball bounces on a wooden floor'.")],
        mcp: McpContext,
        max_generations: Annotated[int | None, Field(
            ge=1, le=MAX_GENERATIONS, description="Videos generated, at most (only lowers "
                                                  "the server's cap).")] = None,
        max_usd: Annotated[float | None, Field(
            ge=0, description="US dollars, at most (only lowers the server's cap).")] = None,
        max_seconds: Annotated[float | None, Field(
            gt=0, description="Wall-clock seconds, at most (only lowers the server's cap).")
        ] = None,
        max_gpu_seconds: Annotated[float | None, Field(
            gt=0, description="Accelerator seconds, at most (only lowers the server's cap).")
        ] = None,
        max_tokens: Annotated[int | None, Field(
            ge=1, description="LLM/VLM tokens, at most (only lowers the server's cap).")
        ] = None,
    ) -> VideoAnswer:
        """Generate a short physics-grounded video for PROMPT.

        Kinema plans the physics, generates candidates, measures them and refines until
        another round is not worth its cost. Returns the best video's path and scores, why the
        loop stopped, and the path of result.json; progress is reported per step.
        """
        caps = {"max_generations": max_generations, "max_usd": max_usd,
                "max_seconds": max_seconds, "max_gpu_seconds": max_gpu_seconds,
                "max_tokens": max_tokens}
        with _told_to_client():
            budget = lowered(base.budget, caps)
            result = await _generate(mcp, prompt, context=base, budget=budget, **request)
        led = result.ledger
        return VideoAnswer(**outcome(result), run_id=result.run_id, rounds=len(result.rounds),
                           generations=led.generations, usd=led.usd, seconds=led.seconds)

    @server.tool(name="judge_video")
    async def judge_video_tool(
        path: Annotated[str, Field(min_length=1, max_length=4096,
                                   description="A video file the server may read.")],
        prompt: Annotated[str | None, Field(max_length=MAX_PROMPT_CHARS,
                                            description="What the video should show; its "
                                                        "rules are checked too.")] = None,
    ) -> VerdictAnswer:
        """Judge the physics of the video file at PATH; with a PROMPT, its rules are checked.

        Returns scores in [0, 1] and a verdict per rule: followed, violated or unclear, with
        evidence and time span. Only files under the server's out folder (and the folders it
        was started with `--allow`) can be judged.
        """
        with _told_to_client():
            video = readable_file(path, readable)
            verdict = await asyncio.to_thread(judge_video, video, prompt, base.judge)
        return VerdictAnswer.model_validate(verdict.model_dump(exclude={"measurements", "cost"}))

    return server


async def _generate(mcp: McpContext, prompt: str, **kwargs: Any) -> RunResult:
    """Runs like `agenerate`, telling the client each step as a progress notification."""
    progress = Progress(Console(file=io.StringIO()), show_plan=True)
    done = 0
    async for event in astream(prompt, **kwargs):
        if isinstance(event, Finished):
            return event.result
        text = _progress_text(progress, event)
        if text:
            done += 1
            await mcp.report_progress(done, None, text)
    raise KinemaError("the run ended without a result")


def _progress_text(progress: Progress, event: RunEvent) -> str:
    """A step as one plain line: `round 1: judge done`, `round 1 r01c0 score 0.42`, ..."""
    if isinstance(event, NodeFinished):
        return f"round {event.round}: {event.node} " + ("failed" if event.error else "done")
    line = progress.line(event)
    return " ".join(Text.from_markup(line).plain.split()) if line else ""


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
