"""`kinema backends`: every family per role, usable or not, and why."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app


def test_backends_json_names_missing_keys(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-not-secret")
    result = CliRunner().invoke(app, ["backends", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    rows = {(r["role"], r["spec"]): r for r in json.loads(result.stdout)}
    assert {role for role, _ in rows} == {"planner", "refiner", "keyframes", "video", "judge"}
    assert rows[("judge", "kinematics")]["usable"] is True
    assert rows[("judge", "vlm:gpt-4o")] == {"role": "judge", "spec": "vlm:gpt-4o",
                                             "usable": False, "reason": "set OPENAI_API_KEY"}
    assert rows[("planner", "litellm:gemini/gemini-2.5-pro")]["usable"] is True
    assert "test-key-not-secret" not in result.stdout
    diffusers = rows[("video", "diffusers:<Wan, LTX-Video or CogVideoX repo or folder>")]
    assert diffusers["usable"] or "GPU" in diffusers["reason"] or "extra" in diffusers["reason"]


def test_backends_table():
    result = CliRunner().invoke(app, ["backends"], catch_exceptions=False)
    assert result.exit_code == 0 and "why not" in result.stdout and "litellm-video" in result.stdout
