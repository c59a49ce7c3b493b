"""The Python API: generate, stream's typed events, async variants, concurrency, approval."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import agent
from agent import events as ev
from agent.api import agenerate, astream, generate, stream
from agent.graph import build_graph
from agent.nodes.approve import PlanCancelled
from agent.runner import run
from agent.state import Budget, RunRequest, Verdict
from agent.tracing import ROOT_SPAN, attributes_of, read_spans
from tools.base import registry
from tools.errors import BadInputError


def test_package_exports_the_api_lazily():
    for name in ("generate", "agenerate", "stream", "astream", "judge_video", "build_graph",
                 "as_tool", "build_subgraph"):
        assert callable(getattr(agent, name)), name


def test_generate_applies_budget_out_dir_and_request_fields(fakes, fake_context, tmp_path):
    result = generate("a ball falls", budget={"max_generations": 2}, context=fake_context,
                      out_dir=tmp_path / "elsewhere", duration_s=1.0, width=320, height=180)
    assert Path(result.run_dir).parent == tmp_path / "elsewhere"
    assert result.ledger.generations <= 2
    assert fakes["video"].jobs[0].width == 320 and fakes["video"].jobs[0].duration_s == 1.0
    # The caller's Context is copied, never changed.
    assert fake_context.budget.max_generations == 6


@pytest.mark.parametrize("kwargs, field", [({"budget": {"max_generations": 0}}, "max_generations"),
                                           ({"duration_s": -1}, "duration_s")])
def test_bad_arguments_raise_a_named_error(fake_context, kwargs, field):
    with pytest.raises(BadInputError, match=field):
        generate("a ball falls", context=fake_context, **kwargs)


def test_stream_yields_typed_events_in_order(fakes, fake_context):
    events = list(stream("a ball falls", context=fake_context, duration_s=1.0))
    kinds = [e.kind for e in events]
    assert kinds[0] == "node_started" and events[0].node == "plan"
    assert kinds[-1] == "finished" and isinstance(events[-1], ev.Finished)
    for kind in ("plan_ready", "keyframes_ready", "candidate_ready", "verdict", "decision",
                 "refined", "node_finished"):
        assert kind in kinds, kind
    verdicts = [e for e in events if isinstance(e, ev.VerdictReady)]
    result = events[-1].result
    assert [(v.round, v.candidate_id, v.verdict.score) for v in verdicts] == [
        (r.index, c.id, c.score) for r in result.rounds for c in r.candidates]
    decisions = [e.decision.action for e in events if isinstance(e, ev.DecisionMade)]
    assert decisions == [r.decision.action for r in result.rounds]
    assert decisions[-1] == "stop" and Path(result.run_dir, "report.html").is_file()


def test_events_round_trip_through_json(fakes, fake_context):
    from pydantic import TypeAdapter

    adapter = TypeAdapter(ev.Event)
    for event in stream("a ball falls", context=fake_context, duration_s=1.0):
        again = adapter.validate_json(event.model_dump_json())
        assert type(again) is type(event)


def test_stream_raises_the_runs_failure(fakes, fake_context):
    fake_context.video = "missing-backend"
    with pytest.raises(Exception, match="missing-backend"):
        list(stream("a ball falls", context=fake_context))


def test_closing_the_stream_stops_the_run(fakes, fake_context):
    events = stream("a ball falls", context=fake_context, duration_s=1.0)
    for event in events:
        if isinstance(event, ev.CandidateReady):
            break
    events.close()
    runs = list(Path(fake_context.out_dir).iterdir())
    assert len(runs) == 1
    on_disk = json.loads((runs[0] / "result.json").read_text())
    assert on_disk["status"] == "failed" and "stopped reading" in on_disk["error"]
    assert len(fakes["video"].jobs) == 1


def test_agenerate_and_astream(fakes, fake_context):
    async def main():
        result = await agenerate("a ball falls", context=fake_context, duration_s=1.0)
        kinds = [e.kind async for e in astream("a ball falls", context=fake_context,
                                               duration_s=1.0)]
        return result, kinds

    result, kinds = asyncio.run(main())
    assert result.status == "completed" and kinds[-1] == "finished"


class RoundJudge:
    """Stateless: the score is 0.3 per round, read from the candidate's file name."""

    spec = "round"

    def __init__(self, model=None):
        self.threads: set[str] = set()

    def judge(self, video: Path, plan=None) -> Verdict:
        self.threads.add(threading.current_thread().name)
        round_number = int(video.stem[1:3])
        return Verdict(judge=self.spec, score=min(1.0, 0.3 * round_number + 0.01),
                       physics=0.5)


@pytest.fixture
def round_judge(fakes, fake_context):
    judge = RoundJudge()
    registry.register("judge", "round", lambda model, **_: judge)
    fake_context.judge = "round"
    yield judge
    registry.unregister("judge", "round")


