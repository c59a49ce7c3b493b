"""The stop rule: after every judgement, is another round worth it, and what kind of round?

`decide` is pure. It sees the per-round best scores, what has been spent, the caps and the cost
model, and walks DESIGN.md's steps in order:

1. the best score reached the target: stop (`target_reached`); unless the judge could check
   too little of that candidate's motion to vouch for it (its verdict's `coverage` is below
   `MIN_COVERAGE`): then a score is no proof, and the run stops without claiming the target
   (`unverified`);
2. not even one more candidate fits in what is left of some cap: stop (`budget_<resource>`).
   A fan-out is clipped to the candidates that fit, so no cap is exceeded by a parallel round;
3. another round is not worth it: the expected gain is below `min_gain`, the last `patience`
   rounds gained nothing (`no_gain`), or the gain is worth less than the round costs
   (`not_worth_it`). The expected gain is the remaining gap to the target times the share of it
   a round is expected to close: an exponentially weighted mean of the shares this run's rounds
   closed, with a prior as a pseudo-observation, so the first rounds lean on the prior and later
   ones on what this run has shown. A failed reseed round counts neither toward `patience`
   nor in the expected share: it tested the seed, not the prompt, and hands the next round
   back to the refiner. A score point is worth `usd_per_point` dollars when the user set it;
   otherwise the budget sets its value (the whole budget is what closing the gap is worth), so
   a round is worth it when the share of the gap it is expected to close is at least the share
   of the budget it costs;
4. the refiner has nothing new to change (`converged`, decided by `converged` after refining);
5. otherwise continue, choosing the strategy: `reseed` when the verdicts look like seed luck,
   `fan_out` when more than one candidate is wanted and affordable, else `refine`.

Each condition is a named boolean and every number used goes into `Decision.numbers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.costs import CostModel, from_totals
from agent.state import Budget, Decision, Ledger

# Reason ids, in the order the rule checks them.
TARGET_REACHED = "target_reached"
UNVERIFIED = "unverified"
BUDGET_GENERATIONS = "budget_generations"
BUDGET_SECONDS = "budget_seconds"
BUDGET_USD = "budget_usd"
BUDGET_GPU_SECONDS = "budget_gpu_seconds"
BUDGET_TOKENS = "budget_tokens"
NO_GAIN = "no_gain"
NOT_WORTH_IT = "not_worth_it"
CONVERGED = "converged"
CONTINUE = "continue"

# Strategies: how a round is produced.
INITIAL = "initial"
REFINE = "refine"
FAN_OUT = "fan_out"
RESEED = "reseed"

GAIN_DECAY = 0.5  # weight of a gain one round older, relative to the newer one
PRIOR_WEIGHT = 2.0  # the prior counts as this many observations made before round 1
MIN_GAP = 0.05  # a gap narrower than this counts as this wide (no division blow-ups)
MIN_COVERAGE = 0.5  # share of the moving time a judge must have checked to vouch for a score


def _caps(spent: Ledger, budget: Budget) -> list[tuple[str, float, float | None]]:
    """(reason, already spent, cap) per resource, in the order reasons are reported."""
    return [
        (BUDGET_GENERATIONS, spent.generations, budget.max_generations),
        (BUDGET_SECONDS, spent.seconds, budget.max_seconds),
        (BUDGET_USD, spent.usd, budget.max_usd),
        (BUDGET_GPU_SECONDS, spent.gpu_seconds, budget.max_gpu_seconds),
        (BUDGET_TOKENS, spent.input_tokens + spent.output_tokens, budget.max_tokens),
    ]


def _amounts(cost: Ledger) -> list[float]:
    return [cost.generations, cost.seconds, cost.usd, cost.gpu_seconds,
            cost.input_tokens + cost.output_tokens]


def over_cap(spent: Ledger, cost: Ledger, budget: Budget) -> str | None:
    """The first cap that `spent + cost` would exceed, or None."""
    for (reason, used, cap), amount in zip(_caps(spent, budget), _amounts(cost), strict=True):
        if cap is not None and used + amount > cap + 1e-9:
            return reason
    return None


def affordable_candidates(spent: Ledger, costs: CostModel, budget: Budget,
                          wanted: int) -> tuple[int, str | None]:
    """How many of `wanted` candidates the next round can have without breaking any cap.

    Returns the count and, when it is zero, the cap that forbids even one.
    """
    for n in range(wanted, 0, -1):
        if over_cap(spent, costs.next_round(n), budget) is None:
            return n, None
    return 0, over_cap(spent, costs.next_round(1), budget)


def unpriced_caps(costs: CostModel, budget: Budget) -> list[str]:
    """The capped resources (besides generations) whose price per candidate is unknown (zero)."""
    per_candidate = _amounts(costs.per_candidate)
    return [reason for (reason, _, cap), price in zip(_caps(Ledger(), budget), per_candidate,
                                                       strict=True)
            if cap is not None and reason != BUDGET_GENERATIONS and price <= 0]


def budget_share(cost: Ledger, budget: Budget) -> float | None:
    """The largest share of any cap that `cost` would use; None when nothing is capped."""
    shares = [amount / cap for (_, _, cap), amount in zip(_caps(Ledger(), budget), _amounts(cost),
                                                           strict=True) if cap]
    return max(shares) if shares else None


def gap_closed(round_scores: Sequence[float], target: float) -> list[float]:
    """For each round after the first, the share of the gap to the target it closed (0 to 1)."""
    shares, best = [], round_scores[0]
    for score in round_scores[1:]:
        gap = max(target - best, MIN_GAP)
        shares.append(min(1.0, max(0.0, score - best) / gap))
        best = max(best, score)
    return shares


def expected_share(round_scores: Sequence[float], target: float, prior: float,
                   round_strategies: Sequence[str] | None = None) -> float:
    """The share of the remaining gap to the target the next round is expected to close.

    An exponentially weighted mean of the shares the run's rounds closed, newest weighted most,
    with `prior` as a pseudo-observation older than all of them. Shares rather than raw gains,
    because a round's gain scales with how far from the target it starts: a failed first round
    (score 0) has far more to gain than a nearly good one. A reseed round that closed nothing
    is left out (with `round_strategies`, aligned with `round_scores`): it tested the seed, not
    the prompt, and says nothing about what the refiner's next edit will do.
    """
    shares = gap_closed(round_scores, target)
    if round_strategies is not None:
        shares = [share for share, strategy in zip(shares, round_strategies[1:], strict=True)
                  if share > 0.0 or strategy != RESEED]
    weights = [GAIN_DECAY ** (len(shares) - 1 - i) for i in range(len(shares))]
    prior_weight = PRIOR_WEIGHT * GAIN_DECAY ** len(shares)
    weighted = sum(w * s for w, s in zip(weights, shares, strict=True))
    return (prior * prior_weight + weighted) / (prior_weight + sum(weights))


@dataclass(frozen=True)
class Worth:
    """The value of the expected gain against the next round's cost, in one unit."""

    basis: str  # "usd_per_point" or "budget"
    value: float
    cost: float

    @property
    def worth_it(self) -> bool:
        return self.value >= self.cost


