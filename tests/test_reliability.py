"""Nothing lost, nothing paid twice, nothing leaked: the promises of issue 16, one by one.

The end-to-end versions (real processes killed, two resumes racing, a tmpfs filling up, a
loopback provider misbehaving, fuzzed entry points) are `python -m evals faults`; its fast
cases run in tests/test_faults.py. These are the small, direct checks beside them.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from mcp import Client
from pydantic import BaseModel
from typer.testing import CliRunner

from agent import tracing
from agent.api import generate
from agent.cli import app
from agent.graph import build_graph, runner_graph
from agent.lock import LOCK_FILE, holder, run_lock
from agent.mcp_server import build_server
from agent.rundir import CHECKPOINTS_FILE, read_result, write_json_atomic, write_text_atomic
from agent.runner import RunInterrupted, resume, run
from agent.state import RunRequest
from tests.fakes import ScriptedVideo
from tests.llm_provider import PROVIDER, rate_limited
from tools.base import registry
from tools.errors import BackendUnavailable, BadInputError, RunLockedError, StorageError
from tools.llm import LLMClient, LLMOptions
from tools.redact import MASK, install_log_redaction, redact, redact_bytes, redact_text

ROOT = Path(__file__).resolve().parents[1]
SECRET = "zq9-custom-provider-key-5c1e7a"  # a key of no known shape: caught by its value


# ---- the lock ----------------------------------------------------------------------------------


def test_a_second_lock_on_a_run_folder_is_refused_naming_the_holder(tmp_path):
    with run_lock(tmp_path, command="kinema resume"):
        assert holder(tmp_path) and str(os.getpid()) in holder(tmp_path)
        with (pytest.raises(RunLockedError, match=rf"in use by process {os.getpid()} .*resume"),
              run_lock(tmp_path)):
            pass
        errors: list[Exception] = []
        thread = threading.Thread(target=lambda: _try_lock(tmp_path, errors))
        thread.start()
        thread.join()
        assert isinstance(errors[0], RunLockedError)
    assert holder(tmp_path) is None and not (tmp_path / LOCK_FILE).exists()


def _try_lock(folder: Path, errors: list[Exception]) -> None:
    try:
        with run_lock(folder):
            pass
    except Exception as exc:
        errors.append(exc)


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    code = ("import sys, time; from agent.lock import run_lock\n"
            "with run_lock(sys.argv[1], command='kinema run'):\n"
            "    print('locked', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout and proc.stdout.readline().strip() == "locked"
    with pytest.raises(RunLockedError, match=rf"process {proc.pid} .*kinema run"), \
            run_lock(tmp_path):
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (tmp_path / LOCK_FILE).exists()  # stale: its holder is dead
    with run_lock(tmp_path):
        assert str(os.getpid()) in (holder(tmp_path) or "")


# ---- redaction ---------------------------------------------------------------------------------


def test_secrets_are_redacted_by_value_shape_and_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ACME_API_KEY", SECRET)
    monkeypatch.setenv("HOME_DIR_TOKEN", "/home/someone/path")  # a path is not a key
    text = f"400: bad key {SECRET}; also sk-abcdefghijklmnop1234 in /home/someone/path"
    assert redact_text(text) == f"400: bad key {MASK}; also {MASK} in /home/someone/path"
    assert redact({"api_key": "x", "nested": [{"note": SECRET}], "input_tokens": 3}) == {
        "api_key": MASK, "nested": [{"note": MASK}], "input_tokens": 3}
    blob = b"\xa5" + SECRET.encode() + b"\x00"
    assert redact_bytes(blob) == b"\xa5" + b"*" * len(SECRET) + b"\x00"
    write_json_atomic(tmp_path / "r.json", {"error": f"key {SECRET}"})
    assert SECRET not in (tmp_path / "r.json").read_text()


def test_log_records_of_any_logger_are_redacted(monkeypatch, caplog):
    monkeypatch.setenv("ACME_API_KEY", SECRET)
    factory = logging.getLogRecordFactory()
    try:
        install_log_redaction()
        with caplog.at_level(logging.WARNING):
            logging.getLogger("litellm").warning("provider said %s", SECRET)
        assert SECRET not in caplog.text and MASK in caplog.text
    finally:
        logging.setLogRecordFactory(factory)


class _EchoingVideo(ScriptedVideo):
    """A provider whose failures repeat the caller's key (data for the loop, not an error)."""

    def generate(self, job, out_path):
        raise RuntimeError(f"job rejected for key {SECRET}")


