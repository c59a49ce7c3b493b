"""Stages: where a scene's bodies start, chosen by what the lead body does and where.

`compose(spec)` picks the stage from the spec's structure (a link, the view, the place, the lead
group's action and fixture) and returns the world's `Parts`. Every stage takes the whole cast:
the lead group, the other moving groups (they do what the lead does, beside or behind it) and
the groups at rest (set up in the movers' path, or beside them when nothing comes their way).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tools.schema import BodySpec, SceneSpec
from tools.studio import compose as c
from tools.studio.bodies import Ball, Block, Link, Surface, box
from tools.studio.compose import Parts, Piece
from tools.studio.materials import material

Body = Ball | Block
Stage = Callable[["Cast"], Parts]


@dataclass(frozen=True)
class Cast:
    """The spec's groups sorted by role: the lead, the groups moving with it, the ones at rest."""

    spec: SceneSpec
    g: float
    lead: BodySpec
    movers: list[list[Piece]]  # the lead's pieces first
    resting: list[list[Piece]]

    @classmethod
    def of(cls, spec: SceneSpec) -> Cast:
        groups = [(b, c.pieces(b)) for b in spec.bodies]
        moving = [p for b, p in groups if b.action != "rest"]
        resting = [p for b, p in groups if b.action == "rest"]
        lead = moving[0][0].group if moving else spec.bodies[0]
        if not moving:
            moving, resting = [resting[0]], resting[1:]
        return cls(spec, c.gravity(spec), lead, moving, resting)

    @property
    def lead_pieces(self) -> list[Piece]:
        return self.movers[0]

    def all_movers(self) -> list[Piece]:
        return [p for group in self.movers for p in group]


def compose(spec: SceneSpec) -> Parts:
    """The world's parts for a spec (see the module docstring)."""
    cast = Cast.of(spec)
    return pick_stage(cast)(cast)


def pick_stage(cast: Cast) -> Stage:
    spec, lead = cast.spec, cast.lead
    link = spec.link_of(lead.name)
    if spec.view == "top":
        return top_down
    if spec.environment == "space_station":
        return station
    if any(x.kind == "pivot" for x in spec.links):
        return seesaw
    if link is not None:
        return hanging if link.kind == "string" else spring
    if lead.arrangement == "stack" and lead.kind not in ("ball", "disc"):
        return tower
    if lead.kind == "domino" and lead.count > 1:
        return run_along
    if lead.action in ("thrown", "launched"):
        return throw
    if lead.on == "ramp" and lead.action != "dropped":
        return down_ramp
    if lead.on == "steps":
        return down_steps
    if (lead.on in ("tank", "bowl") and lead.action != "dropped") or (
            spec.environment == "underwater" and lead.action == "released"):
        return in_water
    if lead.action in ("pushed", "rolled"):
        return run_along
    if lead.action in ("dropped", "released"):
        return drop
    return still


# ---- helpers --------------------------------------------------------------------------------


def rest_groups(cast: Cast, x0: float, y: float = 0.0, gap: float = 0.15) -> tuple[list[Body],
                                                                                 float]:
    """The resting groups, one after another from x0 to the right; (bodies, right end)."""
    bodies: list[Body] = []
    for group in cast.resting:
        placed, x_end = c.place_group(group, x0, y, arrangement=group[0].group.arrangement)
        bodies += placed
        x0 = x_end + gap
    return bodies, x0 - gap


def split(bodies: list[Body]) -> tuple[tuple[Ball, ...], tuple[Block, ...]]:
    return (tuple(b for b in bodies if isinstance(b, Ball)),
            tuple(b for b in bodies if isinstance(b, Block)))


def parts(bodies: list[Body], surfaces: list[Surface], links: tuple[Link, ...] = (),
          extra: tuple[tuple[str, object], ...] = ()) -> Parts:
    """Parts with a provisional view around the bodies' starting places."""
    balls, blocks = split(bodies)
    xs = [b.x for b in bodies] or [0.0]
    ys = [b.y for b in bodies] or [0.0]
    view = c.fit_view(min(xs) - 0.5, max(xs) + 0.5, 0.0, max(ys) + 0.5)
    return Parts(balls, tuple(surfaces), view, blocks, links, extra)


