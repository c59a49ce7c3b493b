"""Refiner backend `litellm:<model>`: rule verdicts become the next round's prompt and keyframes.

PhyT2V-style: the rewritten prompt names each violated behaviour and what must happen instead,
keeping the user's intent; VChain-style: keyframes are added at the times the violations happen.
When the model cannot answer, a mechanical refinement (the violated rules appended to the prompt
as requirements) keeps the loop going, and its note says so.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pydantic import BaseModel, Field, model_validator

import prompts
from tools.llm import LLMClient, LLMOptions, ModelCallFailed, delimit
from tools.llm_planner import KeyframeDraft, scene_apart, simulable
from tools.schema import KeyframeSpec, Ledger, Refinement, SceneSpec, ShotPlan, Verdict


class RefinementDraft(BaseModel):
    """What the refiner model answers with."""

    prompt: str = Field(min_length=1, description="The next round's generator prompt.")
    add_keyframes: list[KeyframeDraft] = Field(default_factory=list)
    change_seed: bool = Field(False, description="True when the failure looks like bad luck.")
    notes: list[str] = Field(default_factory=list, description="One line per change, and why.")
    scene: SceneSpec | None = Field(None, description="A corrected scene, or null.")
    scene_error: str | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _scene_apart(cls, data: Any) -> Any:
        return scene_apart(data)


class LiteLLMRefiner:
    """Refiner backend `litellm:<model>`."""

    def __init__(self, model: str | None = None, **options: Any) -> None:
        self.spec = f"litellm:{model}"
        self.client = LLMClient(model or "", LLMOptions(**options),
                                instead="choose --refiner studio")

    def refine(self, plan: ShotPlan, prompt: str, keyframes: list[KeyframeSpec],
               verdict: Verdict) -> Refinement:
        duration = max([k.t for k in keyframes] + [k.t for k in plan.keyframes] + [0.0])
        system = prompts.load("refiner").safe_substitute(
            duration=f"{max(duration, 1.0):g}",
            keyframe_times=", ".join(f"{k.t:.2f}s" for k in keyframes) or "none")
        try:
            draft, cost = self.client.ask(RefinementDraft, system,
                                          findings_message(plan, prompt, verdict))
        except ModelCallFailed as exc:
            return mechanical_refinement(prompt, verdict, str(exc), exc.cost)
        refinement = to_refinement(draft, keyframes, cost)
        return with_checked_scene(refinement, draft, plan, max(duration, 1.0))


def findings_message(plan: ShotPlan, prompt: str, verdict: Verdict) -> str:
    """The user message: the request, the current prompt and the findings, each delimited."""
    findings = [{"rule": r.id, "text": r.text, "status": r.status, "evidence": r.evidence,
                 "time_s": list(r.span) if r.span else None, "confidence": r.confidence}
                for r in [*verdict.rules, *verdict.adherence_checks] if r.status != "followed"]
    scene = plan.scene.model_dump(mode="json", exclude_defaults=True) if plan.scene else None
    return "\n\n".join([
        delimit("user_request", plan.prompt),
        delimit("current_prompt", prompt),
        delimit("current_scene", json.dumps(scene)),
        delimit("judge_findings", json.dumps({
            "score": round(verdict.score, 3), "physics": round(verdict.physics, 3),
            "adherence": verdict.adherence, "rules": findings}, indent=1)),
    ])


def with_checked_scene(refinement: Refinement, draft: RefinementDraft, plan: ShotPlan,
                       duration_s: float) -> Refinement:
    """The refinement with the model's re-planned scene when it simulates, else without it
    and a note saying why."""
    if draft.scene is None:
        note = [f"the refiner's scene was not valid ({draft.scene_error})"] if (
            draft.scene_error) else []
        return refinement.model_copy(update={"notes": refinement.notes + note})
    if plan.scene is not None and draft.scene == plan.scene:
        return refinement
    scene, error = simulable(draft.scene, plan.scene.duration_s if plan.scene else duration_s)
    if scene is None:
        return refinement.model_copy(update={"notes": [
            *refinement.notes,
            f"the refiner's scene cannot be simulated ({error}); the scene is kept"]})
    return refinement.model_copy(update={"scene": scene,
                                         "notes": [*refinement.notes, "re-planned the scene"]})


def to_refinement(draft: RefinementDraft, keyframes: list[KeyframeSpec],
                  cost: Ledger) -> Refinement:
    """The graph's Refinement from a draft, without keyframes at times already pinned."""
    known = {round(k.t, 3) for k in keyframes}
    added = [KeyframeSpec(t=k.t, event=k.event or "refine", description=k.description)
             for k in draft.add_keyframes if round(k.t, 3) not in known]
    seed = zlib.crc32(draft.prompt.encode()) % 2**31 if draft.change_seed else None
    return Refinement(prompt=draft.prompt.strip(), add_keyframes=added, seed=seed,
                      notes=draft.notes, cost=cost)


def mechanical_refinement(prompt: str, verdict: Verdict, reason: str, cost: Ledger) -> Refinement:
    """Without the model: each violated rule appended to the prompt as an explicit requirement."""
    violated = [r for r in [*verdict.rules, *verdict.adherence_checks]
                if r.status == "violated" and r.text]
    missing = [r for r in violated if r.text not in prompt]
    new_prompt = " ".join([prompt, *(f"It must hold that: {r.text}" for r in missing)])
    return Refinement(prompt=new_prompt, cost=cost, notes=[
        f"refiner model failed ({reason}); required the violated rules in the prompt: "
        + (", ".join(r.id for r in missing) or "none new")])
