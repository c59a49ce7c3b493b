"""The `trajectory` rule: a video is compared with the plan's own simulation."""

from __future__ import annotations

import numpy as np

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
