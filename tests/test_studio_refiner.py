"""The offline refiner acts on adherence failures as on physics ones."""

from __future__ import annotations

from tools.schema import KeyframeSpec, RuleVerdict, RunRequest, Verdict
from tools.studio.planner import StudioPlanner
from tools.studio.refiner import StudioRefiner, simulated_events


def _verdict(*checks: RuleVerdict) -> Verdict:
    return Verdict(judge="kinematics", score=0.3, physics=0.9, adherence=0.3,
                   adherence_checks=list(checks))


def test_a_missing_event_gets_a_keyframe_where_the_scene_has_it():
    plan = StudioPlanner().plan(RunRequest(prompt="a red rubber ball is dropped from 1.5 m"))
    missing = RuleVerdict(id="adherence.events", status="violated", confidence=0.8,
                          evidence="missing bounces", span=(1.2, 1.5))
    keys = [KeyframeSpec(t=0.0), KeyframeSpec(t=4.0)]
    refinement = StudioRefiner().refine(plan, plan.generator_prompt, keys, _verdict(missing))
    # At the simulated bounce inside the flagged stretch, not merely its middle.
    (bounce,) = [e for e in simulated_events(plan) if 1.2 <= e.t <= 1.5]
    assert bounce.kind == "contact"
    assert refinement.add_keyframes[0].t == round(bounce.t, 3)
    assert refinement.add_keyframes[0].event == "contact"
    assert refinement.changes_anything(plan.generator_prompt, [0.0, 4.0])


def test_wrong_subjects_counts_or_place_are_named_from_the_scene():
    plan = StudioPlanner().plan(RunRequest(prompt="four glass marbles are dropped on the moon"))
    checks = [RuleVerdict(id=i, status="violated", confidence=0.8)
              for i in ("adherence.bodies", "adherence.environment")]
    refinement = StudioRefiner().refine(plan, "four marbles", [], _verdict(*checks))
    assert "It must show exactly: four marbles are dropped on the moon" in refinement.prompt
    assert "on the Moon" in refinement.prompt and refinement.prompt.startswith("four marbles")


def test_a_corner_flagged_at_one_instant_splits_the_keyframe_gap_around_it():
    plan = StudioPlanner().plan(RunRequest(
        prompt="a red rubber ball rolls off a wooden table and bounces on the floor"))
    corner = RuleVerdict(id="gravity", status="violated", confidence=0.7,
                         evidence="speed through the air changes at once at 0.75 s",
                         span=(0.75, 0.75),
                         where=[{"track": 0, "t0": 0.75, "t1": 0.75, "kind": "kick"}])
    keys = [KeyframeSpec(t=t) for t in (0.0, 0.617, 0.854, 0.993, 4.0)]
    refinement = StudioRefiner().refine(plan, plan.generator_prompt, keys,
                                        Verdict(judge="kinematics", score=0.6, physics=0.6,
                                                rules=[corner]))
    # The straight lines between the keyframes around it made the corner: that gap is split.
    assert [k.t for k in refinement.add_keyframes] == [0.736]
    assert refinement.changes_anything(plan.generator_prompt, [k.t for k in keys])
