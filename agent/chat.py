"""`kinema chat`: a conversation that makes a video, then refines it on feedback.

Type what you want; Kinema shows its plan (phenomena, laws, rules, keyframe moments, budget) and
waits — a LangGraph `interrupt` in the graph built with `approve_plan=True` — until you approve,
edit or cancel it. Progress is printed round by round, then a summary. A later message ("make the
bounce lower") refines the last result: a new run whose prompt carries the previous prompt and
the feedback, and whose scene is the last one changed as the feedback asks (a lower bounce lowers
the bounciness, "make it two balls" adds one); the chat says what it changed and what it could
not apply, and a revision that changes nothing the generator sees is not run. The conversation
is saved after every turn in `<out>/chat.json`, so `kinema chat --resume` continues it after a
restart.

It reads lines plainly when stdin is not a terminal, so it can be driven (and tested) through a
pipe, and it keeps its output readable at 80 columns.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.backends import preflight
from agent.context import Context
from agent.intake import (
    BUDGET_CAPS,
    budget_with,
    context_for,
    merge_options,
    parse_option,
    request_for,
)
from agent.nodes.approve import PlanCancelled
from agent.render import Progress, budget_text, show_plan, show_summary, show_verdict
from agent.rundir import write_json_atomic
from agent.state import Budget, RunResult, SceneSpec, ShotPlan
from tools.base import registry
from tools.errors import BadInputError, KinemaError
from tools.redact import redact_text
from tools.schema import ROLES
from tools.studio.revise import revise

SESSION_FILE = "chat.json"
WIDTH = 80
HELP = """\
Type what the video should show. After a result, type feedback to refine it.
  /budget [N | CAP=VALUE ...]  show or set the caps: max_generations, max_usd,
                               max_seconds, max_gpu_seconds, max_tokens
                               (/budget 4 = 4 generations; CAP=none lifts one)
  /use ROLE=SPEC               choose a backend, e.g. /use judge=kinematics
  /option ROLE.KEY=VALUE       set a backend option, e.g. /option video.steps=30
  /backends                    the backend of each role and the known ones
  /judge PATH [PROMPT]         judge any video file
  /history                     the runs of this conversation
  /open                        open the last video (or print its path)
  /new                         start over: the next message is a new video
  /help                        this help
  /quit                        leave (the conversation is saved)"""


class Turn(BaseModel):
    """One message that made a run; `parent_run_id` links a refinement to the run it refines."""

    message: str
    prompt: str
    parent_run_id: str | None = None
    run_id: str | None = None
    run_dir: str | None = None
    status: Literal["completed", "failed", "cancelled"] = "completed"
    score: float | None = None
    stop_reason: str = ""
    video: str | None = None
    scene: SceneSpec | None = Field(None, description="The run's studio scene, which feedback "
                                    "revises.")
    at: float = Field(default_factory=time.time)


class Session(BaseModel):
    """What survives a restart: the turns, the chosen backends, options and the budget."""

    turns: list[Turn] = Field(default_factory=list)
    specs: dict[str, str] = Field(default_factory=dict)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    budget: Budget | None = None
    fresh: bool = Field(False, description="True after /new: the next message starts over.")

    def last_result(self) -> Turn | None:
        """The turn a feedback message refines: the last one that produced a video."""
        if self.fresh:
            return None
        return next((t for t in reversed(self.turns) if t.video), None)


def refined_prompt(previous: str, feedback: str) -> str:
    """The prompt of a refinement run: the previous prompt plus the user's change, verbatim."""
    return f"{previous.rstrip('. ')}. Revision: {feedback.strip()}"


class LineReader(Protocol):
    def __call__(self, prompt: str) -> str | None: ...


