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

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.context import Context
from agent.events import (
    CandidateReady,
    DecisionMade,
    EventTranslator,
    PlanReady,
    Refined,
    RunEvent,
    VerdictReady,
)
from agent.nodes.approve import PlanCancelled
from agent.rundir import write_json_atomic
from agent.state import Budget, RunRequest, RunResult, SceneSpec, ShotPlan, Verdict
from tools.base import registry
from tools.errors import BadInputError, KinemaError
from tools.schema import ROLES
from tools.studio.describe import summary
from tools.studio.revise import revise

SESSION_FILE = "chat.json"
WIDTH = 80
HELP = """\
Type what the video should show. After a result, type feedback to refine it.
  /budget [N | key=value ...]  show or set the caps (generations, usd, seconds,
                               gpu_seconds, tokens); /budget 4 = 4 generations
  /use ROLE=SPEC               choose a backend, e.g. /use judge=kinematics
  /backends                    the backend of each role and the known ones
  /judge PATH [PROMPT]         judge any video file
  /history                     the runs of this conversation
  /open                        open the last video
  /new                         start over: the next message is a new video
  /help                        this help
  /quit                        leave (the conversation is saved)"""
BUDGET_KEYS = {"generations": "max_generations", "usd": "max_usd", "seconds": "max_seconds",
               "gpu_seconds": "max_gpu_seconds", "tokens": "max_tokens"}


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
    """What survives a restart: the turns, the chosen backends and the budget."""

    turns: list[Turn] = Field(default_factory=list)
    specs: dict[str, str] = Field(default_factory=dict)
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

    def read(prompt: str) -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        console.print(f"[bold]{escape(prompt)}[/]{escape(line.rstrip())}")
        return line.rstrip("\n")

    return read


