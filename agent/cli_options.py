"""The options every command that makes runs shares: `run`, `chat`, `batch` and `mcp`.

Declared once, so each command spells them the same way: the budget caps as `Budget`'s fields
(`--max-generations`, `--max-seconds`, `--max-usd`, `--max-gpu-seconds`, `--max-tokens`),
`--candidates-per-round`, the backend of each role, and `--option ROLE.KEY=VALUE` for backend
options (`--option video.steps=30`). They become the run's `Context` and request fields through
the front door (`agent.intake`).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.context import Context
from agent.intake import budget_with, context_for, parse_options, request_for
from agent.state import Budget

SpecOpt = Annotated[str | None, typer.Option(help="Backend spec, e.g. studio or litellm:gpt-4o.")]
_DEFAULT_BUDGET = Budget()
_DEFAULT_CONTEXT = Context()


@dataclass
class RunOptions:
    """What the shared options hold; `context()` and `request()` turn them into a run's."""

    seed: Annotated[int, typer.Option(help="Seed of the first round.")] = 0
    target: Annotated[float, typer.Option(help="Stop once the best score reaches this.")] = (
        _DEFAULT_CONTEXT.target)
    max_generations: Annotated[int | None, typer.Option(
        help=f"Videos generated, at most (default {_DEFAULT_BUDGET.max_generations}).",
        show_default=False)] = None
    max_seconds: Annotated[float | None, typer.Option(help="Wall-clock seconds, at most.")] = None
    max_usd: Annotated[float | None, typer.Option(help="US dollars, at most.")] = None
    max_gpu_seconds: Annotated[float | None, typer.Option(
        help="Accelerator seconds, at most.")] = None
    max_tokens: Annotated[int | None, typer.Option(help="LLM/VLM tokens, at most.")] = None
    candidates_per_round: Annotated[int, typer.Option(
        help="Candidates per round (best-of-N; clipped to what the budget pays).")] = 1
    duration: Annotated[float, typer.Option(help="Video length in seconds.")] = 4.0
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 24
    width: Annotated[int, typer.Option(help="Frame width in pixels.")] = 854
    height: Annotated[int, typer.Option(help="Frame height in pixels.")] = 480
    init_image: Annotated[Path | None, typer.Option(
        help="A first frame for generators that take one (image-to-video).")] = None
    planner: SpecOpt = None
    keyframes: SpecOpt = None
    video: SpecOpt = None
    judge: SpecOpt = None
    refiner: SpecOpt = None
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", metavar="ROLE.KEY=VALUE",
        help="A backend option, e.g. video.steps=30 or judge.timeout_s=60 (repeatable; "
             "values are read as JSON when they are JSON).")] = field(default=None)

    def context(self, out_dir: Path | None = None) -> Context:
        """The run's Context (every entry point's front door builds it the same way)."""
        caps = {"max_generations": self.max_generations, "max_seconds": self.max_seconds,
                "max_usd": self.max_usd, "max_gpu_seconds": self.max_gpu_seconds,
                "max_tokens": self.max_tokens}
        return context_for(
            None, budget=budget_with(None, **caps), options=parse_options(self.option or []),
            out_dir=out_dir, target=self.target, candidates_per_round=self.candidates_per_round,
            planner=self.planner, keyframes=self.keyframes, video=self.video, judge=self.judge,
            refiner=self.refiner)

    def request(self) -> dict[str, Any]:
        """The request fields every run of the command gets (checked now, once)."""
        fields_: dict[str, Any] = {"seed": self.seed, "duration_s": self.duration,
                                   "fps": self.fps, "width": self.width, "height": self.height}
        if self.init_image is not None:
            fields_["init_image"] = str(self.init_image)
        request_for("-", **fields_)
        return fields_


def with_run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the shared options to a Typer command; it receives them as `run: RunOptions`."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "run"]
    hints = typing.get_type_hints(RunOptions, include_extras=True)
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                annotation=hints[f.name]) for f in fields(RunOptions)]

    @functools.wraps(command)
    def wrapped(**kwargs: Any) -> Any:
        values = {f.name: kwargs.pop(f.name) for f in fields(RunOptions)}
        return command(**kwargs, run=RunOptions(**values))

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
    # Typer reads the signature and the hints: both must show the merged parameters.
    wrapped.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapped.__annotations__ = {p.name: p.annotation for p in params}
    del wrapped.__wrapped__  # type: ignore[attr-defined]
    return wrapped
