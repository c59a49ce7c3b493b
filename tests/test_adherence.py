"""The adherence judge: events from tracked arrays, checks against a scene, the joint score."""

from __future__ import annotations

import numpy as np
import pytest

from tools.judges.adherence import (
    Expected,
    RestingSubject,
    Signature,
    Still,
    TrackedBody,
    absent_subjects,
    adherence_score,
    asked_events,
    body_events,
    check_bodies,
    check_environment,
    check_events,
    check_subjects,
    fall_rate,
    ideal_bodies,
    judge_adherence,
    merge_fragments,
    palette,
    resting_subjects,
    run_score,
    shows,
    signature,
)
from tools.judges.adherence_tracking import observe, track_bodies
from tools.schema import BodySpec, RuleVerdict, SceneSpec

FPS, SIZE = 24, (480, 270)
G_PX = 9.81 * 100  # 100 px per metre


def body(x, y, r=8.0, rgb=(200, 40, 40), t0=0.0):
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    t = t0 + np.arange(len(x)) / FPS
    return TrackedBody(t, x.copy(), y.copy(), np.full(len(x), r),
                       np.tile(np.asarray(rgb, float), (len(x), 1)))


def dropped(height_px=150.0, e=0.7, x=240.0, seconds=2.0, rgb=(200, 40, 40), g=G_PX):
    """A ball dropped from rest at y=40 onto a floor at y=40+height, bouncing with `e`."""
    t = np.arange(round(seconds * FPS)) / FPS
    y, v, pos, land = np.empty_like(t), 0.0, 0.0, height_px
    dt = 1 / FPS
    for i in range(len(t)):
        y[i] = 40 + pos
        v += g * dt
        pos += v * dt
        if pos >= land:
            pos, v = land, -e * v
    return body(np.full(len(t), x), y, rgb=rgb)


def rolled(x0=40.0, speed=150.0, seconds=2.0, y=200.0):
    t = np.arange(round(seconds * FPS)) / FPS
    return body(x0 + speed * t, np.full(len(t), y))


def swung(amplitude=80.0, period=1.6, seconds=3.0):
    t = np.arange(round(seconds * FPS)) / FPS
    angle = np.sin(2 * np.pi * t / period)
    return body(240 + amplitude * angle, 185 + 15 * np.cos(np.pi * angle / 2))  # lowest mid-swing


def test_a_drop_falls_and_bounces_and_its_fall_rate_is_g_in_radii():
    events = body_events(dropped(), [], SIZE)
    assert set(events) == {"falls", "bounces"}
    rate, sure = fall_rate(dropped(), SIZE[1])
    assert sure and rate == pytest.approx(G_PX / 8.0, rel=0.15)  # radius 8 px


def test_a_roll_travels_a_swing_swings_and_neither_falls():
    assert set(body_events(rolled(), [], SIZE)) == {"travels"}
    assert "swings" in body_events(swung(), [], SIZE)
    assert "falls" not in body_events(swung(), [], SIZE)
    assert "bounces" not in body_events(swung(), [], SIZE)  # a swing's low point is smooth


def test_a_body_set_moving_next_to_another_was_hit():
    ball = rolled(speed=200.0)
    pin = body(np.linspace(250, 300, 20), np.full(20, 200.0), rgb=(240, 240, 240), t0=1.0)
    assert "hits" in body_events(pin, [ball, pin], SIZE)
    alone = body(np.linspace(250, 300, 20), np.full(20, 60.0), t0=1.0)
    assert "hits" not in body_events(alone, [ball, alone], SIZE)


def test_a_track_broken_in_two_is_one_body():
    whole = rolled()
    first = body(whole.x[:20], whole.y[:20])
    second = body(whole.x[22:], whole.y[22:], t0=22 / FPS)
    assert len(merge_fragments([first, second], 550.0)) == 1
    other = body(whole.x[22:], whole.y[22:] - 100, rgb=(30, 60, 220), t0=22 / FPS)
    assert len(merge_fragments([first, other], 550.0)) == 2


def _expected(*bodies: TrackedBody) -> Expected:
    sig = signature(list(bodies), SIZE, FPS)
    return Expected(sig, sig, signature(list(bodies), SIZE, FPS, scale=0.5))


