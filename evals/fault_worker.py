"""The process the fault suite kills: the real `kinema` CLI plus one logging video backend.

`python -m evals.fault_worker ARGS...` is `kinema ARGS...` with:
- `video` backend `faultlog`: the studio's stand-in generator, priced at $0.25 a video, that
  appends each finished candidate's id to `$KINEMA_FAULT_LOG` (so a candidate generated twice
  shows twice) and first sleeps `$KINEMA_FAULT_SLOW` seconds (so a kill lands mid-generation);
- a command `fault-run PROMPT --context-json JSON`: `kinema run` with a whole Context (backend
  options such as an `api_base` cannot be given on the command line).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tools.base import registry
from tools.schema import Candidate, GenerationJob


class LoggedStudioVideo:
    """The studio stand-in, priced and logged."""

    spec = "faultlog"
    usd_per_generation = 0.25

    def __init__(self, model: str | None = None, **options: Any) -> None:
        self.inner = registry.resolve("video", "studio", **options)
        self.accepts_keyframes = self.inner.accepts_keyframes
        self.parallel_ok = True

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        time.sleep(float(os.environ.get("KINEMA_FAULT_SLOW", "0") or 0))
        cand: Candidate = self.inner.generate(job, out_path)
        log = os.environ.get("KINEMA_FAULT_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(job.candidate_id + "\n")
        return cand.model_copy(update={"backend": self.spec, "cost": cand.cost.model_copy(
            update={"usd": self.usd_per_generation, "generations": 1})})


def fault_run(
    prompt: Annotated[str, typer.Argument()],
    context_json: Annotated[str, typer.Option("--context-json")],
    duration: Annotated[float, typer.Option()] = 1.0,
    width: Annotated[int, typer.Option()] = 160,
    height: Annotated[int, typer.Option()] = 96,
    fps: Annotated[int, typer.Option()] = 12,
) -> None:
    """`kinema run` with a whole Context as JSON; prints result.json."""
    from agent.cli import out
    from agent.intake import context_for, request_for
    from agent.runner import run
    from tools.errors import BadInputError

    try:
        fields = json.loads(context_json)
    except ValueError as exc:
        raise BadInputError(f"--context-json is not JSON ({exc})") from None
    ctx = context_for(fields)
    request = request_for(prompt, duration_s=duration, width=width, height=height, fps=fps)
    result = run(request, ctx)
    out.print_json(json.dumps(result.model_dump(mode="json")))


def main() -> None:
    from agent.cli import app
    from agent.cli import main as kinema

    registry.register("video", "faultlog", LoggedStudioVideo)
    app.command("fault-run")(fault_run)
    kinema()


if __name__ == "__main__":
    main()