def worth(share: float, gain: float, next_cost: Ledger, budget: Budget, *,
          usd_per_point: float | None) -> Worth | None:
    """Puts the expected gain and the round's cost in one unit; None when nothing prices it.

    With `usd_per_point`, both are dollars. Otherwise the budget is what closing the gap to the
    target is worth, so a round is worth it when the share of the gap it is expected to close is
    at least the share of the budget it costs.
    """
    if usd_per_point is not None:
        return Worth("usd_per_point", gain * usd_per_point, next_cost.usd)
    budget_used = budget_share(next_cost, budget)
    if budget_used is None:
        return None
    return Worth("budget", share, budget_used)


@dataclass(frozen=True)
class RoundSignals:
    """What the strategy choice needs to know about a judged round."""

    best_score: float
    violations: Sequence[frozenset[str]] = field(default_factory=tuple)  # per judged candidate
    strategy: str = REFINE


def looks_like_seed_luck(rounds: Sequence[RoundSignals], min_gain: float) -> bool:
    """True when the verdicts point at the seed rather than the prompt.

    Candidates of one prompt that fail in different ways disagree because of their seeds; and a
    refinement that moved the best score by less than `min_gain` changed nothing the generator
    cared about, so another prompt edit is less promising than another seed.
    """
    if not rounds:
        return False
    last = rounds[-1]
    disagree = len(set(last.violations)) > 1
    refinement_idle = (len(rounds) > 1 and last.strategy in (REFINE, FAN_OUT)
                       and last.best_score < rounds[-2].best_score + min_gain)
    return disagree or refinement_idle


def choose_strategy(seed_luck: bool, candidates: int, last_strategy: str) -> str:
    """Reseed on seed luck (never twice running: then the prompt is the problem), else refine,
    fanning out when the round has more than one candidate."""
    if seed_luck and last_strategy != RESEED:
        return RESEED
    return FAN_OUT if candidates > 1 else REFINE


