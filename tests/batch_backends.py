"""Backends for batch tests, registered in every worker by `register` (the batch's `setup`).

They are the durable-run backends (deterministic, $0.25 a clip, each finished candidate logged to
`$KINEMA_TEST_LOG`) plus:
- `picky` planner: fails like the studio on a prompt it cannot simulate (one with 'liquid');
- `held` video: a backend that declares it holds a model, and adds a line to
  `$KINEMA_TEST_LOADS/<pid>` each time it loads, so a test can count loads per worker;
- `stopper` video: writes the batch's stop request after each first-round clip of a prompt
  saying 'stop here', as Ctrl-C in the driver would, so the batch is saved half-way through a
  run.

`python -m tests.batch_backends SOURCE OUT` drives a batch in its own process, for kill tests.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import ClassVar

from agent.context import Context
from agent.state import Budget, RunRequest
from tests import durable_run
from tests.durable_run import SeededVideo
from tools.base import Resources, registry
from tools.errors import StudioUnsupported
from tools.schema import Candidate, GenerationJob, ShotPlan


class PickyPlanner:
    spec = "picky"

    def __init__(self, model: str | None = None) -> None:
        self.inner = durable_run.FixedPlanner()

    def plan(self, request: RunRequest) -> ShotPlan:
        if "liquid" in request.prompt:
            raise StudioUnsupported(f"the offline studio cannot simulate {request.prompt!r}; "
                                    "use a real generator")
        return self.inner.plan(request)


class HeldVideo(SeededVideo):
    spec = "held"
    resources: ClassVar[Resources] = Resources(holds_model=True)

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        loads = os.environ.get("KINEMA_TEST_LOADS")
        if loads:
            with open(Path(loads, str(os.getpid())), "a", encoding="utf-8") as fh:
                fh.write("loaded\n")


class StopperVideo(SeededVideo):
    spec = "stopper"

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        cand = super().generate(job, out_path)
        if "stop here" in job.prompt and job.round == 1:
            batch_dir = out_path.parents[5]  # OUT/items/<id>/<run>/rounds/NN/clip.mp4
            (batch_dir / ".stop").touch()
        return cand


def register() -> None:
    durable_run.register()
    registry.register("planner", "picky", PickyPlanner)
    registry.register("video", "held", HeldVideo)
    registry.register("video", "stopper", StopperVideo)


def context(video: str = "seeded", max_generations: int = 4) -> Context:
    """Two candidates a round, `max_generations` clips a run, a target out of reach."""
    return Context(planner="picky", keyframes="blank", video=video, judge="brightness",
                   refiner="pure", target=0.99, candidates_per_round=2, usd_per_point=100.0,
                   budget=Budget(max_generations=max_generations))


def main(argv: list[str]) -> None:
    from agent.batch import run_batch

    source, out = argv
    register()
    summary = run_batch(source, out, context=context(), request={"duration_s": 1.0},
                        setup=register)
    print(json.dumps(summary["batch"]))


if __name__ == "__main__":
    main(sys.argv[1:])
