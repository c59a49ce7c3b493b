"""Keyframe backends: `studio` renders simulated moments; `none` renders nothing."""

from __future__ import annotations

from pathlib import Path

from tools.media import sha256_file, write_png
from tools.schema import Keyframe, KeyframeSpec, RunRequest, ShotPlan
from tools.studio.camera import Camera
from tools.studio.layout import layout_at
from tools.studio.render import Renderer
from tools.studio.simulate import simulate_spec


class StudioKeyframes:
    """Renders any requested time of the plan's simulated scene, with its layout attached."""

    spec = "studio"

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def render(
        self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest, out_dir: Path
    ) -> list[Keyframe]:
        """One PNG per spec (`kf_01.250.png`); the simulation is cached across rounds.

        A plan without a scene gets none: the run goes on without simulated keyframes (its
        notes say why), which a text-to-video generator does not need.
        """
        if plan.scene is None:
            return []
        sim = simulate_spec(plan.scene)
        renderer = Renderer(sim.world, request.width, request.height)
        camera = Camera.fit(sim.world, request.width, request.height)
        out = Path(out_dir)
        keyframes = []
        for spec in sorted(specs, key=lambda s: s.t):
            path = write_png(renderer.frame(sim.poses_at(spec.t)), out / f"kf_{spec.t:06.3f}.png")
            keyframes.append(
                Keyframe(
                    t=spec.t,
                    image=str(path),
                    description=spec.description,
                    source="studio",
                    sha256=sha256_file(path),
                    layout=layout_at(sim, spec.t, camera),
                )
            )
        return keyframes


class NoKeyframes:
    """For generators that take no keyframes: renders nothing, costs nothing."""

    spec = "none"

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def render(
        self, plan: ShotPlan, specs: list[KeyframeSpec], request: RunRequest, out_dir: Path
    ) -> list[Keyframe]:
        return []
