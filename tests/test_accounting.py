"""Whole-track accounting on trajectories whose answer is known exactly (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from tools.judges.accounting import Body, Physics, account

FPS = 24
G = 900.0  # px/s²
FLOOR = 200.0  # the ball's centre when it touches the floor


def _body(y: np.ndarray, x: np.ndarray | None = None, seed: int = 0, noise: float = 0.2) -> Body:
    rng = np.random.default_rng(seed)
    t = np.arange(len(y)) / FPS
    x = 50 + 40 * t if x is None else x
    return Body(0, t, x + rng.normal(0, noise, len(t)), y + rng.normal(0, noise, len(t)),
                10.0, noise, np.zeros(len(t), dtype=bool))


def _floor(x: float, bottom: float, half: float, reach: float) -> bool:
    """A floor whose top is where the ball's bottom touches it."""
    return abs(bottom - (FLOOR + 10.0)) <= 2.0 + reach


def _bounces(seconds: float = 3.0, drop: float = 150.0, e: float = 0.7) -> np.ndarray:
    t = np.arange(round(seconds * FPS)) / FPS
    y = np.empty_like(t)
    start, height, v = 0.0, drop, 0.0  # v: upward speed
    for i, now in enumerate(t):
        s = now - start
        h = height + v * s - 0.5 * G * s * s
        while h < 0:
            land = (v + np.sqrt(v * v + 2 * G * height)) / G
            start, height, v = start + land, 0.0, e * (G * land - v)
            s = now - start
            h = v * s - 0.5 * G * s * s if v > 20 else 0.0
            if v <= 20:
                v = 0.0
                break
        y[i] = FLOOR - max(h, 0.0)
    return y


def _kinds(y: np.ndarray, gravity: float | None = G, **kw) -> list[str]:
    result = account([_body(y, **kw)], Physics(gravity=gravity, diagonal=500.0, support=_floor))
    return [p.kind for p in result.pieces]


@pytest.mark.parametrize("gravity", [G, None])
def test_a_true_bouncing_fall_is_explained_whole(gravity):
    y = _bounces()
    result = account([_body(y)], Physics(gravity=gravity, diagonal=500.0, support=_floor))
    assert not result.faults(), [(p.kind, p.t0, p.t1) for p in result.pieces]
    kinds = {p.kind for p in result.pieces}
    assert {"flight", "contact"} <= kinds
    assert result.coverage > 0.9
    if gravity is None:
        assert result.gravity == pytest.approx(G, rel=0.05) and result.gravity_source == "clip"


def test_a_fall_at_constant_speed_is_a_glide():
    y = np.minimum(50 + 100 * np.arange(72) / FPS, FLOOR)
    assert "glide" in _kinds(y)
    assert "glide" in _kinds(y, gravity=None)


def test_a_ball_held_still_in_mid_air_hovers():
    y = _bounces()
    y[30:50] = y[30]  # halts 0.8 s wherever it was
    assert "hover" in _kinds(y)


def test_a_rise_that_speeds_up_is_named():
    t = np.arange(24) / FPS
    rise = FLOOR - 0.5 * 400 * t**2  # accelerating upward from the floor
    y = np.concatenate([_bounces(1.0)[:-1], rise])
    assert "speeding_rise" in _kinds(y)


def test_a_fall_that_slows_is_named_but_not_in_water():
    t = np.arange(14) / FPS
    y = 60 + 300 * t - 0.5 * 400 * t**2  # falls, braking as it goes
    kinds = _kinds(y)
    assert "slowing_fall" in kinds
    wet = account([_body(y)], Physics(gravity=G, fluid=True, diagonal=500.0, support=_floor))
    assert not wet.faults()


def _flight(y0: float, v0: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * FPS)) / FPS
    return y0 + v0 * t + 0.5 * G * t**2


def test_a_bounce_above_the_floor_is_a_midair_bounce():
    down = _flight(50.0, 0.0, 0.45)  # falls 90 px, to 60 px above the floor
    up = _flight(float(down[-1]), -300.0, 0.9)  # turns back up there, then falls to the floor
    y = np.minimum(np.concatenate([down, up]), FLOOR)
    kinds = _kinds(y)
    assert "midair_bounce" in kinds
    assert "contact" not in kinds[: kinds.index("midair_bounce")]


def test_straight_lines_to_and_from_an_apex_turn_sharply_and_glide():
    t = np.arange(30) / FPS
    apex = t[15]
    y = 100 + 240 * np.abs(t - apex)  # a V: up at constant speed, down at constant speed
    kinds = _kinds(y)
    assert "sharp_turn" in kinds and "glide" in kinds
    parabola = 100 + 0.5 * G * (t - apex) ** 2
    assert not account([_body(parabola)], Physics(gravity=G, diagonal=500.0)).faults()


def test_little_hops_at_the_floor_are_settling_not_faults():
    y = _bounces()
    rng = np.random.default_rng(3)
    tail = y > FLOOR - 8
    y[tail] += rng.uniform(-3, 3, int(tail.sum()))  # a blob bobbing with its shadow
    result = account([_body(y)], Physics(gravity=G, diagonal=500.0, support=_floor))
    assert not result.faults(), [(p.kind, p.t0, p.t1) for p in result.pieces if p.rule]


def test_coverage_counts_what_could_be_checked():
    y = _bounces()
    result = account([_body(y, noise=6.0)], Physics(gravity=G, diagonal=500.0, support=_floor))
    clean = account([_body(y)], Physics(gravity=G, diagonal=500.0, support=_floor))
    assert clean.coverage > result.coverage or result.coverage < 1.0
