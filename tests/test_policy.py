"""The stop rule, step by step: each condition alone, their order, and the numbers recorded."""

from __future__ import annotations

import pytest

from agent import policy
from agent.costs import CostModel
from agent.state import Budget, Ledger

UNCAPPED = Budget(max_generations=None)


def model(usd: float = 0.0, seconds: float = 0.0, overhead: Ledger | None = None) -> CostModel:
    return CostModel(per_candidate=Ledger(usd=usd, seconds=seconds, generations=1),
                     overhead=overhead or Ledger(), rounds_observed=1)


def decide(scores, ledger=None, budget=None, **kw):
    return policy.decide(scores, ledger or Ledger(generations=len(scores)), budget or UNCAPPED,
                         target=kw.pop("target", 0.9), **kw)


# Step 1: the target.

def test_stops_when_target_reached():
    d = decide([0.5, 0.92])
    assert (d.action, d.reason) == ("stop", policy.TARGET_REACHED)
    assert d.numbers["best_score"] == 0.92


def test_a_score_the_judge_could_barely_check_does_not_reach_the_target():
    d = decide([0.5, 0.97], best_coverage=0.3)
    assert (d.action, d.reason) == ("stop", policy.UNVERIFIED)
    assert "30%" in d.detail and d.numbers["best_coverage"] == 0.3
    assert decide([0.5, 0.97], best_coverage=0.8).reason == policy.TARGET_REACHED


def test_target_uses_best_round_not_last():
    assert decide([0.95, 0.3]).reason == policy.TARGET_REACHED


def test_target_wins_over_budget():
    d = policy.decide([0.95], Ledger(generations=5), Budget(max_generations=5), target=0.9)
    assert d.reason == policy.TARGET_REACHED


# Step 2: the caps.

@pytest.mark.parametrize(
    ("ledger", "budget", "reason"),
    [
        (Ledger(generations=3), Budget(max_generations=3), policy.BUDGET_GENERATIONS),
        (Ledger(generations=1, seconds=40), Budget(max_generations=None, max_seconds=60),
         policy.BUDGET_SECONDS),
        (Ledger(generations=1, usd=0.6), Budget(max_generations=None, max_usd=1.0),
         policy.BUDGET_USD),
        (Ledger(generations=1, gpu_seconds=70), Budget(max_generations=None,
                                                       max_gpu_seconds=100),
         policy.BUDGET_GPU_SECONDS),
        (Ledger(generations=1, input_tokens=600, output_tokens=100),
         Budget(max_generations=None, max_tokens=1000), policy.BUDGET_TOKENS),
    ],
)
def test_stops_before_a_round_that_would_break_a_cap(ledger, budget, reason):
    d = policy.decide([0.3], ledger, budget, target=0.9, usd_per_point=1e9)
    assert (d.action, d.reason) == ("stop", reason)


def test_affordable_round_continues_at_the_learned_price():
    d = policy.decide([0.3], Ledger(generations=1, usd=0.4), Budget(max_generations=3,
                                                                    max_usd=1.0), target=0.9,
                      usd_per_point=1e9)
    assert d.action == "continue"
    assert d.numbers["next_round_estimate"]["usd"] == pytest.approx(0.4)


def test_overhead_counts_once_per_round_and_price_per_candidate():
    costs = model(usd=0.2, overhead=Ledger(usd=0.1))
    assert costs.next_round(3).usd == pytest.approx(0.7)
    assert costs.next_round(3).generations == 3


def test_fan_out_is_clipped_to_what_the_caps_leave():
    costs = model(usd=0.25)
    d = policy.decide([0.3], Ledger(generations=2, usd=0.5), Budget(max_generations=None,
                                                                    max_usd=1.0),
                      target=0.9, costs=costs, candidates=4, usd_per_point=1e9)
    assert (d.action, d.candidates, d.strategy) == ("continue", 2, policy.FAN_OUT)
    assert d.numbers["candidates_wanted"] == 4 and d.numbers["candidates_affordable"] == 2
    assert d.numbers["next_round_estimate"]["usd"] == pytest.approx(0.5)


def test_generation_cap_clips_a_fan_out_exactly():
    for spent, wanted, expected in [(2, 2, 2), (2, 3, 2), (3, 4, 1)]:
        n, reason = policy.affordable_candidates(Ledger(generations=spent), model(),
                                                 Budget(max_generations=4), wanted)
        assert (n, reason) == (expected, None)
    assert policy.affordable_candidates(Ledger(generations=4), model(), Budget(max_generations=4),
                                        2) == (0, policy.BUDGET_GENERATIONS)


def test_overhead_alone_can_make_a_round_unaffordable():
    costs = model(usd=0.0, overhead=Ledger(usd=0.6))
    d = policy.decide([0.3], Ledger(generations=1, usd=0.5), Budget(max_generations=None,
                                                                    max_usd=1.0),
                      target=0.9, costs=costs)
    assert d.reason == policy.BUDGET_USD