def test_a_key_echoed_by_a_provider_reaches_no_artefact(fakes, fake_context, monkeypatch):
    monkeypatch.setenv("ACME_API_KEY", SECRET)
    registry.register("video", "scripted", lambda model, **_: _EchoingVideo())
    fake_context.budget.max_generations = 2
    result = run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context)
    run_dir = Path(result.run_dir)
    assert "job rejected for key [redacted]" in json.dumps(read_result(run_dir))
    leaks = [p.name for p in run_dir.rglob("*") if p.is_file() and SECRET.encode() in
             p.read_bytes()]
    assert leaks == []


def test_kinema_debug_tracebacks_are_redacted(monkeypatch, tmp_path):
    monkeypatch.setenv("ACME_API_KEY", SECRET)
    monkeypatch.setenv("KINEMA_DEBUG", "1")
    res = CliRunner().invoke(app, ["judge", str(tmp_path / f"{SECRET}.mp4")])
    assert res.exit_code == 2 and "Traceback" in res.stderr
    assert SECRET not in res.stderr and MASK in res.stderr


# ---- resume deletes nothing, recovers from a lost checkpoint --------------------------------


class _StopAt(ScriptedVideo):
    """Ctrl-C once, while generating candidate `stop_at`; counts every finished generation."""

    def __init__(self, stop_at: str = "r02c0") -> None:
        super().__init__()
        self.stop_at, self.finished = stop_at, []

    def generate(self, job, out_path):
        if job.candidate_id == self.stop_at:
            self.stop_at = ""
            raise KeyboardInterrupt
        cand = super().generate(job, out_path)
        self.finished.append(job.candidate_id)
        return cand


def _cancelled_run(fake_context) -> tuple[Path, _StopAt]:
    video = _StopAt()
    registry.register("video", "scripted", lambda model, **_: video)
    with pytest.raises(RunInterrupted) as info:
        run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context)
    run_dir = Path(info.value.run_dir)
    assert read_result(run_dir)["status"] == "cancelled"
    return run_dir, video


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_a_lost_checkpoint_is_replayed_from_the_journal_paying_nothing_twice(
        fakes, fake_context, damage):
    run_dir, video = _cancelled_run(fake_context)
    checkpoint = run_dir / CHECKPOINTS_FILE
    if damage == "garbage":
        checkpoint.write_bytes(os.urandom(2048))
    else:
        checkpoint.unlink()
    planned = len(fakes["keyframes"].rendered)
    result = resume(run_dir)
    assert result.status == "completed" and read_result(run_dir)["status"] == "completed"
    assert video.finished.count("r01c0") == 1  # reused from the journal, not regenerated
    assert len(fakes["keyframes"].rendered) > planned  # only new rounds' keyframes rendered
    assert result.ledger.generations == len(video.finished) + 1  # + the attempt Ctrl-C cut
    if damage == "garbage":
        assert list(run_dir.glob("checkpoints.unreadable-*.sqlite"))  # set aside, kept


def test_a_run_that_cannot_be_recovered_keeps_every_file(fakes, fake_context):
    run_dir, _ = _cancelled_run(fake_context)
    (run_dir / CHECKPOINTS_FILE).write_bytes(b"junk" * 64)
    (run_dir / "request.json").unlink()
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    with pytest.raises(BadInputError, match=r"cannot be replayed.*every file is kept"):
        resume(run_dir)
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before
    (run_dir / "context.json").write_text("{broken")
    res = CliRunner().invoke(app, ["resume", str(run_dir)])
    assert res.exit_code == 2 and "context.json" in res.stderr and "corrupt" in res.stderr
    assert read_result(run_dir)["status"] == "cancelled"  # result.json was not deleted


def test_resume_of_a_folder_in_use_is_refused(fakes, fake_context):
    run_dir, _ = _cancelled_run(fake_context)
    with run_lock(run_dir, command="kinema resume"), pytest.raises(RunLockedError):
        resume(run_dir)
    res = CliRunner().invoke(app, ["resume", str(run_dir / "result.json")])
    assert res.exit_code == 2 and "is a file" in res.stderr


