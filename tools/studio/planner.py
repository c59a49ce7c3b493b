"""The heuristic planner: the prompt's scene (read by `reader`), its laws, rules and keyframes.

It never invents: a prompt whose subject the studio's rigid bodies cannot be gets a plan with
`scene=None`, the laws and rules the knowledge base knows for its words, and a note naming what
could not be simulated and which real generator to use; a scene that leaves words of the prompt
out says so in `scene.ignored` and in a note.
"""

from __future__ import annotations

from tools.schema import KeyframeSpec, RunRequest, SceneSpec, ShotPlan
from tools.studio.camera import Camera
from tools.studio.describe import generator_prompt, phenomena_and_laws
from tools.studio.environments import ENVIRONMENTS
from tools.studio.events import Event
from tools.studio.laws import Law, laws_for, rules_for
from tools.studio.reader import read
from tools.studio.simulate import simulate_spec
from tools.studio.unsupported import ignored_note, unsupported_message

KEYFRAME_KINDS = ("release", "edge", "contact", "collision", "apex", "topple", "turn", "rest")
MAX_PLAN_KEYFRAMES = 6
BASELINE_LAWS = ("continuity", "object_permanence")


class StudioPlanner:
    """Offline heuristic planner (the default)."""

    spec = "studio"

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def plan(self, request: RunRequest) -> ShotPlan:
        """The request's scene (its own when it carries one, else read from the prompt)."""
        if request.scene is not None:
            scene: SceneSpec | None = request.scene.model_copy(
                update={"duration_s": request.duration_s})
            ignored = scene.ignored if scene else []
        else:
            scene, ignored = read(request.prompt, request.duration_s)
        if scene is None:
            return _unsupported_plan(request.prompt, ignored)
        return plan_for_scene(request, scene)


def plan_for_scene(request: RunRequest, scene: SceneSpec) -> ShotPlan:
    """A plan around a given scene: its simulation's events become the keyframes."""
    sim = simulate_spec(scene)
    camera = Camera.fit(sim.world, request.width, request.height)
    phenomena, law_ids = phenomena_and_laws(scene)
    laws = laws_for(request.prompt, (*law_ids, *BASELINE_LAWS))
    gravity = sim.world.gravity_m_s2
    return ShotPlan(
        prompt=request.prompt,
        generator_prompt=generator_prompt(request.prompt, scene),
        subjects=[b.name if b.count == 1 else f"{b.count} {b.name}" for b in scene.bodies],
        phenomena=phenomena,
        laws=[_law_line(law) for law in laws],
        rules=rules_for(laws),
        keyframes=plan_keyframes(sim.events, request.duration_s),
        scene=scene,
        environment=scene.environment,
        gravity_m_s2=gravity,
        px_per_m=camera.px_per_m,
        notes=[ignored_note(scene.ignored)] if scene.ignored else [],
    )


def with_scene(plan: ShotPlan, scene: SceneSpec, request: RunRequest) -> ShotPlan:
    """Any planner's plan grounded in a scene: keyframes on the simulated events, the scale,
    the place and gravity from the simulation, the scene's left-out words in the notes."""
    sim = simulate_spec(scene)
    camera = Camera.fit(sim.world, request.width, request.height)
    notes = [n for n in plan.notes if not n.startswith("the studio's scene leaves out")]
    notes += [ignored_note(scene.ignored)] if scene.ignored else []
    return plan.model_copy(update={
        "scene": scene, "keyframes": plan_keyframes(sim.events, request.duration_s),
        "px_per_m": camera.px_per_m, "environment": scene.environment,
        "gravity_m_s2": sim.world.gravity_m_s2, "notes": notes})


def plan_keyframes(events: list[Event], duration_s: float) -> list[KeyframeSpec]:
    """A handful of keyframes on the first events, plus the last frame so the end is pinned.

    Deliberately sparse: the refiner adds keyframes where the judge finds the motion wrong.
    """
    chosen: dict[float, KeyframeSpec] = {}
    for event in events:
        if event.kind in KEYFRAME_KINDS and event.t <= duration_s:
            chosen.setdefault(round(event.t, 3), KeyframeSpec(
                t=round(event.t, 3), description=event.describe(), event=event.kind))
        if len(chosen) >= MAX_PLAN_KEYFRAMES:
            break
    end = round(duration_s, 3)
    chosen.setdefault(end, KeyframeSpec(t=end, description="the last frame", event="end"))
    return sorted(chosen.values(), key=lambda k: k.t)


def _law_line(law: Law) -> str:
    return f"{law.name}: {law.behaviour}"


def _unsupported_plan(prompt: str, ignored: list[str]) -> ShotPlan:
    """What the knowledge base knows of a prompt the studio cannot simulate."""
    laws = laws_for(prompt) or laws_for("", BASELINE_LAWS)
    env = next((e for e in ENVIRONMENTS.values() if any(a in prompt.lower() for a in e.aliases)),
               ENVIRONMENTS["earth"])
    return ShotPlan(prompt=prompt, generator_prompt=prompt, laws=[_law_line(x) for x in laws],
                    rules=rules_for(laws), scene=None, environment=env.name,
                    gravity_m_s2=env.gravity_m_s2, notes=[unsupported_message(prompt, ignored)])
