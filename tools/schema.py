"""The data that crosses the line between the agent and its backends.

These models live in `tools` (not `agent`) because backends produce and consume them and `tools`
never imports `agent`; `agent.state` re-exports them next to the graph's own state. Everything here
is plain JSON: artifacts are referenced by path and hash, never embedded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    scene: SceneSpec | None = Field(None, description="A scene to use instead of reading one "
                                    "from the prompt (a chat revision's changed scene).")

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


BodyKind = Literal["ball", "block", "cylinder", "disc", "domino", "pin", "plank"]
Action = Literal["rest", "dropped", "thrown", "pushed", "rolled", "released", "launched"]
Arrangement = Literal["row", "line", "stack", "wall", "cradle"]
FixtureKind = Literal["floor", "table", "ramp", "wall", "steps", "tank", "bowl"]
LinkKind = Literal["string", "spring", "pivot"]
Environment = Literal["earth", "moon", "mars", "space_station", "underwater"]


class BodySpec(BaseModel):
    """A group of identical moving bodies: what they are, how many, where they start and what
    is done to them. A group of several is laid out by `arrangement`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("ball", min_length=1, max_length=40,
                      description="What the prompt calls it, e.g. 'bowling ball', 'pin', 'book'.")
    kind: BodyKind = Field("ball", description="Its rigid shape: ball, block (box, book, brick, "
                           "crate), cylinder (can, bottle), disc (coin), domino, pin, plank.")
    count: int = Field(1, ge=1, le=20, description="How many identical bodies.")
    material: str = Field("rubber", description="A studio material: rubber, steel, wood, glass, "
                          "tennis, plastic, clay, bowling, golf, basketball, billiard, foam, "
                          "cork, stone, ice, paper, brick, fruit, leather, vinyl, ceramic, "
                          "aluminium, brass.")
    colour: str | None = Field(None, description="A colour name (red, blue, ...) or #rrggbb; "
                               "None: the material's own.")
    size_m: float | None = Field(None, gt=0, le=5, description="Size in metres: a ball's or "
                                 "disc's diameter, a block's or cylinder's width, a domino's or "
                                 "pin's height, a plank's length; None: the usual for its name.")
    bounciness: float | None = Field(None, ge=0, le=1, description="Coefficient of restitution; "
                                     "None: the material's.")
    on: FixtureKind | None = Field(None, description="The fixture it starts on or in (table, "
                                   "ramp, steps, tank, bowl); None: the floor, or the air when "
                                   "dropped or thrown.")
    action: Action = Field("rest", description="What is done to it at the start.")
    height_m: float | None = Field(None, ge=0, le=30, description="Release height above what is "
                                   "below it (dropped, thrown, launched).")
    speed_m_s: float | None = Field(None, ge=0, le=40, description="Initial speed (thrown, "
                                    "pushed, rolled, launched).")
    angle_deg: float | None = Field(None, ge=-90, le=90, description="Launch angle above the "
                                    "horizontal, or a pendulum's release angle.")
    arrangement: Arrangement | None = Field(None, description="How a group of several is laid "
                                            "out: row (side by side), line (one behind another "
                                            "along the motion, like dominoes), stack, wall "
                                            "(bricks), cradle (touching, hanging).")
    target: str | None = Field(None, description="The name of the body group it moves into.")
    off_edge: bool = Field(False, description="It goes over the edge of the fixture it starts "
                           "on (rolls off a table); False: it stays on it.")

    @field_validator("material")
    @classmethod
    def _material_lower(cls, value: str) -> str:
        return value.strip().lower()


class FixtureSpec(BaseModel):
    """A static part of the set: a table, a ramp, a wall, steps, a water tank or bowl."""

    model_config = ConfigDict(extra="forbid")

    kind: FixtureKind
    angle_deg: float | None = Field(None, gt=0, lt=80, description="A ramp's incline.")
    height_m: float | None = Field(None, gt=0, le=10, description="A table's or steps' height.")
    length_m: float | None = Field(None, gt=0, le=20, description="A table's or ramp's length.")
    water_level_m: float | None = Field(None, ge=0, le=5, description="Depth of water in a tank "
                                        "or bowl; None: empty.")
    steps: int | None = Field(None, ge=1, le=12, description="Number of steps.")