def test_eight_concurrent_runs_get_separate_correct_directories(fakes, fake_context, round_judge):
    prompts = [f"ball number {i} falls" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda p: generate(p, context=fake_context, duration_s=1.0), prompts))
    assert len({r.run_dir for r in results}) == 8
    assert len(round_judge.threads) > 1  # they really ran side by side
    for prompt, result in zip(prompts, results, strict=True):
        _assert_run_dir_is_its_own(Path(result.run_dir), result.run_id, prompt)


def test_eight_runs_under_asyncio_gather(fakes, fake_context, round_judge):
    async def main():
        return await asyncio.gather(*(agenerate(f"block {i} slides", context=fake_context,
                                                duration_s=1.0) for i in range(8)))

    results = asyncio.run(main())
    assert len({r.run_id for r in results}) == 8
    for i, result in enumerate(results):
        _assert_run_dir_is_its_own(Path(result.run_dir), result.run_id, f"block {i} slides")


def _assert_run_dir_is_its_own(run_dir: Path, run_id: str, prompt: str) -> None:
    on_disk = json.loads((run_dir / "result.json").read_text())
    assert on_disk["run_id"] == run_id and on_disk["prompt"] == prompt
    assert on_disk["status"] == "completed"
    rounds = on_disk["rounds"]
    assert [r["index"] for r in rounds] == list(range(1, len(rounds) + 1))
    # The stateless judge scores by round, so the last round holds the best candidate.
    assert on_disk["best"]["candidate"] == f"r{len(rounds):02d}c0"
    for rnd in rounds:
        for cand in rnd["candidates"]:
            assert Path(cand["video"]).parent.parent == Path("rounds")  # run-relative
            assert (run_dir / cand["video"]).is_file()
    assert (run_dir / "final.mp4").read_bytes() == (run_dir / on_disk["best"]["video"]).read_bytes()
    assert (run_dir / "report.html").is_file()
    spans = read_spans(run_dir)
    runs = {attributes_of(s).get("kinema.run_id") for s in spans if s["name"] == ROOT_SPAN}
    assert runs == {run_id}
    assert len({s["traceId"] for s in spans}) == 1


def test_approval_interrupt_pauses_after_the_plan(fakes, fake_context, caplog):
    """Context(approve_plan=True) pauses with the plan; Command(resume=...) continues, and a
    stock checkpointer stores the run without warning about unregistered types."""
    graph = build_graph(checkpointer=InMemorySaver(), duration_s=1.0)
    config = {"configurable": {"thread_id": "t1"}}
    ctx = fake_context.model_copy(update={"approve_plan": True})
    paused = graph.invoke({"prompt": "a ball falls"}, config, context=ctx)
    request = paused["__interrupt__"][0].value
    assert request["kind"] == "plan_approval" and request["plan"]["phenomena"] == ["free fall"]
    assert fakes["video"].jobs == []
    done = graph.invoke(Command(resume={"action": "approve"}), config, context=ctx)
    assert done["stop_reason"] == "target_reached" and Path(done["video"]).is_file()
    assert len(fakes["video"].jobs) >= 1
    assert "unregistered type" not in caplog.text and "Blocked" not in caplog.text


def test_without_approval_the_graph_runs_straight_through(fakes, fake_context):
    graph = build_graph(duration_s=1.0)
    done = graph.invoke({"prompt": "a ball falls"}, context=fake_context)
    assert "__interrupt__" not in done and done["score"] == 0.95
    assert set(done) == {"video", "score", "physics", "adherence", "stop_reason", "result_path"}


def test_run_with_review_edit_then_approve(fakes, fake_context):
    answers = iter([{"action": "edit", "prompt": "a ball falls slowly"}, {"action": "approve"}])
    seen = []

    def review(request):
        seen.append(request["prompt"])
        return next(answers)

    result = run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context,
                 on_interrupt=review)
    assert seen == ["a ball falls", "a ball falls slowly"]
    assert result.prompt == "a ball falls slowly" and fakes["video"].jobs[0].prompt == seen[1]


def test_cancelled_plan_leaves_nothing(fakes, fake_context):
    with pytest.raises(PlanCancelled):
        run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context,
            on_interrupt=lambda request: {"action": "cancel"})
    assert list(Path(fake_context.out_dir).iterdir()) == []


def test_budget_model_is_accepted(fakes, fake_context):
    result = generate("a ball falls", budget=Budget(max_generations=1), context=fake_context)
    assert len(result.rounds) == 1


def test_an_init_image_reaches_the_generator_from_every_front_door(fakes, fake_context,
                                                                   tmp_path):
    image = tmp_path / "first.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    generate("a ball falls", context=fake_context, init_image=str(image), duration_s=1.0)
    build_graph(duration_s=1.0).invoke({"prompt": "a ball falls", "init_image": str(image)},
                                       context=fake_context)
    assert {job.init_image for job in fakes["video"].jobs} == {str(image)}
    with pytest.raises(BadInputError, match=r"init_image '/nope\.png' is not a file"):
        generate("a ball falls", context=fake_context, init_image="/nope.png")
