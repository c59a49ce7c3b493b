"""The foundation's promise: the offline default improves a video round by round."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent import tracing
from agent.cli import app
from tools.media import read_video

DEMO = "a red rubber ball rolls off a wooden table and bounces on the floor"


def test_demo_run_refines_until_physics_holds(tmp_path):
    res = CliRunner().invoke(app, ["run", DEMO, "--out", str(tmp_path), "--json",
                                   "--width", "640", "--height", "360"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    run_dir = Path(result["run_dir"])
    assert json.loads((run_dir / "result.json").read_text())["run_id"] == result["run_id"]
    rounds = result["rounds"]
    assert len(rounds) >= 2
    best_so_far = [max(r["candidates"][0]["score"] for r in rounds[: i + 1])
                   for i in range(len(rounds))]
    assert best_so_far[-1] > best_so_far[0]
    assert "gravity" in rounds[0]["candidates"][0]["violations"]
    assert rounds[1]["keyframes"] > rounds[0]["keyframes"]
    video, fps = read_video(run_dir / "final.mp4")
    assert video.shape[1:] == (360, 640, 3) and fps == 24
    spans = tracing.read_spans(run_dir)
    per_round = {(s["name"], tracing.attributes_of(s).get("kinema.round")) for s in spans}
    for index in range(1, len(rounds) + 1):
        assert ("node.generate", index) in per_round and ("node.judge", index) in per_round
    decisions = [tracing.attributes_of(e) for s in spans for e in s["events"]
                 if e["name"] == "decision"]
    assert decisions[-1]["action"] == "stop" and decisions[-1]["reason"] == result["stop_reason"]
