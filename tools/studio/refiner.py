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

from tools.errors import StudioUnsupported
from tools.schema import KeyframeSpec, Refinement, RuleVerdict, SceneSpec, ShotPlan, Verdict
from tools.studio.describe import summary
from tools.studio.events import Event
from tools.studio.simulate import simulate_spec

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
EVENT_REACH_S = 0.05  # a flagged stretch ends near the event that bounds it


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
        events = simulated_events(plan)
        added: list[KeyframeSpec] = []
        notes: list[str] = []
        for rule in violated:
            new = self._keyframes_for(rule, times, events)
            times = sorted(times + [k.t for k in new])
            added.extend(new)
            if new:
                notes.append(f"{rule.id}: keyframes at " + ", ".join(
                    f"{t:.2f}s" for t in sorted(k.t for k in new)))
        new_prompt = rewrite_prompt(prompt, [r.id for r in violated])
        new_prompt = name_the_scene(new_prompt, plan.scene, [r.id for r in violated])
        if new_prompt != prompt:
            notes.append("prompt names: " + ", ".join(r.id for r in violated))
        return Refinement(prompt=new_prompt, add_keyframes=added, notes=notes)

    def _keyframes_for(self, rule: RuleVerdict, times: list[float],
                       events: list[Event]) -> list[KeyframeSpec]:
        """Keyframes inside each stretch the judge flagged (the rule's `where`, else its span).

        VChain-style, the simulated moments inside a stretch come first (a bounce the
        generator cut short, an apex it flattened, pinned where physics puts them); a stretch
        with none left to add, such as a fall between two pinned events, is split at its
        widest gaps instead.
        """
        spans = [(float(w["t0"]), float(w["t1"])) for w in rule.where if "t0" in w]
        if not spans and rule.span is not None:
            spans = [rule.span]
        added: list[KeyframeSpec] = []
        known = sorted(times)
        for t0, t1 in spans:
            new = self._events_in(rule, (t0, t1), known, events)
            if not new:
                new = self._split_span(rule, _around((t0, t1), known), known)
            added += new
            known = sorted(known + [k.t for k in new])
        return added

    @staticmethod
    def _events_in(rule: RuleVerdict, span: tuple[float, float], known: list[float],
                   events: list[Event]) -> list[KeyframeSpec]:
        added: list[KeyframeSpec] = []
        taken = list(known)
        for event in events:
            t = round(event.t, 3)
            inside = span[0] - EVENT_REACH_S <= event.t <= span[1] + EVENT_REACH_S
            if inside and all(abs(t - k) >= MIN_SPACING_S for k in taken):
                added.append(KeyframeSpec(t=t, event=event.kind, description=(
                    f"{event.describe()} (where {rule.id} failed)")))
                taken.append(t)
        return added

    def _split_span(self, rule: RuleVerdict, span: tuple[float, float] | None,
                    times: list[float]) -> list[KeyframeSpec]:
        if span is None:
            return []
        t0, t1 = span
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


def _around(span: tuple[float, float], known: list[float]) -> tuple[float, float]:
    """The stretch to split for a fault flagged at one instant (a corner in mid-air): the
    generator's straight lines between the keyframes around it make it, so it is the gap
    between the nearest keyframes on either side; a longer stretch stays as it is."""
    t0, t1 = span
    if t1 - t0 >= 2 * MIN_SPACING_S:
        return span
    before = [k for k in known if k < t0 - 1e-6]
    after = [k for k in known if k > t1 + 1e-6]
    return (max(before) if before else t0, min(after) if after else t1)


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


def simulated_events(plan: ShotPlan) -> list[Event]:
    """The plan's simulated events in time order; [] when the plan has no scene to simulate."""
    if plan.scene is None:
        return []
    try:
        return sorted(simulate_spec(plan.scene).events, key=lambda e: e.t)
    except StudioUnsupported:
        return []


def rewrite_prompt(prompt: str, violated: list[str]) -> str:
    """Appends one explicit constraint per violated rule that the prompt does not name yet."""
    clauses = [BEHAVIOUR[r] for r in dict.fromkeys(violated) if r in BEHAVIOUR]
    missing = [c for c in clauses if c not in prompt]
    if not missing:
        return prompt
    base = prompt.rstrip().rstrip(".")
    return f"{base}. Physically accurate: " + "; ".join(missing) + "."
