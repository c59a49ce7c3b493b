"""decide: the stop rule, applied after every judged round; it also picks the next round's strategy.

This node gathers what the pure rule in `agent.policy` needs from the state: the best score per
round, the cost of each paid round (for the cost model), the verdicts' signals of seed luck, and
the video backend's own price as the prior before anything was observed.
"""

from __future__ import annotations

from typing import Any, Literal

from agent import policy, tracing
from agent.backends import resolve
from agent.context import Context
from agent.costs import CostModel, RoundCost, difference, learn, prior_cost
from agent.nodes.generate import make_job
from agent.nodes.wrap import node
from agent.state import Candidate, Decision, Iteration, Ledger, RunState, Verdict
from tools.errors import BadInputError


def round_scores(state: RunState) -> list[float]:
    """Best score of each finished round plus the round just judged."""
    past = [max((v.score for v in it.verdicts), default=0.0) for it in state.iterations]
    return [*past, max((v.score for v in state.verdicts), default=0.0)]


def best_coverage(state: RunState) -> float | None:
    """How much of its motion the judge could check in the best-scoring candidate so far."""
    verdicts = [v for it in state.iterations for v in it.verdicts] + list(state.verdicts)
    if not verdicts:
        return None
    return max(verdicts, key=lambda v: v.score).coverage


def round_cost(state: RunState) -> Ledger:
    """What the current round has spent so far (its refinement included)."""
    return difference(state.ledger, state.round_start)


def this_round(state: RunState, decision: Decision, refinement: Any = None) -> Iteration:
    return Iteration(index=state.round, prompt=state.prompt, keyframes=state.keyframes,
                     candidates=state.candidates, verdicts=state.verdicts, decision=decision,
                     refinement=refinement, strategy=state.strategy, cost=round_cost(state))


def _paid(cands: list[Candidate], verdicts: list[Verdict], total: Ledger) -> RoundCost:
    per = [c.cost + v.cost for c, v in zip(cands, verdicts, strict=False)]
    return RoundCost(total=total, candidates=per)


def cost_model(state: RunState, ctx: Context) -> CostModel:
    """Learned from every paid round, this one included; the backend's price before that."""
    rounds = [_paid(it.candidates, it.verdicts, it.cost) for it in state.iterations]
    rounds.append(_paid(state.candidates, state.verdicts, round_cost(state)))
    return learn(rounds, prior_cost(resolve(ctx, "video"), make_job(state, 0)))


def first_round_candidates(state: RunState, ctx: Context) -> int:
    """The first round's fan-out, clipped to what the caps allow at the backend's stated price.

    When a capped resource has no stated price the first round has one candidate: a fan-out at
    an unknown price could overshoot the cap before the cost model has seen a single bill.
    """
    model = learn([], prior_cost(resolve(ctx, "video"), make_job(state, 0)))
    wanted = ctx.candidates_per_round
    if policy.unpriced_caps(model, ctx.budget):
        wanted = 1
    n, cap = policy.affordable_candidates(state.ledger, model, ctx.budget, wanted)
    if n == 0:
        raise BadInputError(f"the budget cannot pay for a single candidate ({cap}): "
                            "raise the budget or choose a cheaper --video backend")
    return n


def seed_signals(state: RunState) -> list[policy.RoundSignals]:
    """Per round: best score, each judged candidate's violations, and how it was made."""
    rounds = [(it.verdicts, it.candidates, it.strategy) for it in state.iterations]
    rounds.append((state.verdicts, state.candidates, state.strategy))
    return [
        policy.RoundSignals(
            best_score=max((v.score for v in verdicts), default=0.0),
            violations=[frozenset(v.violations) for v, c in zip(verdicts, cands, strict=False)
                        if c.error is None],
            strategy=strategy,
        )
        for verdicts, cands, strategy in rounds
    ]


def trace_decision(decision: Decision) -> None:
    tracing.event("decision", {"action": decision.action, "reason": decision.reason,
                               "detail": decision.detail, "strategy": decision.strategy or "",
                               "candidates": decision.candidates, "numbers": decision.numbers})


@node("decide")
def decide(state: RunState, ctx: Context) -> dict[str, Any]:
    decision = policy.decide(
        round_scores(state), state.ledger, ctx.budget, target=ctx.target,
        costs=cost_model(state, ctx), candidates=ctx.candidates_per_round,
        min_gain=ctx.min_gain, patience=ctx.patience, gain_prior=ctx.gain_prior,
        usd_per_point=ctx.usd_per_point,
        seed_luck=ctx.reseed and policy.looks_like_seed_luck(seed_signals(state), ctx.min_gain),
        last_strategy=state.strategy,
        round_strategies=[it.strategy for it in state.iterations] + [state.strategy],
        best_coverage=best_coverage(state),
    )
    trace_decision(decision)
    update: dict[str, Any] = {"decision": decision}
    if decision.action == "stop":
        update["iterations"] = [this_round(state, decision)]
    return update


def route_after_decide(state: RunState) -> Literal["refine", "finish"]:
    return "refine" if state.decision and state.decision.action == "continue" else "finish"
