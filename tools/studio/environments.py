"""Where a scene happens: gravity, the medium's drag and the backdrop it is painted with."""

from __future__ import annotations

from dataclasses import dataclass

from tools.errors import BadInputError
from tools.studio.materials import RGB


@dataclass(frozen=True)
class Environment:
    """`damping` is pymunk's per-second velocity retention (1.0 = vacuum / still air).

    A fluid (`fluid_density_kg_m3` > 0) pushes every body up by ρ·V·g (Archimedes) and drags it
    with ½ρ·C_d·A·v², so a heavy ball sinks at a slow terminal speed and a light one rises.
    Air is left out on purpose: its drag is below what a few seconds of video can show, and the
    free-fall tests compare against drag-free theory.
    """

    name: str
    gravity_m_s2: float
    damping: float
    wall: RGB
    floor: RGB
    aliases: tuple[str, ...]
    fluid_density_kg_m3: float = 0.0
    drag_coefficient: float = 0.0


ENVIRONMENTS: dict[str, Environment] = {
    e.name: e
    for e in (
        Environment("earth", 9.81, 1.0, (228, 224, 214), (158, 128, 98), ()),
        Environment("moon", 1.62, 1.0, (36, 38, 48), (150, 148, 142),
                    ("moon", "lunar")),
        Environment("mars", 3.71, 1.0, (222, 170, 130), (170, 100, 60), ("mars", "martian")),
        Environment("space_station", 0.0, 1.0, (214, 220, 226), (150, 156, 164),
                    ("space station", "iss", "orbit", "zero gravity", "zero-g", "weightless")),
        Environment("underwater", 9.81, 1.0, (52, 128, 164), (196, 180, 132),
                    ("underwater", "under water", "under the sea", "seabed", "sea floor",
                     "ocean floor", "bottom of the ocean", "bottom of the sea"),
                    fluid_density_kg_m3=1000.0, drag_coefficient=0.47),
    )
}


def environment(name: str) -> Environment:
    """Looks an environment up by name, failing with the names that exist."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise BadInputError(f"unknown environment {name!r}: choose one of {known}") from None
