"""decide: the stop rule, applied after every judged round."""

from __future__ import annotations

from typing import Any, Literal

from agent import policy, tracing
from agent.context import Context
from agent.nodes.wrap import node
from agent.state import Decision, Iteration, RunState


def round_scores(state: RunState) -> list[float]:
    """Best score of each finished round plus the round just judged."""
    past = [max((v.score for v in it.verdicts), default=0.0) for it in state.iterations]
    return [*past, max((v.score for v in state.verdicts), default=0.0)]


def this_round(state: RunState, decision: Decision, refinement: Any = None) -> Iteration:
    return Iteration(index=state.round, prompt=state.prompt, keyframes=state.keyframes,
                     candidates=state.candidates, verdicts=state.verdicts, decision=decision,
                     refinement=refinement)


def trace_decision(decision: Decision) -> None:
    tracing.event("decision", {"action": decision.action, "reason": decision.reason,
                               "detail": decision.detail, "numbers": decision.numbers})


@node("decide")
def decide(state: RunState, ctx: Context) -> dict[str, Any]:
    decision = policy.decide(
        round_scores(state), state.ledger, ctx.budget, target=ctx.target,
        next_generations=ctx.candidates_per_round, min_gain=ctx.min_gain, patience=ctx.patience,
    )
    trace_decision(decision)
    update: dict[str, Any] = {"decision": decision}
    if decision.action == "stop":
        update["iterations"] = [this_round(state, decision)]
    return update


def route_after_decide(state: RunState) -> Literal["refine", "finish"]:
    return "refine" if state.decision and state.decision.action == "continue" else "finish"