def backstop(x: float, height: float = 6.0) -> Surface:
    """A wall past the action that keeps what rolls or bounces away in the picture."""
    return c.wall(x, height, "backstop")


def named_wall(cast: Cast, x: float) -> list[Surface]:
    return [c.wall(x, 3.0)] if cast.spec.fixture("wall") else []


def in_row(pieces: list[Piece], centre: float = 0.0) -> list[tuple[Piece, float]]:
    """Pieces side by side around `centre`, one body-and-a-bit apart."""
    widest = max(p.w for p in pieces)
    gap = max(1.6 * widest, 0.3)
    start = centre - gap * (len(pieces) - 1) / 2
    return [(p, start + k * gap) for k, p in enumerate(pieces)]


def rolling_speed(piece: Piece, given: float | None, default: float, distance: float,
                  g: float) -> float:
    """The lead's start speed: the spec's, else enough for a box to slide `distance` against
    friction (a ball rolls on at the default)."""
    if given is not None:
        return given
    if piece.round:
        return default
    mu = material(piece.material).friction
    return math.sqrt(default * default * 0.15 + 2 * mu * g * distance)


# ---- stages ---------------------------------------------------------------------------------


def drop(cast: Cast) -> Parts:
    """Movers dropped side by side from a height onto the floor, or onto the fixture below."""
    spec, lead = cast.spec, cast.lead
    row = in_row(cast.all_movers())
    width = row[-1][1] - row[0][1] + max(p.w for p, _ in row)
    surfaces: list[Surface] = [c.floor(-3, 3)]
    extra: tuple[tuple[str, object], ...] = ()
    base = 0.0
    if lead.on == "table" or (spec.fixture("table") and not spec.fixture("ramp")):
        top = c.fixture(spec, "table").height_m or 0.75
        surfaces.append(c.table(-width / 2 - 0.35, width / 2 + 0.35, top))
        base = top
    elif lead.on in ("bowl", "tank") or spec.fixture("bowl") or spec.fixture("tank"):
        kind = lead.on if lead.on in ("bowl", "tank") else ("bowl" if spec.fixture("bowl")
                                                             else "tank")
        vessel, base, extra = water_vessel(cast, kind, width)
        surfaces += vessel
    elif spec.fixture("ramp"):
        ramp_spec = spec.fixture("ramp")
        theta = math.radians(ramp_spec.angle_deg or 25.0) if ramp_spec else math.radians(25.0)
        wedge, _, rise = c.ramp(theta, 1.6, 0.8)
        surfaces.append(wedge)
        base = rise / 2
    h = lead.height_m if lead.height_m is not None else 1.5
    bodies: list[Body] = [p.at(x, base + h) for p, x in row]
    others, _ = rest_groups(cast, width / 2 + 0.6)
    return parts(bodies + others, surfaces, extra=extra)


def water_vessel(cast: Cast, kind: str, width: float) -> tuple[list[Surface], float,
                                                                tuple[tuple[str, object], ...]]:
    """A bowl or tank under the action, with its water; (surfaces, rim height, world fields)."""
    spec = cast.spec
    vessel = c.fixture(spec, kind)
    if kind == "bowl":
        radius = max(0.3, width / 2 + 0.12)
        level = min(vessel.water_level_m if vessel.water_level_m is not None else 0.0, radius)
        surfaces = list(c.bowl(0.0, radius))
        span, rim = (-radius, radius), radius
    else:
        half = max(0.6, width / 2 + 0.3)
        level = vessel.water_level_m if vessel.water_level_m is not None else 0.9
        rim = (vessel.height_m or level + 0.25)
        surfaces = list(c.tank(-half, half, rim))
        span = (-half, half)
    extra: tuple[tuple[str, object], ...] = ()
    if level > 0:
        extra = (("water_level_m", level), ("fluid_density_kg_m3", 1000.0),
                 ("drag_coefficient", 0.47), ("water_span_m", span))
    return surfaces, rim, extra


