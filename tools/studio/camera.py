"""World (metres, y up) to pixels (y down): a fixed side-view camera fitted to the frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.studio.scenes import World


@dataclass(frozen=True)
class Camera:
    """`origin_px` is where the world origin (floor top, x = 0) lands in the image."""

    width: int
    height: int
    px_per_m: float
    origin_px: tuple[float, float]

    @classmethod
    def fit(cls, world: World, width: int, height: int) -> Camera:
        """Largest scale at which the world's view fits the frame, centred; deterministic so the
        keyframe renderer and the stand-in frame a scene identically without sharing state."""
        x0, x1, y0, y1 = world.view
        scale = min(width / (x1 - x0), height / (y1 - y0))
        u0 = width / 2 - scale * (x0 + x1) / 2
        v0 = height / 2 + scale * (y0 + y1) / 2
        return cls(width, height, float(scale), (float(u0), float(v0)))

    def to_px(self, x: float | np.ndarray, y: float | np.ndarray) -> tuple[Any, Any]:
        """Pixel coordinates (u right, v down) of world points; pixel centres sit at +0.5."""
        return self.origin_px[0] + self.px_per_m * x, self.origin_px[1] - self.px_per_m * y

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "px_per_m": self.px_per_m,
            "origin_px": list(self.origin_px),
        }
