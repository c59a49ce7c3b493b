"""What happened in a simulation: release, leaving an edge, contacts, apexes, coming to rest.

Events are read from the sampled tracks plus a per-step log of which surfaces each ball touched.
Contacts are debounced (a ball must have been off a surface for `REBOUND_S` before touching it
again counts) so the engine's sub-millimetre chatter at rest does not read as a bounce.
"""

from __future__ import annotations

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
            "apex": f"the {self.body} at the top of its {nth} bounce",
            "rest": f"the {self.body} comes to rest",
        }
        return words.get(self.kind, f"{self.kind} of the {self.body}")


class ContactLog:
    """Which surfaces each ball touched at each step, with the contact normals."""

    def __init__(self, steps: int, balls: list[str]) -> None:
        self.touching: dict[str, list[dict[str, tuple[float, float]]]] = {
            b: [{} for _ in range(steps)] for b in balls
        }

    def record(self, step: int, ball: str, contacts: dict[str, tuple[float, float]]) -> None:
        self.touching[ball][step] = contacts


def detect_events(
    world: World, tracks: dict[str, BodyTrack], log: ContactLog, dt: float
) -> list[Event]:
    """All events of all balls, sorted by time then ball name."""
    kinds = {s.name: s.kind for s in world.surfaces}
    events: list[Event] = []
    for name, track in tracks.items():
        touching = log.touching[name]
        events.append(Event(0.0, name, "release"))
        events += _contacts(name, track, touching, dt)
        events += _edges(name, track, touching, kinds, dt)
        events += _apexes(name, track, touching)
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