# ---- paths, disks, permissions -------------------------------------------------------------


def test_graph_input_cannot_choose_where_a_run_is_written(fakes, fake_context, tmp_path):
    """The graph's input is narrow: run folders, run ids and state smuggled in are ignored."""
    elsewhere = tmp_path / "elsewhere"
    graph = build_graph(duration_s=1.0)
    for smuggled in ({"run_dir": str(elsewhere)}, {"run_id": "../../escape"},
                     {"run_id": "someone-elses-run"},
                     {"candidates": [{"id": "r01c0", "round": 1, "video": "/etc/hostname",
                                      "seed": 0, "backend": "x", "prompt": "x"}]}):
        out = graph.invoke({"prompt": "a ball falls", **smuggled}, context=fake_context)
        assert Path(out["result_path"]).parent.parent == Path(fake_context.out_dir)
        assert Path(out["video"]).parent == Path(out["result_path"]).parent
    assert not elsewhere.exists() and not (tmp_path.parent / "escape").exists()
    # Kinema's own runner may name the run it locked; nobody else can.
    with pytest.raises(BadInputError, match="run"):
        runner_graph().invoke({"request": {"prompt": "a ball falls"}, "run_id": "x"},
                              context=fake_context)


class _DiskFull(ScriptedVideo):
    def generate(self, job, out_path):
        if job.round == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(out_path))
        return super().generate(job, out_path)


def test_a_full_disk_is_one_line_and_the_run_resumes_once_there_is_room(fakes, fake_context):
    registry.register("video", "scripted", lambda model, **_: _DiskFull())
    with pytest.raises(StorageError, match=r"no space left.*kinema resume") as info:
        run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context)
    (run_dir,) = Path(fake_context.out_dir).iterdir()
    assert str(run_dir) in str(info.value) and not list(run_dir.rglob(".tmp-*"))
    registry.register("video", "scripted", lambda model, **_: ScriptedVideo())
    assert resume(run_dir).status == "completed"


def test_a_write_that_hits_the_file_size_limit_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "result.json"
    write_json_atomic(target, {"status": "failed"})
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(StorageError, match="no space left"):
            write_json_atomic(target, {"big": "x" * 100_000})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert json.loads(target.read_text()) == {"status": "failed"}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_writers_never_crash_on_prompts_that_are_not_utf8(tmp_path):
    write_text_atomic(tmp_path / "page.html", "a ball \udcff falls")
    assert "\\udcff" in (tmp_path / "page.html").read_text()


class _PrivateVideo(ScriptedVideo):
    """Writes its candidates 0600, as mkstemp-based writers do."""

    def generate(self, job, out_path):
        cand = super().generate(job, out_path)
        os.chmod(out_path, 0o600)
        return cand


def test_candidates_get_the_permissions_of_final_mp4(fakes, fake_context):
    registry.register("video", "scripted", lambda model, **_: _PrivateVideo())
    result = run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context)
    final_mode = stat.S_IMODE(os.stat(result.final_video).st_mode)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in Path(result.run_dir).glob("rounds/*/*.mp4")}
    assert modes == {final_mode}


# ---- input, preflight, MCP ----------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["--duration", "nan"], "duration_s: not a number"),
    (["--max-usd", "inf"], "max_usd: not a number"),
    (["--target", "nan"], "target: not a number"),
])
def test_nan_is_called_not_a_number(tmp_path, args, words):
    res = CliRunner().invoke(app, ["run", "a ball falls", "--out", str(tmp_path), *args])
    assert res.exit_code == 2 and words in res.stderr and not list(tmp_path.iterdir())


def test_prompts_are_capped_and_must_be_text(tmp_path):
    with pytest.raises(BadInputError, match="4500 characters, more than the 4000"):
        generate("x" * 4500, out_dir=tmp_path)
    with pytest.raises(BadInputError, match="not UTF-8"):
        generate("a \udcff ball", out_dir=tmp_path)
    with pytest.raises(BadInputError, match="must be text"):
        generate(42)  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="invalid bogus"):
        generate("a ball", context={"bogus": 1})
    assert not list(tmp_path.iterdir())