def test_counts_events_and_place_against_an_expectation():
    one, three = _expected(dropped()), _expected(*(dropped(x=x) for x in (100, 240, 380)))
    seen = signature([dropped()], SIZE, FPS)
    assert check_bodies(seen, one).status == "followed"
    assert check_bodies(seen, three).status == "violated"
    assert check_events(seen, one, {"falls"}).status == "followed"
    missing = check_events(seen, _expected(rolled()), {"travels"})
    assert missing.status == "violated" and "missing travels" in missing.evidence
    scene = SceneSpec(bodies=[BodySpec(action="dropped")])
    assert check_environment(seen, one, scene).status == "followed"
    moon = _expected(dropped(g=G_PX * 1.62 / 9.81, seconds=4.0))
    assert check_environment(seen, moon, scene).status == "violated"


def test_the_prompt_asks_for_its_own_events_only():
    drop = SceneSpec(bodies=[BodySpec(action="dropped")])
    assert asked_events(drop) == {"falls"}  # a bounce may follow; the prompt did not ask
    roll_off = SceneSpec(bodies=[BodySpec(on="table", action="rolled", off_edge=True)])
    assert asked_events(roll_off) == {"travels", "falls"}
    pins = SceneSpec(bodies=[BodySpec(name="ball", action="rolled", target="pin"),
                             BodySpec(name="pin", kind="pin", count=10)])
    assert asked_events(pins) == {"travels"}


def test_a_straight_line_fall_between_keyframes_does_not_claim_another_planet():
    t = np.arange(48) / FPS
    line = body(np.full(48, 240.0), np.clip(40 + 300 * t, 40, 190))
    bounce = np.concatenate([line.y, 190 - 60 * np.sin(np.linspace(0, np.pi, 12))])
    seen = signature([body(np.full(len(bounce), 240.0), bounce)], SIZE, FPS)
    scene = SceneSpec(bodies=[BodySpec(action="dropped")])
    verdict = check_environment(seen, _expected(dropped(g=G_PX * 1.62 / 9.81, seconds=4.0)),
                                scene)
    assert verdict.status != "violated" or seen.gravity_sure


def test_score_needs_both_physics_and_adherence():
    followed = RuleVerdict(id="adherence.bodies", status="followed", confidence=0.8)
    violated = followed.model_copy(update={"status": "violated", "confidence": 0.9})
    assert adherence_score([followed]) == 1.0
    assert adherence_score([followed, violated]) == pytest.approx(0.55)
    assert run_score(1.0, 0.4) == 0.4 and run_score(0.5, None) == 0.5
    assert run_score(0.9, 0.9) == pytest.approx(0.81)


def test_untrackable_video_leaves_every_check_unclear():
    scene = SceneSpec(bodies=[BodySpec(action="dropped")], ignored=["dog barks"])
    result = judge_adherence(scene, None, SIZE, FPS, 2.0, track_bodies, "camera moves")
    assert {c.status for c in result.checks} == {"unclear"}
    assert "adherence.scene" in {c.id for c in result.checks}


def test_signature_is_camera_free():
    near = signature([dropped(height_px=150.0)], SIZE, FPS)
    far = signature([body(dropped().x / 2, dropped().y / 2, r=4.0)], SIZE, FPS)
    assert isinstance(near, Signature) and near.events == far.events


WALL, FLOOR, WOOD = (228, 224, 214), (156, 126, 96), (176, 122, 70)


def _room(*patches: tuple[int, int, int, int, tuple[int, int, int]]) -> np.ndarray:
    """A wall over a floor, with rectangles (x0, y0, x1, y1, rgb) painted on."""
    picture = np.empty((120, 200, 3), np.uint8)
    picture[:90], picture[90:] = WALL, FLOOR
    for x0, y0, x1, y1, rgb in patches:
        picture[y0:y1, x0:x1] = rgb
    return picture


def _block(width: float = 20.0, height: float = 12.0) -> RestingSubject:
    shades = np.array([[c * k for c in WOOD] for k in (0.85, 0.92, 1.0)])
    return RestingSubject("block", 1, palette(shades), shades[1], width, height,
                          float(np.sqrt(width * height / np.pi)))


