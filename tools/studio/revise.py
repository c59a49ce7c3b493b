"""Feedback on a video ("make the bounce lower", "make it two balls") as a change to its scene.

`revise(scene, feedback)` returns the changed scene, what was applied in words, and the parts
of the feedback it could not apply, so a chat can say both and never re-run a revision that
changes nothing. It acts on the lead group (the first that moves) unless the feedback names
another group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.schema import BodySpec, SceneSpec
from tools.studio import lexicon as lx
from tools.studio.compose import KIND_SIZE, thing_of
from tools.studio.environments import ENVIRONMENTS
from tools.studio.materials import COLORS, MATERIALS
from tools.studio.reader import MATERIAL_WORDS

# Stage defaults (see `stages`), so "faster" and "higher" have something to scale.
DEFAULT_SPEED = {"thrown": 4.0, "launched": 6.0, "rolled": 1.5, "pushed": 2.5}
DEFAULT_HEIGHT = 1.5
UP, DOWN = 1.5, 0.6


@dataclass
class Revision:
    """The revised scene and, in words, what changed and what could not be applied."""

    scene: SceneSpec
    applied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def revise(scene: SceneSpec, feedback: str) -> Revision:
    """The scene changed as the feedback asks (see the module docstring)."""
    text = " " + feedback.lower().replace("-", " ") + " "
    rev = Revision(scene)
    used: list[str] = []
    for rule in RULES:
        rule(rev, text, used)
    leftover = [w for w in re.findall(r"[a-z']+", text)
                if w not in used and w not in FEEDBACK_WORDS and len(w) > 1]
    if leftover:
        rev.not_applied.append(" ".join(dict.fromkeys(leftover)))
    return rev


# Words of a request that carry no change by themselves.
FEEDBACK_WORDS = {
    "make", "it", "its", "them", "they", "please", "more", "less", "bit", "little", "lot", "much",
    "instead", "should", "be", "want", "i", "let's", "lets", "try", "again", "now", "same", "but",
    "also", "too", "so", "just", "video", "one", "ones", "scene", "thing", "things", "can",
    "could", "you", "a", "an", "the", "and", "or", "of", "to", "from", "on", "in", "at", "with",
    "is", "are", "was", "this", "that", "than", "very", "way",
}


def _lead(scene: SceneSpec) -> int:
    return next((k for k, b in enumerate(scene.bodies) if b.action != "rest"), 0)


def _update_lead(rev: Revision, update: dict[str, Any], words: str) -> None:
    bodies = list(rev.scene.bodies)
    k = _lead(rev.scene)
    new = bodies[k].model_copy(update=update)
    if new != bodies[k]:
        bodies[k] = BodySpec.model_validate(new.model_dump())
        rev.scene = rev.scene.model_copy(update={"bodies": bodies})
        rev.applied.append(words)


def _bounce(rev: Revision, text: str, used: list[str]) -> None:
    lower = re.search(r"bounc\w*\s+(?:\w+\s+)?(lower|less|smaller|weaker|shorter)|"
                      r"(less|lower|smaller|weaker)\s+(?:\w+\s+)?bounc\w*|less bouncy", text)
    higher = re.search(r"bounc\w*\s+(?:\w+\s+)?(higher|more|bigger|stronger|taller)|"
                       r"(more|higher|bigger|stronger)\s+(?:\w+\s+)?bounc\w*|bouncier", text)
    if not lower and not higher:
        return
    lead = rev.scene.bodies[_lead(rev.scene)]
    now = lead.bounciness if lead.bounciness is not None else MATERIALS[lead.material].restitution
    factor = 0.6 if lower else 1.25
    new = round(min(0.97, max(0.02, now * factor)), 3)
    used += re.findall(r"[a-z']+", (lower or higher).group(0))  # type: ignore[union-attr]
    _update_lead(rev, {"bounciness": new},
                 f"bounciness {now:.2f} -> {new:.2f} ({'lower' if lower else 'higher'} bounces)")


def _count(rev: Revision, text: str, used: list[str]) -> None:
    numbers = "|".join([*(k for k in lx.COUNTS if " " not in k), "one", r"\d+"])
    lead = rev.scene.bodies[_lead(rev.scene)]
    match = re.search(rf"\b({numbers})\s+(?:\w+\s+){{0,2}}?(\w+?)(?:es|s)?\b", text)
    count = None
    if match and (match.group(2) in lead.name.split() or match.group(2) in (
            "ball", "block", "domino", "pin", "marble", "body", "object", "brick")):
        word = match.group(1)
        count = 1 if word == "one" else lx.COUNTS.get(word) or int(word)
        used += [word, match.group(2)]
    elif re.search(r"\b(add|another|one more|extra)\b", text):
        count = lead.count + 1
        used += ["add", "another", "one", "more", "extra"]
    elif re.search(r"\b(remove one|one less|fewer)\b", text):
        count = max(1, lead.count - 1)
        used += ["remove", "one", "less", "fewer"]
    if count is not None and 1 <= count <= 20:
        _update_lead(rev, {"count": count}, f"{lead.name}: {lead.count} -> {count}")


def _place(rev: Revision, text: str, used: list[str]) -> None:
    for env in ENVIRONMENTS.values():
        for alias in (env.name.replace("_", " "), *env.aliases, *(
                ("in space", "in orbit") if env.name == "space_station" else ())):
            if re.search(rf"\b{re.escape(alias)}\b", text) and rev.scene.environment != env.name:
                used += alias.split()
                old = rev.scene.environment
                rev.scene = rev.scene.model_copy(update={"environment": env.name,
                                                         "gravity_m_s2": None})
                rev.applied.append(f"place {old} -> {env.name}")
                return


def _speed(rev: Revision, text: str, used: list[str]) -> None:
    faster = re.search(r"\b(faster|quicker|harder|speed up|more speed)\b", text)
    slower = re.search(r"\b(slower|gentler|softer|slow down|less speed)\b", text)
    given = re.search(r"(\d+(?:\.\d+)?)\s*(?:m/s|meters? per second|metres? per second)", text)
    lead = rev.scene.bodies[_lead(rev.scene)]
    base = lead.speed_m_s or DEFAULT_SPEED.get(lead.action)
    if given:
        used.append(given.group(1))
        _update_lead(rev, {"speed_m_s": float(given.group(1))}, f"speed {given.group(1)} m/s")
    elif (faster or slower) and base:
        new = round(base * (UP if faster else DOWN), 2)
        used.append((faster or slower).group(1))  # type: ignore[union-attr]
        _update_lead(rev, {"speed_m_s": new}, f"speed {base:g} -> {new:g} m/s")


def _height(rev: Revision, text: str, used: list[str]) -> None:
    lead = rev.scene.bodies[_lead(rev.scene)]
    if lead.action not in ("dropped", "thrown", "launched"):
        return
    given = re.search(r"(\d+(?:\.\d+)?)\s*(m|meters?|metres?|cm)\b", text)
    higher = re.search(r"\b(higher|from higher|from further up|taller drop)\b", text)
    lower = re.search(r"\b(lower|from lower)\b", text) and "bounc" not in text
    base = lead.height_m if lead.height_m is not None else DEFAULT_HEIGHT
    if given:
        value = float(given.group(1)) / (100 if given.group(2) == "cm" else 1)
        used += [given.group(1), given.group(2), "drop", "dropped", "from", "height"]
        _update_lead(rev, {"height_m": value}, f"height {base:g} -> {value:g} m")
    elif higher or lower:
        new = round(base * (UP if higher else DOWN), 2)
        used += ["higher", "lower", "from", "drop", "dropped", "height", "further", "up"]
        _update_lead(rev, {"height_m": new}, f"height {base:g} -> {new:g} m")


def _size(rev: Revision, text: str, used: list[str]) -> None:
    bigger = re.search(r"\b(bigger|larger|huge|giant)\b", text)
    smaller = re.search(r"\b(smaller|tiny|little)\b", text)
    if not bigger and not smaller:
        return
    lead = rev.scene.bodies[_lead(rev.scene)]
    thing = thing_of(lead)
    now = lead.size_m or (thing.size_m if thing and thing.kind == lead.kind else
                          KIND_SIZE[lead.kind])
    new = round(now * (UP if bigger else DOWN), 4)
    used.append((bigger or smaller).group(1))  # type: ignore[union-attr]
    _update_lead(rev, {"size_m": new}, f"size {now:g} -> {new:g} m")


def _look(rev: Revision, text: str, used: list[str]) -> None:
    colour = next((c for c in COLORS if re.search(rf"\b{c}\b", text)), None)
    if colour:
        used.append(colour)
        _update_lead(rev, {"colour": colour}, f"colour {colour}")
    material = next((m for w, m in MATERIAL_WORDS.items() if re.search(rf"\b{w}\b", text)), None)
    heavy = re.search(r"\b(heavier|denser)\b", text)
    light = re.search(r"\b(lighter|lightweight)\b", text)
    if material is None and (heavy or light):
        material = "steel" if heavy else "plastic"
        used.append((heavy or light).group(1))  # type: ignore[union-attr]
    if material:
        used += [w for w, m in MATERIAL_WORDS.items() if m == material]
        _update_lead(rev, {"material": material, "bounciness": None}, f"material {material}")


def _ramp(rev: Revision, text: str, used: list[str]) -> None:
    ramp = rev.scene.fixture("ramp")
    steeper = re.search(r"\bsteeper\b", text)
    gentler = re.search(r"\b(gentler|shallower|flatter)\b", text)
    if ramp is None or not (steeper or gentler):
        return
    now = ramp.angle_deg or 25.0
    new = min(70.0, now + 10) if steeper else max(5.0, now - 10)
    fixtures = [f.model_copy(update={"angle_deg": new}) if f is ramp else f
                for f in rev.scene.fixtures]
    rev.scene = rev.scene.model_copy(update={"fixtures": fixtures})
    rev.applied.append(f"ramp {now:g} -> {new:g} degrees")
    used += ["steeper", "gentler", "shallower", "flatter", "ramp", "slope"]


RULES = (_bounce, _count, _place, _speed, _height, _size, _look, _ramp)
