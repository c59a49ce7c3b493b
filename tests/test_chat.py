"""`kinema chat` driven through a pipe: plan approval, live rounds, feedback, slash commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from agent.chat import Chat, Session, Turn, parse_budget, refined_prompt
from agent.cli import app
from agent.state import Budget

ROOT = Path(__file__).parents[1]
FAKE_SPECS = ["--planner", "fixed", "--keyframes", "blank", "--video", "scripted",
              "--judge", "scripted", "--refiner", "echo"]


def chat(tmp_path: Path, lines: list[str], *extra: str):
    res = CliRunner().invoke(app, ["chat", "--out", str(tmp_path / "runs"), "--duration", "1",
                                   *FAKE_SPECS, *extra], input="\n".join(lines) + "\n",
                             catch_exceptions=False)
    return res


def session_of(tmp_path: Path) -> Session:
    return Session.model_validate_json((tmp_path / "runs" / "chat.json").read_text())


def test_prompt_approve_feedback_history_quit_makes_two_linked_runs(fakes, tmp_path):
    res = chat(tmp_path, ["a ball falls", "y", "make the bounce lower", "/history", "/quit"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Plan" in out and "free fall" in out and "approve?" in out
    assert "round 1" in out and "score 0.40" in out and "video:" in out
    turns = session_of(tmp_path).turns
    assert len(turns) == 2
    first, second = turns
    assert first.parent_run_id is None and second.parent_run_id == first.run_id
    assert second.prompt == refined_prompt(first.prompt, "make the bounce lower")
    assert "make the bounce lower" in second.prompt and first.prompt in second.prompt
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert runs == sorted([first.run_id, second.run_id])
    second_result = json.loads(Path(second.run_dir, "result.json").read_text())
    assert second_result["prompt"] == second.prompt
    assert "#2 run" in out and "(refines #1)" in out
    assert all(len(line) <= 80 for line in out.splitlines()), "readable at 80 columns"


def test_edit_then_cancel_generates_nothing(fakes, tmp_path):
    res = chat(tmp_path, ["a ball falls", "e", "a ball falls slowly", "c", "/history"])
    assert res.exit_code == 0
    assert res.stdout.count("Plan") == 2 and "cancelled" in res.stdout
    assert fakes["video"].jobs == [] and "no runs yet" in res.stdout


def test_conversation_survives_a_restart(fakes, tmp_path):
    chat(tmp_path, ["a ball falls", "y", "/budget 2", "/use judge=scripted", "/quit"])
    res = chat(tmp_path, ["from higher up", "/history", "/budget"], "--resume")
    assert res.exit_code == 0 and "resumed: 1 runs" in res.stdout
    turns = session_of(tmp_path).turns
    assert len(turns) == 2 and turns[1].parent_run_id == turns[0].run_id
    assert "budget: max_generations=2" in res.stdout
    assert fakes["video"].jobs[-1].prompt.endswith("Revision: from higher up")


def test_slash_commands(fakes, tmp_path):
    res = chat(tmp_path, ["/help", "/backends", "/use video=nope", "/use judge", "/budget x=1",
                          "/use video=studio", "/option video.steps=3", "/option nope",
                          "/open", "/frobnicate", "/judge /nope.mp4", "/quit"])
    assert res.exit_code == 0
    out = res.stdout
    assert "/budget" in out and "/quit" in out  # help
    assert "scripted" in out and "refiner" in out  # backends table
    assert "unknown video backend 'nope'" in out
    assert "usage: /use ROLE=SPEC" in out
    assert "unknown budget cap 'x'" in out
    assert "invalid option video.steps: video backend 'studio' takes no such option" in out
    assert "write ROLE.KEY=VALUE" in out
    assert "no video yet" in out and "unknown command /frobnicate" in out
    assert "no such file" in out


def test_new_starts_over_and_open_names_the_video(fakes, tmp_path):
    res = chat(tmp_path, ["a ball falls", "y", "/open", "/new", "a block slides", "y", "/quit"])
    assert res.exit_code == 0 and "final.mp4" in res.stdout
    turns = session_of(tmp_path).turns
    assert [t.parent_run_id for t in turns] == [None, None]


def test_resume_without_a_saved_conversation_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["chat", "--out", str(tmp_path), "--resume"], input="")
    assert res.exit_code == 2 and "no conversation to resume" in res.stderr


def test_parse_budget():
    assert parse_budget("3", Budget()).max_generations == 3
    both = parse_budget("max_usd=0.5 max_seconds=none", Budget(max_seconds=10))
    assert both.max_usd == 0.5 and both.max_seconds is None


def test_kinema_chat_through_a_real_pipe_on_the_studio(tmp_path):
    """The real console script's module in a subprocess, stdin a pipe, the offline studio."""
    lines = "a rubber ball drops onto the floor and bounces\ny\nmake the bounce lower\n" \
            "make it more cinematic\n/history\n/quit\n"
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "chat", "--out", str(tmp_path / "runs"),
         "--duration", "1", "--width", "320", "--height", "180", "--max-generations", "2"],
        input=lines, capture_output=True, text=True, cwd=ROOT, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    turns = session_of(tmp_path).turns
    assert len(turns) == 2 and turns[1].parent_run_id == turns[0].run_id
    assert "(refines #1)" in done.stdout
    # The feedback reached the scene: the ball bounces lower, and the user was told.
    first, second = (turns[k].scene.bodies[0] for k in (0, 1))
    assert first.bounciness is None and second.bounciness is not None
    assert second.bounciness < 0.82 and "scene revised" in done.stdout
    # Feedback the studio's scene cannot take is said so and not run (two turns, not three).
    assert "could not apply to the scene" in done.stdout and "not run" in done.stdout
    # Approving the plan resumes the graph from its checkpoint: no library chatter about it.
    assert done.stderr == "", done.stderr[-3000:]


def test_options_and_every_cap_reach_the_run(fakes, tmp_path):
    res = chat(tmp_path, ["/budget max_usd=0.9 max_tokens=100000", "/option judge.strict=true",
                          "/budget", "/option", "a ball falls", "y", "/quit"],
               "--max-seconds", "50")
    assert res.exit_code == 0, res.output
    assert "max_seconds=50.0" in res.stdout and "max_usd=0.9" in res.stdout
    assert "judge.strict=true" in res.stdout, res.stdout
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    context = json.loads((run_dir / "context.json").read_text())
    assert context["options"] == {"judge": {"strict": True}}
    assert context["budget"]["max_tokens"] == 100000 and context["budget"]["max_seconds"] == 50


def test_open_prints_the_path_and_launches_a_viewer_only_on_a_desktop(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from agent import chat as chat_module
    from agent.context import Context

    launched: list[str] = []
    monkeypatch.setattr(chat_module, "open_file", launched.append)
    monkeypatch.setattr(chat_module.sys, "platform", "linux")
    monkeypatch.setattr(chat_module.sys.stdout, "isatty", lambda: True, raising=False)
    shown = io.StringIO()
    session = Session(turns=[Turn(message="a ball", prompt="a ball", video="runs/r/final.mp4")])
    talk = Chat(Context(), {}, tmp_path / "chat.json", session, lambda prompt: None,
                Console(file=shown, width=80))
    for variable in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(variable, raising=False)
    talk.cmd_open("")
    assert "video: runs/r/final.mp4" in shown.getvalue() and launched == []
    monkeypatch.setenv("DISPLAY", ":0")
    talk.cmd_open("")
    assert launched == ["runs/r/final.mp4"]
