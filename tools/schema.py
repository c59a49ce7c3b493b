"""The data that crosses the line between the agent and its backends.

These models live in `tools` (not `agent`) because backends produce and consume them and `tools`
never imports `agent`; `agent.state` re-exports them next to the graph's own state. Everything here
is plain JSON: artifacts are referenced by path and hash, never embedded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RuleStatus = Literal["followed", "violated", "unclear"]
# Longer prompts are a paste gone wrong, not a shot: they would be checkpointed, sent to every
# model and repeated in every report.
MAX_PROMPT_CHARS = 4000
ROLES: tuple[str, ...] = ("planner", "keyframes", "video", "judge", "refiner")


class Ledger(BaseModel):
    """What was spent: a single call's cost, or a run's running total."""

    usd: float = Field(0.0, ge=0, description="Money spent, in US dollars.")
    seconds: float = Field(0.0, ge=0, description="Wall-clock seconds spent.")
    gpu_seconds: float = Field(0.0, ge=0, description="Seconds an accelerator was busy.")
    generations: int = Field(0, ge=0, description="Videos generated.")
    input_tokens: int = Field(0, ge=0, description="LLM/VLM prompt tokens.")
    output_tokens: int = Field(0, ge=0, description="LLM/VLM completion tokens.")

    def plus(self, other: Ledger) -> Ledger:
        """Adds two ledgers field by field (ledgers are immutable values in state)."""
        return Ledger(**{k: getattr(self, k) + getattr(other, k) for k in Ledger.model_fields})

    def __add__(self, other: Ledger) -> Ledger:
        return self.plus(other)


class RunRequest(BaseModel):
    """What the user asked for."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str = Field(description="The user's description of the video.")
    init_image: str | None = Field(None, description="Optional path of a first frame.")
    duration_s: float = Field(4.0, gt=0, le=60, description="Video length in seconds.")
    fps: int = Field(24, ge=1, le=120)
    width: int = Field(854, ge=16, le=4096)
    height: int = Field(480, ge=16, le=4096)
    seed: int = Field(0, ge=0)

    @field_validator("prompt")
    @classmethod
    def _prompt_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt is empty: describe the video you want")
        if len(value) > MAX_PROMPT_CHARS:
            raise ValueError(f"the prompt has {len(value)} characters, more than the "
                             f"{MAX_PROMPT_CHARS} accepted: shorten it")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the prompt holds bytes that are not UTF-8 text: re-type it or fix "
                             "its encoding") from None
        return value.strip()


class SceneSpec(BaseModel):
    """A scene the studio's physics engine can simulate (absent for real-world prompts)."""

    scene: str = Field(description="Name of the studio scene, e.g. 'table_roll_off'.")
    environment: str = Field("earth", description="earth, moon, space_station or underwater.")
    gravity_m_s2: float = Field(9.81, ge=0, description="Downward gravitational acceleration.")
    params: dict[str, Any] = Field(default_factory=dict, description="Scene-specific parameters.")


class PhysicsRule(BaseModel):
    """One checkable statement about what a physically correct video shows."""

    id: str = Field(description="Stable id; equals the judge check that measures it when one does.")
    text: str = Field(description="The rule in plain words.")
    law: str = Field("", description="The physical law it follows from.")
    check: str | None = Field(None, description="Judge rule id able to measure it, or None.")


class KeyframeSpec(BaseModel):
    """A moment the video must get right, to be rendered into a keyframe."""

    t: float = Field(ge=0, description="Time in seconds from the start of the video.")
    description: str = Field("", description="What the frame shows at that moment.")
    event: str = Field("", description="release, contact, apex, edge, rest, refine, ...")


class Keyframe(BaseModel):
    """A rendered keyframe on disk."""

    t: float = Field(ge=0)
    image: str = Field(description="Path of the PNG, inside the run directory.")
    description: str = ""
    source: str = Field("", description="Spec of the backend that made it.")
    sha256: str = ""
    layout: dict[str, Any] | None = Field(
        None,
        description="Machine-readable scene state at t, for generators that condition on layouts "
        "(the studio stand-in); None for plain images.",
    )
    cost: Ledger = Field(default_factory=Ledger, description="What rendering this keyframe cost.")


