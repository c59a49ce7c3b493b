"""Run configuration: the one typed object the CLI, the API, the chat and the evals all build."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.state import Budget

DEFAULT_SPECS: dict[str, str] = {
    "planner": "studio",
    "keyframes": "studio",
    "video": "studio",
    "judge": "kinematics",
    "refiner": "studio",
}


class Context(BaseModel):
    """Which backends play each role, what a round may spend, and where runs are written.

    Nodes read configuration only from here (never from the environment), so a run is fully
    described by its request plus this object.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    planner: str = DEFAULT_SPECS["planner"]
    keyframes: str = DEFAULT_SPECS["keyframes"]
    video: str = DEFAULT_SPECS["video"]
    judge: str = DEFAULT_SPECS["judge"]
    refiner: str = DEFAULT_SPECS["refiner"]
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Backend options per role, e.g. {'video': {'steps': 30}}."
    )
    budget: Budget = Field(default_factory=Budget)
    target: float = Field(0.9, ge=0, le=1, description="Stop once the best score reaches this.")
    min_gain: float = Field(
        0.01, ge=0, description="A round that raises the best score by less than this is no gain."
    )
    patience: int = Field(2, ge=1, description="Rounds without gain before the run converges.")
    gain_prior: float = Field(
        0.5, ge=0, le=1,
        description="Share of the remaining gap to the target a round is expected to close, "
        "before the run has shown its own.",
    )
    usd_per_point: float | None = Field(
        None, ge=0,
        description="What a rise of 1.0 in score is worth in USD; None derives it from the budget.",
    )
    reseed: bool = Field(
        True, description="Let the controller try new seeds, prompt unchanged, when the verdicts "
        "look like seed luck rather than a prompt problem.",
    )
    candidates_per_round: int = Field(
        1, ge=1, le=16,
        description="Candidates per round (best-of-N, fanned out in parallel when the generator "
        "allows); clipped to what the budget can pay.",
    )
    approve_plan: bool = Field(
        False, description="Pause after planning (a LangGraph `interrupt` carrying the plan) "
        "until the plan is approved, edited or cancelled; needs a checkpointer.")
    out_dir: str = Field("runs", description="Parent folder; each run gets its own sub-folder.")
    otlp_endpoint: str | None = Field(
        None, description="Also export this run's spans to this OTLP/HTTP collector, besides "
        "what the OTEL_* variables or the application's TracerProvider configure.")

    def spec(self, role: str) -> str:
        return str(getattr(self, role))

    def specs(self) -> dict[str, str]:
        return {role: self.spec(role) for role in DEFAULT_SPECS}