def test_preflight_fails_before_anything_is_written_or_spent(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    res = CliRunner().invoke(app, ["run", "a ball falls", "--out", str(tmp_path),
                                   "--judge", "vlm:openai/gpt-4o"])
    assert res.exit_code == 2 and "judge vlm:openai/gpt-4o: set OPENAI_API_KEY" in res.stderr
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_preflight_with_an_unknown_model_names_the_opt_out(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used-0000000000")
    with pytest.raises(BackendUnavailable, match=r"not in litellm's model table.*preflight"):
        generate("a ball", out_dir=tmp_path, context={"planner": "litellm:openai/gpt-17"})


def test_mcp_validates_arguments_and_reads_only_allowed_folders(fakes, fake_context, tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    outside = tmp_path / "outside.mp4"

    async def session():
        async with Client(build_server(fake_context, allow=[clips], duration_s=1.0)) as client:
            made = await client.call_tool("generate_video", {"prompt": "a ball falls",
                                                             "max_generations": 1})
            video = Path(made.structured_content["video"])
            (clips / "copy.mp4").write_bytes(video.read_bytes())
            outside.write_bytes(video.read_bytes())
            return [made] + [await client.call_tool(tool, args) for tool, args in [
                ("generate_video", {"prompt": "a ball", "max_generations": 0}),
                ("generate_video", {"prompt": "a ball", "max_generations": -5}),
                ("judge_video", {"path": str(outside)}),
                ("judge_video", {"path": str(clips / "copy.mp4"), "judge": "kinematics"}),
            ]]

    made, zero, negative, denied, allowed = asyncio.run(session())
    assert not made.is_error and zero.is_error and negative.is_error
    assert denied.is_error and "--allow" in str(denied.content)
    assert not allowed.is_error and allowed.structured_content["judge"] == "scripted"


# ---- retries are visible ---------------------------------------------------------------------


class _Pair(BaseModel):
    name: str
    count: int


def test_each_retry_is_an_event_on_its_model_call_and_a_reask_on_the_backend(scripted_llm,
                                                                             spans):
    scripted_llm.queue.extend([rate_limited(), rate_limited(), "not json",
                               '{"name": "a", "count": 1}'])
    options = LLMOptions(backoff_s=0.01, backoff_max_s=0.05, max_retries=2, max_repairs=1)
    client = LLMClient(f"{PROVIDER}/plain", options, instead="choose x")
    with spans.tracer.start_as_current_span("backend.planner"):
        _, spent = client.ask(_Pair, "system", "user")
    finished = {s.name: s for s in spans.exporter.get_finished_spans()}
    calls = [s for s in spans.exporter.get_finished_spans() if s.name == "chat plain"]
    assert len(calls) == 2  # the malformed answer, then the re-asked one
    retries = [e.attributes for e in calls[0].events if e.name == "retry"]
    assert [(r["attempt"], r["error.type"]) for r in retries] == [
        (1, "RateLimitError"), (2, "RateLimitError")]
    assert all(0 <= r["wait_s"] <= 0.05 for r in retries)
    assert [e.name for e in finished["backend.planner"].events] == ["reask"]
    assert spent.input_tokens == 2 * 120  # the malformed answer was paid for too


def test_trace_tree_shows_retries_under_their_backend_call(tmp_path):
    run_trace = tracing.open_run("r1", tmp_path)
    with run_trace.span("node.plan"), run_trace.span("backend.planner", {"kinema.backend": "x"}):
        from opentelemetry import trace

        trace.get_current_span().add_event("retry", {
            "attempt": 1, "error.type": "RateLimitError", "error.message": "slow down",
            "wait_s": 0.5, "call": "completion"})
    tracing.close_run("r1", "completed")
    res = CliRunner().invoke(app, ["trace", str(tmp_path)])
    assert "retry after attempt 1 (completion) failed: RateLimitError" in res.stdout


def test_report_of_a_run_whose_prompt_was_not_utf8_is_written(fakes, fake_context):
    """Runs made before prompts were checked may hold undecodable bytes; the report copes."""
    result = run(RunRequest(prompt="a ball falls", duration_s=1.0), fake_context)
    path = Path(result.run_dir) / "result.json"
    path.write_text(path.read_text().replace('"a ball falls"', '"a ball \\udcff falls"', 1))
    res = CliRunner().invoke(app, ["report", result.run_dir])
    assert res.exit_code == 0, res.output
    assert "a ball \\udcff falls" in (Path(result.run_dir) / "report.html").read_text()
