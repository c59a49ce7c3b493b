"""The heuristic planner: words in the prompt become a simulable scene, laws, rules and keyframes.

It reads the prompt against the studio's tables (the scene registry's words, materials, colours,
environments) and the law knowledge base, and never invents: a prompt outside the vocabulary gets
a plan with `scene=None`, the laws and rules the knowledge base knows for its words, and a note
saying which real generator to use instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.schema import KeyframeSpec, PhysicsRule, RunRequest, SceneSpec, ShotPlan
from tools.studio.camera import Camera
from tools.studio.environments import ENVIRONMENTS
from tools.studio.events import Event
from tools.studio.laws import Law, laws_for, rules_for
from tools.studio.materials import BALL_MATERIALS, COLORS, MATERIALS
from tools.studio.scenes import BALLS, SCENES, SceneKind, scene_params
from tools.studio.simulate import simulate_spec
from tools.studio.unsupported import unsupported_message

KEYFRAME_KINDS = ("release", "edge", "contact", "collision", "apex", "topple", "turn", "rest")
MAX_PLAN_KEYFRAMES = 6
BASELINE_LAWS = ("continuity", "object_permanence")
NUMBER_WORDS = {"a pair of": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
                "twenty": 20}
PLURALS = ("balls", "spheres", "marbles", "dominoes", "dominos", "blocks", "boxes", "bricks",
           "cubes", "crates", "pendulums", "bobs")
SIZES = {"tiny": 0.45, "small": 0.65, "little": 0.65, "large": 1.5, "big": 1.5, "huge": 2.0,
         "giant": 2.0}
# Words that set a scene's switches (e.g. how a collision behaves).
FLAGS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "collision": (("stick together", {"elastic": False, "perfectly_inelastic": True}),
                  ("perfectly inelastic", {"elastic": False, "perfectly_inelastic": True}),
                  ("inelastic", {"elastic": False}), ("clay", {"elastic": False})),
    "billiard_break": (("hard", {"speed_m_s": 7.0}), ("gently", {"speed_m_s": 2.5})),
    "pendulum": (("different length", {"length_step": 0.25}),),
}
UNITS = r"(m|meters?|metres?|cm|centimet(?:er|re)s?)"


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
        kind = SCENES[reading.scene]
        params = {**reading.params, "duration_s": request.duration_s}
        scene = SceneSpec(scene=kind.name, environment=env.name,
                          gravity_m_s2=env.gravity_m_s2, params=params)
        sim = simulate_spec(scene)
        camera = Camera.fit(sim.world, request.width, request.height)
        laws = laws_for(request.prompt, kind.laws + BASELINE_LAWS)
        return ShotPlan(
            prompt=request.prompt,
            generator_prompt=generator_prompt(kind, scene_params(scene), env.name),
            subjects=[b.name for b in sim.world.bodies],
            phenomena=list(kind.phenomena),
            laws=[_law_line(law) for law in laws],
            rules=_plan_rules(laws),
            keyframes=plan_keyframes(sim.events, request.duration_s),
            scene=scene,
            environment=env.name,
            gravity_m_s2=env.gravity_m_s2,
            px_per_m=camera.px_per_m,
        )


def read_prompt(prompt: str) -> Reading:
    """Scene, environment, materials, colours, counts, sizes and quantities named in the prompt."""
    text = f" {prompt.lower()} "
    named_env = next((e.name for e in ENVIRONMENTS.values()
                      if any(_has(text, a) for a in e.aliases)), None)
    kind = scene_of(text, named_env)
    if kind is None:
        return Reading(None, named_env or "earth")
    return Reading(kind.name, named_env or kind.environment, _params_of(text, kind))


def scene_of(text: str, env: str | None = None) -> SceneKind | None:
    """The first registry entry (most specific first) whose words and needs the text meets; a
    ball mentioned with no action is dropped, the simplest thing a ball does. A scene bound to
    a place (floating in water, drifting in orbit) is skipped when the prompt names another.
    Soft, deforming or liquid subjects are never simulated: the studio's bodies are rigid, and
    a rigid stand-in for a squeezed sponge would be a wrong video, not a simplification."""
    if any(w in text for w in NOT_RIGID):
        return None
    for kind in SCENES.values():
        if kind.environment != "earth" and env not in (None, kind.environment):
            continue
        if any(w in text for w in kind.words) and (
                not kind.needs or any(_has(text, n) for n in kind.needs)):
            return kind
    return SCENES["drop"] if any(_has(text, w) for w in BALLS) else None


NOT_RIGID = ("squeez", "soaked", "droplet", "liquid", "pour", "melt", "dough", "cloth",
             "sponge", "balloon", "jelly", "deflat", "crush", "compress", "stretch")


def _has(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None


def _materials_in(text: str) -> list[str]:
    found = []
    for name in BALL_MATERIALS:
        positions = [m.start() for a in MATERIALS[name].aliases
                     for m in re.finditer(rf"(?<![a-z]){re.escape(a)}", text)]
        if positions:
            found.append((min(positions), name))
    return [name for _, name in sorted(found)]


def _colors_in(text: str) -> list[list[int]]:
    hits = sorted((m.start(), rgb) for word, rgb in COLORS.items()
                  for m in re.finditer(rf"\b{word}\b", text))
    return [list(rgb) for _, rgb in hits]


def _quantities(text: str) -> dict[str, float]:
    """Numbers with units: a distance (m, cm), an angle (degrees), a speed (m/s), a count."""
    found: dict[str, float] = {}
    speed = re.search(r"(\d+(?:\.\d+)?)\s*(?:m/s|meters? per second|metres? per second)", text)
    if speed:
        found["speed"] = float(speed.group(1))
    dist = re.search(rf"(\d+(?:\.\d+)?)\s*{UNITS}(?![a-z/])", text)
    if dist:
        value = float(dist.group(1))
        found["height"] = found["length"] = value / 100 if dist.group(2).startswith("c") else value
    angle = re.search(r"(\d+(?:\.\d+)?)\s*(?:°|degrees?|deg\b)", text)
    if angle:
        found["angle"] = float(angle.group(1))
    words = "|".join([*NUMBER_WORDS, r"\d+"])
    count = re.search(rf"\b({words})\s+(?:[a-z-]+\s+){{0,3}}?({'|'.join(PLURALS)})\b", text)
    if count:
        found["count"] = float(NUMBER_WORDS.get(count.group(1)) or int(count.group(1)))
    return found


def _params_of(text: str, kind: SceneKind) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for quantity, value in _quantities(text).items():
        key = kind.reads.get(quantity)
        if key == "count":
            params[key] = int(min(max(1, value), kind.max_count))
        elif key is not None and 0.05 <= value <= 60:
            params[key] = value
    params.update(_looks(text, kind, params.get("count", kind.defaults.get("count", 1))))
    size = next((k for w, k in SIZES.items() if _has(text, w)), None)
    if size and "radius_m" in kind.defaults:
        params["radius_m"] = round(kind.defaults["radius_m"] * size, 4)
    for phrase, flags in FLAGS.get(kind.name, ()):
        if phrase in text:
            params.update(flags)
            break
    return params


def _looks(text: str, kind: SceneKind, count: int) -> dict[str, Any]:
    """Materials and colours, shaped to what the scene takes: a left/right pair, a list for
    several bodies, or one of each."""
    materials, colors = _materials_in(text), _colors_in(text)
    d = kind.defaults
    if "left_material" in d:
        pair = (materials + [m for m in (d["left_material"], d["right_material"])
                             if m not in materials])[:2]
        out: dict[str, Any] = {"left_material": pair[0], "right_material": pair[1]}
        out.update({f"{s}_color": c for s, c in zip(("left", "right"), colors, strict=False)})
        return out
    out = {}
    if materials:
        out["material"] = materials[0]
        if kind.name == "buoyancy" and len(materials) == 1:
            # One named material is shown against its opposite: what floats next to what sinks.
            dense = MATERIALS[materials[0]].density_kg_m3 > 1000
            materials = [*materials, "wood" if dense else "stone"]
        if "materials" in d and len(materials) > 1:
            out["materials"] = materials
        if "target_material" in d and len(materials) > 1:
            out["target_material"] = materials[1]
    if colors:
        out["color"] = colors[0]
        if "colors" in d and len(colors) > 1:
            out["colors"] = colors
    return out


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


class _Fields(dict[str, Any]):
    """Template fields; a field a template names but a scene lacks reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def generator_prompt(kind: SceneKind, params: dict[str, Any], env: str) -> str:
    """The scene's template filled from its parameters, with the place and the camera."""
    def ball(material: str, color: Any) -> str:
        name = next((n for n, rgb in COLORS.items() if color and list(rgb) == list(color)), "")
        return " ".join(w for w in (name, material, "ball") if w)

    count = int(params.get("count", 1))
    number = next((w for w, n in NUMBER_WORDS.items() if n == count and w != "a pair of"), "")
    mats = params.get("materials") or [params.get("material", "rubber")]
    fields = _Fields({
        **params,
        "ball": "a " + ball(params.get("material", "rubber"), params.get("color")),
        "left": "a " + ball(params.get("left_material", "rubber"), params.get("left_color")),
        "right": "a " + ball(params.get("right_material", "steel"), params.get("right_color")),
        "balls": " and ".join(f"a {m} ball" for m in mats),
    })
    left, right = (MATERIALS[params.get(f"{s}_material") or "rubber"] for s in ("left", "right"))
    ranked = sorted((left, right), key=lambda m: -m.restitution)
    fields["bouncier"], fields["deader"] = ranked[0].name, ranked[1].name
    if count > 1 and "materials" in kind.defaults:
        fields["ball"] = f"{number or count} " + ball(params.get("material", "rubber"),
                                                      params.get("color")) + "s"
    text = re.sub(r"\s+", " ", kind.prompt.format_map(fields)).strip()
    text = text[0].upper() + text[1:]
    where = "" if env == "earth" else f", on the {env.replace('_', ' ')}"
    if env == "underwater" and kind.name != "buoyancy":
        where = ", under water"
    return f"{text}{where}. {kind.camera}, static camera, realistic lighting."


def _law_line(law: Law) -> str:
    return f"{law.name}: {law.behaviour}"


def _plan_rules(laws: list[Law]) -> list[PhysicsRule]:
    return rules_for(laws)


def _unsupported_plan(prompt: str, env: str, gravity: float) -> ShotPlan:
    """What the knowledge base knows of a prompt the studio cannot simulate."""
    laws = laws_for(prompt) or laws_for("", BASELINE_LAWS)
    return ShotPlan(prompt=prompt, generator_prompt=prompt, laws=[_law_line(x) for x in laws],
                    rules=rules_for(laws), scene=None, environment=env, gravity_m_s2=gravity,
                    notes=[unsupported_message(prompt)])
