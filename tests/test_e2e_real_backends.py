"""`kinema run` end to end with model backends: litellm planner/refiner/judge, diffusers video.

The planner, refiner and VLM judge are the scripted litellm provider (with a rate-limit error and
a malformed answer on the way); the video is a tiny random-weight Wan pipeline on disk; the judge
is the ensemble of the measured kinematics judge and the VLM.
"""

from __future__ import annotations

import json
from pathlib import Path

import litellm
import pytest
from typer.testing import CliRunner

pytest.importorskip("diffusers")

from agent.cli import app
from tests import tiny_pipelines
from tests.llm_provider import PROVIDER

MODEL = f"{PROVIDER}/structured"


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory) -> Path:
    return tiny_pipelines.wan(tmp_path_factory.mktemp("e2e") / "wan")


def test_run_with_llm_roles_ensemble_judge_and_diffusers_video(scripted_llm, tiny_wan, tmp_path):
    pytest.importorskip("tools.judges.kinematics")
    scripted_llm.queue.extend([
        litellm.RateLimitError(message="slow down", llm_provider=PROVIDER, model=MODEL),
        "I think the plan is: {",  # malformed, then the default (well-formed) plan on re-ask
    ])
    result = CliRunner().invoke(app, [
        "run", "a ball dropped onto the floor", "--out", str(tmp_path), "--json",
        "--duration", "0.5", "--fps", "24", "--width", "32", "--height", "32",
        "--max-generations", "2", "--target", "0.99",
        "--planner", f"litellm:{MODEL}", "--refiner", f"litellm:{MODEL}",
        "--judge", f"ensemble:kinematics+vlm:{MODEL}", "--keyframes", "none",
        "--video", f"diffusers:{tiny_wan}",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    saved = json.loads((Path(payload["run_dir"]) / "result.json").read_text())
    ledger = saved["ledger"]
    assert saved["final_video"] == "final.mp4"  # paths in result.json: run-folder relative
    assert saved["status"] == "completed" and Path(payload["final_video"]).is_file()
    assert ledger["generations"] >= 1 and saved["stop_reason"]
    assert ledger["input_tokens"] > 0 and ledger["output_tokens"] > 0 and ledger["usd"] > 0
    assert "gpu_seconds" in ledger  # metered: 0.0 on this CPU, wall seconds of the call on CUDA
    assert saved["backends"]["judge"] == f"ensemble:kinematics+vlm:{MODEL}"


@pytest.fixture(scope="module")
def tiny_wan_i2v(tmp_path_factory) -> Path:
    return tiny_pipelines.wan(tmp_path_factory.mktemp("e2e") / "wan-i2v", image_to_video=True)


def test_llm_planner_scene_gives_simulated_keyframes_to_a_diffusers_video(
        scripted_llm, tiny_wan_i2v, tmp_path):
    """`--planner litellm:<model>` with the default keyframes: the model's scene is simulated,
    the keyframes are rendered from it and the image-to-video pipeline starts from them."""
    from tests.llm_provider import PLAN_WITH_SCENE

    scripted_llm.queue.append(json.dumps(PLAN_WITH_SCENE))
    result = CliRunner().invoke(app, [
        "run", "a red rubber ball dropped onto the floor", "--out", str(tmp_path), "--json",
        "--duration", "0.5", "--fps", "24", "--width", "32", "--height", "32",
        "--max-generations", "1", "--planner", f"litellm:{MODEL}",
        "--video", f"diffusers:{tiny_wan_i2v}",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run_dir = Path(json.loads(result.stdout)["run_dir"])
    saved = json.loads((run_dir / "result.json").read_text())
    assert saved["status"] == "completed" and (run_dir / saved["final_video"]).is_file()
    scene = saved["plan"]["scene"]
    assert scene["bodies"][0]["action"] == "dropped" and scene["ignored"] == []
    keyframes = sorted((run_dir / "rounds" / "01" / "keyframes").glob("kf_*.png"))
    assert keyframes, "the studio rendered the model's scene into keyframes"
    record = json.loads((run_dir / "rounds" / "record.json").read_text())
    first = record["iterations"][0]["keyframes"][0]
    assert first["source"] == "studio" and first["layout"]["bodies"]["ball"]
