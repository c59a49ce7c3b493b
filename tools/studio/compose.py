"""A `SceneSpec` becomes the parts of a world: bodies placed where the spec says they start,
fixtures around them, links holding them. No named templates: the stage follows from the lead
body's action and fixture (a drop, a throw, a run along the floor or a table, down a ramp or
steps, a swing, a spring, a seesaw, water), every other moving group joins the lead, and groups
at rest are set up in the lead's path, which is what "knocks down ten pins" needs.

World coordinates are metres, x to the right, y up, the floor's top at y = 0; movers travel to
the right. The view is provisional here: `simulate` fits it to the simulated motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from tools.errors import BadInputError
from tools.schema import BodySpec, FixtureSpec, SceneSpec
from tools.studio.bodies import Ball, Block, Link, Surface, box
from tools.studio.environments import environment
from tools.studio.lexicon import THINGS
from tools.studio.materials import COLORS, PALETTE, RGB, material

View = tuple[float, float, float, float]
# Small round things are drawn and simulated larger (d -> 0.09 + d/2 below 18 cm: a golf ball
# 11 cm, a marble 10 cm) so a tracker can follow them in a frame that holds a 1.5 m fall; their
# order of size is kept.
SMALL_BALL_D = 0.18
KIND_SIZE = {"ball": 0.16, "block": 0.2, "cylinder": 0.08, "disc": 0.06, "domino": 0.24,
             "pin": 0.38, "plank": 1.0}
KIND_ASPECT = {"block": 0.6, "cylinder": 1.5, "domino": 1 / 0.15, "pin": 1 / 0.3,
               "plank": 0.04}
RUN_M = 2.6  # how far past the stage a floor runs before the backstop wall


@dataclass(frozen=True)
class Parts:
    """What composing returns; `extra` holds World fields a scene sets (water, top-down)."""

    balls: tuple[Ball, ...]
    surfaces: tuple[Surface, ...]
    view: View
    blocks: tuple[Block, ...] = ()
    links: tuple[Link, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Piece:
    """One body of a group, before it is placed: `w` x `h` metres (a ball's diameter twice)."""

    group: BodySpec
    name: str
    round: bool
    w: float
    h: float
    material: str
    colour: RGB

    def at(self, x: float, y_bottom: float, vx: float = 0.0, vy: float = 0.0,
           angle: float = 0.0) -> Ball | Block:
        """The body with its lowest point at `y_bottom` (centre for a tilted block)."""
        e = self.group.bounciness
        if self.round:
            r = self.w / 2
            return Ball(self.name, r, self.material, self.colour, x, y_bottom + r, vx, vy,
                        restitution=e)
        return Block(self.name, self.w, self.h, self.material, self.colour, x,
                     y_bottom + self.h / 2, angle, vx, vy, depth_m=min(self.w, self.h, 0.3),
                     restitution=e)


def thing_of(body: BodySpec) -> Any:
    """The lexicon entry of a body's name (its last words first), if the name is known."""
    words = body.name.lower().split()
    for k in range(len(words)):
        thing = THINGS.get(" ".join(words[k:]))
        if thing is not None:
            return thing
    return None


def colour_of(name: str | None, fallback: RGB) -> RGB:
    """A colour name or #rrggbb as RGB; the fallback when none is given."""
    if not name:
        return fallback
    key = name.strip().lower()
    if key in COLORS:
        return COLORS[key]
    if key.startswith("#") and len(key) == 7:
        try:
            r, g, b = (int(key[i:i + 2], 16) for i in (1, 3, 5))
            return (r, g, b)
        except ValueError:
            pass
    raise BadInputError(f"unknown colour {name!r}: use one of {', '.join(COLORS)} or #rrggbb")


def pieces(body: BodySpec) -> list[Piece]:
    """The group's bodies with their sizes, materials and colours (several of one material and
    no named colour get palette colours, so each stays tellable from the others)."""
    mat = material(body.material)
    thing = thing_of(body)
    known = thing is not None and thing.kind == body.kind
    size = body.size_m or (thing.size_m if known else KIND_SIZE[body.kind])
    aspect = thing.aspect if known and body.kind in ("block", "cylinder") else KIND_ASPECT.get(
        body.kind, 1.0)
    round_ = body.kind in ("ball", "disc")
    if round_:
        w = h = size if size >= SMALL_BALL_D else 0.09 + size / 2
    elif body.kind in ("domino", "pin"):
        h, w = size, size / aspect
    else:
        w, h = size, size * aspect
    w, h = max(w, 0.025), max(h, 0.025)
    own = thing.colour if known and thing.colour else None
    base = colour_of(body.colour or own, mat.color)
    names = [body.name] if body.count == 1 else [f"{body.name} {k}" for k in
                                                  range(1, body.count + 1)]
    spread = body.colour is None and round_ and body.count > 1
    return [Piece(body, n, round_, w, h, mat.name,
                  PALETTE[(k - 1) % len(PALETTE)] if spread and k > 0 else base)
            for k, n in enumerate(names)]


def gravity(spec: SceneSpec) -> float:
    return spec.gravity_m_s2 if spec.gravity_m_s2 is not None else environment(
        spec.environment).gravity_m_s2


# ---- fixtures -------------------------------------------------------------------------------


def floor(x0: float, x1: float) -> Surface:
    return Surface("floor", "floor", box(x0 - 5.0, -1.0, x1 + 5.0, 0.0), "floor_wood")


def wall(x: float, height: float, name: str = "wall") -> Surface:
    return Surface(name, "wall", box(x, 0.0, x + 0.3, height), "wall_paint")


def beam(x0: float, x1: float, y: float) -> Surface:
    """The bar strings and springs hang from (drawn, never touched: it sits above every body)."""
    return Surface("beam", "beam", box(x0, y, x1, y + 0.06), "steel")


def table(x0: float, x1: float, top: float) -> Surface:
    return Surface("table", "table", box(x0, top - 0.05, x1, top), "table_wood")


def ramp(theta: float, length: float, x_foot: float = 0.0) -> tuple[Surface, float, float]:
    """A wedge sloping down to the right to its foot at `x_foot`; (surface, base, rise)."""
    base, rise = length * math.cos(theta), length * math.sin(theta)
    wedge = Surface("ramp", "ramp", ((x_foot - base, 0.0), (x_foot, 0.0), (x_foot - base, rise)),
                    "table_wood")
    return wedge, base, rise


def steps(count: int, rise: float, run: float) -> tuple[Surface, ...]:
    """A staircase going down to the right and ending at x = 0: step k (from the top) spans
    one run and stands (count - k) rises high."""
    return tuple(Surface(f"step{k + 1}", "step", box(-(count - k) * run, 0.0,
                                                     -(count - k - 1) * run, (count - k) * rise),
                         "table_wood") for k in range(count))


def bowl(cx: float, radius: float) -> tuple[Surface, ...]:
    """A round-bottomed bowl on the floor, as short thick segments along a half circle."""
    parts = []
    n = 9
    for k in range(n):
        a0 = math.pi + math.pi * k / n
        a1 = math.pi + math.pi * (k + 1) / n
        p0 = (cx + radius * math.cos(a0), radius + radius * math.sin(a0))
        p1 = (cx + radius * math.cos(a1), radius + radius * math.sin(a1))
        o0 = (cx + 1.08 * radius * math.cos(a0), radius + 1.08 * radius * math.sin(a0))
        o1 = (cx + 1.08 * radius * math.cos(a1), radius + 1.08 * radius * math.sin(a1))
        parts.append(Surface(f"bowl{k + 1}", "bowl", (o0, o1, p1, p0), "ceramic"))
    return tuple(parts)


def tank(x0: float, x1: float, height: float) -> tuple[Surface, ...]:
    """Glass side walls of a water tank standing on the floor between x0 and x1."""
    return (Surface("tank left", "tank", box(x0 - 0.03, 0.0, x0, height), "glass"),
            Surface("tank right", "tank", box(x1, 0.0, x1 + 0.03, height), "glass"))


def fixture(spec: SceneSpec, kind: str) -> FixtureSpec:
    """The spec's fixture of that kind, or a default one the stage needs."""
    return spec.fixture(kind) or FixtureSpec(kind=kind)  # type: ignore[arg-type]


def place_group(parts: list[Piece], x0: float, y: float, gap: float | None = None,
                arrangement: str | None = None) -> tuple[list[Ball | Block], float]:
    """Bodies of a resting group from x0 rightwards standing on height y; (bodies, right end).

    A line of tall bodies (dominoes, pins) is spaced closer than their height so each one
    falling reaches the next; a stack piles up; a wall lays bricks in two courses' bond.
    """
    if not parts:
        return [], x0
    p = parts[0]
    how = arrangement or ("line" if p.group.kind in ("domino", "pin") else "row")
    if how == "stack":
        return [q.at(x0 + p.w / 2, y + k * p.h) for k, q in enumerate(parts)], x0 + p.w
    if how == "wall":
        cols = max(1, min(3, round(math.sqrt(len(parts) / 2))))
        return [q.at(x0 + p.w / 2 + (k % cols) * p.w * 1.002, y + (k // cols) * p.h * 1.002)
                for k, q in enumerate(parts)], x0 + cols * p.w
    if gap is None:
        gap = 0.55 * p.h if how == "line" and p.h > p.w else max(0.6 * p.w, 0.25)
    step = p.w + gap
    return [q.at(x0 + p.w / 2 + k * step, y) for k, q in enumerate(parts)], \
        x0 + len(parts) * step - gap


def fit_view(x0: float, x1: float, y0: float, y1: float, margin: float = 0.1) -> View:
    """A view around a box of interest with a margin, the floor line kept in sight."""
    w, h = x1 - x0, max(y1 - y0, 0.3)
    return (x0 - margin * w, x1 + margin * w, min(y0, 0.0) - 0.12 * h - 0.05, y1 + margin * h)


def moving(body: Ball | Block, vx: float, vy: float = 0.0) -> Ball | Block:
    """The body set moving; a ball launched along a surface rolls (the engine spins it)."""
    return replace(body, vx=vx, vy=vy)