def decide(
    round_scores: Sequence[float],
    ledger: Ledger,
    budget: Budget,
    *,
    target: float,
    costs: CostModel | None = None,
    candidates: int = 1,
    min_gain: float = 0.01,
    patience: int = 2,
    gain_prior: float = 0.5,
    usd_per_point: float | None = None,
    seed_luck: bool = False,
    last_strategy: str = INITIAL,
    round_strategies: Sequence[str] | None = None,
    best_coverage: float | None = None,
) -> Decision:
    """Chooses stop or continue after a judged round, and the next round's strategy.

    Args:
        round_scores: the best score of each round so far, oldest first.
        ledger: everything spent so far.
        budget: the hard caps.
        target: stop once the best score reaches this.
        costs: the learned cost model; without one, all spending is taken as per candidate.
        candidates: candidates wanted in the next round (clipped to what the caps allow).
        min_gain: an expected rise smaller than this is not worth a round.
        patience: rounds without a `min_gain` rise after which the run stops.
        gain_prior: the share of the remaining gap to the target a round is expected to close
            before the run has shown its own.
        usd_per_point: what a rise of 1.0 in score is worth in USD; None derives it from the budget.
        seed_luck: the verdicts look like seed luck (see `looks_like_seed_luck`).
        last_strategy: how the round just judged was produced.
        round_strategies: how each round was produced, aligned with `round_scores`; failed
            reseeds are left out of the expected share (see `expected_share`).
        best_coverage: the share of the moving time the judge checked in the best candidate;
            None when its judge does not say.
    """
    if not round_scores:
        raise ValueError("decide needs at least one judged round")
    model = costs or from_totals(ledger, len(round_scores))
    best = max(round_scores)
    affordable, cap_reason = affordable_candidates(ledger, model, budget, max(1, candidates))
    next_cost = model.next_round(max(affordable, 1))
    share = expected_share(round_scores, target, gain_prior, round_strategies)
    gain = share * max(0.0, target - best)
    value = worth(share, gain, next_cost, budget, usd_per_point=usd_per_point)
    earlier_best = max(round_scores[:-patience]) if len(round_scores) > patience else None

    verified = best_coverage is None or best_coverage >= MIN_COVERAGE
    target_reached = best >= target and verified
    unverified = best >= target and not verified
    unaffordable = affordable == 0
    # A reseed that gained nothing rejected the seed-luck hypothesis; the next round goes back
    # to the refiner (never two reseeds running). Counting it toward patience would end every
    # run whose reseed failed before the refiner got that round.
    stalled = (earlier_best is not None and best < earlier_best + min_gain
               and last_strategy != RESEED)
    gain_too_small = gain < min_gain
    not_worth_it = value is not None and not value.worth_it
    strategy = choose_strategy(seed_luck, affordable, last_strategy)

    numbers = _numbers(round_scores, ledger, budget, model, next_cost, target=target,
                       wanted=candidates, affordable=affordable, gain=gain, share=share,
                       gain_prior=gain_prior, value=value, stalled=stalled, seed_luck=seed_luck)
    numbers["best_coverage"] = best_coverage
    if target_reached:
        return _stop(TARGET_REACHED, numbers,
                     f"best score {best:.2f} reached the target {target:.2f}")
    if unverified:
        assert best_coverage is not None
        return _stop(UNVERIFIED, numbers,
                     f"best score {best:.2f} is above the target {target:.2f}, but the judge "
                     f"could check only {100 * best_coverage:.0f}% of the motion (a target "
                     f"needs {100 * MIN_COVERAGE:.0f}%): the target is not claimed")
    if unaffordable:
        return _stop(cap_reason or BUDGET_GENERATIONS, numbers,
                     f"even one more candidate would exceed the cap ({cap_reason})")
    if stalled or gain_too_small:
        why = (f"no rise of {min_gain:.2f} in the last {patience} rounds" if stalled
               else f"expected rise {gain:.3f} is below {min_gain:.2f}")
        return _stop(NO_GAIN, numbers, why)
    if not_worth_it:
        assert value is not None
        return _stop(NOT_WORTH_IT, numbers,
                     f"expected rise {gain:.3f} is worth {value.value:.3f} but a round costs "
                     f"{value.cost:.3f} ({value.basis})")
    return Decision(action="continue", reason=CONTINUE, numbers=numbers, strategy=strategy,
                    candidates=affordable,
                    detail=f"best score {best:.2f} is below the target {target:.2f}; next: "
                    f"{strategy} with {affordable} candidate(s), expected rise {gain:.3f}")


def _stop(reason: str, numbers: dict[str, Any], detail: str) -> Decision:
    return Decision(action="stop", reason=reason, numbers=numbers, detail=detail)


def _numbers(round_scores: Sequence[float], ledger: Ledger, budget: Budget, model: CostModel,
             next_cost: Ledger, *, target: float, wanted: int, affordable: int, gain: float,
             share: float, gain_prior: float, value: Worth | None, stalled: bool,
             seed_luck: bool) -> dict[str, Any]:
    """Everything the rule looked at, for the trace and `result.json`."""
    return {
        "rounds": len(round_scores),
        "round_scores": [round(s, 4) for s in round_scores],
        "best_score": round(max(round_scores), 4),
        "last_score": round(round_scores[-1], 4),
        "target": target,
        "spent": ledger.model_dump(),
        "budget": budget.model_dump(),
        "per_candidate_estimate": model.per_candidate.model_dump(),
        "overhead_estimate": model.overhead.model_dump(),
        "cost_rounds_observed": model.rounds_observed,
        "next_round_estimate": next_cost.model_dump(),
        "candidates_wanted": wanted,
        "candidates_affordable": affordable,
        "expected_gain": round(gain, 4),
        "expected_gap_share": round(share, 4),
        "gain_prior": gain_prior,
        "gap_closed": [round(g, 4) for g in gap_closed(round_scores, target)],
        "value_basis": value.basis if value else None,
        "gain_value": round(value.value, 6) if value else None,
        "round_cost": round(value.cost, 6) if value else None,
        "stalled": stalled,
        "seed_luck": seed_luck,
    }


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
