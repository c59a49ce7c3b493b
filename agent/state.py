"""The graph's state and the run's record, all plain JSON.

Models that backends exchange (plans, keyframes, candidates, verdicts, the ledger) are defined in
`tools.schema` so that `tools` never imports `agent`; they are re-exported here so users find every
state type in one place.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from typing_extensions import TypedDict

from tools.errors import BadInputError
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
    "CandidateSummary",
    "CandidateTask",
    "Decision",
    "DecisionSummary",
    "GenerationJob",
    "Iteration",
    "Keyframe",
    "KeyframeSpec",
    "KinemaInput",
    "KinemaOutput",
    "Ledger",
    "PhysicsRule",
    "Refinement",
    "RoundSummary",
    "RuleVerdict",
    "RunInput",
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

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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


def merge_candidates(current: list[Any], update: list[Any]) -> list[Any]:
    """The reducer of `candidates`: parallel branches each add theirs; an empty list clears.

    Each generation branch writes a one-candidate list, so a fan-out's candidates arrive in
    whatever order the branches finish; they are kept in candidate order, one per id. Channel
    values are plain JSON (see `agent.nodes.wrap`), so they are merged as such.
    """
    if not update:
        return []
    found = [c if isinstance(c, Candidate) else Candidate.model_validate(c)
             for c in [*current, *update]]
    merged = {c.id: c for c in found}
    ordered = sorted(merged.values(), key=lambda c: (c.round, _candidate_number(c.id), c.id))
    return [c.model_dump(mode="json") for c in ordered]


def _candidate_number(candidate_id: str) -> int:
    digits = candidate_id.rpartition("c")[2]
    return int(digits) if digits.isdigit() else 0


class CandidateTask(BaseModel):
    """What one generation branch receives through `Send`: the job and where the run lives."""

    run_id: str
    run_dir: str
    job: GenerationJob
    options: dict[str, dict[str, Any]] | None = Field(
        None, description="A hosted run's own backend options (from its input).")

    @property
    def round(self) -> int:
        return self.job.round


class RunInput(BaseModel):
    """What the graph accepts as input: the request, nothing that names a path.

    Run folders come from the Context's out folder only; `run_id` is set by Kinema's runner,
    which holds the folder's lock, and is refused from anyone else.
    """

    request: RunRequest
    run_id: str = Field("", description="Set by Kinema's runner; graph clients leave it out.")


class KinemaInput(TypedDict, total=False):
    """What a host hands the exported graphs (`kinema`, `kinema_subgraph`): nothing internal.

    `prompt` is required; the rest are optional. `budget` and `options` replace the Context's
    for this run (options are merged per role); the video fields default to the graph's.
    """

    prompt: str
    init_image: str | None
    duration_s: float
    fps: int
    width: int
    height: int
    seed: int
    budget: Budget | dict[str, Any] | None
    options: dict[str, dict[str, Any]] | None


class KinemaOutput(TypedDict):
    """What the exported graphs hand back: the best video, its scores, why it stopped, and
    the path of `result.json` (paths absolute, so a host in another folder can open them)."""

    video: str | None
    score: float | None
    physics: float | None
    adherence: float | None
    stop_reason: str
    result_path: str


class RunState(BaseModel):
    """LangGraph state. `iterations` is append-only; `candidates` merges parallel branches.

    A run driven by Kinema's runner starts with `request`; a run started through the exported
    graphs starts with the narrow `KinemaInput` keys, which the first node turns into `request`
    through the front door (`agent.intake`). The `KinemaOutput` keys are written by `finish`.
    """

    request: RunRequest | None = None
    # The narrow input (`KinemaInput`), read once by the first node. Typed loosely on purpose:
    # the front door (`agent.intake`) checks them and says what is wrong in one line.
    init_image: Any = None
    duration_s: Any = None
    fps: Any = None
    width: Any = None
    height: Any = None
    budget: Any = Field(None, description="A hosted run's caps: a Budget replaces the "
                        "Context's, a dict of caps is set on top of it.")
    options: Any = Field(None, description="A hosted run's backend options, merged into the "
                         "Context's.")
    # The narrow output (`KinemaOutput`), written by `finish`.
    video: str | None = None
    score: float | None = None
    physics: float | None = None
    adherence: float | None = None
    stop_reason: str = ""
    result_path: str = ""
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
    candidates_per_round: int = Field(1, ge=1, description="Candidates the current round "
                                      "generates (the Context's wish, clipped to the budget).")
    decision: Decision | None = None
    refinement: Refinement | None = None
    started_at: float = 0.0

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_is_text(cls, value: Any) -> Any:
        # A graph's input writes `prompt` straight into the state: a wrong type is the
        # caller's mistake, said in one line (pydantic would wrap a ValueError).
        if not isinstance(value, str):
            raise BadInputError(f"the prompt must be text (str), not {type(value).__name__}")
        return value

    @field_validator("seed", mode="before")
    @classmethod
    def _seed_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadInputError(f"the seed must be a whole number, not {type(value).__name__}")
        return value

    @property
    def req(self) -> RunRequest:
        """The run's request; every node after the first can rely on it."""
        if self.request is None:
            raise RuntimeError("the run has no request yet: the first node sets it")
        return self.request


class BestRef(BaseModel):
    round: int
    candidate: str
    video: str
    score: float


class CandidateSummary(BaseModel):
    """One candidate of a round, as `result.json` records it."""

    id: str
    video: str = Field(description="Path of the video (in `result.json`: relative to the run "
                       "folder).")
    seed: int
    score: float | None = Field(None, description="None when the candidate was not judged.")
    physics: float | None = None
    adherence: float | None = None
    violations: list[str] = Field(default_factory=list)
    adherence_violations: list[str] = Field(
        default_factory=list, description="`adherence.<what>` checks the video violated.")
    error: str | None = Field(None, description="Why generation failed, if it did.")


class DecisionSummary(BaseModel):
    """The stop rule's choice after a round, without its numbers (the trace keeps those)."""

    action: Literal["continue", "stop"]
    reason: str
    detail: str = ""


class RoundSummary(BaseModel):
    """One round of a run: what was asked, what came back, what was decided."""

    index: int
    prompt: str = Field(description="The generator prompt of the round.")
    keyframes: int = Field(0, ge=0, description="Keyframes the generator was given.")
    candidates: list[CandidateSummary] = Field(default_factory=list)
    decision: DecisionSummary | None = None
    refinement: list[str] = Field(default_factory=list, description="The refiner's notes.")

    @property
    def best(self) -> CandidateSummary | None:
        """The round's best judged candidate (the first of equals)."""
        judged = [c for c in self.candidates if c.score is not None]
        return max(judged, key=lambda c: c.score or 0.0) if judged else None

    @property
    def violations(self) -> list[str]:
        """Every rule and adherence check any candidate of the round violated, sorted."""
        return sorted({v for c in self.candidates
                       for v in c.violations + c.adherence_violations})


class RunResult(BaseModel):
    """What a run produced; written to `result.json` (with paths relative to the run folder)."""

    run_id: str
    prompt: str
    status: RunStatus
    stop_reason: str
    best: BestRef | None
    rounds: list[RoundSummary]
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


@functools.cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    annotation: Any = RunState.model_fields[name].annotation
    return TypeAdapter(annotation)


def typed_update(update: Mapping[str, Any]) -> dict[str, Any]:
    """A node's update as models again (channels hold plain JSON): for progress callbacks."""
    return {k: _field_adapter(k).validate_python(v) if k in RunState.model_fields else v
            for k, v in update.items()}
