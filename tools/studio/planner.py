"""The heuristic planner: words in the prompt become a simulable scene, rules and keyframe moments.

It reads the prompt against the studio's tables (scenes, materials, colours, environments) and
never invents: a prompt outside the vocabulary gets a plan with `scene=None`, the rules that hold
for any moving object, and a note saying which real generator to use instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.schema import KeyframeSpec, PhysicsRule, RunRequest, SceneSpec, ShotPlan
from tools.studio.camera import Camera
from tools.studio.environments import ENVIRONMENTS
from tools.studio.events import Event
from tools.studio.materials import BALL_MATERIALS, COLORS, MATERIALS
from tools.studio.scenes import SCENES, scene_params
from tools.studio.simulate import simulate_spec
from tools.studio.unsupported import unsupported_message

# Words that pick a scene, most specific first.
SCENE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bounce_compare", ("side by side", "compare", "versus", " vs ", " vs.", "next to each other",
                        "two balls", "both balls")),
    ("table_roll_off", ("table", "desk", "off the edge", "rolls off", "rolling off", "ledge",
                        "counter")),
    ("ramp_roll", ("ramp", "incline", "slope", "inclined plane", "slide", "hill")),
    ("drop", ("drop", "falls", "falling", "fall ", "bounce", "bouncing", "released", "let go")),
)
OBJECT_WORDS = ("ball", "sphere", "marble", "orb")

RULES: dict[str, PhysicsRule] = {
    r.id: r
    for r in (
        PhysicsRule(id="gravity", check="gravity", law="uniform gravitational field",
                    text="airborne objects accelerate downward at one constant rate"),
        PhysicsRule(id="continuity", check="continuity", law="continuity of motion",
                    text="objects move continuously, never teleporting"),
        PhysicsRule(id="permanence", check="permanence", law="conservation of mass",
                    text="objects do not vanish or appear away from the frame's edges"),
        PhysicsRule(id="energy", check="energy", law="energy loss in inelastic collisions",
                    text="each bounce is no higher than the one before"),
    )
}
LAWS: dict[str, str] = {
    "free fall": "near a planet's surface every falling body accelerates at the same g",
    "bounce": "a collision with restitution e < 1 returns the ball with speed e·v, lower each time",
    "projectile motion": "horizontal velocity stays constant while vertical motion accelerates",
    "rolling": "a solid ball rolling without slipping accelerates at 5/7 g sinθ down an incline",
}
KEYFRAME_KINDS = ("release", "edge", "contact", "apex", "rest")
MAX_PLAN_KEYFRAMES = 6


@dataclass
class Reading:
    """What the prompt says, in the studio's vocabulary."""

    scene: str | None
    environment: str = "earth"
    params: dict[str, Any] = field(default_factory=dict)


class StudioPlanner:
    """Offline heuristic planner (the default)."""

    spec = "studio"

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def plan(self, request: RunRequest) -> ShotPlan:
        reading = read_prompt(request.prompt)
        env = ENVIRONMENTS[reading.environment]
        if reading.scene is None:
            return _unsupported_plan(request.prompt, reading.environment, env.gravity_m_s2)
        params = {**reading.params, "duration_s": request.duration_s}
        scene = SceneSpec(scene=reading.scene, environment=env.name,
                          gravity_m_s2=env.gravity_m_s2, params=params)
        sim = simulate_spec(scene)
        kind = SCENES[reading.scene]
        camera = Camera.fit(sim.world, request.width, request.height)
        return ShotPlan(
            prompt=request.prompt,
            generator_prompt=_generator_prompt(kind.prompt, scene_params(scene), env.name),
            subjects=[b.name for b in sim.world.balls],
            phenomena=list(kind.phenomena),
            laws=[LAWS[p] for p in kind.phenomena if p in LAWS],
            rules=list(RULES.values()),
            keyframes=plan_keyframes(sim.events, request.duration_s),
            scene=scene,
            environment=env.name,
            gravity_m_s2=env.gravity_m_s2,
            px_per_m=camera.px_per_m,
        )


def read_prompt(prompt: str) -> Reading:
    """Scene, environment, materials, colours and heights named in the prompt."""
    text = f" {prompt.lower()} "
    scene = _scene_of(text)
    env = next((e.name for e in ENVIRONMENTS.values() if any(a in text for a in e.aliases)),
               "earth")
    if scene is None:
        return Reading(None, env)
    return Reading(scene, env, _params_of(text, scene))


