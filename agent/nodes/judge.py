"""judge: a Verdict per candidate, each recorded as a trace event.

It is also where a round's generation branches meet, so it charges their costs to the ledger:
branches run side by side and cannot write the ledger themselves. Their wall times are summed,
which overstates the wall time of a truly parallel fan-out: a seconds cap errs on the safe side.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from agent import journal, tracing
from agent.backends import backend_call, charge, record_cost, resolve
from agent.context import Context
from agent.costs import total
from agent.nodes.wrap import node
from agent.state import Candidate, RunState, Verdict


def _unjudgeable(cand: Candidate, spec: str) -> Verdict:
    return Verdict(judge=spec, score=0.0, physics=0.0,
                   measurements={"error": cand.error or "no video"})


@node("judge")
def judge(state: RunState, ctx: Context) -> dict[str, Any]:
    judge_backend = resolve(ctx, "judge")
    verdicts: list[Verdict] = []
    generated = total([c.cost for c in state.candidates])
    ledger = charge(state.ledger, generated).model_copy(
        update={"seconds": state.ledger.seconds + generated.seconds})
    for cand in state.candidates:
        if cand.error or not cand.video:
            verdict = _unjudgeable(cand, judge_backend.spec)
        else:
            attrs = {"kinema.candidate": cand.id}
            key = journal.key_of(judge_backend.spec, ctx.options.get("judge", {}),
                                 cand.sha256 or cand.video, state.plan)
            with backend_call(state, "judge", judge_backend.spec, **attrs) as span:
                started = time.perf_counter()
                verdict, reused = journal.once(
                    state.run_dir, f"{cand.id}-judge", key, Verdict,
                    partial(judge_backend.judge, Path(cand.video), state.plan))
                span.set_attribute("kinema.reused", reused)
                record_cost(span, verdict.cost)
            ledger = charge(ledger, verdict.cost)
            # Its own time, for the cost model's price per candidate (the node counts it once).
            verdict = verdict.model_copy(update={"cost": verdict.cost.model_copy(
                update={"seconds": time.perf_counter() - started})})
        tracing.event("judgement", {
            "candidate": cand.id,
            "score": round(verdict.score, 4),
            "physics": round(verdict.physics, 4),
            "adherence": -1.0 if verdict.adherence is None else round(verdict.adherence, 4),
            # How the run's score was formed: it needs both physics and adherence.
            "score_formula": "physics" if verdict.adherence is None else "physics * adherence",
            "violations": verdict.violations,
            "adherence_violations": verdict.adherence_violations,
            "rules": {r.id: r.status for r in [*verdict.rules, *verdict.adherence_checks]},
        })
        verdicts.append(verdict)
    return {"verdicts": verdicts, "ledger": ledger}
