"""Judge backend `vlm:<model>`: a vision-language model scores sampled frames with a rubric.

The rubric follows VideoPhy-2: semantic adherence and physical commonsense on 1–5, and each rule
followed / violated / cannot tell, with the time it happens. The model answers into `VLMAnswer`
(structured output). Malformed answers are repaired and re-asked inside `LLMClient`; if they stay
malformed, or the model stays unreachable, the verdict marks every rule `unclear` and the run goes
on — the error is recorded in `measurements["error"]`.

Scores (documented contract):
    physics   = (commonsense - 1) / 4, averaged 50/50 with followed / (followed + violated)
                when at least one rule was decided
    adherence = (semantic_adherence - 1) / 4, reported as the check `adherence.semantic`
                (followed at 4-5, unclear at 3, violated at 1-2)
    score     = physics * adherence (`run_score`: a video counts when it is both physical and
                faithful, VideoPhy-2's joint measure made continuous)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import prompts
from tools.judges.adherence import run_score
from tools.llm import LLMClient, LLMOptions, ModelCallFailed, delimit
from tools.media import read_video
from tools.schema import Ledger, PhysicsRule, RuleStatus, RuleVerdict, ShotPlan, Verdict

DEFAULT_RULES = [
    PhysicsRule(id="gravity", text="Airborne objects accelerate downward.", check="gravity"),
    PhysicsRule(id="continuity", text="Objects move continuously, without jumps.",
                check="continuity"),
    PhysicsRule(id="permanence", text="Objects do not vanish or appear from nowhere.",
                check="permanence"),
    PhysicsRule(id="energy", text="Bounces do not gain height.", check="energy"),
]


class VLMOptions(LLMOptions):
    """Options of `vlm:<model>`: the LLM options plus how frames are sampled."""

    model_config = ConfigDict(extra="forbid")

    frames: int = Field(8, ge=2, le=64, description="Frames sampled evenly from the video.")
    max_side: int = Field(512, ge=64, le=2048, description="Longest side of each frame sent.")


class RuleAnswer(BaseModel):
    id: str = Field(description="The rule's id, as listed.")
    status: Literal["followed", "violated", "cannot_tell"]
    start_s: float | None = Field(None, ge=0, description="Start of the evidence, seconds.")
    end_s: float | None = Field(None, ge=0, description="End of the evidence, seconds.")
    evidence: str = ""
    confidence: float = Field(0.5, ge=0, le=1)


class VLMAnswer(BaseModel):
    """What the VLM answers with (VideoPhy-2 rubric)."""

    semantic_adherence: int = Field(ge=1, le=5)
    physical_commonsense: int = Field(ge=1, le=5)
    rules: list[RuleAnswer] = Field(default_factory=list)


class VLMJudge:
    """Judge backend `vlm:<model>` (e.g. `vlm:gpt-4o`, `vlm:gemini/gemini-2.5-flash`)."""

    def __init__(self, model: str | None = None, **options: Any) -> None:
        self.spec = f"vlm:{model}"
        self.options = VLMOptions(**options)
        llm_options = LLMOptions(**self.options.model_dump(include=set(LLMOptions.model_fields)))
        self.client = LLMClient(model or "", llm_options, instead="choose --judge kinematics")

    def judge(self, video: Path, plan: ShotPlan | None = None,
              evidence: Verdict | None = None) -> Verdict:
        """Judges `video`; `evidence` (the kinematics verdict) is shown to the model when given."""
        frames, fps = read_video(video, max_frames=self.options.frames)
        times = [i / fps for i in range(len(frames))]
        rules = (plan.rules if plan and plan.rules else DEFAULT_RULES)
        system = prompts.load("judge").safe_substitute(
            count=len(frames), duration=f"{times[-1]:.2f}")
        user = judge_message(plan, rules, times, evidence)
        try:
            answer, cost = self.client.ask(VLMAnswer, system, user, images=list(frames),
                                           max_side=self.options.max_side)
        except ModelCallFailed as exc:
            return unclear_verdict(self.spec, rules, str(exc), exc.cost)
        return to_verdict(self.spec, answer, rules, cost)


def judge_message(plan: ShotPlan | None, rules: list[PhysicsRule], times: list[float],
                  evidence: Verdict | None) -> str:
    """The text part of the request: the prompt, the rules, the measurements, the frame times."""
    parts = [delimit("video_text", plan.prompt if plan else "(not given)"),
             delimit("rules", "\n".join(f"- {r.id}: {r.text}" for r in rules))]
    if evidence is not None:
        measured = {"rules": {r.id: {"status": r.status, "confidence": r.confidence,
                                     "evidence": r.evidence, "span": r.span}
                              for r in evidence.rules},
                    "measurements": evidence.measurements}
        parts.append(delimit("measurements", json.dumps(measured, default=str)[:6000]))
    parts.append("Frame times (s), in the order of the images: "
                 + ", ".join(f"{t:.2f}" for t in times))
    return "\n\n".join(parts)


def to_verdict(spec: str, answer: VLMAnswer, rules: list[PhysicsRule], cost: Ledger) -> Verdict:
    by_id = {a.id: a for a in answer.rules}
    verdicts = [_rule_verdict(rule, by_id.get(rule.id)) for rule in rules]
    commonsense = (answer.physical_commonsense - 1) / 4
    decided = [v for v in verdicts if v.status != "unclear"]
    followed = sum(v.status == "followed" for v in decided)
    physics = (commonsense + followed / len(decided)) / 2 if decided else commonsense
    adherence = (answer.semantic_adherence - 1) / 4
    return Verdict(judge=spec, score=run_score(physics, adherence),
                   physics=physics, adherence=adherence, rules=verdicts, cost=cost,
                   adherence_checks=[semantic_check(answer.semantic_adherence)],
                   measurements={"semantic_adherence": answer.semantic_adherence,
                                 "physical_commonsense": answer.physical_commonsense})


def semantic_check(grade: int) -> RuleVerdict:
    """The VLM's semantic-adherence grade (1-5) as the check `adherence.semantic`."""
    status: RuleStatus = "followed" if grade >= 4 else "violated" if grade <= 2 else "unclear"
    return RuleVerdict(id="adherence.semantic", status=status,
                       text="The video shows what the prompt describes (a VLM's reading).",
                       confidence=round(abs(grade - 3) / 2, 3) if grade != 3 else 0.3,
                       evidence=f"semantic adherence {grade}/5 (VideoPhy-2 rubric)")


def _rule_verdict(rule: PhysicsRule, answer: RuleAnswer | None) -> RuleVerdict:
    if answer is None:
        return RuleVerdict(id=rule.id, text=rule.text, status="unclear", confidence=0.0,
                           evidence="the judge did not answer for this rule")
    span = None
    if answer.start_s is not None:
        end = answer.end_s if answer.end_s is not None else answer.start_s
        span = (min(answer.start_s, end), max(answer.start_s, end))
    status = "unclear" if answer.status == "cannot_tell" else answer.status
    return RuleVerdict(id=rule.id, text=rule.text, status=status, confidence=answer.confidence,
                       evidence=answer.evidence, span=span)


def unclear_verdict(spec: str, rules: list[PhysicsRule], reason: str, cost: Ledger) -> Verdict:
    """The verdict when the model gave no usable answer: nothing known, the run goes on."""
    return Verdict(judge=spec, score=0.5, physics=0.5, cost=cost,
                   measurements={"error": reason},
                   rules=[RuleVerdict(id=r.id, text=r.text, status="unclear", confidence=0.0,
                                      evidence=f"no usable judge answer: {reason}")
                          for r in rules])