def terminal_reader(history: Path) -> LineReader:
    """prompt_toolkit with a history file, for people at a terminal."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))

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
            "budget": self.cmd_budget, "use": self.cmd_use, "backends": self.cmd_backends,
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
                self.console.print(f"[red]error:[/] {escape(str(exc))}")
                keep_going = True
            if not keep_going:
                break
        self.save()
        self.console.print("[dim]bye; the conversation is saved in "
                           f"{escape(str(self.session_path))}[/]")
        return 0

    def context(self) -> Context:
        update: dict[str, Any] = dict(self.session.specs)
        if self.session.budget is not None:
            update["budget"] = self.session.budget
        return self.base.model_copy(update=update, deep=True)

    def save(self) -> None:
        self.session_path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.session_path, self.session.model_dump(mode="json"))

    # ---- messages -------------------------------------------------------------------------

    def message(self, text: str) -> bool:
        """A new video, or a refinement of the last one."""
        from agent.runner import run

        parent = self.session.last_result()
        prompt = refined_prompt(parent.prompt, text) if parent else text
        request = _request(prompt, self.request)
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
        summarize(self.console, result)
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
        caps = self.context().budget.model_dump(exclude_none=True)
        shown = ", ".join(f"{k.removeprefix('max_')}={v}" for k, v in caps.items()) or "none"
        self.console.print(f"budget: {shown}")
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
        show_verdict(self.console, verdict, path)
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
        if sys.stdout.isatty():
            import typer

            typer.launch(last.video)
        return True

    def cmd_new(self, arg: str) -> bool:
        self.session.fresh = True
        self.save()
        self.console.print("the next message starts a new video")
        return True


def _request(prompt: str, fields: dict[str, Any]) -> RunRequest:
    try:
        return RunRequest(prompt=prompt, **fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInputError(f"invalid {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def parse_budget(arg: str, current: Budget) -> Budget:
    """`4` or `generations=4 usd=0.5`; `key=none` removes a cap."""
    update: dict[str, Any] = {}
    for part in arg.split():
        key, sep, value = part.partition("=")
        if not sep:
            key, value = "generations", part
        if key not in BUDGET_KEYS:
            raise BadInputError(f"unknown budget key {key!r}: use {', '.join(BUDGET_KEYS)}")
        update[BUDGET_KEYS[key]] = None if value.lower() == "none" else value
    try:
        return Budget.model_validate({**current.model_dump(), **update})
    except ValidationError as exc:
        raise BadInputError(f"invalid budget: {exc.errors()[0]['msg']}") from None


# ---- rendering ------------------------------------------------------------------------------


class Progress:
    """Prints the run round by round, from its typed events."""

    def __init__(self, console: Console, show_plan: bool) -> None:
        self.console, self.show_plan = console, show_plan
        self.translator = EventTranslator()

    def feed(self, mode: str, chunk: Any) -> None:
        for event in self.translator.feed(mode, chunk):
            line = self.describe(event)
            if line:
                self.console.print(line)

    def describe(self, event: RunEvent) -> str:
        tag = f"[bold]round {event.round}[/] "
        if isinstance(event, PlanReady) and self.show_plan:
            plan = event.plan
            left_out = plan.scene.ignored if plan.scene else []
            return (f"[bold]plan[/] {escape(', '.join(plan.phenomena) or 'no known phenomena')}; "
                    f"{len(plan.rules)} rules; keyframes at "
                    + ", ".join(f"{k.t:.2f}s" for k in plan.keyframes)
                    + (f"\n[yellow]the scene leaves out:[/] {escape(', '.join(left_out))}"
                       if left_out else ""))
        if isinstance(event, CandidateReady):
            c = event.candidate
            return tag + (f"{c.id} [red]failed[/]: {escape(c.error)}" if c.error
                          else f"{c.id} generated")
        if isinstance(event, VerdictReady):
            v = event.verdict
            wrong = v.violations + v.adherence_violations
            bad = f" · [red]violated: {escape(', '.join(wrong))}[/]" if wrong else ""
            return tag + f"{event.candidate_id} score {v.score:.2f} ({score_parts(v)}){bad}"
        if isinstance(event, DecisionMade):
            d = event.decision
            colour = "green" if d.action == "continue" else "cyan"
            return tag + f"[{colour}]{d.action}[/]: {escape(d.detail or d.reason)}"
        if isinstance(event, Refined):
            return tag + "refine: " + escape("; ".join(event.refinement.notes) or "new round")
        return ""


def show_plan(console: Console, plan: ShotPlan, budget: Budget) -> None:
    """The plan as a person reviews it before approving."""
    console.print("[bold underline]Plan[/]")
    console.print(f"[bold]phenomena[/]  {escape(', '.join(plan.phenomena) or '-')}")
    console.print(f"[bold]laws[/]       {escape('; '.join(plan.laws) or '-')}")
    console.print("[bold]rules[/]")
    for rule in plan.rules:
        console.print(f"  • {escape(rule.id)}: {escape(rule.text)}")
    console.print("[bold]keyframes[/]")
    for k in plan.keyframes:
        console.print(f"  • {k.t:5.2f}s {escape(k.event)} {escape(k.description)}".rstrip())
    if plan.scene is None:
        why = next((n for n in plan.notes if "cannot simulate" in n), "")
        console.print("[yellow]the studio cannot simulate this; a real generator can[/]"
                      + (f"\n  {escape(why)}" if why else ""))
    else:
        console.print(f"[bold]scene[/]      {escape(summary(plan.scene))}")
        if plan.scene.ignored:
            console.print(f"[yellow]left out[/]   {escape(', '.join(plan.scene.ignored))} "
                          "(the studio's scene does not show these)")
    caps = budget.model_dump(exclude_none=True)
    console.print("[bold]budget[/]     " + (", ".join(
        f"{k.removeprefix('max_')}={v}" for k, v in caps.items()) or "no caps"))


def summarize(console: Console, result: RunResult) -> None:
    """Scores per round, cost, stop reason and where the video is."""
    table = Table(title=f"run {result.run_id}", title_justify="left", width=WIDTH)
    for column in ("round", "score", "physics", "adherence", "violations", "decision"):
        table.add_column(column)
    for rnd in result.rounds:
        top: dict[str, Any] = max(rnd["candidates"], key=lambda c: c["score"] or 0.0,
                                  default={})
        violations = sorted({v for c in rnd["candidates"]
                             for v in c["violations"] + c.get("adherence_violations", [])})
        decision = rnd.get("decision") or {}
        table.add_row(str(rnd["index"]), _num(top.get("score")), _num(top.get("physics")),
                      _num(top.get("adherence")), ", ".join(violations) or "-",
                      str(decision.get("reason", "")))
    console.print(table)
    led = result.ledger
    best = f"{result.best.score:.2f} ({result.best.candidate})" if result.best else "-"
    console.print(f"best {best} · stop: {result.stop_reason} · spent {led.generations} "
                  f"generations, {led.seconds:.1f} s, ${led.usd:.4f}")
    console.print(f"video:  {escape(str(result.final_video))}")
    console.print(f"report: {escape(str(Path(result.run_dir) / 'report.html'))}")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def score_parts(verdict: Verdict) -> str:
    """How the score was formed: physics, times adherence when the judge measured it."""
    if verdict.adherence is None:
        return f"physics {verdict.physics:.2f}"
    return f"physics {verdict.physics:.2f} × adherence {verdict.adherence:.2f}"


def show_verdict(console: Console, verdict: Verdict, title: str) -> None:
    console.print(f"[bold]{escape(title)}[/]: score {verdict.score:.2f} = "
                  f"{score_parts(verdict)}")
    for r in [*verdict.rules, *verdict.adherence_checks]:
        colour = {"followed": "green", "violated": "red"}.get(r.status, "yellow")
        console.print(f"  • {escape(r.id)} [{colour}]{r.status}[/] "
                      f"({r.confidence:.2f}) {escape(r.evidence)}")


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
