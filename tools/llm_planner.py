"""Planner backend `litellm:<model>`: a prompt becomes a ShotPlan through any litellm model.

The model answers into `PlanDraft` (structured output, never scraped text); the draft becomes the
ShotPlan the graph uses. When the model cannot produce a plan (transient errors outlast the
retries, or its answers stay malformed), the planner still returns one — the user's prompt as the
generator prompt, with a note saying why — so the run goes on and the failure is visible.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from pydantic import BaseModel, Field

import prompts
from tools.llm import LLMClient, LLMOptions, ModelCallFailed, delimit
from tools.schema import KeyframeSpec, Ledger, PhysicsRule, RunRequest, ShotPlan

JudgeCheck = Literal["gravity", "continuity", "permanence", "energy", "rigidity",
                     "time_direction", "penetration", "motion_present", "trajectory"]
JUDGE_CHECKS: tuple[str, ...] = JudgeCheck.__args__  # type: ignore[attr-defined]


class RuleDraft(BaseModel):
    id: str = Field(description="Short snake_case id; the check's id when a check measures it.")
    text: str = Field(description="The rule in plain words.")
    law: str = Field("", description="The physical law it follows from.")
    check: JudgeCheck | None = Field(None, description="Measured check able to verify it.")


class KeyframeDraft(BaseModel):
    t: float = Field(ge=0, description="Seconds from the start of the video.")
    event: str = Field("", description="release, contact, apex, edge, rest, ...")
    description: str = Field("", description="What the frame shows at that moment.")


class PlanDraft(BaseModel):
    """What the planner model answers with."""

    subjects: list[str] = Field(default_factory=list)
    phenomena: list[str] = Field(default_factory=list)
    laws: list[str] = Field(default_factory=list)
    rules: list[RuleDraft] = Field(default_factory=list)
    keyframes: list[KeyframeDraft] = Field(default_factory=list)
    generator_prompt: str = Field(min_length=1, description="One paragraph for the video model.")
    environment: str = "earth"
    gravity_m_s2: float = Field(9.81, ge=0)


def law_reference() -> str:
    """The studio's law knowledge base as text, when the studio ships one (else a plain note).

    Looked up at call time, so the planner works with or without the studio's knowledge base.
    """
    try:
        laws = importlib.import_module("tools.studio.laws")
    except ImportError:
        return "(no reference available)"
    for name in ("reference_text", "as_reference", "as_text", "describe"):
        fn = getattr(laws, name, None)
        if callable(fn):
            return str(fn())
    table = getattr(laws, "LAWS", None)
    if isinstance(table, dict):
        return "\n".join(f"- {k}: {v}" for k, v in table.items())
    if isinstance(table, list | tuple):
        return "\n".join(f"- {item}" for item in table)
    return "(no reference available)"


class LiteLLMPlanner:
    """Planner backend `litellm:<model>` (e.g. `litellm:gpt-4o`, `litellm:ollama/qwen3`)."""

    def __init__(self, model: str | None = None, **options: Any) -> None:
        self.spec = f"litellm:{model}"
        self.client = LLMClient(model or "", LLMOptions(**options),
                                instead="choose --planner studio")

    def plan(self, request: RunRequest) -> ShotPlan:
        system = prompts.load("planner").safe_substitute(
            rule_ids=", ".join(JUDGE_CHECKS), duration=f"{request.duration_s:g}",
            fps=request.fps, law_reference=law_reference())
        try:
            draft, cost = self.client.ask(PlanDraft, system, delimit("user_prompt", request.prompt))
        except ModelCallFailed as exc:
            return fallback_plan(request, str(exc), exc.cost)
        return to_shot_plan(draft, request, cost)


def to_shot_plan(draft: PlanDraft, request: RunRequest, cost: Ledger) -> ShotPlan:
    """The graph's ShotPlan from a model's draft, keeping keyframes inside the video."""
    keyframes = sorted(
        {round(k.t, 3): KeyframeSpec(t=min(k.t, request.duration_s), event=k.event,
                                     description=k.description) for k in draft.keyframes}.values(),
        key=lambda k: k.t)
    rules = [PhysicsRule(id=r.check or r.id, text=r.text, law=r.law, check=r.check)
             for r in draft.rules]
    return ShotPlan(
        prompt=request.prompt, generator_prompt=draft.generator_prompt.strip(),
        subjects=draft.subjects, phenomena=draft.phenomena, laws=draft.laws,
        rules=_unique(rules), keyframes=keyframes, environment=draft.environment,
        gravity_m_s2=draft.gravity_m_s2, cost=cost)


def fallback_plan(request: RunRequest, reason: str, cost: Ledger) -> ShotPlan:
    """A plan without the model: the prompt as is, so the run continues and says why."""
    return ShotPlan(prompt=request.prompt, generator_prompt=request.prompt, cost=cost,
                    notes=[f"planner model failed, using the prompt as written: {reason}"])


def _unique(rules: list[PhysicsRule]) -> list[PhysicsRule]:
    seen: dict[str, PhysicsRule] = {}
    for rule in rules:
        seen.setdefault(rule.id, rule)
    return list(seen.values())
