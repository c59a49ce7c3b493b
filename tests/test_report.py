"""report.html in every run directory, `kinema report` and `kinema trace`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.report import REPORT_FILE, rebuild_report
from agent.runner import run
from agent.state import RunRequest
from tools.base import registry

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _run(ctx, prompt="a ball falls"):
    return run(RunRequest(prompt=prompt, duration_s=1.0), ctx)


def _page(run_dir: str) -> str:
    return (Path(run_dir) / REPORT_FILE).read_text(encoding="utf-8")


def test_every_finished_run_has_a_self_contained_report(fakes, fake_context):
    result = _run(fake_context)
    page = _page(result.run_dir)
    assert not re.search(r'(src|href)="(https?:)?//', page), "the report must not need a network"
    assert "a ball falls" in page and "free fall" in page and "Keyframe moments" in page
    candidates = [c.id for r in result.rounds for c in r.candidates]
    filmstrips = re.findall(r'alt="filmstrip of (r\d\dc\d)" src="data:image/jpeg;base64,', page)
    assert filmstrips == candidates
    assert 'alt="score and cumulative cost per round" src="data:image/png;base64,' in page
    assert '<video controls loop muted src="data:video/mp4;base64,' in page
    for rnd in result.rounds:
        assert rnd.decision.reason in page
    assert page.count('class="violated">violated<') >= 1  # rule verdicts are listed
    assert (Path(result.run_dir) / "rounds" / "record.json").is_file()


def test_kinema_report_rebuilds_the_page(fakes, fake_context):
    result = _run(fake_context)
    before = _page(result.run_dir)
    (Path(result.run_dir) / REPORT_FILE).unlink()
    res = runner.invoke(app, ["report", result.run_dir], catch_exceptions=False)
    assert res.exit_code == 0 and REPORT_FILE in res.stdout
    assert _page(result.run_dir) == before


def test_a_large_final_video_is_linked_not_embedded(fakes, fake_context):
    result = _run(fake_context)
    rebuild_report(result.run_dir, embed_video_max_bytes=10)
    page = _page(result.run_dir)
    assert 'href="final.mp4"' in page and "data:video/mp4" not in page


class CrashingJudge:
    spec = "crash"

    def __init__(self, model=None):
        pass

    def judge(self, video, plan=None):
        raise RuntimeError("judge fell over")


def test_a_failed_run_still_gets_a_report(fakes, fake_context):
    registry.register("judge", "crash", lambda model, **_: CrashingJudge())
    fake_context.judge = "crash"
    try:
        with pytest.raises(RuntimeError):
            _run(fake_context)
    finally:
        registry.unregister("judge", "crash")
    (run_dir,) = Path(fake_context.out_dir).iterdir()
    page = _page(str(run_dir))
    assert "judge fell over" in page and "No video was produced" in page


def test_report_of_a_folder_without_a_run_exits_2(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "result.json" in res.stderr


def test_kinema_trace_prints_the_decision_tree(fakes, fake_context):
    result = _run(fake_context)
    res = runner.invoke(app, ["trace", result.run_dir], catch_exceptions=False)
    assert res.exit_code == 0
    out = res.stdout
    assert f"run {result.run_id}" in out and "completed" in out
    for rnd in result.rounds:
        assert f"round {rnd.index}" in out
        assert f"decision: {rnd.decision.action} ({rnd.decision.reason})" in out
    assert "judgement r01c0: score 0.4" in out and "violated: gravity" in out
    assert "backend.video scripted" in out and "finished stop:" in out


def test_trace_of_a_folder_without_a_trace_exits_2(tmp_path):
    res = runner.invoke(app, ["trace", str(tmp_path)])
    assert res.exit_code == 2 and "trace.jsonl" in res.stderr


def _screenshot(page: Path, png: Path) -> None:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1280,3200", f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_demo_report_renders_in_headless_chromium(tmp_path):
    """A real studio run, screenshotted: the filmstrips, the plot and the decisions show."""
    from PIL import Image

    from agent.api import generate

    result = generate("a red rubber ball rolls off a wooden table and bounces on the floor",
                      out_dir=tmp_path / "runs", duration_s=1.0, width=320, height=180)
    png = tmp_path / "report.png"
    _screenshot(Path(result.run_dir) / REPORT_FILE, png)
    shot = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert shot.shape[0] >= 3000 and shot.shape[1] == 1280
    # Rendered images (filmstrips, keyframes, plot) make many distinct colours; text alone few.
    colours = len(np.unique(shot.reshape(-1, 3) // 8, axis=0))
    assert colours > 500, colours


def test_report_shows_the_scene_and_what_it_leaves_out(tmp_path):
    from agent.report import write_report
    from agent.state import Budget, Ledger, RunRequest, RunResult
    from tools.studio.planner import StudioPlanner

    plan = StudioPlanner().plan(RunRequest(prompt="a red ball bounces while a dog barks"))
    result = RunResult(run_id="r1", prompt=plan.prompt, status="completed", stop_reason="x",
                       best=None, rounds=[], ledger=Ledger(), budget=Budget(), backends={},
                       run_dir=str(tmp_path), plan=plan)
    page = write_report(tmp_path, result, plan).read_text(encoding="utf-8")
    assert "left out of the scene" in page and "dog barks" in page
    assert "a red ball is dropped" in page


def test_one_duration_everywhere(fakes, tmp_path):
    """The CLI's summary, result.json, report.html and `kinema trace` show the same seconds."""
    res = CliRunner().invoke(app, ["run", "a ball falls", "--out", str(tmp_path), "--duration",
                                   "1", "--planner", "fixed", "--keyframes", "blank", "--video",
                                   "scripted", "--judge", "scripted", "--refiner", "echo"])
    assert res.exit_code == 0, res.output
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    seconds = json.loads((run_dir / "result.json").read_text())["ledger"]["seconds"]
    shown = f"{seconds:.1f} s"
    assert f"generations, {shown}" in res.stdout
    assert shown in (run_dir / "report.html").read_text()
    traced = CliRunner().invoke(app, ["trace", str(run_dir)]).stdout.splitlines()[0]
    assert f"completed · {shown} ·" in traced


def test_each_violation_is_drawn_on_the_video_where_it_happens(tmp_path):
    """The report shows what the judge saw: the flagged stretch's tracked path on its frame."""
    from agent.evidence import evidence_pictures
    from tests.synthetic_clips import render
    from tools.judges.kinematics import KinematicsJudge
    from tools.media import write_video

    t = np.arange(72) / 24
    heights = np.clip(150 - 200 * t, 0, None)  # a fall at constant speed: a glide
    video = write_video(render(60 + 30 * t, 194 - heights, floor_y=204), tmp_path / "v.mp4",
                        fps=24)
    verdict = KinematicsJudge().judge(video)
    gravity = next(r for r in verdict.rules if r.id == "gravity")
    assert gravity.status == "violated" and gravity.where
    pictures = evidence_pictures(video, verdict, gravity)
    assert len(pictures) == min(3, len(gravity.where))
    assert all(p.startswith("data:image/jpeg;base64,") for p in pictures)
