"""`make bench` entry: simulating and rendering a 5 s studio clip at 854x480, against its length."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from evals.bench import register

CLIP_S, FPS, SIZE = 5.0, 24, (854, 480)


def bench_studio_render(workdir: Path) -> dict[str, Any]:
    """Fresh simulation (cache bypassed) plus every frame of a 5 s clip, per scene and worst case.

    A ratio below 1 means the studio makes video faster than it plays.
    """
    from tools.schema import SceneSpec
    from tools.studio.render import Renderer
    from tools.studio.scenes import build_world
    from tools.studio.simulate import simulate

    out: dict[str, Any] = {}
    for scene in ("table_roll_off", "domino_chain", "billiard_break", "newtons_cradle"):
        started = time.perf_counter()
        sim = simulate(build_world(SceneSpec(scene=scene, params={"duration_s": CLIP_S})))
        renderer = Renderer(sim.world, *SIZE)
        for i in range(round(CLIP_S * FPS)):
            renderer.frame(sim.poses_at(i / FPS))
        out[scene] = round((time.perf_counter() - started) / CLIP_S, 3)
    out["worst_ratio"] = max(out.values())
    return out


register("studio_render_5s_854x480", bench_studio_render)