def plain_reader(console: Console) -> LineReader:
    """Reads lines from a pipe and echoes them, so a transcript reads like a conversation."""

    # Bytes that are not UTF-8 reach the request checks (one line, exit 2) instead of crashing
    # the read; the echo shows them escaped.
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")

    def read(prompt: str) -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        shown = line.rstrip().encode("utf-8", "backslashreplace").decode("utf-8")
        console.print(f"[bold]{escape(prompt)}[/]{escape(shown)}")
        return line.rstrip("\n")

    return read


def terminal_reader(history: Path) -> LineReader:
    """prompt_toolkit with a history file, for people at a terminal."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    class RedactedHistory(FileHistory):
        """The typed-line history, with any secret a line held hidden before it is saved."""

        def store_string(self, string: str) -> None:
            super().store_string(redact_text(string))

    session: PromptSession[str] = PromptSession(history=RedactedHistory(str(history)))

    def read(prompt: str) -> str | None:
        try:
            return session.prompt(prompt)
        except EOFError:
            return None

    return read


class Chat:
    """The conversation: reads messages, runs Kinema, keeps and saves the session."""

    def __init__(self, context: Context, request: dict[str, Any], session_path: Path,
                 session: Session, read: LineReader, console: Console) -> None:
        self.base, self.request = context, request
        self.session_path, self.session = session_path, session
        self.read, self.console = read, console
        self.commands: dict[str, Callable[[str], bool]] = {
            "help": self.cmd_help, "quit": self.cmd_quit, "exit": self.cmd_quit,
            "budget": self.cmd_budget, "use": self.cmd_use, "option": self.cmd_option,
            "backends": self.cmd_backends,
            "judge": self.cmd_judge, "history": self.cmd_history, "open": self.cmd_open,
            "new": self.cmd_new,
        }

    def loop(self) -> int:
        """Runs until /quit or end of input; returns the exit code."""
        while (line := self.read("you> ")) is not None:
            text = line.strip()
            if not text:
                continue
            try:
                keep_going = self.command(text) if text.startswith("/") else self.message(text)
            except KinemaError as exc:
                self.console.print(f"[red]error:[/] {escape(redact_text(str(exc)))}")
                keep_going = True
            if not keep_going:
                break
        self.save()
        self.console.print("[dim]bye; the conversation is saved in "
                           f"{escape(str(self.session_path))}[/]")
        return 0

    def context(self) -> Context:
        """The next run's Context: the command line's, with this conversation's choices."""
        return context_for(self.base, budget=self.session.budget,
                           options=self.session.options, **self.session.specs)

    def save(self) -> None:
        self.session_path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.session_path, self.session.model_dump(mode="json"))

    # ---- messages -------------------------------------------------------------------------

    def message(self, text: str) -> bool:
        """A new video, or a refinement of the last one."""
        from agent.runner import run

        parent = self.session.last_result()
        prompt = refined_prompt(parent.prompt, text) if parent else text
        request = request_for(prompt, **self.request)
        if parent:
            scene = self.revised_scene(parent, text)
            if scene is False:
                return True
            request = request.model_copy(update={"scene": scene or None})
            self.console.print(f"[dim]refining run {parent.run_id}:[/] {escape(prompt)}")
        progress = Progress(self.console, show_plan=parent is not None)
        review = None if parent else self.review
        try:
            result = run(request, self.context(), on_chunk=progress.feed, on_interrupt=review)
        except PlanCancelled:
            self.console.print("[yellow]cancelled[/]: nothing was generated")
            return True
        except KeyboardInterrupt as exc:
            where = getattr(exc, "run_dir", None)
            self.console.print("[yellow]interrupted[/]" + (
                f": kinema resume {escape(str(where))} continues it" if where else ""))
            return True
        self._record(text, result, parent)
        show_summary(self.console, result, width=WIDTH)
        return True

    def revised_scene(self, parent: Turn, text: str) -> SceneSpec | Literal[False] | None:
        """Feedback applied to the last run's scene; says what changed and what could not.

        False when nothing would change what the generator is given: the studio's video draws
        only the scene, so feedback it cannot apply is not run (a text-to-video model would
        still see the revised words, so for it the run goes ahead).
        """
        if parent.scene is None:
            return None
        revision = revise(parent.scene, text)
        if revision.applied:
            self.console.print("[green]scene revised:[/] " + escape("; ".join(revision.applied)))
        if revision.not_applied:
            self.console.print("[yellow]could not apply to the scene:[/] "
                               + escape("; ".join(revision.not_applied)))
        if revision.changed:
            return revision.scene
        video = registry.resolve("video", self.context().video)
        if getattr(video, "needs_scene", False):
            self.console.print("[yellow]nothing to change:[/] the studio draws only the scene, "
                               "and this feedback changes nothing in it; not run. Try e.g. "
                               "'make the bounce lower', 'make it two balls', 'on the moon'.")
            return False
        return parent.scene

    def _record(self, text: str, result: RunResult, parent: Turn | None) -> None:
        self.session.turns.append(Turn(
            message=text, prompt=result.prompt, parent_run_id=parent.run_id if parent else None,
            run_id=result.run_id, run_dir=result.run_dir, status=result.status,
            score=result.best.score if result.best else None, stop_reason=result.stop_reason,
            video=result.final_video, scene=result.plan.scene if result.plan else None))
        self.session.fresh = False
        self.save()

    def review(self, request: Any) -> dict[str, Any]:
        """The interrupt's handler: shows the plan and returns approve, edit or cancel."""
        plan = ShotPlan.model_validate(request["plan"])
        show_plan(self.console, plan, self.context().budget)
        while True:
            answer = self.read("approve? [Y]es / [e]dit / [c]ancel > ")
            choice = (answer or "cancel").strip()
            if choice.lower() in ("", "y", "yes", "ok", "approve"):
                return {"action": "approve"}
            if choice.lower() in ("c", "n", "no", "cancel"):
                return {"action": "cancel"}
            if choice.lower() in ("e", "edit"):
                choice = (self.read("new prompt> ") or "").strip()
                if not choice:
                    continue
            return {"action": "edit", "prompt": choice}

    # ---- slash commands -------------------------------------------------------------------

    def command(self, text: str) -> bool:
        name, _, arg = text[1:].partition(" ")
        handler = self.commands.get(name.lower())
        if handler is None:
            raise BadInputError(f"unknown command /{name}: type /help")
        return handler(arg.strip())

    def cmd_help(self, arg: str) -> bool:
        self.console.print(HELP, markup=False)
        return True

    def cmd_quit(self, arg: str) -> bool:
        return False

    def cmd_budget(self, arg: str) -> bool:
        if arg:
            self.session.budget = parse_budget(arg, self.context().budget)
            self.save()
        self.console.print(f"budget: {budget_text(self.context().budget)}")
        return True

    def cmd_use(self, arg: str) -> bool:
        role, sep, spec = arg.partition("=")
        role, spec = role.strip(), spec.strip()
        if not sep or role not in ROLES or not spec:
            raise BadInputError(f"usage: /use ROLE=SPEC with ROLE one of {', '.join(ROLES)}")
        registry.check(role, spec)
        self.session.specs[role] = spec
        self.save()
        self.console.print(f"{role} = {escape(spec)}")
        return True

    def cmd_option(self, arg: str) -> bool:
        if not arg:
            shown = [f"{role}.{key}={json.dumps(value)}"
                     for role, values in self.context().options.items()
                     for key, value in values.items()]
            self.console.print("options: " + (escape(", ".join(shown)) or "none"))
            return True
        role, key, value = parse_option(arg)
        options = merge_options(self.session.options, {role: {key: value}})
        preflight(context_for(self.base, budget=self.session.budget, options=options,
                              **self.session.specs), roles=(role,))
        self.session.options = options
        self.save()
        self.console.print(f"{role}.{escape(key)} = {escape(json.dumps(value))}")
        return True

    def cmd_backends(self, arg: str) -> bool:
        table = Table(width=WIDTH)
        for column in ("role", "in use", "known"):
            table.add_column(column)
        ctx = self.context()
        for role in ROLES:
            table.add_row(role, ctx.spec(role), ", ".join(registry.schemes(role)))
        self.console.print(table)
        return True

    def cmd_judge(self, arg: str) -> bool:
        from agent.api import judge_video

        path, _, prompt = arg.partition(" ")
        if not path:
            raise BadInputError("usage: /judge PATH [PROMPT]")
        verdict = judge_video(path, prompt=prompt.strip() or None, judge=self.context().judge)
        show_verdict(self.console, verdict, path, width=WIDTH)
        return True

    def cmd_history(self, arg: str) -> bool:
        if not self.session.turns:
            self.console.print("no runs yet")
        index = {t.run_id: i for i, t in enumerate(self.session.turns, 1)}
        for i, turn in enumerate(self.session.turns, 1):
            link = (f" (refines #{index.get(turn.parent_run_id, '?')})"
                    if turn.parent_run_id else "")
            score = f"{turn.score:.2f}" if turn.score is not None else "-"
            self.console.print(f"#{i} run {turn.run_id}{link}: score {score}, "
                               f"{turn.stop_reason}\n   “{escape(turn.message)}”")
        return True

    def cmd_open(self, arg: str) -> bool:
        last = self.session.last_result()
        if last is None or not last.video:
            raise BadInputError("no video yet: describe one first")
        self.console.print(f"video: {escape(last.video)}")
        if sys.stdout.isatty() and desktop():
            open_file(last.video)
        return True

    def cmd_new(self, arg: str) -> bool:
        self.session.fresh = True
        self.save()
        self.console.print("the next message starts a new video")
        return True


