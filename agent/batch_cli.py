"""`kinema batch FILE`: the terminal face of `agent.batch`, with a live progress bar.

Registered on the `kinema` app in `agent.cli`, so it shares that app's error boundary (a
KinemaError is one line on stderr and exit code 2).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.batch_summary import SUMMARY_HTML, failure_cause
from agent.cli_options import RunOptions, with_run_options
from tools.errors import BadInputError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

@with_run_options
def batch_cmd(
    file: Annotated[Path, typer.Argument(
        help="Prompts: .txt (one a line), .jsonl, .csv (caption or prompt column), .json "
             "(PhyGenBench prompts.json or a VBench-2.0 meta_info file).")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Batch folder (default batches/<FILE's name>); run the same command "
                      "again to continue it.")] = None,
    executor: Annotated[str, typer.Option(help="local (worker processes) or ray.")] = "local",
    workers: Annotated[int | None, typer.Option(
        help="Items at once (local default 1; Ray default: what the cluster holds).")] = None,
    ray_address: Annotated[str | None, typer.Option(
        help="Join this Ray cluster (auto, ray://host:10001); default: a local Ray.")] = None,
    batch_budget_usd: Annotated[float | None, typer.Option(
        help="Start no new item once the batch has spent this many USD.")] = None,
    batch_budget_gpu_seconds: Annotated[float | None, typer.Option(
        help="Start no new item once the batch has used this many GPU seconds.")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Run failed items again (their runs resume).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
    *,
    run: RunOptions,
) -> None:
    """Run every prompt of FILE (a benchmark, a queue); resumable, on local workers or Ray.

    The run options apply to every item (a row's own seed and budget win).
    """
    from agent.batch import BatchInterrupted, BatchLimits, run_batch

    if executor not in ("local", "ray"):
        raise BadInputError(f"unknown executor {executor!r}: choose local or ray")
    kind: Literal["local", "ray"] = "ray" if executor == "ray" else "local"
    ctx = run.context()
    request = run.request()
    folder = out_dir or Path("batches") / file.stem
    limits = BatchLimits(usd=batch_budget_usd, gpu_seconds=batch_budget_gpu_seconds)
    bar = _Bar()
    try:
        with bar.shown(), _sigterm_as_interrupt():
            summary = run_batch(file, folder, context=ctx, request=request, executor=kind,
                                workers=workers, ray_address=ray_address, limits=limits,
                                retry_failed=retry_failed, on_progress=bar.update)
    except BatchInterrupted:
        err.print(f"[yellow]interrupted[/]: finished items and running runs are saved; run the "
                  f"same command again to continue the batch in {str(folder)!r}", soft_wrap=True)
        raise typer.Exit(130) from None
    if as_json:
        out.print_json(data=summary)
    else:
        _report(summary, folder)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """`kill PID` stops the batch like Ctrl-C: running items save, the rest stays pending."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Bar:
    """A live bar (items done, failed, running, spend, time left) and one line per item."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]batch[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]} ok[/] [red]{task.fields[failed]} failed[/] "
                       "{task.fields[running]} running"),
            TextColumn("${task.fields[usd]:.4f} {task.fields[gpu]:.0f} GPU s"),
            TimeElapsedColumn(), TextColumn("left {task.fields[eta]}"),
            console=err, transient=False)
        self.task = self.progress.add_task("batch", total=None, ok=0, failed=0, running=0,
                                           usd=0.0, gpu=0.0, eta="?")

    @contextmanager
    def shown(self) -> Iterator[None]:
        """Stops the bar on the way out; it starts with the first news of the batch, so an
        error in the options is not drawn under an empty bar."""
        try:
            yield
        finally:
            self.progress.stop()

    def update(self, p: Any) -> None:
        self.progress.start()
        eta = "?" if p.eta_s is None else _clock(p.eta_s)
        self.progress.update(self.task, total=p.total, completed=p.completed + p.failed,
                             ok=p.completed, failed=p.failed, running=p.running, usd=p.usd,
                             gpu=p.gpu_seconds, eta=eta)
        if p.note:
            self.progress.console.print(f"[yellow]{p.note}[/]", soft_wrap=True)
        done = p.finished
        if done is None or not done.ran:
            return
        if done.status == "completed":
            score = "-" if done.score is None else f"{done.score:.2f}"
            line = (f"[green]done[/]   {done.id}: score {score}, {done.ledger.generations} "
                    f"generations, ${done.ledger.usd:.4f}")
        elif done.status == "failed":
            line = f"[red]failed[/] {done.id}: {failure_cause(done.error)}"
        else:
            line = f"[yellow]saved[/]  {done.id}: stopped after its current step; resumable"
        self.progress.console.print(line, soft_wrap=True, highlight=False)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _report(summary: dict[str, Any], folder: Path) -> None:
    b = summary["batch"]
    mean = "-" if b["mean_score"] is None else f"{b['mean_score']:.2f}"
    out.print(f"{b['items']} items: {b['completed']} completed, {b['failed']} failed, "
              f"{b['pending'] + b['interrupted']} left · mean score {mean} · "
              f"{b['generations']} generations · ${b['usd']:.4f} · {b['gpu_seconds']:.1f} GPU s")
    if b["stopped"]:
        out.print(f"stopped: {b['stopped']}; raise the batch budget and run again to continue")
    failed = [i for i in summary["items"] if i["status"] == "failed"]
    causes: dict[str, int] = {}
    for item in failed:
        cause = failure_cause(item["error"])
        causes[cause] = causes.get(cause, 0) + 1
    for cause, count in sorted(causes.items(), key=lambda kv: -kv[1])[:5]:
        out.print(f"  {count} failed: {cause}")
    out.print(f"summary: {folder / SUMMARY_HTML}")
