"""The Python API: the functions agent builders call."""

from __future__ import annotations

import os
from pathlib import Path

from agent.context import Context
from agent.runner import OnUpdate, run
from agent.state import Budget, RunRequest, RunResult, ShotPlan, Verdict
from tools.base import registry
from tools.errors import BadInputError, VideoReadError


def generate(
    prompt: str,
    *,
    budget: Budget | None = None,
    context: Context | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    on_update: OnUpdate | None = None,
) -> RunResult:
    """Makes a video for `prompt`, looping until the stop rule says another round is not worth it.

    Example:
        >>> from agent import generate
        >>> result = generate("a rubber ball rolls off a table and bounces")  # doctest: +SKIP
        >>> result.best.score, result.final_video  # doctest: +SKIP
    """
    ctx = (context or Context()).model_copy(deep=True)
    if budget is not None:
        ctx.budget = budget
    if out_dir is not None:
        ctx.out_dir = str(out_dir)
    request = _request(prompt, seed=seed)
    return run(request, ctx, on_update=on_update)


def _request(prompt: str, **fields: object) -> RunRequest:
    if not prompt or not prompt.strip():
        raise BadInputError("the prompt is empty: describe the video you want")
    return RunRequest(prompt=prompt, **fields)  # type: ignore[arg-type]


def judge_video(
    path: str | os.PathLike[str], prompt: str | None = None, judge: str = "kinematics"
) -> Verdict:
    """Judges any video file; with a prompt, the rules the planner derives from it are checked.

    The video's scale is unknown, so measured rates are compared scale-free.
    """
    video = Path(path)
    if not video.is_file():
        raise VideoReadError(f"cannot read video {str(video)!r}: no such file")
    plan: ShotPlan | None = None
    if prompt is not None:
        planner = registry.resolve("planner", "studio")
        plan = planner.plan(_request(prompt)).model_copy(update={"px_per_m": None, "scene": None})
    backend = registry.resolve("judge", judge)
    verdict: Verdict = backend.judge(video, plan)
    return verdict