def test_first_reported_cap_is_generations_when_several_break():
    d = policy.decide([0.3], Ledger(generations=3, usd=1.0), Budget(max_generations=3,
                                                                    max_usd=1.0), target=0.9)
    assert d.reason == policy.BUDGET_GENERATIONS


# Step 3: the expected gain against the cost.

def test_expected_share_starts_at_the_prior_and_follows_the_run():
    w = policy.PRIOR_WEIGHT * policy.GAIN_DECAY  # the prior's weight after one observed round
    assert policy.expected_share([0.5], 0.9, prior=0.3) == pytest.approx(0.3)
    # A round that closed half the gap pulls the estimate up; one that closed none, down.
    assert policy.expected_share([0.5, 0.7], 0.9, prior=0.3) == pytest.approx(
        (0.3 * w + 0.5) / (w + 1))
    assert policy.expected_share([0.5, 0.5], 0.9, prior=0.3) == pytest.approx(0.3 * w / (w + 1))
    # Newer rounds weigh more than older ones.
    late = policy.expected_share([0.5, 0.5, 0.7], 0.9, prior=0.3)
    early = policy.expected_share([0.5, 0.7, 0.7], 0.9, prior=0.3)
    assert late > early


def test_gap_closed_is_relative_to_the_gap_and_never_negative():
    assert policy.gap_closed([0.5, 0.7, 0.6, 0.8], 0.9) == pytest.approx([0.5, 0.0, 0.5])
    assert policy.gap_closed([0.0, 0.9], 0.9) == [1.0]


def test_budget_derived_value_compares_gap_share_with_budget_share():
    # Two rounds of a 4-generation budget: each costs a quarter of it.
    budget = Budget(max_generations=4)
    assert policy.decide([0.5], Ledger(generations=1), budget, target=0.9,
                         gain_prior=0.3).action == "continue"
    d = policy.decide([0.5], Ledger(generations=1), budget, target=0.9, gain_prior=0.2)
    assert (d.action, d.reason) == ("stop", policy.NOT_WORTH_IT)
    assert d.numbers["value_basis"] == "budget"
    assert d.numbers["gain_value"] == pytest.approx(0.2)
    assert d.numbers["round_cost"] == pytest.approx(0.25)


def test_rounds_that_closed_nothing_make_the_next_not_worth_it():
    budget = Budget(max_generations=6)
    kw = dict(target=0.9, patience=5)
    assert policy.decide([0.5, 0.8], Ledger(generations=2), budget, **kw).action == "continue"
    # One idle round is not enough to give up on the prior; two are.
    assert policy.decide([0.5, 0.5], Ledger(generations=2), budget, **kw).action == "continue"
    d = policy.decide([0.5, 0.5, 0.5], Ledger(generations=3), budget, **kw)
    assert d.reason == policy.NOT_WORTH_IT


def test_a_failed_first_round_is_worth_retrying():
    d = policy.decide([0.0], Ledger(generations=1), Budget(max_generations=6), target=0.9)
    assert d.action == "continue"


def test_user_value_of_a_point_prices_the_gain_in_dollars():
    costs = model(usd=1.0)
    kw = dict(target=0.9, costs=costs, gain_prior=0.3)
    # Expected gain 0.3 * 0.4 = 0.12 points.
    rich = policy.decide([0.5], Ledger(generations=1, usd=1.0), UNCAPPED, usd_per_point=10.0, **kw)
    poor = policy.decide([0.5], Ledger(generations=1, usd=1.0), UNCAPPED, usd_per_point=5.0, **kw)
    assert rich.action == "continue" and rich.numbers["gain_value"] == pytest.approx(1.2)
    assert (poor.action, poor.reason) == ("stop", policy.NOT_WORTH_IT)
    assert poor.numbers["value_basis"] == "usd_per_point"


def test_without_caps_or_value_only_the_gain_floor_applies():
    d = decide([0.5], gain_prior=0.3)
    assert d.action == "continue" and d.numbers["value_basis"] is None
    assert decide([0.5], gain_prior=0.01).reason == policy.NO_GAIN


def test_no_gain_over_patience_rounds_stops():
    assert decide([0.5, 0.5, 0.505], patience=2).reason == policy.NO_GAIN
    assert decide([0.5, 0.5, 0.6], patience=2).action == "continue"
    assert decide([0.5, 0.5], patience=2).action == "continue"  # not enough history yet


def test_a_failed_reseed_hands_the_next_round_back_to_the_refiner():
    # Round 2 refined and gained nothing, round 3 reseeded and gained nothing: the seed is
    # not the problem, so the refiner gets one more round instead of the run ending.
    after_reseed = decide([0.57, 0.57, 0.57], patience=2, last_strategy=policy.RESEED)
    assert after_reseed.action == "continue" and after_reseed.strategy == policy.REFINE
    after_refine = decide([0.57, 0.57, 0.57, 0.57], patience=2, last_strategy=policy.REFINE)
    assert after_refine.reason == policy.NO_GAIN