def in_water(cast: Cast) -> Parts:
    """Bodies let go inside water (a tank, a bowl, or under the sea): they sink or float."""
    spec, lead = cast.spec, cast.lead
    row = in_row(cast.all_movers())
    width = row[-1][1] - row[0][1] + max(p.w for p, _ in row)
    extra: tuple[tuple[str, object], ...]
    if spec.environment == "underwater" and lead.on not in ("tank", "bowl"):
        level, surfaces, extra = 1.6, [c.floor(-3, 3)], (("water_level_m", 1.6),)
    else:
        kind = lead.on if lead.on in ("tank", "bowl") else "tank"
        vessel, _, extra = water_vessel(cast, kind, width)
        surfaces = [c.floor(-3, 3), *vessel]
        level = float(dict(extra).get("water_level_m", 0.5))  # type: ignore[arg-type]
    start = lead.height_m if lead.height_m is not None else (
        level - max(p.h for p, _ in row) * 0.6 if lead.on == "bowl" else level / 2)
    bodies: list[Body] = [p.at(x, max(0.0, start)) for p, x in row]
    others, _ = rest_groups(cast, width / 2 + 0.8)
    return parts(bodies + others, surfaces, extra=extra)


def throw(cast: Cast) -> Parts:
    """The lead thrown or launched from a hand's height; what rests waits where it lands."""
    lead, g = cast.lead, cast.g
    launched = lead.action == "launched"
    v = lead.speed_m_s if lead.speed_m_s is not None else (6.0 if launched else 4.0)
    theta = math.radians(lead.angle_deg if lead.angle_deg is not None else
                         (45.0 if launched else 50.0))
    h = lead.height_m if lead.height_m is not None else (0.3 if launched else 1.0)
    vx, vy = v * math.cos(theta), v * math.sin(theta)
    t_land = (vy + math.sqrt(vy * vy + 2 * g * h)) / g if g > 0 else cast.spec.duration_s
    reach = min(vx * t_land, vx * cast.spec.duration_s)
    bodies: list[Body] = []
    for k, p in enumerate(cast.all_movers()):
        bottom = h - (p.h / 2 if p.round else 0.0)
        bodies.append(c.moving(p.at(-0.4 * k, max(bottom, 0.0)), vx, vy))
    surfaces: list[Surface] = [c.floor(-3, reach + 3)]
    first = cast.lead_pieces[0]
    if h - first.h / 2 > 0.05:
        top = h - first.h / 2
        surfaces.append(Surface("stand", "table", box(-0.35, top - 0.04, 0.05, top),
                                "table_wood"))
    others, end = rest_groups(cast, max(0.4, _meets(h, vx, vy, g, cast) - first.w / 2))
    right = max(reach + 0.6, 1.5, end + 0.8)
    surfaces += named_wall(cast, right) or [backstop(right, 20.0)]
    return parts(bodies + others, surfaces)


def _meets(h: float, vx: float, vy: float, g: float, cast: Cast) -> float:
    """Where a thrown body comes down to half the height of what waits for it (so it hits)."""
    target = max((group[0].h * (len(group) if group[0].group.arrangement == "stack" else 1)
                  for group in cast.resting), default=0.0)
    y = 0.5 * target
    if g <= 0 or vx <= 0:
        return 1.0
    t = (vy + math.sqrt(max(vy * vy + 2 * g * (h - y), 0.0))) / g
    return vx * t


