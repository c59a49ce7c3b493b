"""`make bench`: speed benchmarks that print measured numbers and ratios (never asserted)."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

Bench = Callable[[Path], dict[str, Any]]


def bench_demo_run(workdir: Path) -> dict[str, Any]:
    """Wall time of the demo's full offline run (plan, keyframes, rounds, judge, report)."""
    from agent.context import Context
    from agent.runner import run
    from agent.state import RunRequest

    started = time.perf_counter()
    result = run(RunRequest(prompt="a red rubber ball rolls off a wooden table and bounces"),
                 Context(out_dir=str(workdir / "runs")))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "rounds": len(result.rounds),
            "generations": result.ledger.generations,
            "best_score": result.best.score if result.best else None}


BENCHES: dict[str, Bench] = {"demo_run": bench_demo_run}


def register(name: str, fn: Bench) -> None:
    BENCHES[name] = fn


def main(
    only: Annotated[list[str] | None, typer.Option(help="Run only these benchmarks.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run the speed benchmarks and print what they measured."""
    _load_plugins()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in BENCHES.items():
            if only and name not in only:
                continue
            results[name] = fn(Path(tmp))
            if not as_json:
                typer.echo(f"{name:<28} " + "  ".join(f"{k}={v}" for k, v in results[name].items()))
    if as_json:
        typer.echo(json.dumps(results, indent=2))


def _load_plugins() -> None:
    """Benchmarks defined next to what they measure register themselves on import."""
    from importlib import import_module

    for module in ("evals.bench_studio", "evals.bench_judge"):
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
