"""The kinematics judge end to end on synthetic clips it has never seen, raw and through H.264."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.synthetic_clips import (
    ball_ys,
    bouncing_heights,
    keyframe_interpolate,
    render,
)
from tools.base import Judge, registry
from tools.errors import BadInputError, VideoReadError
from tools.judges.kinematics import KinematicsJudge, judge_frames, physics_score
from tools.media import write_video
from tools.schema import RuleVerdict, ShotPlan

FPS = 24


def _status(verdict, rule_id: str) -> str:
    return next(r.status for r in verdict.rules if r.id == rule_id)


MEASURED_ON_BOUNCES = ("gravity", "continuity", "permanence", "rigidity", "energy",
                      "time_direction", "penetration", "motion_present")


def _assert_clean(verdict) -> None:
    """A true bouncing fall: every rule that bounces can measure is followed, none violated."""
    statuses = {r.id: r.status for r in verdict.rules}
    assert statuses == dict.fromkeys(MEASURED_ON_BOUNCES, "followed"), [
        (r.id, r.status, r.evidence) for r in verdict.rules
    ]


def _times(seconds: float = 3.0) -> np.ndarray:
    return np.arange(round(seconds * FPS)) / FPS


def _through_h264(frames: np.ndarray, tmp_path: Path, plan: ShotPlan | None = None):
    path = write_video(frames, tmp_path / "clip.mp4", fps=FPS, crf=28)
    return KinematicsJudge().judge(path, plan)


def _free_fall_clip(
    kind: str, colour, radius: float, size: tuple[int, int], seed: int
) -> np.ndarray:
    width, height = size
    floor = int(height * 0.85)
    t = _times()
    heights = bouncing_heights(t, drop_px=0.6 * height, g_px=3.6 * height, restitution=0.7)
    xs = 0.15 * width + 0.1 * width * t
    return render(
        xs,
        ball_ys(heights, floor, radius),
        width=width,
        height=height,
        radius=radius,
        colour=colour,
        kind=kind,
        floor_y=floor,
        seed=seed,
    )


FREE_FALL_CASES = [
    ("plain", (220, 40, 40), 10.0, (426, 240), 0),
    ("gradient", (30, 160, 60), 7.0, (320, 240), 1),
    ("noise", (40, 90, 220), 14.0, (640, 360), 2),
    ("plain", (30, 30, 30), 12.0, (480, 272), 3),
]


@pytest.mark.parametrize(("kind", "colour", "radius", "size", "seed"), FREE_FALL_CASES)
def test_true_free_fall_with_bounces_follows_every_rule(kind, colour, radius, size, seed):
    verdict = judge_frames(_free_fall_clip(kind, colour, radius, size, seed), FPS)
    _assert_clean(verdict)
    assert verdict.physics > 0.95 and verdict.score == verdict.physics
    accel = [s["accel_px_s2"] for s in verdict.measurements["segments"]]
    assert np.allclose(accel, 3.6 * size[1], rtol=0.15)
    json.dumps(verdict.model_dump())  # measurements are plain JSON


@pytest.mark.parametrize("kind", ["gradient", "noise"])
def test_free_fall_survives_h264(kind, tmp_path):
    verdict = _through_h264(_free_fall_clip(kind, (230, 200, 30), 11.0, (426, 240), 5), tmp_path)
    _assert_clean(verdict)
    assert verdict.cost.seconds > 0


def test_scale_from_the_plan_reports_units_of_g():
    height, floor, radius = 240, 204, 10.0
    t = _times()
    px_per_m = 90.0
    heights = bouncing_heights(t, 150, 9.81 * px_per_m, 0.7)
    frames = render(60 + 30 * t, ball_ys(heights, floor, radius), height=height, floor_y=floor)
    plan = ShotPlan(prompt="a ball drops", generator_prompt="a ball drops", px_per_m=px_per_m)
    verdict = judge_frames(frames, FPS, plan)
    assert _status(verdict, "gravity") == "followed"
    assert all(abs(s["accel_g"] - 1.0) < 0.1 for s in verdict.measurements["segments"])
    moon = plan.model_copy(update={"gravity_m_s2": 1.62})
    verdict = judge_frames(frames, FPS, moon)
    assert _status(verdict, "gravity") == "violated"
    assert "expected about 0.17 g" in next(r.evidence for r in verdict.rules if r.id == "gravity")


def _linear_fall(tmp_path: Path, kind: str):
    t = _times()
    heights = np.clip(150 - 200 * t, 0, None)  # constant speed, then rest on the floor
    frames = render(
        60 + 30 * t, ball_ys(heights, 204, 10), floor_y=204, kind=kind, colour=(200, 60, 200)
    )
    return _through_h264(frames, tmp_path)


@pytest.mark.parametrize("kind", ["plain", "noise"])
def test_constant_speed_fall_violates_gravity(kind, tmp_path):
    verdict = _linear_fall(tmp_path, kind)
    gravity = next(r for r in verdict.rules if r.id == "gravity")
    assert gravity.status == "violated" and gravity.confidence >= 0.7
    assert "constant speed" in gravity.evidence and gravity.span is not None
    assert verdict.physics < 0.6


def _keyframed_fall(step_s: float, pin_contacts: bool = True) -> np.ndarray:
    """Straight lines between keyframes every `step_s`, plus one at each frame where the ball
    is lowest (as a planner pins contacts); without those, the lines cut each bounce short."""
    t = _times()
    heights = bouncing_heights(t, 150, 900, 0.7)
    truth = ball_ys(heights, 204, 10)
    keys = np.arange(0, t[-1] + step_s, step_s)
    if pin_contacts:
        lowest = np.flatnonzero((heights[1:-1] <= heights[:-2]) & (heights[1:-1] < heights[2:]))
        keys = np.union1d(keys, t[lowest + 1])
    return render(60 + 30 * t, keyframe_interpolate(t, truth, keys), floor_y=204, kind="gradient")


def test_dense_piecewise_linear_keyframes_pass_gravity():
    verdict = judge_frames(_keyframed_fall(0.08), FPS)
    assert _status(verdict, "gravity") == "followed"
    assert verdict.coverage is not None and verdict.coverage > 0.9


def test_keyframes_that_miss_the_contact_bounce_in_mid_air():
    """Lines from just before a contact to just after it turn the ball back above the floor."""
    verdict = judge_frames(_keyframed_fall(0.08, pin_contacts=False), FPS)
    gravity = next(r for r in verdict.rules if r.id == "gravity")
    assert gravity.status == "violated"
    assert any(w["kind"] == "midair_bounce" for w in gravity.where)


def test_two_keyframe_linear_fall_violates_gravity():
    t = _times()
    keys = np.array([0.0, np.sqrt(2 * 150 / 900), t[-1]])  # release, contact, end
    truth = ball_ys(np.clip(150 - 0.5 * 900 * t**2, 0, None), 204, 10)
    frames = render(60 + 30 * t, keyframe_interpolate(t, truth, keys), floor_y=204)
    assert _status(judge_frames(frames, FPS), "gravity") == "violated"


def test_straight_lines_between_contacts_and_apexes_violate_gravity():
    t = _times()
    heights = bouncing_heights(t, 150, 900, 0.7)
    turning = np.flatnonzero(np.diff(np.sign(np.diff(heights))) != 0) + 1
    keys = np.concatenate([[0.0], t[turning], [t[-1]]])
    frames = render(
        60 + 30 * t, keyframe_interpolate(t, ball_ys(heights, 204, 10), keys), floor_y=204
    )
    assert _status(judge_frames(frames, FPS), "gravity") == "violated"


def test_teleport_violates_continuity(tmp_path):
    t = _times()
    xs = 60 + 40 * t
    xs[40:] += 150
    frames = render(
        xs, ball_ys(bouncing_heights(t, 150, 900, 0.7), 204, 10), floor_y=204, kind="gradient"
    )
    verdict = _through_h264(frames, tmp_path)
    continuity = next(r for r in verdict.rules if r.id == "continuity")
    assert continuity.status == "violated" and "jumps" in continuity.evidence
    assert continuity.span == pytest.approx((39 / FPS, 40 / FPS), abs=0.05)
    assert _status(verdict, "permanence") == "followed"


def test_vanishing_mid_frame_violates_permanence(tmp_path):
    t = _times()
    xs = 60 + 40 * t
    ys = ball_ys(bouncing_heights(t, 150, 900, 0.7), 204, 10)
    xs[30:] = np.nan
    frames = render(xs, ys, floor_y=204, colour=(30, 200, 60), kind="noise")
    verdict = _through_h264(frames, tmp_path)
    permanence = next(r for r in verdict.rules if r.id == "permanence")
    assert permanence.status == "violated" and "vanishes" in permanence.evidence
    assert permanence.span == pytest.approx((29 / FPS, 29 / FPS), abs=0.05)


def test_leaving_through_the_edge_is_not_a_vanishing():
    t = _times(2.0)
    xs = 40 + 300 * t  # exits the right edge at about 1.3 s
    ys = 60 + 0.5 * 700 * t**2 * 0.2
    frames = render(xs, ys, floor_y=204)
    assert _status(judge_frames(frames, FPS), "permanence") == "followed"


def test_bounce_gaining_height_violates_energy(tmp_path):
    t = _times(2.5)
    heights = bouncing_heights(t, 40, 900, 0.85, gain=True)
    frames = render(60 + 30 * t, ball_ys(heights, 204, 10), floor_y=204, colour=(250, 140, 0))
    verdict = _through_h264(frames, tmp_path)
    energy = next(r for r in verdict.rules if r.id == "energy")
    assert energy.status == "violated" and "gains energy" in energy.evidence
    assert _status(verdict, "gravity") == "followed"


def test_no_motion_is_unclear_not_a_guess():
    frames = render(np.full(30, 200.0), np.full(30, 100.0), floor_y=204, kind="noise")
    verdict = judge_frames(frames, FPS)
    assert {r.status for r in verdict.rules} == {"unclear"}
    assert all(r.confidence <= 0.2 for r in verdict.rules)
    assert verdict.physics == pytest.approx(0.5)
    assert "no moving object" in verdict.measurements["unreliable_reason"]


def test_too_few_frames_is_unclear():
    verdict = judge_frames(np.zeros((4, 64, 64, 3), dtype=np.uint8), FPS)
    assert {r.status for r in verdict.rules} == {"unclear"}


def test_physics_score_formula():
    def rule(status: str, confidence: float) -> RuleVerdict:
        return RuleVerdict(id="x", status=status, confidence=confidence)

    assert physics_score([rule("followed", 0.9)] * 4) == pytest.approx(1.0)
    assert physics_score([rule("followed", 0.9)] * 3 + [rule("violated", 0.9)]) == pytest.approx(
        0.55
    )
    many = [rule("followed", 0.9)] * 8 + [rule("violated", 0.9)] * 2
    assert physics_score(many) == pytest.approx(0.55 * 0.55)  # more rules never dilute
    assert physics_score([rule("followed", 0.8), rule("unclear", 0.8)]) == pytest.approx(0.9)
    assert physics_score([rule("unclear", 0.1)]) == pytest.approx(0.5)
    assert physics_score([]) == pytest.approx(0.5)


def test_registry_builds_the_judge_and_rejects_a_model(tmp_path):
    judge = registry.resolve("judge", "kinematics")
    assert isinstance(judge, KinematicsJudge) and isinstance(judge, Judge)
    with pytest.raises(BadInputError):
        KinematicsJudge("gpt-4o")
    with pytest.raises(VideoReadError):
        judge.judge(tmp_path / "missing.mp4")


# --- robustness and the newer rules, on the tests' own renderer (unlike the calibration's) ---


def _bounce_ys(t: np.ndarray, drop: float = 150.0) -> np.ndarray:
    return ball_ys(bouncing_heights(t, drop, 900, 0.7), 204, 10)


def test_camera_shake_is_compensated_and_the_clip_stays_clean():
    t = _times()
    frames = render(60 + 40 * t, _bounce_ys(t), floor_y=204, kind="noise", shake=3.0, seed=4)
    verdict = judge_frames(frames, FPS)
    assert verdict.measurements["busy_frames"] == 0
    assert not verdict.violations, [(r.id, r.evidence) for r in verdict.rules]
    assert _status(verdict, "gravity") == "followed"


def test_two_objects_are_followed_and_one_teleport_is_named(tmp_path):
    t = _times()
    other = (330 - 30 * t, ball_ys(bouncing_heights(t, 120, 900, 0.65), 204, 10), (30, 90, 220))
    clean = render(60 + 30 * t, _bounce_ys(t), floor_y=204, kind="gradient", others=[other])
    verdict = judge_frames(clean, FPS)
    assert verdict.measurements["moving_tracks"] == 2
    assert not verdict.violations, [(r.id, r.evidence) for r in verdict.rules]
    xs = 60 + 30 * t
    xs[36:] += 90
    jumped = render(xs, _bounce_ys(t), floor_y=204, kind="gradient", others=[other])
    assert "continuity" in _through_h264(jumped, tmp_path).violations


def test_shrinking_ball_violates_rigidity():
    t = _times()
    radii = np.clip(12 - 8 * (t - 0.4), 5, 12)
    frames = render(60 + 40 * t, _bounce_ys(t), radii=radii, floor_y=204, colour=(40, 90, 220))
    rigidity = next(r for r in judge_frames(frames, FPS).rules if r.id == "rigidity")
    assert rigidity.status == "violated" and "shrinks" in rigidity.evidence


def test_reversed_bounces_violate_time_direction():
    t = _times()
    frames = render(60 + 40 * t, _bounce_ys(t), floor_y=204, kind="gradient")[::-1]
    verdict = judge_frames(np.ascontiguousarray(frames), FPS)
    assert _status(verdict, "time_direction") == "violated"


def test_frozen_stretch_and_frozen_video_violate_motion_present():
    t = _times()
    frames = render(60 + 60 * t, _bounce_ys(t), floor_y=204, kind="gradient")
    frames[10:20] = frames[10]
    assert _status(judge_frames(frames, FPS), "motion_present") == "violated"
    still = np.repeat(frames[:1], 30, axis=0)
    plan = ShotPlan(prompt="a ball drops", generator_prompt="a ball drops", phenomena=["free fall"])
    assert _status(judge_frames(still, FPS, plan), "motion_present") == "violated"
    assert _status(judge_frames(still, FPS), "motion_present") == "unclear"


def test_sinking_through_the_floor_violates_penetration():
    t = _times()
    ys = _bounce_ys(t)
    ys[t > 1.6] += np.minimum(60 * (t[t > 1.6] - 1.6), 30)  # sinks 30 px after resting
    frames = render(np.full_like(t, 200.0), ys, floor_y=204, kind="gradient", shadow=False)
    assert _status(judge_frames(frames, FPS), "penetration") == "violated"


def test_trajectory_against_a_reference_aligns_scale_and_offset():
    t = _times()
    ys = _bounce_ys(t)
    frames = render(60 + 40 * t, ys, floor_y=204, kind="gradient")
    # The reference is the same motion in another camera: half the scale, shifted.
    good = {"t": t.tolist(), "x": (10 + 20 * t).tolist(), "y": (0.5 * ys - 40).tolist()}
    plan = ShotPlan(prompt="p", generator_prompt="p", notes=["reference: " + json.dumps(good)])
    assert _status(judge_frames(frames, FPS, plan), "trajectory") == "followed"
    floaty = dict(good, y=(0.5 * _bounce_ys(t * 0.5) - 40).tolist())
    plan = plan.model_copy(update={"notes": ["reference: " + json.dumps(floaty)]})
    assert _status(judge_frames(frames, FPS, plan), "trajectory") == "violated"