def run_along(cast: Cast) -> Parts:
    """Movers pushed or rolled along the floor or a table top, into whatever rests ahead."""
    spec, lead, g = cast.spec, cast.lead, cast.g
    if lead.kind == "domino" and lead.count > 1:
        return domino_run(cast)
    if lead.on == "table" and not lead.off_edge:
        return along_table(cast)
    on_table = lead.on == "table"
    top = (c.fixture(spec, "table").height_m or 0.8) if on_table else 0.0
    movers = cast.all_movers()
    lead_piece = movers[0]
    start = -0.5 if on_table else -1.2
    hits = bool(cast.resting) or lead.target is not None
    default = 0.9 if on_table else 2.5 if hits else 1.5
    # A box slides as far as its start speed carries it against friction: past the target.
    v = rolling_speed(lead_piece, lead.speed_m_s, default,
                      0.55 if on_table else 1.6 if hits else 1.0, g)
    bodies: list[Body] = []
    x = start
    for k, p in enumerate(movers):
        x -= 0 if k == 0 else (p.w + 0.12)
        head_on = p.group.target is not None and p.group.target == lead.name
        if head_on:
            bodies.append(c.moving(p.at(-start + 0.4, top), -v))
        else:
            bodies.append(c.moving(p.at(x, top), v))
    surfaces: list[Surface] = [c.floor(start - 3, 6)]
    landing = 0.2
    if on_table:
        length = max(1.2, -x + 0.4)
        surfaces.append(c.table(-length, 0.0, top))
        on_it = [g_ for g_ in cast.resting if g_[0].group.on == "table"]
        if on_it:
            placed, _ = c.place_group(on_it[0], -0.12 - on_it[0][0].w, top)
            bodies += placed
        cast = Cast(cast.spec, cast.g, cast.lead, cast.movers,
                    [g_ for g_ in cast.resting if g_[0].group.on != "table"])
        # What waits on the floor stands where the body comes down, so it is hit.
        landing = 0.8 * v * math.sqrt(2 * top / g) if g > 0 else 0.6
    others, end = rest_groups(cast, landing if on_table else -0.1)
    wall_x = max(end + 1.0, (0.0 if on_table else start) + 3.2)
    if spec.fixture("wall") and not cast.resting:
        wall_x = 0.6 if not on_table else 1.2
    surfaces += named_wall(cast, wall_x) or [backstop(wall_x)]
    return parts(bodies + others, surfaces)


def along_table(cast: Cast) -> Parts:
    """Movers rolled or pushed along a long table top that they stay on; what rests on the
    table waits ahead of them, what rests elsewhere stands on the floor past the table."""
    spec, lead, g = cast.spec, cast.lead, cast.g
    top = c.fixture(spec, "table").height_m or 0.8
    movers = cast.all_movers()
    v = rolling_speed(movers[0], lead.speed_m_s, 0.9, 0.7, g)
    bodies: list[Body] = []
    x = -1.3
    for k, p in enumerate(movers):
        x -= 0 if k == 0 else (p.w + 0.12)
        bodies.append(c.moving(p.at(x, top), v))
    on_it = [grp for grp in cast.resting if grp[0].group.on in ("table", None)]
    ahead = -1.3 + movers[0].w / 2 + 0.45
    for group in on_it:
        placed, ahead = c.place_group(group, ahead, top, arrangement=group[0].group.arrangement)
        bodies += placed
        ahead += 0.15
    rest = Cast(spec, g, lead, cast.movers, [grp for grp in cast.resting if grp not in on_it])
    others, end = rest_groups(rest, 1.4)
    surfaces = [c.floor(x - 1, max(end, 1.4) + 1), c.table(min(x, -1.3) - 0.3, 1.0, top)]
    return parts(bodies + others, surfaces)


def domino_run(cast: Cast) -> Parts:
    """A line of dominoes, the first tipped past its balance point, on the floor or a table."""
    spec, lead = cast.spec, cast.lead
    top = (c.fixture(spec, "table").height_m or 0.8) if lead.on == "table" else 0.0
    line = cast.lead_pieces
    placed, end = c.place_group(line, 0.0, top, arrangement="line")
    first = line[0]
    tilt = -math.radians(15.0)
    # Tilted onto its front edge, past its balance point: that is the push.
    cx = first.w / 2 - (math.cos(tilt) * first.w / 2 + math.sin(tilt) * first.h / 2)
    cy = top - math.sin(tilt) * first.w / 2 + math.cos(tilt) * first.h / 2
    tipped = Block(first.name, first.w, first.h, first.material, first.colour, cx, cy + 1e-4,
                   tilt, depth_m=0.5 * first.h, restitution=first.group.bounciness)
    bodies: list[Body] = [tipped, *placed[1:]]
    others, end2 = rest_groups(cast, end + 0.6 * first.h, top)
    surfaces: list[Surface] = [c.floor(-1, max(end, end2) + 1)]
    if top > 0:
        surfaces.append(c.table(-0.4, max(end, end2) + 0.4, top))
    return parts(bodies + others, surfaces)


