"""`gravity`: airborne objects accelerate downward at one common, constant rate.

The rule reads the whole-track account (`tools.judges.accounting`): every airborne piece of
every track must be a flight under the clip's gravity; a glide, a hover, a rise that speeds up,
a fall that slows, a bounce or a sharp turn in mid-air is a fault with its span and numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tools.judges.accounting import Piece
from tools.judges.checks.base import Scene, rnd, verdict
from tools.schema import RuleVerdict, ShotPlan


def expected_accel(plan: ShotPlan | None) -> tuple[float | None, bool]:
    """Expected downward acceleration in px/s² (None when the scale is unknown), weightless?"""
    if plan is None:
        return None, False
    weightless = plan.gravity_m_s2 < 0.5
    if plan.px_per_m is None:
        return None, weightless
    return plan.gravity_m_s2 * plan.px_per_m, weightless


def rate_words(accel: float, plan: ShotPlan | None) -> str:
    """An acceleration in the units a reader can check: g when the scale is known."""
    if plan is not None and plan.px_per_m:
        return f"{accel / plan.px_per_m / 9.81:.2f} g"
    return f"{accel:.0f} px/s²"


def _fault_words(piece: Piece, plan: ShotPlan | None) -> tuple[str, float]:
    """What a fault piece shows, in words a reader can check, and how sure that is."""
    n, k = piece.numbers, piece.track
    where = f"from {piece.t0:.2f} s to {piece.t1:.2f} s"
    v0, v1 = abs(n.get("v0_px_s", 0.0)), abs(n.get("v1_px_s", 0.0))
    if piece.kind == "glide":
        ratio = n.get("ratio_to_gravity")
        rate = f", {ratio:.2f} of gravity" if ratio is not None else ""
        long = piece.duration >= 0.4 and (ratio is None or abs(ratio) < 0.15)
        return (f"object {k} moves at a constant speed of {0.5 * (v0 + v1):.0f} px/s through "
                f"the air {where} (acceleration {n.get('accel_px_s2', 0.0):.0f} px/s²{rate}): "
                "it glides instead of falling faster", 0.9 if long else 0.8)
    if piece.kind == "hover":
        return (f"object {k} hangs still in mid-air {n.get('height_px', 0.0):.0f} px above the "
                f"lowest point it reaches, {where}, with nothing under it", 0.85)
    if piece.kind == "speeding_rise":
        return (f"object {k} speeds up while rising {where} ({v0:.0f} -> {v1:.0f} px/s): "
                "gravity slows a rise", 0.8)
    if piece.kind == "slowing_fall":
        return (f"object {k} slows down while falling {where} ({v0:.0f} -> {v1:.0f} px/s) with "
                "nothing to brake it", 0.75)
    if piece.kind == "midair_bounce":
        return (f"object {k} bounces back up at {piece.t0:.2f} s, {n.get('height_px', 0.0):.0f}"
                " px above the lowest point it reaches, with nothing under it to bounce on", 0.85)
    if piece.kind == "sharp_turn":
        return (f"object {k} turns from rising ({abs(n['vy_before_px_s']):.0f} px/s) to falling "
                f"({abs(n['vy_after_px_s']):.0f} px/s) at once at {piece.t0:.2f} s: gravity turns "
                "a rise over gradually", 0.75)
    if piece.kind == "kick":
        return (f"object {k}'s speed through the air changes at once at {piece.t0:.2f} s "
                f"({n['vy_before_px_s']:.0f} -> {n['vy_after_px_s']:.0f} px/s downward) with "
                "nothing touching it", 0.7)
    accel = n.get("accel_px_s2", 0.0)
    g = plan.gravity_m_s2 if plan else 9.81
    ratio = abs(n.get("ratio_to_gravity", 1.0))
    expected = f", expected about {g / 9.81:.2f} g" if plan is not None and plan.px_per_m else ""
    return (f"object {k}: {where} the measured acceleration is {rate_words(accel, plan)}"
            f"{expected}", 0.85 if ratio < 0.45 or ratio > 2.2 else 0.7)


def where_list(pieces: list[Piece]) -> list[dict[str, Any]]:
    """The pieces as the verdict's `where`: what the report draws."""
    return [{"track": p.track, "t0": rnd(p.t0), "t1": rnd(p.t1), "kind": p.kind} for p in pieces]


