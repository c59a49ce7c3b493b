from __future__ import annotations

import pytest

from agent import policy
from agent.state import Budget, Ledger


def decide(scores, ledger=None, budget=None, **kw):
    return policy.decide(scores, ledger or Ledger(generations=len(scores)),
                         budget or Budget(max_generations=None), target=kw.pop("target", 0.9),
                         **kw)


def test_stops_when_target_reached():
    d = decide([0.5, 0.92])
    assert (d.action, d.reason) == ("stop", policy.TARGET_REACHED)
    assert d.numbers["best_score"] == 0.92


def test_target_uses_best_round_not_last():
    assert decide([0.95, 0.3]).reason == policy.TARGET_REACHED


def test_continues_below_target_with_room():
    d = decide([0.4])
    assert (d.action, d.reason) == ("continue", policy.CONTINUE)


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
    d = policy.decide([0.3], ledger, budget, target=0.9)
    assert (d.action, d.reason) == ("stop", reason)


def test_affordable_round_continues():
    d = policy.decide([0.3], Ledger(generations=1, usd=0.4), Budget(max_generations=3,
                                                                    max_usd=1.0), target=0.9)
    assert d.action == "continue"
    assert d.numbers["next_round_estimate"]["usd"] == pytest.approx(0.4)


def test_fan_out_counts_every_candidate_against_the_cap():
    ledger = Ledger(generations=2)
    budget = Budget(max_generations=4)
    assert policy.decide([0.3], ledger, budget, target=0.9, next_generations=2).action == "continue"
    assert policy.decide([0.3], ledger, budget, target=0.9,
                         next_generations=3).reason == policy.BUDGET_GENERATIONS


def test_target_wins_over_budget():
    d = policy.decide([0.95], Ledger(generations=5), Budget(max_generations=5), target=0.9)
    assert d.reason == policy.TARGET_REACHED


def test_no_gain_over_patience_rounds_stops():
    assert decide([0.5, 0.5, 0.505], patience=2).reason == policy.NO_GAIN
    assert decide([0.5, 0.5, 0.6], patience=2).action == "continue"
    assert decide([0.5, 0.5], patience=2).action == "continue"  # not enough history yet


def test_converged_records_previous_numbers():
    prev = decide([0.4])
    d = policy.converged(prev, ["nothing to add"])
    assert (d.action, d.reason) == ("stop", policy.CONVERGED)
    assert d.numbers["best_score"] == 0.4 and d.numbers["refiner_notes"] == ["nothing to add"]


def test_needs_history():
    with pytest.raises(ValueError):
        decide([])


def test_best_candidate_is_best_over_all_rounds_earliest_on_tie():
    assert policy.best_candidate_index([[0.2, 0.8], [0.5], [0.8, 0.1]]) == (0, 1)
    assert policy.best_candidate_index([]) is None
