"""The loop end to end with fake backends registered through the real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent import tracing
from agent.runner import run
from agent.state import Budget, RunRequest
from tools.errors import StudioUnsupported


def _run(ctx, prompt="a ball falls"):
    return run(RunRequest(prompt=prompt, duration_s=1.0), ctx)


def test_loop_refines_until_target_and_keeps_the_best(fakes, fake_context):
    result = _run(fake_context)
    assert result.status == "completed"
    assert result.stop_reason == "target_reached"
    assert [r.candidates[0].score for r in result.rounds] == [0.4, 0.7, 0.95]
    assert result.best is not None and (result.best.round, result.best.score) == (3, 0.95)
    run_dir = Path(result.run_dir)
    on_disk = json.loads((run_dir / "result.json").read_text())
    assert on_disk["best"]["candidate"] == "r03c0"
    assert (run_dir / "final.mp4").read_bytes() == Path(result.best.video).read_bytes()
    assert on_disk["ledger"]["generations"] == 3
    assert on_disk["ledger"]["usd"] == pytest.approx(0.001 + 3 * 0.5)
    assert on_disk["ledger"]["gpu_seconds"] == pytest.approx(6.0)
    assert on_disk["backends"]["video"] == "scripted"
    assert [r["decision"]["action"] for r in on_disk["rounds"]] == ["continue", "continue", "stop"]


def test_refined_prompt_and_keyframes_reach_the_generator(fakes, fake_context):
    _run(fake_context)
    jobs = fakes["video"].jobs
    assert jobs[0].prompt == "a ball falls"
    assert jobs[1].prompt.endswith("(refined)")
    assert [len(j.keyframes) for j in jobs] == [2, 3, 4]
    # Keyframes rendered once and reused in later rounds.
    assert sorted(fakes["keyframes"].rendered) == [0.0, 0.1, 0.2, 0.5]


def test_best_is_kept_when_later_rounds_are_worse(fakes, fake_context):
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.6, 0.3, 0.2, 0.1])
    fake_context.budget = Budget(max_generations=3)
    fake_context.usd_per_point = 1000.0  # a point is worth far more than a $0.50 round
    result = _run(fake_context)
    assert result.stop_reason == "budget_generations"
    assert result.best.round == 1 and result.best.score == 0.6
    assert len(result.rounds) == 3


def test_converges_when_refiner_has_nothing_new(fakes, fake_context):
    fakes["refiner"].exhausted = True
    result = _run(fake_context)
    assert result.stop_reason == "converged"
    assert len(result.rounds) == 1


def test_generator_failure_is_data_not_a_crash(fakes, fake_context):
    fakes["video"].outcomes.extend([TimeoutError("the job timed out")])
    result = _run(fake_context)
    first = result.rounds[0].candidates[0]
    assert first.error.startswith("TimeoutError") and first.score == 0.0
    assert result.status == "completed" and result.best.round > 1


def test_user_mistake_before_any_generation_leaves_nothing(fakes, fake_context):
    fakes["video"].outcomes.extend([StudioUnsupported("cannot simulate")])
    with pytest.raises(StudioUnsupported):
        _run(fake_context)
    assert list(Path(fake_context.out_dir).iterdir()) == []


def test_unexpected_crash_records_failed_result(fakes, fake_context, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("judge exploded")

    monkeypatch.setattr(fakes["judge"], "judge", broken)
    with pytest.raises(RuntimeError):
        _run(fake_context)
    (run_dir,) = Path(fake_context.out_dir).iterdir()
    on_disk = json.loads((run_dir / "result.json").read_text())
    assert on_disk["status"] == "failed" and "judge exploded" in on_disk["error"]


def test_trace_has_a_span_per_node_per_round_and_the_decisions(fakes, fake_context):
    result = _run(fake_context)
    spans = tracing.read_spans(Path(result.run_dir))
    nodes = [(s["name"], tracing.attributes_of(s)["kinema.round"]) for s in spans
             if s["name"].startswith("node.")]
    for rnd in (1, 2, 3):
        for name in ("keyframes", "generate", "judge", "decide"):
            assert nodes.count((f"node.{name}", rnd)) == 1
    assert ("node.plan", 1) in nodes and ("node.finish", 3) in nodes
    root = next(s for s in spans if s["name"] == tracing.ROOT_SPAN)
    assert all(s.get("parentSpanId") for s in spans if s is not root)
    events = [e for s in spans for e in s["events"]]
    decisions = [tracing.attributes_of(e) for e in events if e["name"] == "decision"]
    assert [d["reason"] for d in decisions] == ["continue", "continue", "target_reached"]
    assert "best_score" in json.loads(decisions[-1]["numbers"])
    assert sum(e["name"] == "judgement" for e in events) == 3
    backend_spans = [s for s in spans if s["name"] == "backend.video"]
    assert len(backend_spans) == 3


def test_concurrent_runs_write_separate_directories(fakes, fake_context):
    from concurrent.futures import ThreadPoolExecutor

    fakes["judge"].scores.clear()
    fakes["judge"].scores.append(0.95)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: _run(fake_context, f"ball {i}"), range(4)))
    dirs = {r.run_dir for r in results}
    assert len(dirs) == 4
    for r in results:
        assert json.loads((Path(r.run_dir) / "result.json").read_text())["prompt"] == r.prompt


def _decisions(result):
    spans = tracing.read_spans(Path(result.run_dir))
    events = [e for s in spans for e in s["events"]]
    return [tracing.attributes_of(e) for e in events if e["name"] == "decision"]


def test_fan_out_generates_candidates_in_parallel_branches_and_keeps_the_best(fakes,
                                                                              fake_context):
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.3, 0.8, 0.5, 0.95])
    fake_context.candidates_per_round = 3
    fake_context.usd_per_point = 1000.0  # a second fan-out is worth its $1.50
    result = _run(fake_context)
    first = result.rounds[0].candidates
    assert [c.id for c in first] == ["r01c0", "r01c1", "r01c2"]
    assert [c.seed for c in first] == [0, 1, 2]
    assert result.best.candidate == "r02c0" and result.best.score == 0.95
    assert result.iterations[1].strategy == "fan_out"
    assert result.ledger.generations == 6  # the default cap: round 2 was clipped to 3
    assert len({j.candidate_id for j in fakes["video"].jobs}) == len(fakes["video"].jobs)


def test_fan_out_is_clipped_so_the_generation_cap_holds(fakes, fake_context):
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.3])
    fake_context.candidates_per_round = 3
    fake_context.budget = Budget(max_generations=4)
    fake_context.usd_per_point = 1000.0
    result = _run(fake_context)
    assert [len(r.candidates) for r in result.rounds] == [3, 1]
    assert result.ledger.generations == 4 and result.stop_reason == "budget_generations"
    decisions = _decisions(result)
    assert decisions[0]["candidates"] == 1
    assert json.loads(decisions[0]["numbers"])["candidates_wanted"] == 3


def test_usd_cap_holds_with_a_priced_generator(fakes, fake_context):
    fakes["video"].usd_per_generation = 0.5  # its price table; it bills 0.5 per video
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.3])
    fake_context.candidates_per_round = 3
    fake_context.budget = Budget(max_generations=None, max_usd=1.75)
    fake_context.usd_per_point = 1000.0
    result = _run(fake_context)
    assert [len(r.candidates) for r in result.rounds] == [3]
    assert result.ledger.usd <= 1.75 and result.stop_reason == "budget_usd"


def test_an_unpriced_generator_starts_with_one_candidate_under_a_usd_cap(fakes, fake_context):
    fake_context.candidates_per_round = 3
    fake_context.budget = Budget(max_generations=None, max_usd=1.2)
    fake_context.usd_per_point = 1000.0
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.3])
    result = _run(fake_context)
    assert [len(r.candidates) for r in result.rounds] == [1, 1]
    assert result.ledger.usd <= 1.2


def test_a_refinement_that_changed_nothing_is_followed_by_a_reseed(fakes, fake_context):
    fakes["judge"].scores.clear()
    fakes["judge"].scores.extend([0.5, 0.5, 0.95])
    fake_context.usd_per_point = 1000.0
    fake_context.patience = 5
    result = _run(fake_context)
    strategies = [it.strategy for it in result.iterations]
    assert strategies == ["initial", "refine", "reseed"]
    jobs = fakes["video"].jobs
    assert jobs[2].prompt == jobs[1].prompt and len(jobs[2].keyframes) == len(jobs[1].keyframes)
    assert jobs[2].seed not in {jobs[0].seed, jobs[1].seed}
    assert fakes["refiner"].calls == 1  # a reseed needs no refiner
    assert [d["strategy"] for d in _decisions(result)][:2] == ["refine", "reseed"]


def test_round_costs_are_recorded_per_round(fakes, fake_context):
    result = _run(fake_context)
    costs = [it.cost for it in result.iterations]
    assert [c.generations for c in costs] == [1, 1, 1]
    assert [c.usd for c in costs] == pytest.approx([0.5, 0.5, 0.5])  # the plan is no round
    assert sum(c.seconds for c in costs) <= result.ledger.seconds
