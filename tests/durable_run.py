"""A run in its own process, for the durability tests: `python -m tests.durable_run run|resume`.

Its backends are deterministic functions of their inputs (no call counters), so a run resumed in a
fresh process continues exactly as the uninterrupted run would. The video backend appends each
finished candidate's id to `$KINEMA_TEST_LOG`, and with `$KINEMA_TEST_KILL_AT=<candidate id>` it
SIGKILLs its own process while generating that candidate, once the other candidates of the round
are saved: a crash in the middle of a round.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

from agent.context import Context
from agent.state import Budget, RunRequest
from tests.fakes import BlankKeyframes, FixedPlanner
from tools.base import registry
from tools.media import read_video, write_video
from tools.schema import (
    Candidate,
    GenerationJob,
    KeyframeSpec,
    Ledger,
    Refinement,
    RuleVerdict,
    ShotPlan,
    Verdict,
)


def brightness_for(job: GenerationJob) -> int:
    """More keyframes and some seeds make better videos; the judge reads it back as the score."""
    score = min(0.85, 0.3 + 0.08 * len(job.keyframes) + 0.05 * (job.seed % 3))
    return round(score * 255)


class SeededVideo:
    spec = "seeded"
    accepts_keyframes = True
    parallel_ok = True
    usd_per_generation = 0.25

    def __init__(self, model: str | None = None) -> None:
        self.log = os.environ.get("KINEMA_TEST_LOG")
        self.kill_at = os.environ.get("KINEMA_TEST_KILL_AT")

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        if job.candidate_id == self.kill_at:
            _die_once_the_others_are_saved(out_path, job.candidate_id)
        level = brightness_for(job)
        write_video([np.full((16, 16, 3), level, np.uint8)] * 4, out_path, fps=8)
        if self.log:
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.write(job.candidate_id + "\n")
        return Candidate(id=job.candidate_id, round=job.round, video=str(out_path), seed=job.seed,
                         backend=self.spec, prompt=job.prompt,
                         cost=Ledger(generations=1, usd=self.usd_per_generation))


def _die_once_the_others_are_saved(out_path: Path, candidate_id: str) -> None:
    sibling = out_path.with_name(candidate_id[:-1] + "0.mp4")
    deadline = time.monotonic() + 20
    while not sibling.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # LangGraph saves a finished task's writes on a background thread
    os.kill(os.getpid(), signal.SIGKILL)


class BrightnessJudge:
    spec = "brightness"

    def __init__(self, model: str | None = None) -> None:
        pass

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict:
        frames, _ = read_video(video)
        score = round(float(np.mean(frames[0])) / 255, 3)
        rule = RuleVerdict(id="gravity", status="violated", confidence=0.9, span=(0.1, 0.9))
        return Verdict(judge=self.spec, score=score, physics=score, rules=[rule])


class KeyframeRefiner:
    """Adds one keyframe after the last one: a pure function of its inputs."""

    spec = "pure"

    def __init__(self, model: str | None = None) -> None:
        pass

    def refine(self, plan: ShotPlan, prompt: str, keyframes: list[KeyframeSpec],
               verdict: Verdict) -> Refinement:
        t = round(0.05 * len(keyframes), 3)
        return Refinement(prompt=prompt, add_keyframes=[KeyframeSpec(t=t, event="refine")],
                          notes=[f"keyframe at {t}s"])


def register() -> None:
    registry.register("planner", "fixed", lambda model, **_: FixedPlanner())
    registry.register("keyframes", "blank", lambda model, **_: BlankKeyframes())
    registry.register("video", "seeded", SeededVideo)
    registry.register("judge", "brightness", BrightnessJudge)
    registry.register("refiner", "pure", KeyframeRefiner)


def context(out_dir: str) -> Context:
    """Two candidates a round, three rounds' worth of generations, a target out of reach."""
    return Context(planner="fixed", keyframes="blank", video="seeded", judge="brightness",
                   refiner="pure", out_dir=out_dir, target=0.99, candidates_per_round=2,
                   budget=Budget(max_generations=6), usd_per_point=100.0)


def main(argv: list[str]) -> None:
    from agent.runner import resume, run

    register()
    command, where = argv
    if command == "run":
        result = run(RunRequest(prompt="a ball falls", duration_s=1.0, seed=3), context(where))
    else:
        result = resume(where)
    print(json.dumps({"run_dir": result.run_dir, "best": result.best.model_dump()
                      if result.best else None, "generations": result.ledger.generations}))


if __name__ == "__main__":
    main(sys.argv[1:])
