"""A scene spec in words: its phenomena and laws, a summary line, and the generator prompt.

Everything is read off the spec's structure (actions, fixtures, links, place), so a composed
scene gets the physics of each of its parts: a ball rolling off a table into pins is a
projectile, a bounce and a collision.
"""

from __future__ import annotations

from tools.schema import BodySpec, SceneSpec
from tools.studio.compose import thing_of

# (phenomena, law ids) per motif of a scene.
MOTIFS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "drop": (("free fall", "bounce", "energy loss in collisions"),
             ("free_fall", "restitution", "energy_dissipation")),
    "drop_several": (("equal fall times",), ("equivalence_principle",)),
    "throw": (("projectile motion", "free fall", "bounce"),
              ("projectile_motion", "free_fall", "restitution")),
    "roll": (("rolling", "rolling friction"), ("rolling_friction",)),
    "slide": (("sliding friction",), ("kinetic_friction", "static_friction")),
    "edge": (("projectile motion", "bounce"), ("projectile_motion", "restitution", "free_fall")),
    "ramp_roll": (("rolling", "inclined plane"), ("rolling_incline", "inclined_plane")),
    "ramp_slide": (("sliding friction", "inclined plane"),
                   ("kinetic_friction", "static_friction", "inclined_plane")),
    "steps": (("bounce", "free fall"), ("restitution", "free_fall")),
    "hit": (("collision", "conservation of momentum"),
            ("momentum_conservation", "elastic_collision", "inelastic_collision")),
    "topple": (("toppling", "chain reaction"), ("toppling", "energy_conservation", "rigid_body")),
    "tower": (("centre of mass", "toppling", "stacking"),
              ("center_of_mass", "toppling", "rigid_body", "free_fall")),
    "pendulum": (("pendulum", "energy conservation"),
                 ("pendulum_period", "energy_conservation", "gravity_uniform")),
    "cradle": (("Newton's cradle", "conservation of momentum", "elastic collision"),
               ("momentum_conservation", "elastic_collision", "energy_conservation")),
    "spring": (("simple harmonic motion", "Hooke's law", "oscillation"),
               ("hookes_law", "simple_harmonic_motion", "energy_conservation")),
    "lever": (("lever", "torque", "rotational equilibrium"),
              ("lever_torque", "rigid_body", "gravity_uniform")),
    "water": (("buoyancy", "drag", "terminal velocity"),
              ("archimedes", "buoyancy_sink_float", "fluid_drag", "terminal_velocity")),
    "drift": (("inertia", "Newton's first law", "weightlessness"),
              ("newton_first_law", "momentum_conservation", "weightlessness")),
    "break": (("billiard break", "collisions", "rolling friction"),
              ("momentum_conservation", "elastic_collision", "rolling_friction")),
}


def motifs(spec: SceneSpec) -> list[str]:
    """The motifs a scene is made of, in the order a viewer meets them."""
    found: list[str] = []
    links = {x.kind for x in spec.links}
    cradle = any(b.arrangement == "cradle" for b in spec.bodies)
    movers = [b for b in spec.bodies if b.action != "rest"]
    if spec.view == "top":
        return ["break"]
    if spec.environment == "space_station":
        return ["drift"]
    found += ["cradle"] if cradle else ["pendulum"] if "string" in links else []
    found += ["spring"] if "spring" in links else []
    found += ["lever"] if "pivot" in links else []
    for b in movers:
        found += _motifs_of(b)
    if sum(b.action == "dropped" for b in movers) + sum(
            b.count - 1 for b in movers if b.action == "dropped") >= 2:
        found.append("drop_several")
    if any(b.target for b in spec.bodies):
        found.append("hit")
    if any(b.kind in ("domino", "pin") and b.count > 1 for b in spec.bodies):
        found.append("topple")
    if any(f.water_level_m for f in spec.fixtures) or spec.environment == "underwater":
        found.append("water")
    return list(dict.fromkeys(found))


def _motifs_of(b: BodySpec) -> list[str]:
    round_ = b.kind in ("ball", "disc")
    if b.arrangement == "stack" and not round_:
        return ["tower"]
    if b.action in ("thrown", "launched"):
        return ["throw"]
    if b.on == "ramp":
        return ["ramp_roll" if round_ else "ramp_slide"]
    if b.on == "steps":
        return ["steps"]
    if b.on == "table" and b.action in ("pushed", "rolled"):
        return ["roll" if round_ else "slide", *(["edge"] if b.off_edge else [])]
    if b.action in ("pushed", "rolled"):
        return ["roll" if round_ else "slide"]
    if b.action in ("dropped", "released") and b.on not in ("tank", "bowl"):
        return ["drop"]
    return []


def phenomena_and_laws(spec: SceneSpec) -> tuple[list[str], list[str]]:
    phenomena: list[str] = []
    laws: list[str] = []
    for motif in motifs(spec):
        p, law_ids = MOTIFS[motif]
        phenomena += p
        laws += law_ids
    return list(dict.fromkeys(phenomena)), list(dict.fromkeys(laws))


NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
           9: "nine", 10: "ten", 12: "twelve", 20: "twenty"}


