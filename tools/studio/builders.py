"""Scene builders: a scene's parameters (SI units) become the parts of a `World`.

Each builder takes the merged parameters and the scene's gravity (some framings depend on it: a
throw on the moon flies further) and returns `Parts`. They are registered by name in
`tools.studio.scenes.SCENES`; a new phenomenon is one builder plus one registry entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tools.studio.bodies import Ball, Block, Link, Point, Surface, box
from tools.studio.materials import PALETTE, RGB, material

View = tuple[float, float, float, float]


@dataclass(frozen=True)
class Parts:
    """What a builder returns; `extra` holds World fields a scene sets (water level, top-down)."""

    balls: tuple[Ball, ...]
    surfaces: tuple[Surface, ...]
    view: View
    blocks: tuple[Block, ...] = ()
    links: tuple[Link, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()


def rgb(value: Any) -> RGB:
    r, g, b = (int(c) for c in value)
    return (r, g, b)


def floor(x0: float, x1: float) -> Surface:
    return Surface("floor", "floor", box(x0 - 5.0, -1.0, x1 + 5.0, 0.0), "floor_wood")


def beam(x0: float, x1: float, y: float) -> Surface:
    """The bar strings and springs hang from (drawn, never touched: it sits above every body)."""
    return Surface("beam", "beam", box(x0, y, x1, y + 0.06), "steel")


def pick(p: dict[str, Any], i: int, key: str, fallback: Any) -> Any:
    """Parameter `key` for body i: from the `<key>s` list when given, else `key`, else fallback."""
    many = p.get(f"{key}s")
    if many:
        return many[i % len(many)]
    single = p.get(key)
    return fallback if single is None else single


def ball_from(p: dict[str, Any], i: int, name: str, x: float, y_bottom: float,
              vx: float = 0.0, vy: float = 0.0) -> Ball:
    """Ball i of a scene: material and colour from params, a palette colour when several share a
    material and the prompt named no colour (so they stay distinguishable)."""
    mat = material(str(pick(p, i, "material", "rubber")))
    own = p.get("colors") or p.get("color")
    default = mat.color if i == 0 or p.get("materials") else PALETTE[i % len(PALETTE)]
    color = pick(p, i, "color", default) if own else default
    r = float(p["radius_m"])
    return Ball(name, r, mat.name, rgb(color), x, y_bottom + r, vx, vy)


def names(base: str, count: int) -> list[str]:
    """`ball` for one body, `ball1`…`ballN` for several (single-body tests read `ball`)."""
    return [base] if count == 1 else [f"{base}{k}" for k in range(1, count + 1)]


def fit_view(x0: float, x1: float, y0: float, y1: float, margin: float = 0.12) -> View:
    """A view around a box of interest with a margin, the floor line kept in sight."""
    w, h = x1 - x0, y1 - y0
    return (x0 - margin * w, x1 + margin * w, min(y0, 0.0) - 0.12 * h - 0.05, y1 + margin * h)


def build_drop(p: dict[str, Any], g: float) -> Parts:
    h, r, count = float(p["height_m"]), float(p["radius_m"]), int(p["count"])
    gap = max(4 * r, 0.45)
    xs = [(k - (count - 1) / 2) * gap for k in range(count)]
    balls = tuple(ball_from(p, k, n, x, h) for k, (n, x) in
                  enumerate(zip(names("ball", count), xs, strict=True)))
    top = h + 2 * r
    half = max(0.9, 0.95 * top, abs(xs[0]) + 0.5)
    view = (-half, half, -0.12 * (top + 0.3), 1.08 * top + 0.15)
    return Parts(balls, (floor(-half, half),), view)


def build_compare(p: dict[str, Any], g: float) -> Parts:
    h, r, gap = float(p["height_m"]), float(p["radius_m"]), float(p["spacing_m"])
    top = h + 2 * r
    half = max(0.9, 0.95 * top, gap)
    view = (-half, half, -0.12 * (top + 0.3), 1.08 * top + 0.15)
    sides = [{**p, "material": p[f"{s}_material"], "color": p[f"{s}_color"]}
             for s in ("left", "right")]
    balls = (ball_from(sides[0], 0, "left", -gap / 2, h),
             ball_from(sides[1], 0, "right", gap / 2, h))
    return Parts(balls, (floor(-half, half),), view)


def build_table(p: dict[str, Any], g: float) -> Parts:
    h, length, run = float(p["table_height_m"]), float(p["table_length_m"]), float(p["floor_run_m"])
    table = Surface("table", "table", box(-length, h - 0.05, 0.0, h), "table_wood")
    wall = Surface("wall", "wall", box(run, 0.0, run + 0.3, h + 2.0), "wall_paint")
    ball = ball_from(p, 0, "ball", -float(p["start_from_edge_m"]), h, float(p["speed_m_s"]))
    x0 = -float(p["start_from_edge_m"]) - 0.35
    view = (x0, run + 0.08, -0.1 * (h + 0.6), h + 0.55)
    return Parts((ball,), (floor(x0, run), table, wall), view)


def ramp(theta: float, length: float) -> tuple[Surface, float, float]:
    """A wedge whose slope runs down to the right, ending at the origin; (surface, base, rise)."""
    base, rise = length * math.cos(theta), length * math.sin(theta)
    wedge = Surface("ramp", "ramp", ((-base, 0.0), (0.0, 0.0), (-base, rise)), "table_wood")
    return wedge, base, rise


def on_slope(theta: float, base: float, rise: float, s: float, lift: float) -> Point:
    """A point `s` down the slope from its top, `lift` off the face along the normal."""
    return (-base + s * math.cos(theta) + lift * math.sin(theta),
            rise - s * math.sin(theta) + lift * math.cos(theta))


def build_ramp(p: dict[str, Any], g: float) -> Parts:
    theta = math.radians(float(p["angle_deg"]))
    r, run = float(p["radius_m"]), float(p["floor_run_m"])
    slope, base, rise = ramp(theta, float(p["ramp_length_m"]))
    wall = Surface("wall", "wall", box(run, 0.0, run + 0.3, rise + 2.0), "wall_paint")
    # Start a little down the slope so the ball rests on the face, not on the top corner.
    cx, cy = on_slope(theta, base, rise, 0.08 * float(p["ramp_length_m"]), r)
    ball = ball_from(p, 0, "ball", cx, cy - r)
    view = (-base - 0.2, run + 0.08, -0.1 * (rise + 0.6), rise + 0.45)
    return Parts((ball,), (floor(-base - 0.2, run), slope, wall), view)


def build_slide(p: dict[str, Any], g: float) -> Parts:
    theta = math.radians(float(p["angle_deg"]))
    w, h, run = float(p["block_width_m"]), float(p["block_height_m"]), float(p["floor_run_m"])
    slope, base, rise = ramp(theta, float(p["ramp_length_m"]))
    cx, cy = on_slope(theta, base, rise, 0.1 * float(p["ramp_length_m"]) + w / 2, h / 2)
    mat = material(str(p["material"]))
    block = Block("block", w, h, mat.name, rgb(p.get("color") or mat.color), cx, cy, -theta,
                  depth_m=w)
    view = (-base - 0.2, run, -0.1 * (rise + 0.6), rise + 0.45)
    return Parts((), (floor(-base - 0.2, run), slope), view, (block,))


def build_throw(p: dict[str, Any], g: float) -> Parts:
    v, theta = float(p["speed_m_s"]), math.radians(float(p["angle_deg"]))
    h, r = float(p["launch_height_m"]), float(p["radius_m"])
    vx, vy = v * math.cos(theta), v * math.sin(theta)
    # Frame the flight up to landing (or the clip's end in weightlessness).
    t_land = (vy + math.sqrt(vy * vy + 2 * g * h)) / g if g > 0 else float(p["duration_s"])
    reach = min(vx * t_land, vx * float(p["duration_s"]))
    top = h + (vy * vy / (2 * g) if g > 0 else vy * float(p["duration_s"]))
    x0 = -0.4
    ball = ball_from(p, 0, "ball", 0.0, h - r, vx, vy)
    post = Surface("stand", "table", box(-0.35, h - r - 0.04, 0.05, h - r), "table_wood")
    right = max(reach + 0.6, 1.5)
    # A wall past the landing point keeps the bounces in the picture.
    wall = Surface("wall", "wall", box(right, 0.0, right + 0.3, 20.0), "wall_paint")
    view = fit_view(x0, right, 0.0, min(max(top, h) + 2 * r, 12.0))
    view = (view[0], right + 0.05, view[2], view[3])
    surfaces = (floor(view[0], right), wall) + ((post,) if h - r > 0.05 else ())
    return Parts((ball,), surfaces, view)


def build_pendulum(p: dict[str, Any], g: float) -> Parts:
    count, length = int(p["count"]), float(p["length_m"])
    amp, r = math.radians(float(p["amplitude_deg"])), float(p["radius_m"])
    gap = max(0.35, 4 * r)
    top = length * (1.0 + 0.5 * (count - 1) * float(p["length_step"])) + r + 0.25
    balls, links = [], []
    for k, name in enumerate(names("bob", count)):
        x = (k - (count - 1) / 2) * gap
        # Several pendulums differ in length, so they drift out of step: the classic wave.
        lk = length * (1.0 + k * float(p["length_step"]))
        bob = ball_from(p, k, name, x + lk * math.sin(amp), top - lk * math.cos(amp) - r)
        balls.append(bob)
        links.append(Link(f"string_{name}", "string", name, (x, top)))
    half = max(0.8, abs(gap * (count - 1) / 2) + length * math.sin(amp) + 0.4, 0.6 * top)
    view = (-half, half, -0.08 * top - 0.05, top + 0.15)
    return Parts(tuple(balls), (floor(-half, half), beam(-half + 0.1, half - 0.1, top)), view,
                 links=tuple(links))


def build_cradle(p: dict[str, Any], g: float) -> Parts:
    count, length, r = int(p["count"]), float(p["length_m"]), float(p["radius_m"])
    lift = math.radians(float(p["lift_deg"]))
    top, pitch = length + r + 0.3, 2 * r + 1e-4
    balls, links = [], []
    for k, name in enumerate(names("ball", count)):
        x = (k - (count - 1) / 2) * pitch
        angle = -lift if k < int(p["lifted"]) else 0.0
        bob = ball_from(p, k, name, x + length * math.sin(angle),
                        top - length * math.cos(angle) - r)
        balls.append(bob)
        links.append(Link(f"string_{name}", "string", name, (x, top)))
    half = max(0.7, count * r + length * math.sin(lift) + 0.3)
    view = (-half, half, -0.05, top + 0.12)
    return Parts(tuple(balls), (floor(-half, half), beam(-half + 0.1, half - 0.1, top)), view,
                 links=tuple(links), extra=(("contact_restitution", 1.0),))


def build_collision(p: dict[str, Any], g: float) -> Parts:
    r, v, gap = float(p["radius_m"]), float(p["speed_m_s"]), float(p["gap_m"])
    left = ball_from(p, 0, "left", -gap / 2 - r, 0.0, v)
    right = ball_from({**p, "material": p.get("target_material") or p["material"]}, 1, "right",
                      gap / 2 + r, 0.0, -v * float(p["target_speed_ratio"]))
    half = max(1.2, gap + 0.8)
    view = (-half, half, -0.25, 0.9)
    e = 1.0 if p["elastic"] else 0.0 if p["perfectly_inelastic"] else None
    return Parts((left, right), (floor(-half, half),), view,
                 extra=(("contact_restitution", e),))


def build_break(p: dict[str, Any], g: float) -> Parts:
    r, rows, v = float(p["radius_m"]), int(p["rows"]), float(p["speed_m_s"])
    cue = Ball("cue", r, "billiard", (240, 238, 230), -0.75, 0.0, v, 0.0)
    rack: list[Ball] = []
    dx = 2 * r * math.cos(math.radians(30)) + 1e-4
    for row in range(rows):
        for k in range(row + 1):
            color = PALETTE[len(rack) % len(PALETTE)]
            y = (k - row / 2) * (2 * r + 1e-4)
            rack.append(Ball(f"ball{len(rack) + 1}", r, "billiard", color, 0.35 + row * dx, y))
    w, h, cushion = 1.27, 0.635, 0.06
    rails = (box(-w - cushion, -h - cushion, w + cushion, -h), box(-w - cushion, h, w + cushion,
             h + cushion), box(-w - cushion, -h, -w, h), box(w, -h, w + cushion, h))
    surfaces = tuple(Surface(f"cushion{k}", "cushion", poly, "rubber")
                     for k, poly in enumerate(rails, 1))
    view = (-w - 0.1, w + 0.1, -h - 0.1, h + 0.1)
    extra = (("top_down", True), ("table_friction_m_s2", float(p["felt_friction_m_s2"])))
    return Parts((cue, *rack), surfaces, view, extra=extra)


def build_dominoes(p: dict[str, Any], g: float) -> Parts:
    count, spacing = int(p["count"]), float(p["spacing_m"])
    h, w = float(p["domino_height_m"]), float(p["domino_thickness_m"])
    mat = material(str(p["material"]))
    blocks = []
    for k, name in enumerate(names("domino", count)):
        color = rgb(pick(p, k, "color", mat.color))
        # The first domino is nudged: tilted onto its front edge, past its balance point.
        tilt = -math.radians(float(p["tilt_deg"])) if k == 0 else 0.0
        cx = k * spacing + w / 2 - (math.cos(tilt) * w / 2 + math.sin(tilt) * h / 2)
        cy = -math.sin(tilt) * w / 2 + math.cos(tilt) * h / 2
        blocks.append(Block(name, w, h, mat.name, color, cx, cy + 1e-4, tilt, depth_m=0.5 * h))
    view = fit_view(-0.3, (count - 1) * spacing + h + 0.2, 0.0, 2.2 * h)
    return Parts((), (floor(view[0], view[1]),), view, tuple(blocks))


def build_tower(p: dict[str, Any], g: float) -> Parts:
    count, lean = int(p["count"]), float(p["lean_m"])
    w, h = float(p["block_width_m"]), float(p["block_height_m"])
    mat = material(str(p["material"]))
    blocks = []
    for k, name in enumerate(names("block", count)):
        color = rgb(pick(p, k, "color", PALETTE[k % len(PALETTE)] if not p.get("color")
                         else p["color"]))
        blocks.append(Block(name, w, h, mat.name, color, k * lean, h / 2 + k * h, depth_m=w))
    top = count * h
    view = fit_view(-top * 0.8, top * 1.5 + count * lean, 0.0, top * 1.1)
    return Parts((), (floor(view[0], view[1]),), view, tuple(blocks))


def build_seesaw(p: dict[str, Any], g: float) -> Parts:
    length, pivot_h = float(p["plank_length_m"]), float(p["pivot_height_m"])
    thick, size = 0.04, float(p["load_size_m"])
    plank = Block("plank", length, thick, "wood", material("wood").color, 0.0, pivot_h + thick / 2,
                  depth_m=0.2)
    loads = []
    for side, sign in (("left", -1.0), ("right", 1.0)):
        mat = material(str(p[f"{side}_material"]))
        color = rgb(p.get(f"{side}_color") or mat.color)
        x = sign * float(p[f"{side}_distance_m"])
        loads.append(Block(side, size, size, mat.name, color, x, pivot_h + thick + size / 2,
                           depth_m=size))
    fulcrum = Surface("fulcrum", "fulcrum", ((-0.12, 0.0), (0.12, 0.0), (0.0, pivot_h)), "wood")
    pivot = Link("pivot", "pivot", "plank", (0.0, pivot_h + thick / 2))
    view = fit_view(-length / 2 - 0.1, length / 2 + 0.1, 0.0, pivot_h + 0.5 * length + size)
    return Parts((), (floor(view[0], view[1]), fulcrum), view, (plank, *loads), (pivot,))


def build_spring(p: dict[str, Any], g: float) -> Parts:
    k, size, rest = float(p["stiffness_n_m"]), float(p["block_size_m"]), float(p["rest_length_m"])
    mat = material(str(p["material"]))
    mass = mat.density_kg_m3 * size**3
    top = rest + mass * g / k + float(p["stretch_m"]) + size + 0.6
    y_eq = top - rest - mass * g / k - size / 2
    block = Block("block", size, size, mat.name, rgb(p.get("color") or mat.color), 0.0,
                  y_eq - float(p["stretch_m"]), depth_m=size)
    spring = Link("spring", "spring", "block", (0.0, top), (0.0, size / 2), k, rest,
                  float(p["damping"]))
    view = fit_view(-0.6, 0.6, 0.0, top + 0.05, margin=0.05)
    return Parts((), (floor(-1.0, 1.0), beam(-0.4, 0.4, top)), view, (block,), (spring,))


def build_buoyancy(p: dict[str, Any], g: float) -> Parts:
    level, r = float(p["water_level_m"]), float(p["radius_m"])
    start = float(p["start_height_m"])
    mats = list(p["materials"])
    count = len(mats)
    gap = max(0.5, 4 * r)
    balls = tuple(
        ball_from({**p, "materials": mats}, k, n, (k - (count - 1) / 2) * gap, start)
        for k, n in enumerate(names("ball", count))
    )
    half = max(1.0, gap * count / 2 + 0.4)
    view = (-half, half, -0.15, level + 0.35)
    return Parts(balls, (floor(-half, half),), view, extra=(("water_level_m", level),))


def build_drift(p: dict[str, Any], g: float) -> Parts:
    v = float(p["speed_m_s"])
    half_w, half_h = 2.2, 1.15
    bodies = [ball_from(p, 0, "ball", -1.4, 0.6, v, 0.12 * v)]
    blocks = []
    if int(p["count"]) > 1:
        mat = material("plastic")
        blocks.append(Block("box", 0.2, 0.14, mat.name, (240, 200, 40), 1.2, 1.6, 0.3,
                            -0.6 * v, -0.1 * v, spin=0.8, depth_m=0.14))
    walls = (box(-half_w - 0.2, -0.2, half_w + 0.2, 0.0),
             box(-half_w - 0.2, 2 * half_h, half_w + 0.2, 2 * half_h + 0.2),
             box(-half_w - 0.2, 0.0, -half_w, 2 * half_h),
             box(half_w, 0.0, half_w + 0.2, 2 * half_h))
    surfaces = tuple(Surface(f"panel{k}", "panel", poly, "wall_paint")
                     for k, poly in enumerate(walls, 1))
    view = (-half_w - 0.05, half_w + 0.05, -0.05, 2 * half_h + 0.05)
    return Parts((bodies[0],), surfaces, view, tuple(blocks))
