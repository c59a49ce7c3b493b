"""The cost model: the backend's price before round 1, the run's own spending after."""

from __future__ import annotations

import pytest

from agent.costs import RoundCost, difference, from_totals, learn, prior_cost, scaled
from agent.state import GenerationJob, Ledger


class PriceTable:
    def estimated_cost(self, job: GenerationJob) -> Ledger:
        return Ledger(usd=0.05 * job.duration_s, gpu_seconds=10.0)


class PriceAttributes:
    usd_per_generation = 0.4
    gpu_seconds_per_generation = 30.0


def test_prior_comes_from_the_backend_price_table():
    job = GenerationJob(prompt="x", duration_s=4.0)
    assert prior_cost(PriceTable(), job) == Ledger(usd=0.2, gpu_seconds=10.0, generations=1)
    assert prior_cost(PriceAttributes(), job) == Ledger(usd=0.4, gpu_seconds=30.0, generations=1)
    assert prior_cost(object(), job) == Ledger(generations=1)


def test_before_any_round_the_estimate_is_the_prior():
    costs = learn([], Ledger(usd=0.3))
    assert costs.rounds_observed == 0
    assert costs.next_round(2) == Ledger(usd=0.6, generations=2)


def test_after_rounds_the_estimate_is_learned_per_candidate_and_per_round():
    rounds = [
        RoundCost(total=Ledger(usd=1.1, seconds=12, generations=2),
                  candidates=[Ledger(usd=0.5, seconds=5), Ledger(usd=0.5, seconds=5)]),
        RoundCost(total=Ledger(usd=0.8, seconds=9, generations=1),
                  candidates=[Ledger(usd=0.5, seconds=6)]),
    ]
    costs = learn(rounds, prior=Ledger(usd=9.0))  # the prior no longer matters
    assert costs.per_candidate.usd == pytest.approx(0.5)
    assert costs.per_candidate.seconds == pytest.approx(16 / 3)
    assert costs.overhead.usd == pytest.approx((0.1 + 0.3) / 2)
    assert costs.next_round(3).usd == pytest.approx(0.2 + 1.5)
    assert costs.rounds_observed == 2


def test_counts_are_rounded_up_so_estimates_never_undercount():
    assert scaled(Ledger(input_tokens=10, output_tokens=1), 0.5) == Ledger(input_tokens=5,
                                                                           output_tokens=1)


def test_difference_never_goes_negative():
    assert difference(Ledger(usd=1.0, generations=2), Ledger(usd=0.4, generations=3)) == Ledger(
        usd=0.6, generations=0)


def test_from_totals_puts_everything_on_the_candidates():
    costs = from_totals(Ledger(usd=1.0, generations=4, seconds=8), rounds_done=2)
    assert costs.per_candidate.usd == pytest.approx(0.25)
    assert costs.next_round(2).seconds == pytest.approx(4.0)
