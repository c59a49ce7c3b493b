"""The offline refiner: violations become named constraints and keyframes inside their spans.

Two levers, after PhyT2V and VChain: the prompt names each violated behaviour explicitly (keeping
the user's words first), and the violated time spans get new keyframes, splitting the widest gaps
between existing ones, so a keyframe-conditioned generator has less motion left to invent.

Adherence failures are acted on the same way: a missing event gets keyframes at the moment the
simulated scene has it, and wrong or missing subjects, counts or places are named in the prompt
from the scene spec ("It must show exactly: four glass marbles roll down a ramp").
"""

from __future__ import annotations

import itertools

from tools.schema import KeyframeSpec, Refinement, RuleVerdict, SceneSpec, ShotPlan, Verdict
from tools.studio.describe import summary

# What a correct video shows, per judge rule id, phrased as an instruction to a generator.
BEHAVIOUR: dict[str, str] = {
    "gravity": "objects in the air accelerate downward under gravity, speeding up as they fall "
    "and slowing as they rise, never moving at constant speed",
    "continuity": "every object moves continuously, without jumping from place to place",
    "permanence": "objects never vanish or appear out of nowhere",
    "energy": "each bounce is lower than the one before; nothing gains height by itself",
    "rigidity": "solid objects keep their size and shape",
    "time_direction": "events unfold forward in time, never in reverse",
    "penetration": "objects never sink into or pass through the floor or each other",
    "motion_present": "the objects visibly move as described",
    "trajectory": "the motion follows the physically correct path",
}

MIN_SPACING_S = 0.06
PER_VIOLATION = 3


class StudioRefiner:
    """Heuristic refiner; needs no model, so it is the offline default."""

    spec = "studio"

    def __init__(self, model: str | None = None, per_violation: int = PER_VIOLATION) -> None:
        del model
        self.per_violation = per_violation

    def refine(
        self, plan: ShotPlan, prompt: str, keyframes: list[KeyframeSpec], verdict: Verdict
    ) -> Refinement:
        violated = [r for r in [*verdict.rules, *verdict.adherence_checks]
                    if r.status == "violated"]
        times = sorted(k.t for k in keyframes)
        added: list[KeyframeSpec] = []
        notes: list[str] = []
        for rule in violated:
            new = self._split_span(rule, times)
            times = sorted(times + [k.t for k in new])
            added.extend(new)
            if new:
                notes.append(f"{rule.id}: keyframes at " + ", ".join(f"{k.t:.2f}s" for k in new))
        new_prompt = rewrite_prompt(prompt, [r.id for r in violated])
        new_prompt = name_the_scene(new_prompt, plan.scene, [r.id for r in violated])
        if new_prompt != prompt:
            notes.append("prompt names: " + ", ".join(r.id for r in violated))
        return Refinement(prompt=new_prompt, add_keyframes=added, notes=notes)

    def _split_span(self, rule: RuleVerdict, times: list[float]) -> list[KeyframeSpec]:
        if rule.span is None:
            return []
        t0, t1 = rule.span
        if t1 - t0 < 2 * MIN_SPACING_S:
            return []
        points = sorted({t0, t1, *[t for t in times if t0 < t < t1]})
        added: list[KeyframeSpec] = []
        for _ in range(self.per_violation):
            gaps = [(b - a, a, b) for a, b in itertools.pairwise(points)]
            width, a, b = max(gaps)
            if width < 2 * MIN_SPACING_S:
                break
            t = round((a + b) / 2, 3)
            if all(abs(t - known) >= MIN_SPACING_S for known in times):
                added.append(KeyframeSpec(t=t, event="refine",
                                          description=f"pins the motion where {rule.id} failed"))
            points = sorted([*points, t])
        return added


SCENE_CHECKS = ("adherence.bodies", "adherence.subjects", "adherence.events")


def name_the_scene(prompt: str, scene: SceneSpec | None, violated: list[str]) -> str:
    """Names the scene's subjects, counts and place when the video got them wrong."""
    if scene is None:
        return prompt
    clauses = []
    if any(v in SCENE_CHECKS for v in violated):
        clauses.append(f"It must show exactly: {summary(scene)}")
    if "adherence.environment" in violated:
        place = {"earth": "on Earth, in normal gravity", "moon": "on the Moon, in its weak "
                 "gravity (1.62 m/s²)", "mars": "on Mars (gravity 3.71 m/s²)",
                 "space_station": "inside a space station, weightless",
                 "underwater": "under water, slowed by the water"}[scene.environment]
        clauses.append(f"It takes place {place}")
    missing = [c for c in clauses if c not in prompt]
    if not missing:
        return prompt
    return prompt.rstrip().rstrip(".") + ". " + ". ".join(missing) + "."


def rewrite_prompt(prompt: str, violated: list[str]) -> str:
    """Appends one explicit constraint per violated rule that the prompt does not name yet."""
    clauses = [BEHAVIOUR[r] for r in dict.fromkeys(violated) if r in BEHAVIOUR]
    missing = [c for c in clauses if c not in prompt]
    if not missing:
        return prompt
    base = prompt.rstrip().rstrip(".")
    return f"{base}. Physically accurate: " + "; ".join(missing) + "."
