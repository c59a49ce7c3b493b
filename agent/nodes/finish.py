"""finish: the best candidate of all rounds becomes `final.mp4`; the run is written to disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent import tracing
from agent.context import Context
from agent.nodes.wrap import close_hosted, node
from agent.report import write_report
from agent.rundir import RESULT_FILE, best_of, copy_final, round_summary, write_result
from agent.state import KinemaOutput, RunResult, RunState, RunStatus


def build_result(state: RunState, ctx: Context, status: RunStatus,
                 error: str | None = None) -> RunResult:
    """The RunResult of a state, finished or not (the runner uses it for failed runs too)."""
    best = best_of(state.iterations)
    final = Path(state.run_dir) / "final.mp4"
    return RunResult(
        run_id=state.run_id,
        prompt=state.req.prompt,
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


def outcome(result: RunResult) -> KinemaOutput:
    """What a host needs from a run (the exported graphs' output, the tool's and MCP's
    answer): the best video, its scores, why the run stopped, and `result.json`, with
    absolute paths so a host in another folder can open them."""
    ref = result.best
    best = next((c for r in result.rounds if ref and r.index == ref.round
                 for c in r.candidates if c.id == ref.candidate), None)
    return {
        "video": os.path.abspath(result.final_video) if result.final_video else None,
        "score": result.best.score if result.best else None,
        "physics": best.physics if best else None,
        "adherence": best.adherence if best else None,
        "stop_reason": result.stop_reason,
        "result_path": os.path.abspath(Path(result.run_dir) / RESULT_FILE),
    }


@node("finish", timed=False)
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
        "seconds": round(result.ledger.seconds, 3),
    })
    close_hosted(state, "completed", seconds=result.ledger.seconds)
    return dict(outcome(result))
