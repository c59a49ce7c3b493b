"""The graph's state and the run's record, all plain JSON.

Models that backends exchange (plans, keyframes, candidates, verdicts, the ledger) are defined in
`tools.schema` so that `tools` never imports `agent`; they are re-exported here so users find every
state type in one place.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.schema import (
    Candidate,
    GenerationJob,
    Keyframe,
    KeyframeSpec,
    Ledger,
    PhysicsRule,
    Refinement,
    RuleVerdict,
    RunRequest,
    SceneSpec,
    ShotPlan,
    Verdict,
)

__all__ = [
    "Budget",
    "Candidate",
    "CandidateTask",
    "Decision",
    "GenerationJob",
    "Iteration",
    "Keyframe",
    "KeyframeSpec",
    "Ledger",
    "PhysicsRule",
    "Refinement",
    "RuleVerdict",
    "RunRequest",
    "RunResult",
    "RunState",
    "SceneSpec",
    "ShotPlan",
    "Verdict",
]

RunStatus = Literal["completed", "failed", "cancelled"]


class Budget(BaseModel):
    """Hard caps on a run; None means no cap on that resource."""

    model_config = ConfigDict(extra="forbid")

    max_generations: int | None = Field(6, ge=1, description="Videos generated, at most.")
    max_seconds: float | None = Field(None, gt=0, description="Wall-clock seconds, at most.")
    max_usd: float | None = Field(None, ge=0, description="US dollars, at most.")
    max_gpu_seconds: float | None = Field(None, gt=0, description="Accelerator seconds, at most.")
    max_tokens: int | None = Field(None, ge=1, description="LLM/VLM tokens, at most.")


class Decision(BaseModel):
    """What the stop rule chose after a round, and the numbers it used."""

    action: Literal["continue", "stop"]
    reason: str = Field(description="A stable reason id, e.g. 'target_reached'.")
    detail: str = Field("", description="The reason in words, with numbers.")
    numbers: dict[str, Any] = Field(default_factory=dict)
    strategy: str | None = Field(
        None, description="How the next round is made: refine, fan_out or reseed (on continue)."
    )
    candidates: int = Field(0, ge=0, description="Candidates the next round generates.")


class Iteration(BaseModel):
    """One round: what was asked, what came back, how it was judged, what was decided."""

    index: int = Field(ge=1)
    prompt: str
    keyframes: list[Keyframe] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list, description="Aligned with candidates.")
    decision: Decision | None = None
    refinement: Refinement | None = None
    strategy: str = Field("initial", description="How this round was made.")
    cost: Ledger = Field(default_factory=Ledger, description="What this round spent.")

    def best_index(self) -> int | None:
        scores = [v.score for v in self.verdicts]
        return None if not scores else max(range(len(scores)), key=scores.__getitem__)


def merge_candidates(current: list[Candidate], update: list[Candidate]) -> list[Candidate]:
    """The reducer of `candidates`: parallel branches each add theirs; an empty list clears.

    Each generation branch writes a one-candidate list, so a fan-out's candidates arrive in
    whatever order the branches finish; they are kept in candidate order, one per id.
    """
    if not update:
        return []
    merged = {c.id: c for c in [*current, *update]}
    return sorted(merged.values(), key=lambda c: (c.round, _candidate_number(c.id), c.id))


def _candidate_number(candidate_id: str) -> int:
    digits = candidate_id.rpartition("c")[2]
    return int(digits) if digits.isdigit() else 0


class CandidateTask(BaseModel):
    """What one generation branch receives through `Send`: the job and where the run lives."""

    run_id: str
    run_dir: str
    job: GenerationJob

    @property
    def round(self) -> int:
        return self.job.round


class RunState(BaseModel):
    """LangGraph state. `iterations` is append-only; `candidates` merges parallel branches."""

    request: RunRequest
    run_dir: str = ""
    run_id: str = ""
    plan: ShotPlan | None = None
    round: int = 0
    prompt: str = ""
    seed: int = 0
    keyframe_specs: list[KeyframeSpec] = Field(default_factory=list)
    keyframes: list[Keyframe] = Field(default_factory=list)
    candidates: Annotated[list[Candidate], merge_candidates] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    iterations: Annotated[list[Iteration], operator.add] = Field(default_factory=list)
    ledger: Ledger = Field(default_factory=Ledger)
    round_start: Ledger = Field(default_factory=Ledger, description="Ledger as the round began.")
    strategy: str = Field("initial", description="How the current round is made.")
    fan_out: int = Field(1, ge=1, description="Candidates the current round generates.")
    decision: Decision | None = None
    refinement: Refinement | None = None
    started_at: float = 0.0


class BestRef(BaseModel):
    round: int
    candidate: str
    video: str
    score: float


class RunResult(BaseModel):
    """What a run produced; written to `result.json`."""

    run_id: str
    prompt: str
    status: RunStatus
    stop_reason: str
    best: BestRef | None
    rounds: list[dict[str, Any]]
    ledger: Ledger
    budget: Budget
    backends: dict[str, str]
    run_dir: str
    plan: ShotPlan | None = Field(None, description="The plan, its scene included (`plan.scene` "
                                  "null when the studio could not simulate the prompt).")
    final_video: str | None = None
    target: float | None = None
    error: str | None = None
    iterations: list[Iteration] = Field(default_factory=list, exclude=True)
