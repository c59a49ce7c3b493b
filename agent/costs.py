"""The cost model: what the next round will spend, per resource, learned from the run itself.

A round costs a fixed overhead (keyframes, the refiner, the controller) plus a price per candidate
(its generation and its judgement), so a fan-out of N candidates costs `overhead + N * per
candidate`. Both are means over the rounds already paid for. Before the first round nothing has
been observed, so the price per candidate comes from the video backend itself: its
`estimated_cost(job)` when it has one, else its class-level price attributes, else zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from tools.schema import GenerationJob, Ledger

FLOAT_FIELDS = ("usd", "seconds", "gpu_seconds")
INT_FIELDS = ("generations", "input_tokens", "output_tokens")


def difference(later: Ledger, earlier: Ledger) -> Ledger:
    """`later - earlier`, field by field, never below zero (ledgers only grow)."""
    fields = Ledger.model_fields
    return Ledger(**{k: max(0, getattr(later, k) - getattr(earlier, k)) for k in fields})


def total(ledgers: Sequence[Ledger]) -> Ledger:
    return sum(ledgers, Ledger())


def scaled(ledger: Ledger, factor: float) -> Ledger:
    """A ledger times `factor`; counts round up, so an estimate never undercounts a whole unit."""
    values: dict[str, Any] = {k: getattr(ledger, k) * factor for k in FLOAT_FIELDS}
    values.update({k: math.ceil(getattr(ledger, k) * factor - 1e-9) for k in INT_FIELDS})
    return Ledger(**values)


def mean(ledgers: Sequence[Ledger]) -> Ledger:
    return scaled(total(ledgers), 1 / len(ledgers)) if ledgers else Ledger()


class RoundCost(BaseModel):
    """What one paid round spent: in all, and per candidate (generation plus judgement)."""

    total: Ledger
    candidates: list[Ledger] = Field(default_factory=list)


class CostModel(BaseModel):
    """Per-round cost estimate: `overhead + candidates * per_candidate`."""

    per_candidate: Ledger = Field(description="One candidate's generation and judgement.")
    overhead: Ledger = Field(default_factory=Ledger, description="A round's cost besides them.")
    rounds_observed: int = Field(0, ge=0, description="0 means the estimate is the prior.")

    def next_round(self, candidates: int) -> Ledger:
        """The estimated cost of a round of `candidates` videos; generations are exact."""
        per = scaled(self.per_candidate, candidates)
        return (self.overhead + per).model_copy(update={"generations": candidates})


def learn(rounds: Sequence[RoundCost], prior: Ledger) -> CostModel:
    """Means over the paid rounds; `prior` (one candidate's price) until a round was paid."""
    if not rounds:
        return CostModel(per_candidate=prior.model_copy(update={"generations": 1}))
    per_candidate = mean([c for r in rounds for c in r.candidates] or [prior])
    overheads = [difference(r.total, total(r.candidates)) for r in rounds]
    return CostModel(per_candidate=per_candidate.model_copy(update={"generations": 1}),
                     overhead=mean(overheads).model_copy(update={"generations": 0}),
                     rounds_observed=len(rounds))


def from_totals(spent: Ledger, rounds_done: int) -> CostModel:
    """A model from the totals alone (no per-round record): everything is per candidate."""
    generations = max(1, spent.generations)
    return CostModel(per_candidate=scaled(spent, 1 / generations).model_copy(
        update={"generations": 1}), rounds_observed=rounds_done)


def prior_cost(video: Any, job: GenerationJob) -> Ledger:
    """One candidate's price as the backend states it, before anything was observed.

    A backend with a price table implements `estimated_cost(job) -> Ledger`; simpler ones may set
    the class attributes `usd_per_generation` and `gpu_seconds_per_generation`. Otherwise the
    prior is zero: an unpriced backend's cost is learned from the first round.
    """
    estimate = getattr(video, "estimated_cost", None)
    if callable(estimate):
        cost = estimate(job)
        if isinstance(cost, Ledger):
            return cost.model_copy(update={"generations": 1})
    return Ledger(usd=float(getattr(video, "usd_per_generation", 0.0)),
                  gpu_seconds=float(getattr(video, "gpu_seconds_per_generation", 0.0)),
                  generations=1)