class LinkSpec(BaseModel):
    """A constraint holding a body group: a string (pendulum), a spring, a pivot (seesaw)."""

    model_config = ConfigDict(extra="forbid")

    kind: LinkKind
    body: str = Field(description="The name of the body group it holds.")
    length_m: float | None = Field(None, gt=0, le=10, description="String or spring length.")
    stiffness_n_m: float | None = Field(None, gt=0, le=1e5, description="Spring stiffness.")


class SceneSpec(BaseModel):
    """A scene the studio's physics engine can simulate, composed from the prompt's parts.

    `ignored` lists what of the prompt the scene does not represent, so it is never silently
    dropped: the CLI, the chat and the report show it.
    """

    model_config = ConfigDict(extra="forbid")

    environment: Environment = Field("earth", description="Where it happens.")
    gravity_m_s2: float | None = Field(None, ge=0, le=30,
                                       description="Gravity; None: the environment's.")
    bodies: list[BodySpec] = Field(min_length=1, max_length=8)
    fixtures: list[FixtureSpec] = Field(default_factory=list, max_length=6)
    links: list[LinkSpec] = Field(default_factory=list, max_length=8)
    view: Literal["side", "top"] = Field("side", description="Camera: side, or top-down (a "
                                         "billiard table).")
    duration_s: float = Field(4.0, gt=0, le=60, description="Seconds simulated.")
    ignored: list[str] = Field(default_factory=list, description="Words of the prompt the scene "
                               "does not represent.")

    @model_validator(mode="after")
    def _names_resolve(self) -> SceneSpec:
        names = [b.name for b in self.bodies]
        if len(set(names)) != len(names):
            raise ValueError(f"body names must differ, got {names}: rename one "
                             "(e.g. 'left ball', 'right ball')")
        for link in self.links:
            if link.body not in names:
                raise ValueError(f"link {link.kind!r} holds {link.body!r}, which is not a body "
                                 f"(bodies: {', '.join(names)})")
        for body in self.bodies:
            if body.target is not None and body.target not in names:
                raise ValueError(f"{body.name!r} targets {body.target!r}, which is not a body")
        return self

    def fixture(self, kind: str) -> FixtureSpec | None:
        """The first fixture of a kind, if the scene has one."""
        return next((f for f in self.fixtures if f.kind == kind), None)

    def link_of(self, body: str) -> LinkSpec | None:
        return next((link for link in self.links if link.body == body), None)


RunRequest.model_rebuild()


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
    adherence: float | None = Field(None, ge=0, le=1, description="Whether the video shows the "
                                    "prompt (None when no prompt or scene was given).")
    coverage: float | None = Field(
        None, ge=0, le=1,
        description="Share of the moving bodies' time the judge could check; None when the "
        "judge does not measure it. A verdict that checked little cannot reach a target.",
    )
    rules: list[RuleVerdict] = Field(default_factory=list)
    adherence_checks: list[RuleVerdict] = Field(
        default_factory=list, description="`adherence.<what>` checks: the video against the "
        "scene it should show (bodies, events, environment), kept apart from the physics rules.")
    measurements: dict[str, Any] = Field(default_factory=dict)
    cost: Ledger = Field(default_factory=Ledger)

    @property
    def violations(self) -> list[str]:
        """Physics rules violated."""
        return [r.id for r in self.rules if r.status == "violated"]

    @property
    def adherence_violations(self) -> list[str]:
        """Adherence checks violated (the video does not show what the prompt asks)."""
        return [r.id for r in self.adherence_checks if r.status == "violated"]


class Refinement(BaseModel):
    """The refiner's changes for the next round."""

    prompt: str = Field(description="The generator prompt for the next round.")
    add_keyframes: list[KeyframeSpec] = Field(default_factory=list)
    seed: int | None = Field(None, description="A new seed, when the refiner asks for one.")
    scene: SceneSpec | None = Field(None, description="A re-planned scene, when the old one did "
                                    "not show what the prompt asks.")
    notes: list[str] = Field(default_factory=list, description="What changed and why.")
    cost: Ledger = Field(default_factory=Ledger)

    def changes_anything(self, prompt: str, keyframe_times: list[float]) -> bool:
        """True when applying this refinement would give the generator something new."""
        known = {round(t, 3) for t in keyframe_times}
        new_keys = [k for k in self.add_keyframes if round(k.t, 3) not in known]
        return (bool(new_keys) or self.prompt != prompt or self.seed is not None
                or self.scene is not None)
