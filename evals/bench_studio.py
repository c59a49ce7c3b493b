"""`make bench` entry: simulating and rendering a 5 s studio clip at 854x480, against its length."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from evals.bench import register

CLIP_S, FPS, SIZE = 5.0, 24, (854, 480)
SCENES = {"table_roll_off": "a ball rolls off a table", "domino_chain": "a row of eight dominoes "
          "topples", "billiard_break": "a cue ball breaks a rack of ten billiard balls",
          "newtons_cradle": "a Newton's cradle of five steel balls"}


def bench_studio_render(workdir: Path) -> dict[str, Any]:
    """Fresh simulation (cache bypassed) plus every frame of a 5 s clip, per scene and worst case.

    A ratio below 1 means the studio makes video faster than it plays.
    """
    from tools.studio.reader import read_scene
    from tools.studio.render import Renderer
    from tools.studio.simulate import compose_world, simulate

    out: dict[str, Any] = {}
    for scene, prompt in SCENES.items():
        started = time.perf_counter()
        spec = read_scene(prompt, CLIP_S)
        assert spec is not None, prompt
        sim = simulate(compose_world(spec))
        renderer = Renderer(sim.world, *SIZE)
        for i in range(round(CLIP_S * FPS)):
            renderer.frame(sim.poses_at(i / FPS))
        out[scene] = round((time.perf_counter() - started) / CLIP_S, 3)
    out["worst_ratio"] = max(out.values())
    return out


register("studio_render_5s_854x480", bench_studio_render)