def body_phrase(b: BodySpec) -> str:
    """"four glass marbles", "a red rubber ball", "ten pins"."""
    thing = thing_of(b)
    material = "" if thing is not None and thing.material == b.material else {
        "wood": "wooden", "vinyl": "inflatable", "fruit": ""}.get(b.material, b.material)
    words = [w for w in (b.colour or "", material) if w and w not in b.name.split()]
    noun = " ".join([*words, b.name])
    if b.count == 1:
        return ("an " if noun[0] in "aeiou" else "a ") + noun
    plural = noun + ("es" if noun.endswith(("x", "s", "ch", "domino")) else "s")
    return f"{NUMBERS.get(b.count, str(b.count))} {plural}"


def _verb(spec: SceneSpec, b: BodySpec) -> str:
    """What the group does, in words, where it does it (singular; plurals fixed by caller)."""
    round_ = b.kind in ("ball", "disc")
    link = spec.link_of(b.name)
    if b.arrangement == "stack" and not round_:
        return ("stands in a leaning stack that topples" if b.action != "rest"
                else "stands stacked")
    if b.kind == "domino" and b.count > 1:
        return ("stands in a row; the first is tipped over and knocks down the next, one after "
                "another") if b.action != "rest" else "stands in a row"
    if link is not None and link.kind == "string":
        return "swings on a string" if b.action != "rest" else "hangs on a string"
    if link is not None and link.kind == "spring":
        return "bobs on a spring"
    if b.action == "rest":
        return "rests" + (f" on the {b.on}" if b.on else "")
    if b.on == "ramp":
        return "rolls down a ramp" if round_ else "slides down a ramp"
    if b.on == "steps":
        return "bounces down a staircase"
    if b.on in ("tank", "bowl"):
        vessel = spec.fixture(b.on)
        water = " of water" if vessel is not None and vessel.water_level_m else ""
        return (f"is dropped into a {b.on}" if b.action == "dropped" else
                f"is let go in a {b.on}") + water
    if b.on == "table" and b.action in ("pushed", "rolled"):
        return ("rolls" if round_ else "slides") + " along a table" + (
            " and off its edge" if b.off_edge else "")
    if b.action == "dropped":
        onto = next((f" onto a {f.kind}" for f in spec.fixtures if f.kind in ("table", "ramp",
                                                                              "bowl", "tank")),
                    "")
        return "is dropped" + onto
    if b.action in ("pushed", "rolled"):
        return ("slides" if b.kind == "disc" else "rolls") + " along the floor" if round_ else (
            "is pushed along the floor")
    return {"thrown": "is thrown", "launched": "is launched", "released": "is let go"}[b.action]


def _plural(verb: str) -> str:
    for one, many in (("is ", "are "), ("stands", "stand"), ("rolls", "roll"),
                      ("slides", "slide"), ("bounces", "bounce"), ("swings", "swing"),
                      ("hangs", "hang"), ("bobs", "bob"), ("rests", "rest")):
        if verb.startswith(one):
            return many + verb[len(one):]
    return verb


def summary(spec: SceneSpec) -> str:
    """One line: who does what, where ("a bowling ball rolls along the floor into ten pins")."""
    targets = {b.target for b in spec.bodies if b.target}
    by_name = {b.name: b for b in spec.bodies}
    parts = []
    for b in spec.bodies:
        if b.name in targets and b.action == "rest":
            continue
        verb = _verb(spec, b)
        verb = verb if b.count == 1 else _plural(verb)
        into = f" into {body_phrase(by_name[b.target])}" if b.target else ""
        parts.append(f"{body_phrase(b)} {verb}{into}")
    place = "" if spec.environment == "earth" else (
        " under water" if spec.environment == "underwater" else
        f" on the {spec.environment.replace('_', ' ')}")
    return "; ".join(parts) + place


def generator_prompt(prompt: str, spec: SceneSpec) -> str:
    """What a video model is asked for: the scene in plain words and how its physics looks;
    the user's own words first whenever the scene leaves some of them out."""
    scene = summary(spec)
    scene = scene[0].upper() + scene[1:]
    hints = {
        "drop": "falling bodies speed up until they hit the ground, and each bounce is lower "
                "than the last",
        "throw": "it flies in a parabola, then lands and bounces",
        "ramp_roll": "it speeds up steadily down the slope",
        "ramp_slide": "it speeds up steadily down the slope, held back by friction",
        "edge": "off the edge it falls in a parabolic arc",
        "hit": "momentum passes on at the impact",
        "topple": "each one falls and knocks over the next",
        "pendulum": "it swings back and forth with a steady period",
        "spring": "it bobs up and down with a steady period",
        "water": "the dense sinks slowly and the light floats",
        "drift": "weightless, everything drifts in straight lines at constant speed",
        "slide": "friction slows it to a stop",
    }
    physics = "; ".join(hints[m] for m in motifs(spec) if m in hints)
    camera = "Top-down view" if spec.view == "top" else "Side view"
    text = f"{scene}." + (f" {physics[0].upper()}{physics[1:]}." if physics else "")
    lead = f"{prompt.rstrip('. ')}. " if spec.ignored else ""
    return f"{lead}{text} {camera}, static camera, realistic lighting."
