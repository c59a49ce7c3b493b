"""The CLI through its real entry point: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()
FAKE_SPECS = ["--planner", "fixed", "--keyframes", "blank", "--video", "scripted",
              "--judge", "scripted", "--refiner", "echo"]


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_run_json_prints_result(fakes, tmp_path):
    res = invoke("run", "a ball falls", "--out", str(tmp_path), "--json", "--duration", "1",
                 *FAKE_SPECS)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["status"] == "completed" and payload["best"]["score"] == 0.95
    assert Path(payload["run_dir"]).parent == tmp_path


def test_run_prints_progress_and_summary(fakes, tmp_path):
    res = invoke("run", "a ball falls", "--out", str(tmp_path), "--duration", "1", *FAKE_SPECS)
    assert res.exit_code == 0
    assert "round 1 r01c0 score 0.40" in res.stderr and "round 3 stop: best score" in res.stderr
    assert "stop: target_reached" in res.stdout and "final.mp4" in res.stdout


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_empty_prompt_exits_2_and_writes_nothing(tmp_path, prompt):
    res = invoke("run", prompt, "--out", str(tmp_path / "runs"))
    assert res.exit_code == 2
    assert "prompt is empty" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_unknown_backend_exits_2_naming_known_ones(tmp_path):
    res = invoke("run", "a ball", "--video", "warp:1", "--out", str(tmp_path / "runs"))
    assert res.exit_code == 2 and "studio" in res.stderr and "warp:1" in res.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_exits_2(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    res = invoke("run", "a ball", "--out", str(locked / "runs"))
    assert res.exit_code == 2 and "--out" in res.stderr


def test_out_that_is_a_file_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = invoke("run", "a ball", "--out", str(blocker / "runs"))
    assert res.exit_code == 2 and "--out" in res.stderr


def test_bad_number_exits_2(tmp_path):
    res = invoke("run", "a ball", "--duration", "-1", "--out", str(tmp_path))
    assert res.exit_code == 2 and "duration" in res.stderr


@pytest.mark.parametrize("content", [None, b"not a video at all"])
def test_judge_unreadable_video_exits_2(tmp_path, content):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    res = invoke("judge", str(path))
    assert res.exit_code == 2 and "clip.mp4" in res.stderr


@pytest.fixture(scope="module")
def dropped_ball(tmp_path_factory) -> Path:
    """A studio rendering of one red rubber ball dropped from 1 m (the simulation itself)."""
    import numpy as np

    from tools.media import write_video
    from tools.studio.reader import read_scene
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec

    sim = simulate_spec(read_scene("a red rubber ball is dropped from 1 m", 1.5))
    renderer = Renderer(sim.world, 320, 180)
    frames = np.stack([renderer.frame(sim.poses_at(i / 24)) for i in range(36)])
    return write_video(frames, tmp_path_factory.mktemp("clips") / "drop.mp4", fps=24)


def test_judge_with_a_prompt_measures_adherence(dropped_ball):
    own = json.loads(invoke("judge", str(dropped_ball), "--json", "--prompt",
                            "a red rubber ball is dropped from 1 m").stdout)
    assert own["adherence"] > 0.9 and own["score"] == pytest.approx(
        own["physics"] * own["adherence"])
    assert {c["id"] for c in own["adherence_checks"]} >= {"adherence.bodies", "adherence.events"}
    other = json.loads(invoke("judge", str(dropped_ball), "--json", "--prompt",
                              "three blue balls roll across the floor").stdout)
    assert other["adherence"] < 0.5
    assert "adherence.bodies" in {c["id"] for c in other["adherence_checks"]
                                  if c["status"] == "violated"}
    plain = json.loads(invoke("judge", str(dropped_ball), "--json").stdout)
    assert plain["adherence"] is None and plain["adherence_checks"] == []
    table = invoke("judge", str(dropped_ball), "--prompt", "a red rubber ball is dropped")
    assert "adherence.events" in table.stdout and "physics" in table.stdout
