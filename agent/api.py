"""The Python API: the functions agent builders call.

Every entry point here goes through `agent.runner.run`, the same path as the CLI and the evals:
`stream()` runs it on a worker thread and turns LangGraph's stream into typed events, and the
async variants hand the blocking work to a thread. Each call builds its own request, Context copy,
run directory and trace, so runs in several threads or tasks of one process share nothing but
the loaded backends.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

from agent.backends import validate_specs
from agent.context import Context
from agent.events import EventTranslator, Finished, RunEvent
from agent.intake import prepare, request_for, valid
from agent.runner import OnUpdate, run
from agent.state import Budget, RunRequest, RunResult, ShotPlan, Verdict
from tools.base import registry
from tools.errors import BadInputError, VideoReadError

__all__ = ["StreamClosed", "agenerate", "astream", "generate", "judge_video", "prepare",
           "stream"]


class StreamClosed(Exception):  # a signal, not a user's mistake
    """The consumer of `stream()` stopped reading; the run was stopped after its current node.

    Not a KinemaError: nobody made a mistake, and the run's directory is kept with status
    `failed` and this as its error, beside whatever was already paid for.
    """


def generate(
    prompt: str,
    *,
    budget: Budget | dict[str, Any] | None = None,
    context: Context | dict[str, Any] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    on_update: OnUpdate | None = None,
    **request: Any,
) -> RunResult:
    """Makes a video for `prompt`, looping until the stop rule says another round is not worth it.

    Args:
        prompt: what the video should show.
        budget: hard caps: a `Budget` replaces `context.budget`; a dict of caps
            (`{"max_usd": 0.5}`) sets those on top of it.
        context: backends, target and output folder (a `Context` or its fields as a dict);
            the defaults run the offline studio.
        options: backend options per role, merged into `context.options`
            (`{"video": {"steps": 30}}`).
        out_dir: parent folder of the run directory; replaces `context.out_dir`.
        seed: seed of the first round.
        on_update: called with (node name, update) after every node.
        **request: other `RunRequest` fields: `duration_s`, `fps`, `width`, `height`,
            `init_image`.

    Returns:
        The RunResult also written to `<out_dir>/<run_id>/result.json`.

    Example:
        >>> from agent import generate
        >>> result = generate("a rubber ball rolls off a table and bounces",
        ...                   budget={"max_generations": 3}, duration_s=2.0)  # doctest: +SKIP
        >>> result.best.score, result.final_video  # doctest: +SKIP
        (0.93, 'runs/20250101-120000-a1b2c3/final.mp4')
    """
    req, ctx = prepare(prompt, budget=budget, context=context, options=options,
                       out_dir=out_dir, seed=seed, **request)
    return run(req, ctx, on_update=on_update)


async def agenerate(prompt: str, **kwargs: Any) -> RunResult:
    """`generate()` for asyncio code: the run happens on a worker thread.

    Example:
        >>> results = await asyncio.gather(agenerate("a ball falls"),
        ...                                agenerate("a block slides"))  # doctest: +SKIP
    """
    return await asyncio.to_thread(generate, prompt, **kwargs)


_DONE = object()


def stream(prompt: str, **kwargs: Any) -> Generator[RunEvent, None, None]:
    """Runs like `generate()` and yields typed events as the loop goes.

    Events (see `agent.events`): `NodeStarted`, `NodeFinished`, `PlanReady`, `KeyframesReady`,
    `CandidateReady`, `VerdictReady`, `DecisionMade`, `Refined`, and last `Finished` carrying
    the RunResult. They come from LangGraph's `tasks` and `updates` stream modes. A failure of
    the run is raised from the iterator; closing the iterator early stops the run after the node
    in progress (recorded as failed, with `StreamClosed` as its error).

    Example:
        >>> from agent import stream
        >>> for event in stream("a ball falls", duration_s=1.0):  # doctest: +SKIP
        ...     if event.kind == "verdict":
        ...         print(event.round, event.candidate_id, event.verdict.score)
        ...     elif event.kind == "finished":
        ...         print(event.result.final_video)
    """
    req, ctx = prepare(prompt, **kwargs)
    items: queue.Queue[Any] = queue.Queue()
    closed = threading.Event()
    # The caller's context travels with the run (its current span parents the run's spans).
    caller = contextvars.copy_context()
    worker = threading.Thread(target=caller.run, args=(_stream_worker, req, ctx, items, closed),
                              name="kinema-stream", daemon=True)
    worker.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        closed.set()
        worker.join()


def _stream_worker(req: RunRequest, ctx: Context, items: queue.Queue[Any],
                   closed: threading.Event) -> None:
    translator = EventTranslator()

    def on_chunk(mode: str, chunk: Any) -> None:
        if closed.is_set():
            raise StreamClosed("the consumer stopped reading the stream")
        for event in translator.feed(mode, chunk):
            items.put(event)

    try:
        result = run(req, ctx, on_chunk=on_chunk)
        items.put(Finished(result=result, round=translator.round))
    except BaseException as exc:  # handed to the consumer's thread, which re-raises it
        items.put(exc)
    finally:
        items.put(_DONE)


async def astream(prompt: str, **kwargs: Any) -> AsyncIterator[RunEvent]:
    """`stream()` for asyncio code; each event is awaited from the worker thread.

    Example:
        >>> async for event in astream("a ball falls"):  # doctest: +SKIP
        ...     print(event.kind, event.round)
    """
    events = stream(prompt, **kwargs)
    try:
        while isinstance(event := await asyncio.to_thread(next, events, None), RunEvent):
            yield event
    finally:
        await asyncio.to_thread(events.close)


def judge_video(
    path: str | os.PathLike[str], prompt: str | None = None, judge: str = "kinematics"
) -> Verdict:
    """Judges any video file; with a prompt, the rules the planner derives from it are checked
    and the video's adherence to the prompt's scene is measured (`verdict.adherence`, None
    without a prompt or when the studio cannot read a scene from it).

    The video's scale is unknown, so measured rates are compared scale-free, and the prompt's
    simulated scene only as far as it holds whatever the heights and materials.

    Example:
        >>> from agent import judge_video
        >>> verdict = judge_video("clip.mp4", prompt="a ball falls")  # doctest: +SKIP
        >>> verdict.physics, verdict.violations  # doctest: +SKIP
        (0.82, ['no_teleport'])
    """
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise BadInputError(f"the video must be a file path, not {type(path).__name__}")
    if prompt is not None and not isinstance(prompt, str):
        raise BadInputError(f"the prompt must be text (str) or None, not {type(prompt).__name__}")
    if not isinstance(judge, str):
        raise BadInputError(f"the judge must be a spec string, not {type(judge).__name__}")
    validate_specs(valid(Context, {"judge": judge}, "judge"), roles=("judge",))
    video = Path(path)
    if not video.is_file():
        raise VideoReadError(f"cannot read video {str(video)!r}: no such file")
    plan: ShotPlan | None = None
    if prompt is not None:
        planner = registry.resolve("planner", "studio")
        # The video's scale is unknown; the scene stays, for the `trajectory` rule to compare
        # what it can without one, and for adherence.
        plan = planner.plan(request_for(prompt)).model_copy(update={"px_per_m": None})
    backend = registry.resolve("judge", judge)
    verdict: Verdict = backend.judge(video, plan)
    return verdict