def down_ramp(cast: Cast) -> Parts:
    """Movers from the top of a ramp (rolling or sliding), out along the floor at its foot."""
    spec = cast.spec
    ramp_spec = c.fixture(spec, "ramp")
    boxy = not cast.lead_pieces[0].round
    theta = math.radians(ramp_spec.angle_deg or (36.0 if boxy else 25.0))
    length = ramp_spec.length_m or 1.6
    wedge, base, rise = c.ramp(theta, length)
    bodies: list[Body] = []
    s = 0.08 * length
    v = cast.lead.speed_m_s or 0.0
    for p in cast.all_movers():
        s_mid = s + p.w / 2
        lift = p.h / 2
        cx = -base + s_mid * math.cos(theta) + lift * math.sin(theta)
        cy = rise - s_mid * math.sin(theta) + lift * math.cos(theta)
        body = p.at(cx, cy - p.h / 2, v * math.cos(theta), -v * math.sin(theta),
                    angle=0.0 if p.round else -theta)
        bodies.append(body)
        s += p.w + 0.05
    others, end = rest_groups(cast, 0.05)
    run = max(2.3, end + 1.0)
    surfaces = [c.floor(-base - 0.2, run), wedge]
    surfaces += named_wall(cast, run) or [backstop(run, rise + 2.0)]
    return parts(bodies + others, surfaces)


def down_steps(cast: Cast) -> Parts:
    """Movers set off from the top step of a staircase and bounce down it."""
    stairs = c.fixture(cast.spec, "steps")
    count = stairs.steps or 5
    rise = (stairs.height_m or 0.75) / count
    run = 0.32
    surfaces: list[Surface] = [c.floor(-count * run - 0.5, 3), *c.steps(count, rise, run)]
    v = cast.lead.speed_m_s if cast.lead.speed_m_s is not None else 0.8
    bodies: list[Body] = []
    x = -count * run + 0.05
    for p in cast.all_movers():
        bodies.append(c.moving(p.at(x + p.w / 2, count * rise), v))
        x -= p.w + 0.1
    others, end = rest_groups(cast, 0.8)
    wall_x = max(2.4, end + 1.0)
    surfaces += named_wall(cast, wall_x) or [backstop(wall_x)]
    return parts(bodies + others, surfaces)


def hanging(cast: Cast) -> Parts:
    """Pendulums on strings: one, several side by side, a Newton's cradle, or a wrecking ball
    swinging into what rests at the bottom of its arc."""
    spec, lead = cast.spec, cast.lead
    link = spec.link_of(lead.name)
    pieces = cast.lead_pieces
    r = pieces[0].w / 2
    length = link.length_m if link and link.length_m else (2.0 if r > 0.15 else 1.0)
    cradle = lead.arrangement == "cradle"
    hits = bool(cast.resting)
    amp = math.radians(lead.angle_deg if lead.angle_deg is not None else
                       (35.0 if cradle else 50.0 if hits else 20.0))
    top = length + r + (0.04 if hits else 0.3)
    pitch = 2 * r + 1e-4 if cradle else max(0.35, 4 * r)
    balls: list[Body] = []
    links: list[Link] = []
    for k, p in enumerate(pieces):
        x = (k - (len(pieces) - 1) / 2) * pitch
        angle = (-amp if k == 0 else 0.0) if cradle or hits else amp
        if lead.action == "rest":
            angle = 0.0
        balls.append(p.at(x + length * math.sin(angle), top - length * math.cos(angle) - r))
        links.append(Link(f"string {p.name}", "string", p.name, (x, top)))
    others, end = rest_groups(cast, r + 0.02)
    half = max(0.8, abs(pitch * (len(pieces) - 1) / 2) + length * math.sin(amp) + 0.4,
               end + 0.3)
    surfaces = [c.floor(-half, half), c.beam(-half + 0.1, half - 0.1, top)]
    extra = (("contact_restitution", 1.0),) if cradle else ()
    return parts(balls + others, surfaces, tuple(links), extra)


