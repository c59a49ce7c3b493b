"""Planner backend `litellm:<model>`: a prompt becomes a ShotPlan through any litellm model.

The model answers into `PlanDraft` (structured output, never scraped text); the draft becomes the
ShotPlan the graph uses. When the model cannot produce a plan (transient errors outlast the
retries, or its answers stay malformed), the planner still returns one — the user's prompt as the
generator prompt, with a note saying why — so the run goes on and the failure is visible.

The draft's `scene` is the studio's `SceneSpec`, so simulated keyframes work with any planner.
It is validated apart from the rest (a bad scene does not cost the plan), repaired where the
studio's vocabulary allows (a material or colour it does not know, unknown to the studio, moves
to `ignored`), proven by simulating it, and re-asked once with the error when it still fails.
A scene that cannot be simulated after that is dropped with a note: the run goes on without
simulated keyframes, which a text-to-video generator does not need.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

import prompts
from tools.errors import KinemaError
from tools.llm import LLMClient, LLMOptions, ModelCallFailed, delimit
from tools.schema import KeyframeSpec, Ledger, PhysicsRule, RunRequest, SceneSpec, ShotPlan

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
    scene: SceneSpec | None = Field(None, description="The studio's scene, or null.")
    scene_error: str | None = Field(None, exclude=True, description="Why the given scene was "
                                    "not a valid SceneSpec (filled here, never by the model).")
    scene_raw: Any = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _scene_apart(cls, data: Any) -> Any:
        return scene_apart(data)


def scene_apart(data: Any) -> Any:
    """A model's answer with a scene that does not validate kept aside (`scene_raw`) with its
    error (`scene_error`): a bad scene costs the simulated keyframes, not the whole answer."""
    if not isinstance(data, dict) or data.get("scene") is None:
        return data
    try:
        SceneSpec.model_validate(data["scene"])
    except ValidationError as exc:
        return {**data, "scene": None, "scene_raw": data["scene"],
                "scene_error": _short_error(exc)}
    return data


def _short_error(exc: ValidationError) -> str:
    first = exc.errors()[:3]
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'scene'}: {e['msg']}" for e in first)


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
            fps=request.fps, law_reference=law_reference(), materials=", ".join(materials()))
        try:
            draft, cost = self.client.ask(PlanDraft, system, delimit("user_prompt", request.prompt))
        except ModelCallFailed as exc:
            return fallback_plan(request, str(exc), exc.cost)
        if request.scene is not None:  # a chat revision's scene wins over the model's
            draft = draft.model_copy(update={"scene": request.scene, "scene_error": None})
        scene, notes, more = self.checked_scene(draft, request, system)
        return to_shot_plan(draft, request, cost + more, scene, notes)

    def checked_scene(self, draft: PlanDraft, request: RunRequest,
                      system: str) -> tuple[SceneSpec | None, list[str], Ledger]:
        """The draft's scene, repaired and proven to simulate; re-asked once when it fails."""
        if draft.scene is None and draft.scene_error is None:
            return None, ["the planner model gave no scene (nothing rigid to simulate): the run "
                          "goes on without simulated keyframes"], Ledger()
        error = draft.scene_error
        if draft.scene is not None:
            scene, error = simulable(draft.scene, request.duration_s)
            if scene is not None:
                return scene, [], Ledger()
        previous = json.dumps(draft.scene.model_dump(mode="json") if draft.scene else
                              draft.scene_raw, default=str)
        user = "\n\n".join([delimit("user_prompt", request.prompt),
                             delimit("scene", previous), delimit("error", str(error))])
        ask = (f"{system}\n\nYour scene could not be simulated. Answer with only a corrected "
               "`scene` object (a SceneSpec), keeping to the studio's vocabulary.")
        try:
            fixed, cost = self.client.ask(SceneSpec, ask, user)
        except ModelCallFailed as exc:
            return None, [_dropped(error, str(exc))], exc.cost
        scene, again = simulable(fixed, request.duration_s)
        return scene, ([] if scene is not None else [_dropped(again, "after one re-ask")]), cost


def _dropped(error: str | None, how: str) -> str:
    return (f"the planner model's scene cannot be simulated ({error}; {how}): the run goes on "
            "without simulated keyframes")


def materials() -> list[str]:
    """The studio's material names, when the studio is installed."""
    try:
        from tools.studio.materials import BALL_MATERIALS
    except ImportError:
        return ["rubber", "steel", "wood", "glass", "plastic"]
    return list(BALL_MATERIALS)


def simulable(scene: SceneSpec, duration_s: float) -> tuple[SceneSpec | None, str | None]:
    """The scene repaired to the studio's vocabulary and simulated once; (None, why) if not."""
    try:
        from tools.studio.repair import repair_scene
        from tools.studio.simulate import simulate_spec
    except ImportError as exc:
        return None, f"the studio is not installed ({exc})"
    try:
        fixed = repair_scene(scene.model_copy(update={"duration_s": duration_s}))
        simulate_spec(fixed)
    except (KinemaError, ValueError, ValidationError) as exc:
        return None, str(exc)
    return fixed, None


def to_shot_plan(draft: PlanDraft, request: RunRequest, cost: Ledger,
                 scene: SceneSpec | None = None, notes: list[str] | None = None) -> ShotPlan:
    """The graph's ShotPlan from a model's draft, keeping keyframes inside the video.

    With a simulable scene the keyframes sit on the simulation's events (release, contacts,
    apexes), the scale and the place come from it, as the studio planner's do.
    """
    keyframes = sorted(
        {round(k.t, 3): KeyframeSpec(t=min(k.t, request.duration_s), event=k.event,
                                     description=k.description) for k in draft.keyframes}.values(),
        key=lambda k: k.t)
    rules = [PhysicsRule(id=r.check or r.id, text=r.text, law=r.law, check=r.check)
             for r in draft.rules]
    plan = ShotPlan(
        prompt=request.prompt, generator_prompt=draft.generator_prompt.strip(),
        subjects=draft.subjects, phenomena=draft.phenomena, laws=draft.laws,
        rules=_unique(rules), keyframes=keyframes, environment=draft.environment,
        gravity_m_s2=draft.gravity_m_s2, cost=cost, notes=list(notes or []))
    return plan if scene is None else grounded(plan, scene, request)


def fallback_plan(request: RunRequest, reason: str, cost: Ledger) -> ShotPlan:
    """A plan without the model: the prompt as is, so the run continues and says why."""
    return ShotPlan(prompt=request.prompt, generator_prompt=request.prompt, cost=cost,
                    notes=[f"planner model failed, using the prompt as written: {reason}"])


def grounded(plan: ShotPlan, scene: SceneSpec, request: RunRequest) -> ShotPlan:
    """The plan with its scene: keyframes on simulated events, scale, place and gravity."""
    from tools.studio.planner import with_scene

    return with_scene(plan, scene, request)


def _unique(rules: list[PhysicsRule]) -> list[PhysicsRule]:
    seen: dict[str, PhysicsRule] = {}
    for rule in rules:
        seen.setdefault(rule.id, rule)
    return list(seen.values())
