"""Where a scene happens: gravity, the medium's drag and the backdrop it is painted with."""

from __future__ import annotations

from dataclasses import dataclass

from tools.errors import BadInputError
from tools.studio.materials import RGB


@dataclass(frozen=True)
class Environment:
    """`damping` is pymunk's per-second velocity retention (1.0 = vacuum / still air)."""

    name: str
    gravity_m_s2: float
    damping: float
    wall: RGB
    floor: RGB
    aliases: tuple[str, ...]


ENVIRONMENTS: dict[str, Environment] = {
    e.name: e
    for e in (
        Environment("earth", 9.81, 1.0, (228, 224, 214), (158, 128, 98), ()),
        Environment("moon", 1.62, 1.0, (36, 38, 48), (150, 148, 142),
                    ("moon", "lunar")),
        Environment("mars", 3.71, 1.0, (222, 170, 130), (170, 100, 60), ("mars", "martian")),
        Environment("space_station", 0.0, 1.0, (214, 220, 226), (150, 156, 164),
                    ("space station", "iss", "orbit", "zero gravity", "zero-g", "weightless")),
        # Water's drag is folded into heavy damping; buoyancy is not modelled in v1.
        Environment("underwater", 9.81, 0.35, (70, 140, 170), (190, 176, 130),
                    ("underwater", "under water", "in water", "aquarium", "pool")),
    )
}


def environment(name: str) -> Environment:
    """Looks an environment up by name, failing with the names that exist."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise BadInputError(f"unknown environment {name!r}: choose one of {known}") from None
