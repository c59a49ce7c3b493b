"""finish: the best candidate of all rounds becomes `final.mp4`; the run is written to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent import tracing
from agent.context import Context
from agent.nodes.wrap import node
from agent.report import write_report
from agent.rundir import best_of, copy_final, round_summary, write_result
from agent.state import RunResult, RunState, RunStatus


def build_result(state: RunState, ctx: Context, status: RunStatus,
                 error: str | None = None) -> RunResult:
    """The RunResult of a state, finished or not (the runner uses it for failed runs too)."""
    best = best_of(state.iterations)
    final = Path(state.run_dir) / "final.mp4"
    return RunResult(
        run_id=state.run_id,
        prompt=state.request.prompt,
        status=status,
        stop_reason=state.decision.reason if state.decision and status == "completed" else status,
        best=best,
        rounds=[round_summary(it) for it in state.iterations],
        ledger=state.ledger,
        budget=ctx.budget,
        backends=ctx.specs(),
        run_dir=state.run_dir,
        plan=state.plan,
        final_video=str(final) if final.exists() else None,
        target=ctx.target,
        error=error,
        iterations=state.iterations,
    )


@node("finish")
def finish(state: RunState, ctx: Context) -> dict[str, Any]:
    run_dir = Path(state.run_dir)
    best = best_of(state.iterations)
    copy_final(run_dir, best)
    result = build_result(state, ctx, "completed")
    write_result(run_dir, result)
    write_report(run_dir, result, state.plan)
    tracing.event("finished", {
        "stop_reason": result.stop_reason,
        "best_score": best.score if best else 0.0,
        "best_candidate": best.candidate if best else "",
        "rounds": len(state.iterations),
    })
    return {}
