"""Fakes that implement the real protocols and register through the real registry."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np

from tools.media import write_video
from tools.schema import (
    Candidate,
    GenerationJob,
    Keyframe,
    KeyframeSpec,
    Ledger,
    PhysicsRule,
    Refinement,
    RuleVerdict,
    RunRequest,
    ShotPlan,
    Verdict,
)


class FixedPlanner:
    spec = "fixed"

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def plan(self, request: RunRequest) -> ShotPlan:
        return ShotPlan(
            prompt=request.prompt,
            generator_prompt=request.prompt,
            phenomena=["free fall"],
            rules=[PhysicsRule(id="gravity", text="falls with constant acceleration",
                               check="gravity")],
            keyframes=[KeyframeSpec(t=0.0, event="release"), KeyframeSpec(t=0.5, event="contact")],
            cost=Ledger(usd=0.001, input_tokens=100, output_tokens=50),
        )


class BlankKeyframes:
    spec = "blank"

    def __init__(self, model: str | None = None) -> None:
        self.rendered: list[float] = []

    def render(self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest,
               out_dir: Path) -> list[Keyframe]:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.rendered.extend(s.t for s in specs)
        out = []
        for s in specs:
            path = out_dir / f"kf_{s.t:.3f}.png"
            path.write_bytes(b"png")
            out.append(Keyframe(t=s.t, image=str(path), source=self.spec))
        return out


class ScriptedVideo:
    """Writes a tiny real MP4 per call; raises the queued exceptions in order when given."""

    spec = "scripted"
    accepts_keyframes = True
    parallel_ok = True
    max_frames = 1000

    def __init__(self, model: str | None = None) -> None:
        self.outcomes: deque[Exception | None] = deque()
        self.jobs: list[GenerationJob] = []

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        self.jobs.append(job)
        outcome = self.outcomes.popleft() if self.outcomes else None
        if outcome is not None:
            raise outcome
        frames = [np.full((16, 16, 3), 10 * i, np.uint8) for i in range(4)]
        write_video(frames, out_path, fps=8)
        return Candidate(id=job.candidate_id, round=job.round, video=str(out_path), seed=job.seed,
                         backend=self.spec, prompt=job.prompt,
                         cost=Ledger(generations=1, usd=0.5, gpu_seconds=2.0))


class ScriptedJudge:
    """Returns queued scores in order (the last one repeats)."""

    spec = "scripted"

    def __init__(self, model: str | None = None) -> None:
        self.scores: deque[float] = deque([0.4, 0.7, 0.95])
        self.last = 0.0

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict:
        assert video.is_file()
        self.last = self.scores.popleft() if self.scores else self.last
        status = "followed" if self.last >= 0.9 else "violated"
        rule = RuleVerdict(id="gravity", status=status, confidence=0.9, span=(0.1, 0.4))
        return Verdict(judge=self.spec, score=self.last, physics=self.last, rules=[rule])


class EchoRefiner:
    """Adds one keyframe per round until told it has nothing new."""

    spec = "echo"

    def __init__(self, model: str | None = None) -> None:
        self.exhausted = False
        self.calls = 0

    def refine(self, plan: ShotPlan, prompt: str, keyframes: list[KeyframeSpec],
               verdict: Verdict) -> Refinement:
        self.calls += 1
        if self.exhausted:
            return Refinement(prompt=prompt)
        t = 0.1 * self.calls
        return Refinement(prompt=prompt + " (refined)",
                          add_keyframes=[KeyframeSpec(t=t, event="refine")],
                          notes=[f"keyframe at {t:.1f}s"])