def _scene_of(text: str) -> str | None:
    mentions_object = any(w in text for w in OBJECT_WORDS)
    for scene, words in SCENE_WORDS:
        if any(w in text for w in words):
            return scene if mentions_object or scene != "drop" else "drop"
    return "drop" if mentions_object else None


def _materials_in(text: str) -> list[str]:
    found = []
    for name in BALL_MATERIALS:
        positions = [text.find(a) for a in MATERIALS[name].aliases if a in text]
        if positions:
            found.append((min(positions), name))
    return [name for _, name in sorted(found)]


def _colors_in(text: str) -> list[tuple[int, int, int]]:
    hits = sorted((m.start(), rgb) for word, rgb in COLORS.items()
                  for m in re.finditer(rf"\b{word}\b", text))
    return [rgb for _, rgb in hits]


def _height_in(text: str) -> float | None:
    match = re.search(r"(\d+(?:\.\d+)?)\s*(m|meters?|metres?|cm|centimet(?:er|re)s?)\b", text)
    if not match:
        return None
    value = float(match.group(1))
    return value / 100 if match.group(2).startswith("c") else value


def _params_of(text: str, scene: str) -> dict[str, Any]:
    materials, colors, height = _materials_in(text), _colors_in(text), _height_in(text)
    params: dict[str, Any] = {}
    if scene == "bounce_compare":
        pair = ([*materials, "rubber", "steel"])[:2] if len(materials) < 2 else materials[:2]
        if pair[0] == pair[1]:
            pair[1] = "steel" if pair[0] != "steel" else "rubber"
        params.update(left_material=pair[0], right_material=pair[1])
        for side, rgb in zip(("left_color", "right_color"), colors, strict=False):
            params[side] = list(rgb)
    else:
        if materials:
            params["material"] = materials[0]
        if colors:
            params["color"] = list(colors[0])
    if height is not None and 0.05 <= height <= 20:
        key = {"table_roll_off": "table_height_m", "ramp_roll": "ramp_length_m"}.get(
            scene, "height_m")
        params[key] = height
    return params


def plan_keyframes(events: list[Event], duration_s: float) -> list[KeyframeSpec]:
    """A handful of keyframes on the first events, plus the last frame so the end is pinned.

    Deliberately sparse: the refiner adds keyframes where the judge finds the motion wrong.
    """
    chosen: dict[float, KeyframeSpec] = {}
    for event in events:
        if event.kind in KEYFRAME_KINDS and event.t <= duration_s:
            chosen.setdefault(round(event.t, 3), KeyframeSpec(
                t=round(event.t, 3), description=event.describe(), event=event.kind))
        if len(chosen) >= MAX_PLAN_KEYFRAMES:
            break
    end = round(duration_s, 3)
    chosen.setdefault(end, KeyframeSpec(t=end, description="the last frame", event="end"))
    return sorted(chosen.values(), key=lambda k: k.t)


def _generator_prompt(template: str, params: dict[str, Any], env: str) -> str:
    def ball(material: str, color: Any) -> str:
        name = next((n for n, rgb in COLORS.items() if color and list(rgb) == list(color)), "")
        return " ".join(w for w in ("a", name, material, "ball") if w)

    fields = {
        **params,
        "ball": ball(params.get("material", "rubber"), params.get("color")),
        "left": ball(params.get("left_material", "rubber"), params.get("left_color")),
        "right": ball(params.get("right_material", "steel"), params.get("right_color")),
    }
    text = template.format(**fields)
    text = text[0].upper() + text[1:]
    where = "" if env == "earth" else f", on the {env.replace('_', ' ')}"
    return f"{text}{where}. Side view, static camera, realistic lighting."


def _unsupported_plan(prompt: str, env: str, gravity: float) -> ShotPlan:
    moving = any(w in prompt.lower() for w in ("fall", "drop", "throw", "bounce", "roll"))
    rules = [RULES["continuity"], RULES["permanence"]] + ([RULES["gravity"]] if moving else [])
    return ShotPlan(prompt=prompt, generator_prompt=prompt, rules=rules, scene=None,
                    environment=env, gravity_m_s2=gravity, notes=[unsupported_message(prompt)])
