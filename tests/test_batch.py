"""`kinema batch`: every item done exactly once, across failures, stops, kills and restarts."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.batch import (
    BatchBusyError,
    BatchInterrupted,
    BatchLimits,
    _batch_lock,
    placement_of,
    run_batch,
)
from agent.batch_item import item_folder, read_record
from agent.cli import app
from agent.context import Context
from agent.executors import Placement
from tests import batch_backends
from tools.base import registry
from tools.errors import BadInputError

ROOT = Path(__file__).resolve().parents[1]
REQUEST = {"duration_s": 1.0}


@pytest.fixture
def backends(tmp_path, monkeypatch):
    log = tmp_path / "generated.log"
    monkeypatch.setenv("KINEMA_TEST_LOG", str(log))
    batch_backends.register()
    yield log
    unregister()


def unregister() -> None:
    for role, scheme in [("planner", "fixed"), ("planner", "picky"), ("keyframes", "blank"),
                         ("video", "seeded"), ("video", "held"), ("video", "stopper"),
                         ("judge", "brightness"), ("refiner", "pure")]:
        registry.unregister(role, scheme)


def _prompts(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _generated(log: Path) -> int:
    return len(log.read_text().split()) if log.exists() else 0


def test_batch_runs_every_item_and_summarises_it(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "a liquid spreads in space", "a block slides")
    out = tmp_path / "batch"
    summary = run_batch(source, out, context=batch_backends.context(), request=REQUEST)

    items = {i["id"]: i for i in summary["items"]}
    assert [i["status"] for i in summary["items"]] == ["completed", "failed", "completed"]
    failed = items["002-a-liquid-spreads-in-space"]
    assert "cannot simulate" in failed["error"] and failed["run_dir"] is None
    done = items["001-a-ball-falls"]
    assert done["generations"] == 4 and done["usd"] == pytest.approx(1.001)  # 4 clips and a plan
    assert done["score"] is not None and done["physics"] is not None
    assert (out / done["report"]).is_file() and (out / done["run_dir"] / "final.mp4").is_file()
    # Video calls in the traces are the generations in the ledgers, and what was generated.
    assert summary["batch"]["video_calls"] == summary["batch"]["generations"] == 8
    assert _generated(backends) == 8
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == list(items) and rows[1]["status"] == "failed"
    assert json.loads((out / "summary.json").read_text())["batch"]["completed"] == 2
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "cannot simulate" in page and done["report"] in page


def test_running_again_skips_what_is_done_and_retries_failures_on_request(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "a liquid spreads")
    out = tmp_path / "batch"
    run_batch(source, out, context=batch_backends.context(), request=REQUEST)
    first = _generated(backends)
    summary = run_batch(source, out, context=batch_backends.context(), request=REQUEST)
    assert _generated(backends) == first == 4
    assert [i["attempts"] for i in summary["items"]] == [1, 1]
    retried = run_batch(source, out, context=batch_backends.context(), request=REQUEST,
                        retry_failed=True)  # only the failed item runs again
    assert [i["attempts"] for i in retried["items"]] == [1, 2] and _generated(backends) == 4


def test_a_stopped_batch_resumes_its_runs_without_generating_twice(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "stop here: a ball rolls", "a block slides")
    out = tmp_path / "batch"
    ctx = batch_backends.context(video="stopper")
    with pytest.raises(BatchInterrupted):  # the stop request comes half-way through item 2
        run_batch(source, out, context=ctx, request=REQUEST)
    second = read_record(item_folder(out, "002-stop-here-a-ball-rolls"))
    assert second is not None and second.status == "running" and second.run_dir
    assert read_record(item_folder(out, "003-a-block-slides")) is None
    saved = json.loads((out / "summary.json").read_text())["batch"]
    assert (saved["completed"], saved["interrupted"], saved["pending"]) == (1, 1, 1)
    # The saved run's clips are in its trace and checkpoint; its ledger catches up on resume.
    assert saved["video_calls"] == _generated(backends) == 6

    summary = run_batch(source, out, context=ctx, request=REQUEST)
    assert [i["status"] for i in summary["items"]] == ["completed"] * 3
    assert [i["attempts"] for i in summary["items"]] == [1, 2, 1]
    assert summary["batch"]["generations"] == summary["batch"]["video_calls"] == 12
    assert _generated(backends) == 12  # the two clips made before the stop were not remade


def test_batch_budget_stops_starting_items(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "a ball rolls", "a block slides")
    out = tmp_path / "batch"
    summary = run_batch(source, out, context=batch_backends.context(), request=REQUEST,
                        limits=BatchLimits(usd=0.5))  # the first item alone spends $1.00
    assert [i["status"] for i in summary["items"]] == ["completed", "pending", "pending"]
    assert "batch budget spent" in summary["batch"]["stopped"]
    summary = run_batch(source, out, context=batch_backends.context(), request=REQUEST,
                        limits=BatchLimits(usd=10.0))
    assert summary["batch"]["finished"] and summary["batch"]["usd"] == pytest.approx(3.003)


def test_other_run_options_on_the_same_folder_are_refused(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls")
    out = tmp_path / "batch"
    run_batch(source, out, context=batch_backends.context(), request=REQUEST)
    with pytest.raises(BadInputError, match="duration_s"):
        run_batch(source, out, context=batch_backends.context(), request={"duration_s": 2.0})
    with pytest.raises(BadInputError, match="items"):
        run_batch(_prompts(tmp_path, "a ball falls", "a ball rolls"), out,
                  context=batch_backends.context(), request=REQUEST)


def test_one_driver_per_batch_folder(tmp_path):
    out = tmp_path / "batch"
    out.mkdir()
    with _batch_lock(out), pytest.raises(BatchBusyError, match="already running"):
        run_batch(_prompts(tmp_path, "a ball falls"), out)


def test_bad_options_fail_before_anything_is_written(backends, tmp_path):
    out = tmp_path / "batch"
    with pytest.raises(BadInputError, match="width"):
        run_batch(_prompts(tmp_path, "a ball falls"), out, context=batch_backends.context(),
                  request={"width": 2})
    assert not out.exists()


def test_worker_processes_each_load_their_backends_once(backends, tmp_path, monkeypatch):
    loads = tmp_path / "loads"
    loads.mkdir()
    monkeypatch.setenv("KINEMA_TEST_LOADS", str(loads))
    source = _prompts(tmp_path, *(f"a ball falls from {k} m" for k in range(1, 5)))
    summary = run_batch(source, tmp_path / "batch", context=batch_backends.context("held", 2),
                        request=REQUEST, workers=2, setup=batch_backends.register)
    assert summary["batch"]["completed"] == 4
    assert summary["batch"]["video_calls"] == summary["batch"]["generations"] == 8
    loaders = {p.name: p.read_text().count("loaded") for p in loads.iterdir()}
    assert 1 <= len(loaders) <= 2 and str(os.getpid()) not in loaders
    assert set(loaders.values()) == {1}  # one load per worker process, not one per item


def test_a_killed_driver_resumes_where_it_died(backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "a ball rolls", "a block slides")
    out = tmp_path / "batch"
    command = [sys.executable, "-m", "tests.batch_backends", str(source), str(out)]
    env = {**os.environ, "KINEMA_TEST_LOG": str(backends), "KINEMA_TEST_KILL_AT": "r02c1"}
    killed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -9, killed.stderr  # SIGKILL half-way through item 1, round 2
    assert _generated(backends) == 3

    env.pop("KINEMA_TEST_KILL_AT")
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert [i["attempts"] for i in summary["items"]] == [2, 1, 1]
    # The clip the kill cut short is made again, and the first attempt stays spent: the
    # ledger charges it and the trace records it as lost (its own span died with the process).
    assert summary["batch"]["generations"] == summary["batch"]["video_calls"] == 13
    assert _generated(backends) == 12  # the three clips saved before the kill were kept


def test_cli_batch_prints_progress_and_a_summary(backends, tmp_path):
    source = tmp_path / "prompts.jsonl"
    source.write_text('{"id": "drop", "prompt": "a ball falls", "category": "falls"}\n'
                      '{"id": "spill", "prompt": "a liquid spreads", "category": "fluids"}\n')
    args = ["batch", str(source), "--out", str(tmp_path / "batch"), "--duration", "1",
            "--max-generations", "2", "--planner", "picky", "--keyframes", "blank", "--video",
            "seeded", "--judge", "brightness", "--refiner", "pure"]
    res = CliRunner().invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "done   drop" in res.stderr and "failed spill" in res.stderr
    assert "1 completed, 1 failed" in res.stdout and "summary.html" in res.stdout
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text())
    assert set(summary["categories"]) == {"falls", "fluids"}


def test_cli_batch_bad_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "prompts.jsonl"
    bad.write_text('{"prompt": "a ball falls"}\nnot json\n')
    res = CliRunner().invoke(app, ["batch", str(bad), "--out", str(tmp_path / "b")],
                             catch_exceptions=False)
    assert res.exit_code == 2 and "line 2" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "b").exists()


def test_placement_asks_a_gpu_for_diffusers_and_none_for_apis():
    assert placement_of(Context()) == Placement(cpus=1.0, gpus=0.0, stateful=False)
    gpu = placement_of(Context(video="diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers"))
    assert gpu == Placement(cpus=1.0, gpus=1.0, stateful=True)
    api = placement_of(Context(video="litellm-video:sora-2", judge="vlm:gpt-4o"))
    assert api.gpus == 0.0 and not api.stateful