class ShotPlan(BaseModel):
    """The planner's reading of the prompt: physics to respect and moments to pin down."""

    prompt: str = Field(description="The user's prompt, verbatim.")
    generator_prompt: str = Field(description="The prompt handed to the video generator.")
    subjects: list[str] = Field(default_factory=list)
    phenomena: list[str] = Field(default_factory=list)
    laws: list[str] = Field(default_factory=list)
    rules: list[PhysicsRule] = Field(default_factory=list)
    keyframes: list[KeyframeSpec] = Field(default_factory=list)
    scene: SceneSpec | None = None
    environment: str = "earth"
    gravity_m_s2: float = 9.81
    px_per_m: float | None = Field(None, description="Image scale, when the planner knows it.")
    notes: list[str] = Field(default_factory=list)
    cost: Ledger = Field(default_factory=Ledger)


class GenerationJob(BaseModel):
    """Everything a video generator is given for one candidate."""

    candidate_id: str = Field("c0", description="Id the candidate will carry, unique in the run.")
    round: int = Field(1, ge=1)
    prompt: str
    keyframes: list[Keyframe] = Field(default_factory=list)
    duration_s: float = 4.0
    fps: int = 24
    width: int = 854
    height: int = 480
    seed: int = 0
    scene: SceneSpec | None = None
    init_image: str | None = None

    @property
    def num_frames(self) -> int:
        return max(2, round(self.duration_s * self.fps))


class Candidate(BaseModel):
    """One generated video."""

    id: str = Field(description="Unique within the run, e.g. 'r01c0'.")
    round: int = Field(ge=1)
    video: str = Field(description="Path of the video file.")
    seed: int
    backend: str
    prompt: str
    sha256: str = ""
    cost: Ledger = Field(default_factory=Ledger)
    error: str | None = Field(None, description="Why generation failed, if it did.")


class RuleVerdict(BaseModel):
    """The judge's answer for one rule."""

    id: str
    text: str = ""
    status: RuleStatus
    confidence: float = Field(ge=0, le=1)
    evidence: str = ""
    span: tuple[float, float] | None = Field(None, description="Time span in seconds, if any.")
    where: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The stretches of tracked bodies that show it (track, t0, t1, kind), so a "
        "person can check it: the report draws each on a frame of the video.",
    )


class Verdict(BaseModel):
    """A judge's verdict on one video."""

    judge: str
    score: float = Field(ge=0, le=1, description="Overall score used to rank candidates.")
    physics: float = Field(ge=0, le=1)
    adherence: float | None = Field(None, ge=0, le=1)
    coverage: float | None = Field(
        None, ge=0, le=1,
        description="Share of the moving bodies' time the judge could check; None when the "
        "judge does not measure it. A verdict that checked little cannot reach a target.",
    )
    rules: list[RuleVerdict] = Field(default_factory=list)
    measurements: dict[str, Any] = Field(default_factory=dict)
    cost: Ledger = Field(default_factory=Ledger)

    @property
    def violations(self) -> list[str]:
        return [r.id for r in self.rules if r.status == "violated"]


class Refinement(BaseModel):
    """The refiner's changes for the next round."""

    prompt: str = Field(description="The generator prompt for the next round.")
    add_keyframes: list[KeyframeSpec] = Field(default_factory=list)
    seed: int | None = Field(None, description="A new seed, when the refiner asks for one.")
    notes: list[str] = Field(default_factory=list, description="What changed and why.")
    cost: Ledger = Field(default_factory=Ledger)

    def changes_anything(self, prompt: str, keyframe_times: list[float]) -> bool:
        """True when applying this refinement would give the generator something new."""
        known = {round(t, 3) for t in keyframe_times}
        new_keys = [k for k in self.add_keyframes if round(k.t, 3) not in known]
        return bool(new_keys) or self.prompt != prompt or self.seed is not None