def parse_budget(arg: str, current: Budget) -> Budget:
    """`4` (generations) or caps in their one spelling: `max_generations=4 max_usd=0.5`;
    `CAP=none` lifts a cap."""
    caps: dict[str, Any] = {}
    for part in arg.split():
        key, sep, value = part.partition("=")
        if not sep:
            key, value = "max_generations", part
        if key not in BUDGET_CAPS:
            raise BadInputError(f"unknown budget cap {key!r}: use {', '.join(BUDGET_CAPS)}")
        caps[key] = value
    return budget_with(current, **caps)


def desktop() -> bool:
    """Whether a desktop can open files here (macOS and Windows always; elsewhere a display)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_file(path: str) -> None:
    """Opens `path` with the desktop's viewer, its launcher's chatter kept off the prompt."""
    import subprocess

    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    with contextlib.suppress(OSError):
        subprocess.Popen([opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)


def load_session(path: Path, resume: bool) -> Session:
    """The saved conversation with --resume; a new one otherwise."""
    if not resume:
        return Session()
    if not path.is_file():
        raise BadInputError(f"no conversation to resume at {str(path)!r}: start without --resume")
    try:
        return Session.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise BadInputError(f"{str(path)!r} is not a Kinema conversation: {exc}") from None


def run_chat(context: Context, request: dict[str, Any], *, resume: bool = False,
             console: Console | None = None) -> int:
    """The `kinema chat` command: returns the exit code."""
    out = console or Console(highlight=False, width=WIDTH if not sys.stdout.isatty() else None)
    path = Path(context.out_dir) / SESSION_FILE
    session = load_session(path, resume)
    piped = not sys.stdin.isatty()
    path.parent.mkdir(parents=True, exist_ok=True)
    read = plain_reader(out) if piped else terminal_reader(path.parent / ".chat_history")
    if resume and session.turns:
        last = session.turns[-1]
        out.print(f"resumed: {len(session.turns)} runs; last “{escape(last.message)}” "
                  f"(score {last.score if last.score is not None else '-'})")
    else:
        out.print("Kinema chat: describe a video. /help lists commands.")
    return Chat(context, request, path, session, read, out).loop()
