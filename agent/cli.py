"""`kinema`: the terminal interface. One error boundary turns KinemaError into exit code 2."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from agent.batch_cli import batch_cmd
from agent.cli_options import RunOptions, with_run_options
from agent.intake import request_for
from agent.render import Progress, show_summary, show_verdict
from tools import __version__
from tools.errors import BadInputError, KinemaError
from tools.redact import install_log_redaction, redact, redact_text


class _ErrorBoundary(TyperGroup):
    """The CLI's one error boundary: a KinemaError becomes one line on stderr and exit code 2.

    Set KINEMA_DEBUG=1 to get the traceback too (redacted, like everything Kinema prints).
    """

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except KinemaError as exc:
            if os.environ.get("KINEMA_DEBUG"):
                _print_traceback(exc)
            err.print(f"[red]error:[/] {escape(_printable(str(exc)))}", soft_wrap=True)
            raise typer.Exit(2) from None


def _printable(text: str) -> str:
    """Redacted, on one line, and printable whatever bytes a user's input held."""
    line = " ".join(redact_text(text).split())
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _print_traceback(exc: BaseException) -> None:
    import traceback

    text = "".join(traceback.format_exception(exc))
    sys.stderr.write(redact_text(text).encode("utf-8", "backslashreplace").decode("utf-8"))


def _redacting_excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    """A crash (a bug, not a user's mistake) still prints its traceback, with secrets hidden."""
    _print_traceback(exc.with_traceback(tb))


app = typer.Typer(
    cls=_ErrorBoundary,
    name="kinema",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Soft wrap: a line is the terminal's to wrap, and stays whole when piped or logged.
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

def _version(value: bool) -> None:
    if value:
        out.print(f"kinema {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = (
        False),
) -> None:
    """Physics-grounded video: plan, keyframes, generate, judge, refine; stop when it pays."""


OutOpt = Annotated[Path, typer.Option("--out", help="Parent folder of run folders.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the RunResult as JSON (paths as "
                                                      "seen from here).")]


@app.command("run")
@with_run_options
def run_cmd(
    prompt: Annotated[str, typer.Argument(help="What the video should show.")],
    out_dir: OutOpt = Path("runs"),
    as_json: JsonOpt = False,
    *,
    run: RunOptions,
) -> None:
    """Generate a video for PROMPT, refining it round by round until the stop rule says stop."""
    from agent.runner import run as run_loop

    request = request_for(prompt, **run.request())
    ctx = run.context(out_dir)
    progress = None if as_json else Progress(err)
    try:
        result = run_loop(request, ctx, on_chunk=progress.feed if progress else None)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    if as_json:
        _print_json(result)
    else:
        show_summary(out, result)


@app.command("resume")
def resume_cmd(
    run_dir: Annotated[Path, typer.Argument(help="The folder of an unfinished run.")],
    as_json: JsonOpt = False,
) -> None:
    """Continue a run that crashed, was killed or was interrupted, without paying twice."""
    from agent.runner import resume

    progress = None if as_json else Progress(err)
    try:
        result = resume(run_dir, on_chunk=progress.feed if progress else None)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    if as_json:
        _print_json(result)
    else:
        show_summary(out, result)


def _print_json(model: Any) -> None:
    """A result or verdict as JSON on stdout, redacted like everything Kinema prints."""
    out.print_json(data=redact(model.model_dump(mode="json")))


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
        _print_json(verdict)
    else:
        show_verdict(out, verdict, title=str(video))


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

    # Piped or redirected, lines are kept whole (a terminal wraps them at its width).
    wide = out if out.is_terminal else Console(highlight=False, width=100_000)
    wide.print(trace_tree(run_dir))


@app.command("chat")
@with_run_options
def chat_cmd(
    out_dir: OutOpt = Path("runs"),
    resume: Annotated[bool, typer.Option("--resume", help="Continue the saved conversation.")] = (
        False),
    *,
    run: RunOptions,
) -> None:
    """Talk to Kinema: approve its plan, watch the rounds, refine the result with feedback."""
    from agent.chat import run_chat

    raise typer.Exit(run_chat(run.context(out_dir), run.request(), resume=resume))


@app.command("mcp")
@with_run_options
def mcp_cmd(
    out_dir: OutOpt = Path("runs"),
    allow: Annotated[list[Path] | None, typer.Option(
        "--allow", help="A folder judge_video may read besides --out (repeatable).")] = None,
    *,
    run: RunOptions,
) -> None:
    """Serve Kinema over MCP on stdio: tools generate_video and judge_video.

    The run options are the server's defaults for every generate_video call (a call may lower
    the caps); judge_video reads only files under --out and the --allow folders, with the
    server's --judge.
    """
    from agent.backends import validate_specs
    from agent.mcp_server import serve_stdio

    ctx = run.context(out_dir)
    validate_specs(ctx)
    missing = [str(a) for a in allow or [] if not a.is_dir()]
    if missing:
        raise BadInputError(f"--allow {missing[0]!r} is not a folder: pass an existing folder")
    serve_stdio(ctx, allow=list(allow or []), **run.request())


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


app.command("batch")(batch_cmd)


def main() -> None:
    """Console-script entry point: what this process logs or prints on a crash is redacted."""
    install_log_redaction()
    sys.excepthook = _redacting_excepthook
    app()


if __name__ == "__main__":
    main()
