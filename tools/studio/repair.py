"""A scene spec from a model, brought into the studio's vocabulary before it is simulated.

Models name materials and colours in their own words ("metal", "wooden", "crimson"). Words the
studio knows under another name are mapped; words it does not know are moved to `ignored` (the
body keeps its kind's usual material or look), so nothing is silently substituted.
"""

from __future__ import annotations

from tools.schema import BodySpec, SceneSpec
from tools.studio.compose import thing_of
from tools.studio.materials import BALL_MATERIALS, COLORS
from tools.studio.reader import MATERIAL_WORDS


def repair_scene(scene: SceneSpec) -> SceneSpec:
    """The scene with known names for every material and colour (see the module docstring)."""
    ignored = list(scene.ignored)
    bodies = [_repaired(body, ignored) for body in scene.bodies]
    return scene.model_copy(update={"bodies": bodies, "ignored": list(dict.fromkeys(ignored))})


def _repaired(body: BodySpec, ignored: list[str]) -> BodySpec:
    update: dict[str, object] = {}
    if body.material not in BALL_MATERIALS:
        known = MATERIAL_WORDS.get(body.material) or next(
            (m for m in BALL_MATERIALS if m in body.material.split()), None)
        if known is None:
            thing = thing_of(body)
            known = thing.material if thing is not None else "plastic"
            ignored.append(f"{body.material} (material of the {body.name})")
        update["material"] = known
    colour = (body.colour or "").strip().lower()
    if colour and colour not in COLORS and not (colour.startswith("#") and len(colour) == 7):
        update["colour"] = None
        ignored.append(f"{body.colour} (colour of the {body.name})")
    return body.model_copy(update=update) if update else body