def test_a_resting_subject_is_a_patch_of_its_colours_and_size_in_the_still_picture():
    scenery = palette(_room())
    block = _block()
    assert shows(Still(_room((150, 78, 170, 90, WOOD))), block, scenery, 1.0)
    assert not shows(Still(_room()), block, scenery, 1.0)
    # Half the size it should be at this scale: a speck, not the block.
    assert not shows(Still(_room((150, 84, 160, 90, WOOD))), block, scenery, 1.0)
    # A still picture at half resolution (2 video px per pixel) shows the same block.
    assert shows(Still(_room((150, 78, 170, 90, WOOD))[::2, ::2], 2.0), block, scenery, 1.0)


def test_a_patch_like_only_one_shade_of_a_subject_is_not_the_subject():
    """A grey pillar matches the shaded side of a white pin, not the pin as a whole."""
    pin = np.array([[246, 246, 246], [240, 240, 238], [200, 200, 196]], float)
    subject = RestingSubject("pin", 1, palette(pin), pin[1], 15.0, 50.0, 15.5)
    scenery = palette(_room())
    assert not shows(Still(_room((170, 0, 200, 90, (201, 201, 197)))), subject, scenery, 1.0)
    assert shows(Still(_room((100, 40, 115, 90, (244, 244, 243)))), subject, scenery, 1.0)


def test_a_named_subject_that_stays_put_must_be_in_the_picture():
    """The stack a ball is thrown at barely moves, so no tracker follows it: without it in
    the still picture, the video does not show the prompt."""
    from tools.schema import RunRequest
    from tools.studio.planner import StudioPlanner
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec

    scene = StudioPlanner().plan(RunRequest(
        prompt="a basketball is thrown at a stack of five wooden blocks")).scene
    assert scene is not None
    resting = resting_subjects(scene, SIZE, FPS, 2.0)
    assert [(r.name, r.count) for r in resting.subjects] == [("block", 5)]
    ideal = signature(ideal_bodies(scene, SIZE, FPS, 2.0), SIZE, FPS)
    expected = Expected(ideal, ideal, ideal)
    sim = simulate_spec(scene)
    renderer = Renderer(sim.world, *SIZE)
    poses = sim.poses_at(1.9)
    with_stack = Still(renderer.frame({k: p for k, p in poses.items() if k != "basketball"}))
    without = Still(renderer.backdrop.astype(np.uint8))
    assert absent_subjects(ideal, expected, resting, with_stack)[0] == []
    absent = absent_subjects(ideal, expected, resting, without)
    assert absent is not None and absent[0] == ["block"]
    assert check_subjects(ideal, expected, absent).status == "violated"
    assert check_subjects(ideal, expected, absent_subjects(
        ideal, expected, resting, with_stack)).status != "violated"


def test_the_still_picture_is_what_stays_put():
    """A disc crossing a steady scene: the tracker follows it, and the still picture is the
    scene without it."""
    frames = np.tile(np.array(WALL, np.uint8), (48, 120, 200, 1))
    ys, xs = np.mgrid[0:120, 0:200]
    for k in range(48):
        frames[k][np.hypot(xs - (20 + 3.5 * k), ys - 60) <= 8] = (200, 40, 40)
    bodies, still = observe(frames, FPS)
    assert len(bodies) == 1 and still is not None
    assert np.abs(still.picture.astype(int) - np.array(WALL)).max() <= 1


def test_the_kinematics_judge_looks_for_subjects_that_stay_put_in_the_video():
    """The judge a run uses, not only the calibration, checks the still picture: without the
    stack the prompt names, the video does not show the prompt."""
    from tools.judges.kinematics import judge_frames
    from tools.schema import RunRequest
    from tools.studio.planner import StudioPlanner
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec

    plan = StudioPlanner().plan(RunRequest(
        prompt="a basketball is thrown at a stack of five wooden blocks", duration_s=2.0,
        width=SIZE[0], height=SIZE[1]))
    assert plan.scene is not None
    sim = simulate_spec(plan.scene)
    renderer = Renderer(sim.world, *SIZE)

    def video(keep_stack: bool) -> np.ndarray:
        return np.stack([renderer.frame({k: p for k, p in sim.poses_at(i / FPS).items()
                                         if keep_stack or k == "basketball"})
                         for i in range(2 * FPS)])

    def subjects(frames: np.ndarray) -> RuleVerdict:
        verdict = judge_frames(frames, FPS, plan)
        return next(c for c in verdict.adherence_checks if c.id == "adherence.subjects")

    found = subjects(video(True))
    assert found.status == "followed" and "block: found" in found.evidence
    assert subjects(video(False)).status == "violated"
