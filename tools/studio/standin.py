"""The stand-in video generator: a keyframe-conditioned "model" with a seed-chosen temporal prior.

It sees only the keyframes' layouts (and the scene's static set, to draw it), never the simulation,
and fills the motion between consecutive keyframes by easing each body from one pose to the next
with a prior the seed picks. Between a release and a contact a linear prior draws a ball falling
at constant speed: the classic failure of video models. More keyframes at the right moments make
the piecewise motion approach the true one. Results are always labelled `studio`.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tools.errors import StudioUnsupported
from tools.media import sha256_file, write_video
from tools.schema import Candidate, GenerationJob, Ledger
from tools.studio.layout import poses_from_layout
from tools.studio.render import Renderer
from tools.studio.scenes import build_world
from tools.studio.simulate import Pose
from tools.studio.unsupported import unsupported_message

Ease = Callable[[float], float]

# The temporal priors, in the order seeds pick them (seed 0 is the plain linear fill).
PRIORS: dict[str, Ease] = {
    "linear": lambda s: s,
    "ease_in": lambda s: s * s,
    "ease_out": lambda s: 1.0 - (1.0 - s) ** 2,
    "smoothstep": lambda s: s * s * (3.0 - 2.0 * s),
    "ease_in_out_cubic": lambda s: 4 * s**3 if s < 0.5 else 1 - (-2 * s + 2) ** 3 / 2,
}


def prior_for_seed(seed: int) -> str:
    """The prior a seed picks; deterministic, so a candidate can be reproduced from its seed."""
    names = list(PRIORS)
    return names[seed % len(names)]


class KeyedMotion:
    """Poses at any time from keyframe poses, eased between neighbours, held outside them."""

    def __init__(self, keys: list[tuple[float, dict[str, Pose]]], ease: Ease) -> None:
        self.times = [t for t, _ in keys]
        self.poses = [p for _, p in keys]
        self.ease = ease

    def at(self, t: float) -> dict[str, Pose]:
        i = bisect.bisect_right(self.times, t)
        if i == 0:
            return self.poses[0]
        if i == len(self.times):
            return self.poses[-1]
        t0, t1 = self.times[i - 1], self.times[i]
        e = self.ease((t - t0) / (t1 - t0))
        a, b = self.poses[i - 1], self.poses[i]
        return {name: _lerp(a[name], b[name], e) for name in a if name in b}


def _lerp(a: Pose, b: Pose, e: float) -> Pose:
    return Pose(a.x + (b.x - a.x) * e, a.y + (b.y - a.y) * e, a.angle + (b.angle - a.angle) * e)


class StudioVideo:
    """Offline stand-in for a keyframe-conditioned video model (see the module docstring)."""

    spec = "studio"
    accepts_keyframes = True
    needs_scene = True  # it draws the plan's simulated scene; the prompt's words never reach it
    parallel_ok = True
    max_frames = 10_000

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        started = time.perf_counter()
        keys = sorted(((k.t, poses_from_layout(k.layout)) for k in job.keyframes if k.layout),
                      key=lambda key: key[0])
        if job.scene is None or not keys:
            raise StudioUnsupported(unsupported_message(job.prompt))
        deduped = list({round(t, 6): (t, p) for t, p in keys}.values())
        motion = KeyedMotion(deduped, PRIORS[prior_for_seed(job.seed)])
        renderer = Renderer(build_world(job.scene), job.width, job.height)
        write_video(_frames(renderer, motion, job.num_frames, job.fps), out_path, fps=job.fps)
        return Candidate(
            id=job.candidate_id, round=job.round, video=str(out_path), seed=job.seed,
            backend="studio", prompt=job.prompt, sha256=sha256_file(out_path),
            cost=Ledger(seconds=time.perf_counter() - started, generations=1),
        )


def _frames(renderer: Renderer, motion: KeyedMotion, n: int, fps: int) -> Iterator[np.ndarray]:
    for i in range(n):
        yield renderer.frame(motion.at(i / fps))
