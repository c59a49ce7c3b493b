"""`kinema`: the terminal interface. One error boundary turns KinemaError into exit code 2."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from agent.context import Context
from agent.state import Budget, RunRequest, RunResult, Verdict
from tools.errors import BadInputError, KinemaError


class _ErrorBoundary(TyperGroup):
    """The CLI's one error boundary: a KinemaError becomes one line on stderr and exit code 2.

    Set KINEMA_DEBUG=1 to get the traceback instead.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except KinemaError as exc:
            if os.environ.get("KINEMA_DEBUG"):
                raise
            err.print(f"[red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_ErrorBoundary,
    name="kinema",
    help="Physics-grounded video: plan, keyframes, generate, judge, refine; stop when it pays.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

SpecOpt = Annotated[str | None, typer.Option(help="Backend spec, e.g. studio or litellm:gpt-4o.")]


@app.command("run")
def run_cmd(
    prompt: Annotated[str, typer.Argument(help="What the video should show.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Parent folder of run folders.")] = Path(
        "runs"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the first round.")] = 0,
    target: Annotated[float, typer.Option(help="Stop once the best score reaches this.")] = 0.9,
    max_generations: Annotated[int, typer.Option(help="Videos generated, at most.")] = 6,
    budget_seconds: Annotated[float | None, typer.Option(help="Wall seconds, at most.")] = None,
    budget_usd: Annotated[float | None, typer.Option(help="US dollars, at most.")] = None,
    duration: Annotated[float, typer.Option(help="Video length in seconds.")] = 4.0,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 24,
    width: Annotated[int, typer.Option(help="Frame width in pixels.")] = 854,
    height: Annotated[int, typer.Option(help="Frame height in pixels.")] = 480,
    planner: SpecOpt = None,
    keyframes: SpecOpt = None,
    video: SpecOpt = None,
    judge: SpecOpt = None,
    refiner: SpecOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print result.json to stdout.")] = False,
) -> None:
    """Generate a video for PROMPT, refining it round by round until the stop rule says stop."""
    from agent.runner import run

    request = _validated(lambda: RunRequest(prompt=prompt, seed=seed, duration_s=duration,
                                            fps=fps, width=width, height=height))
    specs = {k: v for k, v in {"planner": planner, "keyframes": keyframes, "video": video,
                               "judge": judge, "refiner": refiner}.items() if v is not None}
    budget = _validated(lambda: Budget(max_generations=max_generations, max_seconds=budget_seconds,
                                       max_usd=budget_usd))
    ctx = _validated(lambda: Context(**specs, budget=budget, target=target, out_dir=str(out_dir),
                                     otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")))
    progress = None if as_json else _Progress()
    try:
        result = run(request, ctx, on_update=progress.update if progress else None)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    if as_json:
        out.print_json(result.model_dump_json())
    else:
        _summary(result)


@app.command("resume")
def resume_cmd(
    run_dir: Annotated[Path, typer.Argument(help="The folder of an unfinished run.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print result.json to stdout.")] = False,
) -> None:
    """Continue a run that crashed, was killed or was interrupted, without paying twice."""
    from agent.runner import resume

    progress = None if as_json else _Progress()
    try:
        result = resume(run_dir, on_update=progress.update if progress else None)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    if as_json:
        out.print_json(result.model_dump_json())
    else:
        _summary(result)


def _interrupted(exc: KeyboardInterrupt) -> NoReturn:
    """Ctrl-C: the run is saved up to its last finished step; say how to continue it."""
    run_dir = getattr(exc, "run_dir", None)
    if run_dir is None:
        err.print("[yellow]interrupted[/]")
    else:
        err.print(f"[yellow]interrupted[/]: the run is saved; continue it with "
                  f"`kinema resume {run_dir}`", soft_wrap=True)
    raise typer.Exit(130) from None


@app.command("judge")
def judge_cmd(
    video: Annotated[Path, typer.Argument(help="Video file to judge.")],
    prompt: Annotated[str | None, typer.Option(help="What the video should show.")] = None,
    judge: Annotated[str, typer.Option(help="Judge spec.")] = "kinematics",
    as_json: Annotated[bool, typer.Option("--json", help="Print the Verdict as JSON.")] = False,
) -> None:
    """Judge the physics of any VIDEO and print a verdict per rule."""
    from agent.api import judge_video

    verdict = judge_video(video, prompt=prompt, judge=judge)
    if as_json:
        out.print_json(verdict.model_dump_json())
    else:
        _verdict_table(verdict, title=str(video))


def _validated(build: Any) -> Any:
    """Turns pydantic's validation errors into one actionable line."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "input"
        raise BadInputError(f"invalid {field}: {first['msg']}") from None


class _Progress:
    """One line per finished node, as the loop goes."""

    def update(self, node: str, update: dict[str, Any]) -> None:
        line = _describe(node, update)
        if line:
            err.print(line)


def _describe(node: str, update: dict[str, Any]) -> str:
    if node == "plan" and update.get("plan") is not None:
        plan = update["plan"]
        left_out = plan.scene.ignored if plan.scene else []
        return (f"[bold]plan[/]      {', '.join(plan.phenomena) or 'no known phenomena'}; "
                f"{len(plan.rules)} rules; keyframes at "
                + ", ".join(f"{k.t:.2f}s" for k in plan.keyframes)
                + (f"\n[yellow]left out[/]  {', '.join(left_out)} (not in the studio's scene)"
                   if left_out else ""))
    if node == "keyframes":
        return f"[bold]keyframes[/] {len(update.get('keyframes', []))} ready"
    if node == "generate":
        cands = update.get("candidates", [])
        return "[bold]generate[/]  " + ", ".join(c.id + (" (failed)" if c.error else "")
                                               for c in cands)
    if node == "judge":
        return "[bold]judge[/]     " + "; ".join(
            f"score {v.score:.2f} ({_parts(v)})"
            + (f", violated: {', '.join(v.violations + v.adherence_violations)}"
               if v.violations or v.adherence_violations else "")
            for v in update.get("verdicts", []))
    if node in ("decide", "refine") and update.get("decision") is not None:
        d = update["decision"]
        if node == "refine" and d.action == "continue":
            return "[bold]refine[/]    " + "; ".join(update["refinement"].notes or ["new round"])
        return f"[bold]{node:<9}[/] {d.action}: {d.detail}"
    if node == "refine" and update.get("refinement") is not None:
        return "[bold]refine[/]    " + "; ".join(update["refinement"].notes or ["new round"])
    return ""


def _summary(result: RunResult) -> None:
    table = Table(title=f"run {result.run_id}", title_justify="left")
    table.add_column("round", justify="right")
    table.add_column("keyframes", justify="right")
    table.add_column("score", justify="right")
    table.add_column("physics", justify="right")
    table.add_column("adherence", justify="right")
    table.add_column("violations")
    table.add_column("decision")
    for rnd in result.rounds:
        top: dict[str, Any] = max(rnd["candidates"], key=lambda c: c["score"] or 0.0,
                                  default={})
        violations = sorted({v for c in rnd["candidates"]
                             for v in c["violations"] + c.get("adherence_violations", [])})
        decision = rnd["decision"] or {}
        table.add_row(str(rnd["index"]), str(rnd["keyframes"]), _num(top.get("score")),
                      _num(top.get("physics")), _num(top.get("adherence")),
                      ", ".join(violations) or "-",
                      f"{decision.get('action', '')} ({decision.get('reason', '')})")
    out.print(table)
    led = result.ledger
    best = result.best
    out.print(f"stop reason: {result.stop_reason}")
    if best:
        out.print(f"best: round {best.round}, {best.candidate}, score {best.score:.2f}")
    out.print(f"spent: {led.generations} generations, {led.seconds:.1f} s, ${led.usd:.4f}")
    out.print(f"video: {result.final_video}")
    out.print(f"result: {Path(result.run_dir) / 'result.json'}")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _parts(verdict: Verdict) -> str:
    """How a verdict's score was formed."""
    if verdict.adherence is None:
        return f"physics {verdict.physics:.2f}"
    return f"physics {verdict.physics:.2f} × adherence {verdict.adherence:.2f}"


def _verdict_table(verdict: Verdict, title: str) -> None:
    table = Table(title=f"{title}: score {verdict.score:.2f} = {_parts(verdict)}",
                  title_justify="left")
    for col in ("rule", "status", "confidence", "span", "evidence"):
        table.add_column(col)
    for r in [*verdict.rules, *verdict.adherence_checks]:
        span = f"{r.span[0]:.2f}-{r.span[1]:.2f}s" if r.span else "-"
        colour = {"followed": "green", "violated": "red"}.get(r.status, "yellow")
        table.add_row(r.id, f"[{colour}]{r.status}[/]", f"{r.confidence:.2f}", span, r.evidence)
    out.print(table)


@app.command("report")
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (holds result.json).")],
) -> None:
    """Rebuild RUN_DIR/report.html: plan, keyframes, filmstrips, verdicts, plot, decisions."""
    from agent.report import rebuild_report

    out.print(str(rebuild_report(run_dir)))


@app.command("trace")
def trace_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (holds trace.jsonl).")],
) -> None:
    """Print the decision tree of RUN_DIR from its trace: rounds, nodes, verdicts, decisions."""
    from agent.trace_tree import trace_tree

    out.print(trace_tree(run_dir))


OutOpt = Annotated[Path, typer.Option("--out", help="Parent folder of run folders.")]
DurationOpt = Annotated[float, typer.Option(help="Video length in seconds.")]
WidthOpt = Annotated[int, typer.Option(help="Frame width in pixels.")]
HeightOpt = Annotated[int, typer.Option(help="Frame height in pixels.")]
GenerationsOpt = Annotated[int, typer.Option(help="Videos generated per run, at most.")]


def _session_context(out_dir: Path, max_generations: int, specs: dict[str, str | None]) -> Context:
    """The Context of the long-lived commands (chat, mcp); each run copies it."""
    chosen = {k: v for k, v in specs.items() if v is not None}
    return _validated(lambda: Context(
        **chosen, budget=Budget(max_generations=max_generations), out_dir=str(out_dir),
        otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")))


@app.command("chat")
def chat_cmd(
    out_dir: OutOpt = Path("runs"),
    resume: Annotated[bool, typer.Option("--resume", help="Continue the saved conversation.")] = (
        False),
    duration: DurationOpt = 4.0,
    width: WidthOpt = 854,
    height: HeightOpt = 480,
    max_generations: GenerationsOpt = 6,
    planner: SpecOpt = None,
    keyframes: SpecOpt = None,
    video: SpecOpt = None,
    judge: SpecOpt = None,
    refiner: SpecOpt = None,
) -> None:
    """Talk to Kinema: approve its plan, watch the rounds, refine the result with feedback."""
    from agent.chat import run_chat

    ctx = _session_context(out_dir, max_generations, {
        "planner": planner, "keyframes": keyframes, "video": video, "judge": judge,
        "refiner": refiner})
    request = {"duration_s": duration, "width": width, "height": height}
    raise typer.Exit(run_chat(ctx, request, resume=resume))


@app.command("mcp")
def mcp_cmd(
    out_dir: OutOpt = Path("runs"),
    duration: DurationOpt = 4.0,
    width: WidthOpt = 854,
    height: HeightOpt = 480,
    max_generations: GenerationsOpt = 6,
    planner: SpecOpt = None,
    keyframes: SpecOpt = None,
    video: SpecOpt = None,
    judge: SpecOpt = None,
    refiner: SpecOpt = None,
) -> None:
    """Serve Kinema over MCP on stdio: tools generate_video and judge_video."""
    from agent.backends import validate_specs
    from agent.mcp_server import serve_stdio

    ctx = _session_context(out_dir, max_generations, {
        "planner": planner, "keyframes": keyframes, "video": video, "judge": judge,
        "refiner": refiner})
    validate_specs(ctx)
    request = _validated(lambda: RunRequest(prompt="-", duration_s=duration, width=width,
                                            height=height))
    serve_stdio(ctx, duration_s=request.duration_s, width=request.width, height=request.height)


@app.command("backends")
def backends_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List every backend family per role, and whether it can run here (and why not)."""
    from tools.availability import availability

    rows = availability()
    if as_json:
        out.print_json(data=[row.as_dict() for row in rows])
        return
    table = Table(title="backends", title_justify="left")
    for col in ("role", "spec", "usable", "why not"):
        table.add_column(col)
    for row in rows:
        mark = "[green]yes[/]" if row.usable else "[red]no[/]"
        table.add_row(row.role, row.spec, mark, row.reason or "-")
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
