"""The `trajectory` rule: a video is compared with the plan's own simulation."""

from __future__ import annotations

import numpy as np
import pytest

from tools.judges.kinematics import judge_frames
from tools.schema import RunRequest
from tools.studio.planner import StudioPlanner
from tools.studio.render import Renderer
from tools.studio.simulate import simulate_spec
from tools.studio.standin import PRIORS, KeyedMotion

FPS = 24
SIZE = (426, 240)


def _plan(prompt: str):
    return StudioPlanner().plan(RunRequest(prompt=prompt, duration_s=3.0, width=SIZE[0],
                                           height=SIZE[1]))


def _frames(plan, poses_at) -> np.ndarray:
    assert plan.scene is not None
    renderer = Renderer(simulate_spec(plan.scene).world, *SIZE)
    return np.stack([renderer.frame(poses_at(i / FPS)) for i in range(3 * FPS)])


def _rule(verdict, rule_id: str):
    return next(r for r in verdict.rules if r.id == rule_id)


def test_a_video_of_the_simulation_follows_its_trajectory():
    plan = _plan("a rubber ball is dropped onto the floor")
    sim = simulate_spec(plan.scene)
    verdict = judge_frames(_frames(plan, sim.poses_at), FPS, plan)
    rule = _rule(verdict, "trajectory")
    assert rule.status == "followed", rule.evidence
    found = verdict.measurements["trajectory"][0]
    assert found["bounces_seen"] == found["bounces_simulated"] >= 2


def test_straight_lines_between_two_keyframes_depart_from_the_simulation():
    plan = _plan("a rubber ball is dropped onto the floor")
    sim = simulate_spec(plan.scene)
    keys = [(t, sim.poses_at(t)) for t in (0.0, 1.5, 3.0)]  # release, mid-air, end
    motion = KeyedMotion(keys, PRIORS["linear"])
    verdict = judge_frames(_frames(plan, motion.at), FPS, plan)
    rule = _rule(verdict, "trajectory")
    assert rule.status == "violated" and "bounces" in rule.evidence, rule.evidence


def test_without_a_scene_there_is_no_trajectory_rule():
    plan = _plan("a rubber ball is dropped onto the floor")
    sim = simulate_spec(plan.scene)
    frames = _frames(plan, sim.poses_at)
    verdict = judge_frames(frames, FPS, plan.model_copy(update={"scene": None}))
    assert "trajectory" not in {r.id for r in verdict.rules}


def test_a_departure_is_located_and_the_refiner_pins_the_motion_there():
    """The rule names where a path departs, so refinement can pin it: the ball rises in
    eased pieces between the plan's own keyframes (each rise speeding up, as a video model's
    prior draws it), and the keyframes the refiner adds bring the path back to the simulation."""
    from tools.schema import Verdict
    from tools.studio.refiner import StudioRefiner

    plan = _plan("a rubber ball is dropped onto the floor")
    sim = simulate_spec(plan.scene)
    times = sorted(k.t for k in plan.keyframes)

    def judged(keyframe_times: list[float]):
        keys = [(t, sim.poses_at(t)) for t in keyframe_times]
        motion = KeyedMotion(keys, PRIORS["ease_in"])
        verdict = judge_frames(_frames(plan, motion.at), FPS, plan)
        return verdict, _rule(verdict, "trajectory")

    verdict, rule = judged(times)
    assert rule.status == "violated", rule.evidence
    assert rule.where and all(0.0 <= w["t0"] <= w["t1"] <= 3.0 for w in rule.where)
    # The span covers them, for a refiner that reads spans only (the LLM refiner's findings).
    assert rule.span is not None
    assert rule.span[0] == pytest.approx(min(w["t0"] for w in rule.where), abs=1e-3)
    assert rule.span[1] == pytest.approx(max(w["t1"] for w in rule.where), abs=1e-3)
    refinement = StudioRefiner().refine(plan, plan.generator_prompt, plan.keyframes,
                                        Verdict(judge="kinematics", score=0.6, physics=0.6,
                                                rules=[rule]))
    added = [k.t for k in refinement.add_keyframes]
    assert added and all(any(w["t0"] - 0.5 <= t <= w["t1"] + 0.5 for w in rule.where)
                         for t in added), (added, rule.where)
    before = verdict.measurements["trajectory"][0]["path_error"]
    after, _ = judged(sorted(times + added))
    assert after.measurements["trajectory"][0]["path_error"] < 0.75 * before


def test_the_report_draws_the_simulated_path_beside_a_departing_one(tmp_path):
    import base64
    import io

    from PIL import Image

    from agent.evidence import evidence_pictures
    from tools.judges.kinematics import KinematicsJudge
    from tools.media import write_video

    plan = _plan("a rubber ball is dropped onto the floor")
    sim = simulate_spec(plan.scene)
    keys = [(t, sim.poses_at(t)) for t in sorted(k.t for k in plan.keyframes)]
    frames = _frames(plan, KeyedMotion(keys, PRIORS["ease_in"]).at)
    video = write_video(iter(frames), tmp_path / "v.mp4", fps=FPS)
    verdict = KinematicsJudge().judge(video, plan)
    rule = _rule(verdict, "trajectory")
    departs = [w for w in rule.where if w["kind"] == "departs from simulation"]
    assert departs and all(len(w["expected"]) >= 2 for w in departs), rule.where

    def green(where: list) -> int:
        picture = evidence_pictures(video, verdict, rule.model_copy(update={"where": where}))[0]
        raw = base64.b64decode(picture.split(",", 1)[1])
        rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(int)
        return int(((rgb[..., 1] > 150) & (rgb[..., 0] < 110) & (rgb[..., 2] < 120)).sum())

    bare = [{k: v for k, v in departs[0].items() if k != "expected"}]
    assert green(departs[:1]) > green(bare) + 20
