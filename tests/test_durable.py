"""Durable runs: SIGKILL or Ctrl-C in the middle of a round, then resume, as if nothing happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent import tracing
from agent.cli import app
from agent.rundir import CHECKPOINTS_FILE, CONTEXT_FILE, read_result
from agent.runner import RunInterrupted, resume, run
from agent.state import RunRequest
from tests import durable_run
from tools.base import registry
from tools.errors import BadInputError

ROOT = Path(__file__).resolve().parents[1]


def _process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.durable_run", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def _generated_candidates(run_dir: Path) -> list[str]:
    spans = tracing.read_spans(run_dir)
    return [tracing.attributes_of(s)["kinema.candidate"] for s in spans
            if s["name"] == "backend.video"]


@pytest.fixture
def seeded_backends():
    durable_run.register()
    yield
    for role, scheme in [("planner", "fixed"), ("keyframes", "blank"), ("video", "seeded"),
                         ("judge", "brightness"), ("refiner", "pure")]:
        registry.unregister(role, scheme)


def test_sigkill_mid_round_then_resume_pays_for_nothing_twice(tmp_path):
    log = tmp_path / "generated.log"
    killed = _process("run", str(tmp_path / "killed"),
                      env={"KINEMA_TEST_LOG": str(log), "KINEMA_TEST_KILL_AT": "r02c1"})
    assert killed.returncode == -9, killed.stderr
    (run_dir,) = (tmp_path / "killed").iterdir()
    assert (run_dir / CHECKPOINTS_FILE).is_file() and (run_dir / CONTEXT_FILE).is_file()
    assert sorted(log.read_text().split()) == ["r01c0", "r01c1", "r02c0"]

    resumed = _process("resume", str(run_dir), env={"KINEMA_TEST_LOG": str(log)})
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads(resumed.stdout)
    # No finished candidate was generated twice: not by the backend, not in the trace.
    finished = log.read_text().split()
    assert len(finished) == len(set(finished)) and "r02c1" in finished
    assert Counter(_generated_candidates(run_dir)) == Counter(finished)
    # The attempt the kill cut short was paid for: it stays in the ledger, within the caps.
    on_disk = read_result(run_dir)
    assert on_disk["status"] == "completed"
    assert on_disk["ledger"]["generations"] == after["generations"] == len(finished) + 1 <= 6
    assert on_disk["ledger"]["usd"] == pytest.approx(0.001 + (len(finished) + 1) * 0.25)
    lost = [e for s in tracing.read_spans(run_dir) for e in s["events"]
            if e["name"] == "kinema.lost_attempts"]
    assert len(lost) == 1 and tracing.attributes_of(lost[0])["count"] == 1


class _InterruptingVideo(durable_run.SeededVideo):
    """Ctrl-C arrives while candidate `interrupt_at` is being generated."""

    interrupt_at = "r02c0"

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        self.generated: list[str] = []

    def generate(self, job, out_path):
        if job.candidate_id == self.interrupt_at:
            self.interrupt_at = ""
            raise KeyboardInterrupt
        self.generated.append(job.candidate_id)
        return super().generate(job, out_path)


def test_ctrl_c_leaves_a_resumable_run(seeded_backends, tmp_path):
    video = _InterruptingVideo()
    registry.register("video", "seeded", lambda model, **_: video)
    ctx = durable_run.context(str(tmp_path / "runs"))
    ctx.candidates_per_round = 1
    with pytest.raises(RunInterrupted) as info:
        run(RunRequest(prompt="a ball falls", duration_s=1.0), ctx)
    run_dir = info.value.run_dir
    assert read_result(run_dir)["status"] == "cancelled"
    result = resume(run_dir)
    assert result.status == "completed" and read_result(run_dir)["status"] == "completed"
    # The generation Ctrl-C cut short was paid for: the ledger counts it beside the others.
    assert len(video.generated) == len(set(video.generated)) == result.ledger.generations - 1
    assert video.generated[:2] == ["r01c0", "r02c0"]


def test_cli_says_how_to_resume_and_resume_finishes(seeded_backends, tmp_path):
    video = _InterruptingVideo()
    registry.register("video", "seeded", lambda model, **_: video)
    cli = CliRunner()
    args = ["run", "a ball falls", "--out", str(tmp_path), "--duration", "1", "--planner",
            "fixed", "--keyframes", "blank", "--video", "seeded", "--judge", "brightness",
            "--refiner", "pure"]
    res = cli.invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 130 and "kinema resume" in res.stderr
    (run_dir,) = tmp_path.iterdir()
    assert str(run_dir) in res.stderr
    res = cli.invoke(app, ["resume", str(run_dir), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["status"] == "completed"
    res = cli.invoke(app, ["resume", str(run_dir)], catch_exceptions=False)
    assert res.exit_code == 2 and "already completed" in res.stderr


def test_resume_needs_a_run_directory(tmp_path):
    with pytest.raises(BadInputError, match=r"context\.json"):
        resume(tmp_path)