def spring(cast: Cast) -> Parts:
    """A body hanging from a coiled spring, pulled down and let go."""
    lead = cast.lead
    link = cast.spec.link_of(lead.name)
    p = cast.lead_pieces[0]
    k = link.stiffness_n_m if link and link.stiffness_n_m else 40.0
    rest = link.length_m if link and link.length_m else 0.5
    mass = material(p.material).density_kg_m3 * p.w * p.h * min(p.w, p.h, 0.3)
    if p.round:
        mass = material(p.material).density_kg_m3 * 4 / 3 * math.pi * (p.w / 2) ** 3
    stretch = 0.15 if lead.action != "rest" else 0.0
    g = cast.g
    top = rest + mass * g / k + stretch + p.h + 0.6
    y_eq = top - rest - mass * g / k - p.h / 2
    body = p.at(0.0, y_eq - stretch - p.h / 2)
    link_ = Link("spring", "spring", p.name, (0.0, top), (0.0, p.h / 2), k, rest, 0.0)
    others, _ = rest_groups(cast, 0.6)
    surfaces = [c.floor(-1.0, 1.0), c.beam(-0.4, 0.4, top)]
    return parts([body, *others], surfaces, (link_,))


def seesaw(cast: Cast) -> Parts:
    """A plank on a fulcrum with loads on either side (a dropped load falls onto its end)."""
    spec = cast.spec
    pivot_link = next(x for x in spec.links if x.kind == "pivot")
    plank_group = next(b for b in spec.bodies if b.name == pivot_link.body)
    plank = c.pieces(plank_group)[0]
    length = plank.w
    pivot_h, thick = 0.35, min(plank.h, 0.04)
    board = Block(plank.name, length, thick, plank.material, plank.colour, 0.0,
                  pivot_h + thick / 2, depth_m=0.2)
    loads = [p for group in cast.movers + cast.resting for p in group
             if p.group.name != plank_group.name]
    bodies: list[Body] = [board]
    for k, p in enumerate(loads[:4]):
        sign = -1.0 if k % 2 == 0 else 1.0
        x = sign * (0.3 * length + 0.1 * (k // 2) + (0.1 if sign > 0 else 0.0))
        y = pivot_h + thick
        if p.group.action in ("dropped", "thrown"):
            y += p.group.height_m if p.group.height_m is not None else 1.0
        bodies.append(p.at(x, y))
    fulcrum = Surface("fulcrum", "fulcrum", ((-0.12, 0.0), (0.12, 0.0), (0.0, pivot_h)), "wood")
    pivot = Link("pivot", "pivot", plank.name, (0.0, pivot_h + thick / 2))
    return parts(bodies, [c.floor(-length, length), fulcrum], (pivot,))


def tower(cast: Cast) -> Parts:
    """A stack of blocks: leaning past its base it topples when let go, straight it stands."""
    p0 = cast.lead_pieces[0]
    # Each block set out far enough that the blocks above the bottom one have their centre of
    # mass past its edge: a stack told to topple does.
    lean = max(0.3, 1.1 / max(1, len(cast.lead_pieces) - 1)) * p0.w
    lean = lean if cast.lead.action != "rest" else 0.0
    bodies: list[Body] = [p.at(k * lean, k * p.h) for k, p in enumerate(cast.lead_pieces)]
    others, end = rest_groups(cast, len(bodies) * lean + p0.w + 0.8)
    top = len(bodies) * p0.h
    return parts(bodies + others, [c.floor(-top, max(top * 1.5, end + 0.5))])


def top_down(cast: Cast) -> Parts:
    """Seen from above on felt: the lead struck into a triangle rack of the resting balls."""
    lead_piece = cast.lead_pieces[0]
    r = lead_piece.w / 2
    v = cast.lead.speed_m_s or 5.0
    cue = Ball(lead_piece.name, r, lead_piece.material, lead_piece.colour, -0.75, 0.0, v, 0.0,
               restitution=cast.lead.bounciness)
    rack_pieces = [p for group in cast.resting for p in group] or [
        p for group in cast.movers[1:] for p in group]
    rack: list[Ball] = []
    dx = 2 * r * math.cos(math.radians(30)) + 1e-4
    row, k = 0, 0
    while len(rack) < len(rack_pieces):
        for j in range(row + 1):
            if len(rack) == len(rack_pieces):
                break
            p = rack_pieces[len(rack)]
            y = (j - row / 2) * (2 * r + 1e-4)
            rack.append(Ball(p.name, p.w / 2, p.material, p.colour, 0.35 + row * dx, y))
        row += 1
        k += 1
    w, h, cushion = 1.27, 0.635, 0.06
    rails = (box(-w - cushion, -h - cushion, w + cushion, -h),
             box(-w - cushion, h, w + cushion, h + cushion),
             box(-w - cushion, -h, -w, h), box(w, -h, w + cushion, h))
    surfaces = tuple(Surface(f"cushion{j}", "cushion", poly, "rubber")
                     for j, poly in enumerate(rails, 1))
    view = (-w - 0.1, w + 0.1, -h - 0.1, h + 0.1)
    extra = (("top_down", True), ("table_friction_m_s2", 0.25))
    return Parts((cue, *rack), surfaces, view, extra=extra)


def station(cast: Cast) -> Parts:
    """Inside a space-station module: pushed bodies drift in straight lines, the rest float."""
    half_w, half_h = 2.2, 1.15
    v = cast.lead.speed_m_s if cast.lead.speed_m_s is not None else 0.5
    bodies: list[Body] = []
    for k, p in enumerate(cast.all_movers()):
        direction = (1.0, 0.12) if k % 2 == 0 else (-0.6, -0.1)
        start = (-1.4 + 0.5 * (k // 2), 0.6 + 0.5 * (k // 2)) if k % 2 == 0 else (
            1.2 - 0.5 * (k // 2), 1.6 - 0.4 * (k // 2))
        body = p.at(start[0], start[1] - p.h / 2)
        bodies.append(c.moving(body, v * direction[0], v * direction[1]))
    for k, p in enumerate(q for group in cast.resting for q in group):
        bodies.append(p.at(-0.3 + 0.5 * k, 1.0))
    walls = (box(-half_w - 0.2, -0.2, half_w + 0.2, 0.0),
             box(-half_w - 0.2, 2 * half_h, half_w + 0.2, 2 * half_h + 0.2),
             box(-half_w - 0.2, 0.0, -half_w, 2 * half_h),
             box(half_w, 0.0, half_w + 0.2, 2 * half_h))
    surfaces = tuple(Surface(f"panel{k}", "panel", poly, "wall_paint")
                     for k, poly in enumerate(walls, 1))
    balls, blocks = split(bodies)
    view = (-half_w - 0.05, half_w + 0.05, -0.05, 2 * half_h + 0.05)
    return Parts(balls, surfaces, view, blocks)


def still(cast: Cast) -> Parts:
    """Nothing is done to anything: the groups stand on the floor or the table."""
    on_table = cast.lead.on == "table"
    top = (c.fixture(cast.spec, "table").height_m or 0.8) if on_table else 0.0
    everything = Cast(cast.spec, cast.g, cast.lead, [], cast.movers + cast.resting)
    bodies, end = rest_groups(everything, -0.4, top)
    surfaces: list[Surface] = [c.floor(-1, end + 1)]
    if on_table:
        surfaces.append(c.table(-0.7, end + 0.3, top))
    return parts(bodies, surfaces)
