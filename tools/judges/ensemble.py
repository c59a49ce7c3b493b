"""Judge backend `ensemble:kinematics+vlm:<model>`: measurements first, then a VLM that sees them.

The kinematics judge runs first (cheap, measured); its verdict — rules and measurements — is
handed to the VLM as evidence. Both are resolved through the registry, so each loads once.

How the two combine (documented contract):
- a rule both judged: the measured status wins when it is decided (followed/violated) with
  confidence >= `trust_measured`; otherwise the VLM's decided status; otherwise `unclear`.
  Rules only one judge knows are kept as that judge gave them.
- physics   = w * kinematics.physics + (1 - w) * vlm.physics, where w = `kinematics_weight`
  when the kinematics judge decided at least one rule, else 0 (it measured nothing usable);
- adherence = the mean of the measured adherence (the video against the plan's scene) and the
  VLM's semantic adherence, whichever exist; both judges' adherence checks are kept;
- score     = physics * adherence (`run_score`), as every judge scores;
- cost      = both judges' costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.base import registry, split_spec
from tools.errors import BadInputError
from tools.judges.adherence import run_score
from tools.schema import RuleVerdict, ShotPlan, Verdict


class EnsembleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinematics_weight: float = Field(0.5, ge=0, le=1, description="Weight of measured physics.")
    trust_measured: float = Field(0.5, ge=0, le=1, description="Confidence for measured to win.")
    kinematics: dict[str, Any] = Field(default_factory=dict, description="Kinematics options.")
    vlm: dict[str, Any] = Field(default_factory=dict, description="VLM judge options.")


class EnsembleJudge:
    """Judge backend `ensemble:<measured>+<vlm spec>`, e.g. `ensemble:kinematics+vlm:gpt-4o`."""

    def __init__(self, model: str | None = None, **options: Any) -> None:
        measured, plus, vlm_spec = (model or "").partition("+")
        if not plus or split_spec(vlm_spec)[0] != "vlm" or not measured:
            raise BadInputError(f"ensemble spec {model!r} is not '<judge>+vlm:<model>': "
                                "use e.g. ensemble:kinematics+vlm:gpt-4o")
        self.spec = f"ensemble:{model}"
        self.options = EnsembleOptions(**options)
        self.measured = registry.resolve("judge", measured, **self.options.kinematics)
        self.vlm = registry.resolve("judge", vlm_spec, **self.options.vlm)

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict:
        measured: Verdict = self.measured.judge(video, plan)
        seen: Verdict = self.vlm.judge(video, plan, evidence=measured)
        return combine(self.spec, measured, seen, self.options)


def combine(spec: str, measured: Verdict, seen: Verdict, options: EnsembleOptions) -> Verdict:
    """One verdict from a measured one and a VLM one (see the module docstring)."""
    by_id = {r.id: r for r in seen.rules}
    rules = [_merge(r, by_id.pop(r.id, None), options.trust_measured) for r in measured.rules]
    rules += list(by_id.values())
    measured_any = any(r.status != "unclear" for r in measured.rules)
    weight = options.kinematics_weight if measured_any else 0.0
    physics = weight * measured.physics + (1 - weight) * seen.physics
    known = [a for a in (measured.adherence, seen.adherence) if a is not None]
    adherence = sum(known) / len(known) if known else None
    return Verdict(
        judge=spec, score=run_score(physics, adherence), physics=physics, adherence=adherence,
        rules=rules, adherence_checks=measured.adherence_checks + seen.adherence_checks,
        cost=measured.cost + seen.cost,
        measurements={**measured.measurements, "vlm": seen.measurements,
                      "kinematics_physics": measured.physics, "vlm_physics": seen.physics})


def _merge(measured: RuleVerdict, seen: RuleVerdict | None, trust: float) -> RuleVerdict:
    if seen is None:
        return measured
    if measured.status != "unclear" and measured.confidence >= trust:
        return measured.model_copy(update={"evidence": f"{measured.evidence} (VLM: "
                                                       f"{seen.status}: {seen.evidence})"})
    if seen.status != "unclear":
        return seen.model_copy(update={"evidence": f"{seen.evidence} (measured: "
                                                   f"{measured.status})"})
    return measured if measured.confidence >= seen.confidence else seen
