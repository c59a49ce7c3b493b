"""The layout dict: a keyframe's machine-readable scene state, the stand-in's only view of motion.

Format (JSON-able, SI units, world y up, floor top at y = 0)::

    {"t": 1.25, "scene": "drop", "environment": "earth", "units": "m",
     "camera": {"width": 854, "height": 480, "px_per_m": 120.3, "origin_px": [427.0, 400.2]},
     "bodies": {"ball": {"x": 0.0, "y": 0.61, "angle": 0.0, "vx": 0.0, "vy": -4.1,
                         "radius_m": 0.08, "material": "rubber", "color": [214, 48, 49],
                         "px": [427.0, 326.8], "radius_px": 9.6}}}
"""

from __future__ import annotations

from typing import Any

from tools.studio.camera import Camera
from tools.studio.simulate import Pose, Simulation


def layout_at(sim: Simulation, t: float, camera: Camera) -> dict[str, Any]:
    """Every ball's pose at `t`, with what is needed to draw it and to place it in pixels."""
    bodies: dict[str, Any] = {}
    for ball in sim.world.balls:
        pose = sim.tracks[ball.name].pose_at(t)
        u, v = camera.to_px(pose.x, pose.y)
        bodies[ball.name] = {
            "x": pose.x, "y": pose.y, "angle": pose.angle, "vx": pose.vx, "vy": pose.vy,
            "radius_m": ball.radius_m, "material": ball.material, "color": list(ball.color),
            "px": [float(u), float(v)], "radius_px": ball.radius_m * camera.px_per_m,
        }
    return {
        "t": float(t),
        "scene": sim.world.scene,
        "environment": sim.world.environment,
        "units": "m",
        "camera": camera.as_dict(),
        "bodies": bodies,
    }


def poses_from_layout(layout: dict[str, Any]) -> dict[str, Pose]:
    """The ball poses a layout pins down (velocities included when present)."""
    return {
        name: Pose(float(b["x"]), float(b["y"]), float(b.get("angle", 0.0)),
                   float(b.get("vx", 0.0)), float(b.get("vy", 0.0)))
        for name, b in layout["bodies"].items()
    }