def _inconsistent(flights: list[Piece]) -> tuple[Piece, float] | None:
    """A flight whose rate is far from the common (median) rate, with that rate."""
    if len(flights) < 2:
        return None
    rates = [p.numbers["accel_px_s2"] for p in flights]
    common = float(np.median(rates))
    for piece, rate in zip(flights, rates, strict=True):
        ratio = rate / common if common > 0 else math.inf
        off = ratio < 1 / 1.6 or ratio > 1.6
        if off and abs(rate - common) > 3 * piece.numbers["accel_se_px_s2"]:
            return piece, common
    return None


def check_gravity(scene: Scene) -> RuleVerdict:
    """Gravity: every airborne piece of every track falls (and rises) under one steady rate;
    nothing glides, hovers, speeds up rising, slows falling or turns back in mid-air."""
    plan = scene.plan
    account = scene.account
    assert account is not None
    _, weightless = expected_accel(plan)
    # Flights whose rate is measured to within 15%: little hops at the floor are explained as
    # flights too, but their few pixels say little about the rate.
    flights = [p for p in account.pieces if p.kind == "flight" and "accel_px_s2" in p.numbers
               and p.numbers["accel_se_px_s2"] < 0.15 * abs(p.numbers["accel_px_s2"])]
    scene.data["segments"] = [_segment_dict(p, plan) for p in flights]
    scene.data["gravity_px_s2"] = account.as_dict()["gravity_px_s2"]
    faults = account.faults("gravity")
    if faults:
        worded = [(p, *_fault_words(p, plan)) for p in faults]
        piece, evidence, conf = max(worded, key=lambda w: (w[2], w[0].duration))
        more = f" ({len(faults)} faults in all)" if len(faults) > 1 else ""
        return verdict("gravity", "violated", conf, evidence + more, (piece.t0, piece.t1),
                       where_list(faults))
    odd = None if weightless else _inconsistent(flights)
    if odd:
        piece, common = odd
        evidence = (
            f"objects fall at different rates: object {piece.track} accelerates at "
            f"{rate_words(piece.numbers['accel_px_s2'], plan)} from {piece.t0:.2f} s to "
            f"{piece.t1:.2f} s, the others at about {rate_words(common, plan)}"
        )
        return verdict("gravity", "violated", 0.7, evidence, (piece.t0, piece.t1),
                       where_list([piece]))
    if not flights:
        evidence = "no airborne stretch long and tall enough to measure an acceleration"
        return verdict("gravity", "unclear", 0.2, evidence)
    rate = rate_words(float(np.median([p.numbers["accel_px_s2"] for p in flights])), plan)
    verb = "drift at constant velocity" if weightless else f"accelerate downward at about {rate}"
    evidence = f"{len(flights)} airborne stretch(es) {verb}, steadily and consistently"
    span = (min(p.t0 for p in flights), max(p.t1 for p in flights))
    return verdict("gravity", "followed", min(0.95, 0.7 + 0.08 * len(flights)), evidence, span)


def _segment_dict(piece: Piece, plan: ShotPlan | None) -> dict[str, Any]:
    accel = piece.numbers["accel_px_s2"]
    accel_g = rnd(accel / plan.px_per_m / 9.81) if plan is not None and plan.px_per_m else None
    return {
        "track": piece.track,
        "t0": rnd(piece.t0),
        "t1": rnd(piece.t1),
        "points": int(piece.numbers.get("points", 0)),
        "accel_px_s2": rnd(accel),
        "accel_se_px_s2": rnd(piece.numbers["accel_se_px_s2"]),
        "accel_g": accel_g,
        "drop_px": rnd(piece.numbers["drop_px"]),
    }