def test_a_failed_reseed_does_not_lower_what_the_next_refinement_is_expected_to_gain():
    # Four generations, three spent: a refinement and a reseed gained nothing. The reseed only
    # tested the seed; by the refinement alone (and the prior) the last round is expected to
    # close a quarter of the gap, as much as the quarter of the budget it costs, and the refiner
    # gets it. Counting the reseed would halve that and end the run.
    scores, spent, cap = [0.57, 0.57, 0.57], Ledger(generations=3), Budget(max_generations=4)
    history = [policy.INITIAL, policy.REFINE, policy.RESEED]
    told = decide(scores, spent, cap, last_strategy=policy.RESEED, round_strategies=history)
    assert (told.action, told.strategy) == ("continue", policy.REFINE)
    assert told.numbers["expected_gap_share"] == pytest.approx(0.25)
    untold = decide(scores, spent, cap, last_strategy=policy.RESEED)
    assert untold.reason == policy.NOT_WORTH_IT
    # A reseed that did gain counts like any round.
    assert policy.expected_share([0.5, 0.5, 0.7], 0.9, 0.5, history) == pytest.approx(
        policy.expected_share([0.5, 0.5, 0.7], 0.9, 0.5))


def test_budget_reason_wins_over_no_gain():
    d = policy.decide([0.5, 0.5, 0.5], Ledger(generations=3), Budget(max_generations=3),
                      target=0.9)
    assert d.reason == policy.BUDGET_GENERATIONS


# Step 4: convergence.

def test_converged_records_previous_numbers():
    prev = decide([0.4])
    d = policy.converged(prev, ["nothing to add"])
    assert (d.action, d.reason) == ("stop", policy.CONVERGED)
    assert d.numbers["best_score"] == 0.4 and d.numbers["refiner_notes"] == ["nothing to add"]


# Step 5: the strategy.

def sig(score, *violations, strategy=policy.REFINE):
    return policy.RoundSignals(score, [frozenset(v) for v in violations], strategy)


def test_candidates_that_fail_differently_look_like_seed_luck():
    assert policy.looks_like_seed_luck([sig(0.5, {"gravity"}, {"energy"})], 0.01)
    assert not policy.looks_like_seed_luck([sig(0.5, {"gravity"}, {"gravity"})], 0.01)
    assert not policy.looks_like_seed_luck([sig(0.5, {"gravity"})], 0.01)
    assert not policy.looks_like_seed_luck([], 0.01)


def test_a_refinement_that_changed_nothing_looks_like_seed_luck():
    first = sig(0.5, {"gravity"}, strategy=policy.INITIAL)
    assert policy.looks_like_seed_luck([first, sig(0.5, {"gravity"})], 0.01)
    assert not policy.looks_like_seed_luck([first, sig(0.7, {"gravity"})], 0.01)
    # A reseed round that gained nothing says the seed is not the problem.
    assert not policy.looks_like_seed_luck([first, sig(0.5, {"gravity"},
                                                       strategy=policy.RESEED)], 0.01)


@pytest.mark.parametrize(
    ("luck", "n", "last", "expected"),
    [
        (False, 1, policy.INITIAL, policy.REFINE),
        (False, 3, policy.REFINE, policy.FAN_OUT),
        (True, 1, policy.REFINE, policy.RESEED),
        (True, 3, policy.FAN_OUT, policy.RESEED),
        (True, 1, policy.RESEED, policy.REFINE),  # never reseed twice running
    ],
)
def test_choose_strategy(luck, n, last, expected):
    assert policy.choose_strategy(luck, n, last) == expected


def test_continue_decision_carries_strategy_and_candidates():
    d = decide([0.4], seed_luck=True)
    assert (d.action, d.strategy, d.candidates) == ("continue", policy.RESEED, 1)
    assert d.numbers["seed_luck"] is True
    assert decide([0.95]).strategy is None  # a stop has no next round


def test_every_number_the_rule_used_is_recorded():
    d = decide([0.4, 0.6], Ledger(generations=2, usd=1.0), Budget(max_generations=6))
    for key in ("round_scores", "best_score", "target", "spent", "budget", "next_round_estimate",
                "per_candidate_estimate", "overhead_estimate", "candidates_affordable",
                "expected_gain", "expected_gap_share", "gain_prior", "gap_closed", "value_basis",
                "gain_value", "round_cost", "stalled", "seed_luck"):
        assert key in d.numbers, key


def test_needs_history():
    with pytest.raises(ValueError):
        decide([])


def test_best_candidate_is_best_over_all_rounds_earliest_on_tie():
    assert policy.best_candidate_index([[0.2, 0.8], [0.5], [0.8, 0.1]]) == (0, 1)
    assert policy.best_candidate_index([]) is None


def test_unpriced_caps_are_the_capped_resources_without_a_price():
    budget = Budget(max_generations=4, max_usd=1.0, max_seconds=60)
    assert policy.unpriced_caps(model(usd=0.5), budget) == [policy.BUDGET_SECONDS]
    assert policy.unpriced_caps(model(usd=0.5, seconds=3), budget) == []
    assert policy.unpriced_caps(model(), Budget(max_generations=4)) == []
