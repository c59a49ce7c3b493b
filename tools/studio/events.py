"""What happened in a simulation: release, leaving an edge, contacts, collisions, apexes,
toppling and coming to rest.

Events are read from the sampled tracks plus a per-step log of what each body touched (surfaces
by name, other bodies as '@name'). Contacts are debounced (a body must have been off a surface for
`REBOUND_S` before touching it again counts) so the engine's sub-millimetre chatter at rest does
not read as a bounce. A block topples when it turns past its tipping angle atan(w/h), the angle
at which its centre of mass passes over the edge it pivots on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tools.studio.scenes import World
    from tools.studio.simulate import BodyTrack

REBOUND_S = 0.03
MIN_IMPACT_M_S = 0.15
MIN_APEX_RISE_M = 0.005
REST_SPEED_M_S = 0.02
SUPPORT_KINDS = ("table", "ramp")
TOPPLE_MARGIN_RAD = 0.1


@dataclass(frozen=True)
class Event:
    """A moment worth a keyframe. `index` counts contacts/apexes per ball, from 1."""

    t: float
    body: str
    kind: str
    surface: str = ""
    index: int = 0
    speed_m_s: float = 0.0

    def describe(self) -> str:
        """Plain words for a keyframe description."""
        nth = {1: "first", 2: "second", 3: "third"}.get(self.index, f"{self.index}th")
        words = {
            "release": f"the {self.body} is released",
            "edge": f"the {self.body} leaves the edge of the {self.surface}",
            "contact": f"{nth} contact of the {self.body} with the {self.surface}",
            "collision": f"the {self.body} collides with the {self.surface}",
            "apex": f"the {self.body} at the top of its {nth} rise",
            "topple": f"the {self.body} tips past its balance point and topples",
            "turn": f"the {self.body} at the end of its {nth} swing",
            "rest": f"the {self.body} comes to rest",
        }
        return words.get(self.kind, f"{self.kind} of the {self.body}")


class ContactLog:
    """What each body touched at each step, with the contact normals (steps default to none)."""

    def __init__(self, steps: int, balls: list[str]) -> None:
        self.touching: dict[str, list[dict[str, tuple[float, float]]]] = {
            b: [{} for _ in range(steps)] for b in balls
        }

    def record(self, step: int, ball: str, contacts: dict[str, tuple[float, float]]) -> None:
        self.touching[ball][step] = contacts


def detect_events(
    world: World, tracks: dict[str, BodyTrack], log: ContactLog, dt: float
) -> list[Event]:
    """All events of all bodies, sorted by time then body name."""
    kinds = {s.name: s.kind for s in world.surfaces}
    # Toppling needs weight; a box spinning in weightlessness is not falling over.
    tipping = {b.name: math.atan2(b.width_m, b.height_m) + TOPPLE_MARGIN_RAD
               for b in world.blocks if world.gravity_m_s2 > 0}
    hanging = {link.body for link in world.links if link.kind == "string"}
    events: list[Event] = []
    for name, track in tracks.items():
        full = log.touching[name]
        touching = [{k: v for k, v in c.items() if not k.startswith("@")} for c in full]
        events.append(Event(0.0, name, "release"))
        events += _contacts(name, track, touching, dt)
        events += _collisions(name, tracks, full, dt)
        if name in tipping:
            events += _topple(name, track, tipping[name])
        events += _edges(name, track, touching, kinds, dt)
        events += _apexes(name, track, full)
        if name in hanging:
            events += _turns(name, track)
        events += _rest(name, track, touching, dt)
    return sorted(events, key=lambda e: (e.t, e.body))


def _contacts(
    name: str, track: BodyTrack, touching: list[dict[str, tuple[float, float]]], dt: float
) -> list[Event]:
    gap = max(1, round(REBOUND_S / dt))
    last_seen: dict[str, int] = {s: 0 for s in touching[0]}
    found: list[Event] = []
    for i in range(1, len(touching)):
        for surface, normal in touching[i].items():
            seen = last_seen.get(surface)
            last_seen[surface] = i
            # Settling onto the surface it starts on is not a contact event.
            if i < gap or (seen is not None and i - seen < gap):
                continue
            speed = abs(track.vx[i - 1] * normal[0] + track.vy[i - 1] * normal[1])
            if speed >= MIN_IMPACT_M_S or seen is None:
                found.append(Event(float(track.t[i]), name, "contact", surface, 0, float(speed)))
    return [
        Event(e.t, e.body, e.kind, e.surface, k, e.speed_m_s) for k, e in enumerate(found, 1)
    ]


def _collisions(
    name: str, tracks: dict[str, BodyTrack], touching: list[dict[str, tuple[float, float]]],
    dt: float,
) -> list[Event]:
    """First touches between two bodies closing faster than `MIN_IMPACT_M_S`, told once per pair
    (by the body whose name sorts first) so a keyframe is not spent twice on one impact."""
    gap = max(1, round(REBOUND_S / dt))
    last_seen: dict[str, int] = {k: 0 for k in touching[0] if k.startswith("@")}
    found: list[Event] = []
    mine = tracks[name]
    for i in range(1, len(touching)):
        for key, normal in touching[i].items():
            other = key[1:]
            if not key.startswith("@") or other < name:
                continue
            seen = last_seen.get(key)
            last_seen[key] = i
            if seen is not None and i - seen < gap:
                continue
            theirs = tracks[other]
            rel = ((mine.vx[i - 1] - theirs.vx[i - 1]) * normal[0]
                   + (mine.vy[i - 1] - theirs.vy[i - 1]) * normal[1])
            if abs(rel) >= MIN_IMPACT_M_S:
                found.append(Event(float(mine.t[i]), name, "collision", other, 0, abs(float(rel))))
    return found


def _topple(name: str, track: BodyTrack, tipping_rad: float) -> list[Event]:
    """The moment a block turns past its tipping angle (once: it does not stand back up)."""
    turned = np.nonzero(np.abs(track.angle - track.angle[0]) > tipping_rad)[0]
    return [Event(float(track.t[turned[0]]), name, "topple")] if len(turned) else []


def _edges(
    name: str,
    track: BodyTrack,
    touching: list[dict[str, tuple[float, float]]],
    kinds: dict[str, str],
    dt: float,
) -> list[Event]:
    """Leaving a supporting surface into a real flight (not a hop onto the next surface)."""
    gap = max(1, round(REBOUND_S / dt))
    found = []
    for i in range(1, len(touching) - gap):
        for surface in touching[i - 1]:
            left = surface not in touching[i] and kinds.get(surface) in SUPPORT_KINDS
            if left and not any(touching[i : i + gap]):
                found.append(Event(float(track.t[i]), name, "edge", surface))
    return found


def _apexes(
    name: str, track: BodyTrack, touching: list[dict[str, tuple[float, float]]]
) -> list[Event]:
    """Tops of flights that rose measurably since the ball last left a surface."""
    found: list[Event] = []
    low = float(track.y[0])
    for i in range(1, len(track.t)):
        if touching[i]:
            low = float(track.y[i])
            continue
        if track.vy[i - 1] > 0 >= track.vy[i] and track.y[i] - low >= MIN_APEX_RISE_M:
            frac = track.vy[i - 1] / (track.vy[i - 1] - track.vy[i])
            t = float(track.t[i - 1] + frac * (track.t[i] - track.t[i - 1]))
            found.append(Event(t, name, "apex", "", len(found) + 1))
    return found


def _turns(name: str, track: BodyTrack) -> list[Event]:
    """A swinging body's turning points, where its sideways velocity changes sign after a real
    swing (one that reached `MIN_IMPACT_M_S`), so a hanging ball's jitter at rest is ignored."""
    found: list[Event] = []
    peak, sign = 0.0, np.sign(track.vx[0])
    for i in range(1, len(track.t)):
        peak = max(peak, abs(float(track.vx[i])))
        if np.sign(track.vx[i]) != sign and track.vx[i] != 0:
            if peak >= MIN_IMPACT_M_S:
                found.append(Event(float(track.t[i]), name, "turn", "", len(found) + 1))
            peak, sign = 0.0, np.sign(track.vx[i])
    return found


def _rest(
    name: str, track: BodyTrack, touching: list[dict[str, tuple[float, float]]], dt: float
) -> list[Event]:
    """The moment after which the ball stays slow and supported to the end (if it moved first)."""
    speed = np.hypot(track.vx, track.vy)
    moving = np.nonzero(speed >= REST_SPEED_M_S)[0]
    if len(moving) == 0:
        return []
    k = int(moving[-1]) + 1
    if k >= len(track.t) - round(0.2 / dt) or not touching[k]:
        return []
    return [Event(float(track.t[k]), name, "rest", next(iter(touching[k])))]
