"""The stop rule: after every judgement, is another round worth it?

`decide` is pure: it sees the per-round best scores, what has been spent and the caps, and returns a
Decision whose reason is a stable id and whose numbers are everything it looked at. Each stopping
condition is a named boolean so the trace says exactly which one fired.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.state import Budget, Decision, Ledger

# Reason ids, in the order the rule checks them.
TARGET_REACHED = "target_reached"
BUDGET_GENERATIONS = "budget_generations"
BUDGET_SECONDS = "budget_seconds"
BUDGET_USD = "budget_usd"
BUDGET_GPU_SECONDS = "budget_gpu_seconds"
BUDGET_TOKENS = "budget_tokens"
NO_GAIN = "no_gain"
CONVERGED = "converged"
CONTINUE = "continue"


def estimated_round_cost(ledger: Ledger, rounds_done: int, next_generations: int) -> Ledger:
    """The next round's cost, estimated as the mean of the rounds so far.

    Generations are known exactly (the controller chooses them), so they are not estimated.
    """
    n = max(1, rounds_done)
    return Ledger(
        usd=ledger.usd / n,
        seconds=ledger.seconds / n,
        gpu_seconds=ledger.gpu_seconds / n,
        generations=next_generations,
        input_tokens=ledger.input_tokens // n,
        output_tokens=ledger.output_tokens // n,
    )


def _over_cap(spent: float, next_cost: float, cap: float | None) -> bool:
    return cap is not None and spent + next_cost > cap + 1e-9


def _budget_reason(ledger: Ledger, nxt: Ledger, budget: Budget) -> str | None:
    tokens = ledger.input_tokens + ledger.output_tokens
    next_tokens = nxt.input_tokens + nxt.output_tokens
    checks = (
        (BUDGET_GENERATIONS,
         _over_cap(ledger.generations, nxt.generations, budget.max_generations)),
        (BUDGET_SECONDS, _over_cap(ledger.seconds, nxt.seconds, budget.max_seconds)),
        (BUDGET_USD, _over_cap(ledger.usd, nxt.usd, budget.max_usd)),
        (BUDGET_GPU_SECONDS,
         _over_cap(ledger.gpu_seconds, nxt.gpu_seconds, budget.max_gpu_seconds)),
        (BUDGET_TOKENS, _over_cap(tokens, next_tokens, budget.max_tokens)),
    )
    return next((reason for reason, fired in checks if fired), None)


def decide(
    round_scores: Sequence[float],
    ledger: Ledger,
    budget: Budget,
    *,
    target: float,
    next_generations: int = 1,
    min_gain: float = 0.01,
    patience: int = 2,
) -> Decision:
    """Chooses stop or continue after a judged round.

    Args:
        round_scores: the best score of each round so far, oldest first.
        ledger: everything spent so far.
        budget: the hard caps.
        target: stop once the best score reaches this.
        next_generations: videos the next round would generate.
        min_gain: a rise of the best score smaller than this counts as no gain.
        patience: rounds without gain after which another round is not worth it.
    """
    if not round_scores:
        raise ValueError("decide needs at least one judged round")
    best = max(round_scores)
    nxt = estimated_round_cost(ledger, len(round_scores), next_generations)
    numbers = {
        "rounds": len(round_scores),
        "best_score": round(best, 4),
        "last_score": round(round_scores[-1], 4),
        "target": target,
        "spent": ledger.model_dump(),
        "next_round_estimate": nxt.model_dump(),
        "budget": budget.model_dump(),
    }
    target_reached = best >= target
    budget_reason = _budget_reason(ledger, nxt, budget)
    earlier_best = max(round_scores[:-patience]) if len(round_scores) > patience else None
    no_gain = earlier_best is not None and best < earlier_best + min_gain

    if target_reached:
        return Decision(action="stop", reason=TARGET_REACHED, numbers=numbers,
                        detail=f"best score {best:.2f} reached the target {target:.2f}")
    if budget_reason is not None:
        return Decision(action="stop", reason=budget_reason, numbers=numbers,
                        detail=f"the next round would exceed the cap ({budget_reason})")
    if no_gain:
        return Decision(action="stop", reason=NO_GAIN, numbers=numbers,
                        detail=f"no gain of {min_gain:.2f} in the last {patience} rounds")
    return Decision(action="continue", reason=CONTINUE, numbers=numbers,
                    detail=f"best score {best:.2f} is below the target {target:.2f}")


def converged(previous: Decision | None, notes: Sequence[str] = ()) -> Decision:
    """The decision when the refiner has nothing new to change: another round would repeat one."""
    numbers = dict(previous.numbers) if previous else {}
    numbers["refiner_notes"] = list(notes)
    return Decision(action="stop", reason=CONVERGED, numbers=numbers,
                    detail="the refiner has nothing new to change")


def best_candidate_index(round_scores: Sequence[Sequence[float]]) -> tuple[int, int] | None:
    """(round index, candidate index) of the best-scoring candidate; earliest wins ties."""
    best: tuple[int, int] | None = None
    best_score = -1.0
    for r, scores in enumerate(round_scores):
        for c, score in enumerate(scores):
            if score > best_score:
                best, best_score = (r, c), score
    return best
