"""`vlm:<model>` and `ensemble:kinematics+vlm:<model>` judges against the scripted provider."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.llm_provider import PROVIDER, timed_out
from tools.base import registry
from tools.judges.ensemble import EnsembleOptions, combine
from tools.media import write_video
from tools.schema import PhysicsRule, RuleVerdict, ShotPlan, Verdict

FAST = {"backoff_s": 0, "backoff_max_s": 0, "max_retries": 1, "max_repairs": 1}
PLAN = ShotPlan(prompt="a ball falls", generator_prompt="a ball falls",
                rules=[PhysicsRule(id="gravity", text="The ball speeds up.", check="gravity"),
                       PhysicsRule(id="energy", text="No higher bounces.", check="energy")])


@pytest.fixture(scope="module")
def falling_ball(tmp_path_factory) -> Path:
    """A white disc falling with constant acceleration on black, 24 frames."""
    frames = []
    for i in range(24):
        frame = np.zeros((96, 96, 3), np.uint8)
        y = int(8 + 0.15 * i * i)
        yy, xx = np.ogrid[:96, :96]
        frame[(yy - y) ** 2 + (xx - 48) ** 2 <= 36] = 255
        frames.append(frame)
    return write_video(frames, tmp_path_factory.mktemp("v") / "fall.mp4", fps=24)


def test_vlm_judge_scores_with_the_rubric(scripted_llm, falling_ball):
    judge = registry.resolve("judge", f"vlm:{PROVIDER}/structured", frames=4, max_side=64, **FAST)
    verdict = judge.judge(falling_ball, PLAN)
    by_id = {r.id: r for r in verdict.rules}
    assert by_id["gravity"].status == "violated" and by_id["gravity"].span == (0.1, 0.3)
    assert by_id["energy"].status == "unclear"  # the model did not answer for it
    assert verdict.physics == pytest.approx((0.25 + 0.0) / 2)
    assert verdict.adherence == pytest.approx(0.75)
    assert verdict.score == pytest.approx(0.125 * 0.75)  # both must hold: physics x adherence
    assert [c.id for c in verdict.adherence_checks] == ["adherence.semantic"]
    assert verdict.adherence_checks[0].status == "followed"
    assert verdict.cost.input_tokens == 120
    content = scripted_llm.requests[0]["messages"][1]["content"]
    assert sum(p["type"] == "image_url" for p in content) == 4
    assert "Frame times (s)" in content[0]["text"]


def test_malformed_vlm_answers_give_an_unclear_verdict(scripted_llm, falling_ball):
    scripted_llm.queue.extend(['{"semantic_adherence": 9}', "```json\n{\n```"])
    judge = registry.resolve("judge", f"vlm:{PROVIDER}/plain", frames=3, **FAST)
    verdict = judge.judge(falling_ball, PLAN)
    assert {r.status for r in verdict.rules} == {"unclear"}
    assert "error" in verdict.measurements and verdict.cost.output_tokens == 60


def test_unreachable_vlm_gives_an_unclear_verdict(scripted_llm, falling_ball):
    scripted_llm.queue.extend([timed_out(), timed_out()])
    judge = registry.resolve("judge", f"vlm:{PROVIDER}/plain", frames=3, **FAST)
    verdict = judge.judge(falling_ball, None)
    assert verdict.score == 0.5 and {r.status for r in verdict.rules} == {"unclear"}


def test_ensemble_hands_measurements_to_the_vlm(scripted_llm, falling_ball):
    spec = f"ensemble:kinematics+vlm:{PROVIDER}/structured"
    judge = registry.resolve("judge", spec, vlm={"frames": 3, **FAST})
    verdict = judge.judge(falling_ball, PLAN)
    assert verdict.judge == spec and "vlm" in verdict.measurements
    assert "<measurements>" in scripted_llm.requests[0]["messages"][1]["content"][0]["text"]
    assert {"gravity", "continuity", "energy"} <= {r.id for r in verdict.rules}


def _rv(rule_id: str, status: str, confidence: float) -> RuleVerdict:
    return RuleVerdict(id=rule_id, status=status, confidence=confidence)  # type: ignore[arg-type]


def test_combine_prefers_confident_measurements_and_reads_adherence_from_the_vlm():
    measured = Verdict(judge="k", score=0.9, physics=0.9, rules=[
        _rv("gravity", "followed", 0.9), _rv("energy", "unclear", 0.1)])
    seen = Verdict(judge="v", score=0.3, physics=0.3, adherence=0.5, rules=[
        _rv("gravity", "violated", 0.6), _rv("energy", "violated", 0.7),
        _rv("shadow", "followed", 0.5)])
    verdict = combine("e", measured, seen, EnsembleOptions(kinematics_weight=0.5))
    status = {r.id: r.status for r in verdict.rules}
    assert status == {"gravity": "followed", "energy": "violated", "shadow": "followed"}
    assert verdict.physics == pytest.approx(0.6)
    assert verdict.score == pytest.approx(0.6 * 0.5)


def test_combine_ignores_measured_physics_when_nothing_was_measured():
    measured = Verdict(judge="k", score=0.5, physics=0.5, rules=[_rv("gravity", "unclear", 0.1)])
    seen = Verdict(judge="v", score=0.2, physics=0.2, adherence=None, rules=[])
    assert combine("e", measured, seen, EnsembleOptions()).physics == pytest.approx(0.2)


def test_ensemble_spec_must_name_a_vlm():
    from tools.errors import BadInputError

    with pytest.raises(BadInputError, match="ensemble:kinematics\\+vlm:gpt-4o"):
        registry.resolve("judge", "ensemble:kinematics")
