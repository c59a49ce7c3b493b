"""Speed of the kinematics judge: seconds of judging per second of video (target <= 0.2)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench import register

DURATION_S, FPS, WIDTH, HEIGHT = 5.0, 24, 854, 480


def _clip(path: Path) -> Path:
    """A 5 s 854x480 H.264 clip of two bouncing balls drawn by the calibration renderer."""
    from evals.calibration_clips import ClipSpec, render_clip
    from tools.media import write_video

    spec = ClipSpec(None, "drop", seed=3, size=(WIDTH, HEIGHT), balls=2, noise=2.0)
    frames, _ = render_clip(spec)
    count = round(DURATION_S * FPS)
    # The calibration clips last 3 s; hold the last frame to reach 5 s (the ball rests).
    frames = np.concatenate([frames, np.repeat(frames[-1:], count - len(frames), axis=0)])
    return write_video(frames, path, fps=FPS, crf=23)


def bench_judge(workdir: Path) -> dict[str, Any]:
    """Judge time (decode included) over clip duration, best of three runs."""
    from tools.judges.kinematics import KinematicsJudge

    video = _clip(workdir / "judge_bench.mp4")
    judge = KinematicsJudge()
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        judge.judge(video)
        runs.append(time.perf_counter() - started)
    seconds = min(runs)
    return {"seconds": round(seconds, 3), "ratio_to_duration": round(seconds / DURATION_S, 3)}


register("judge_5s_854x480", bench_judge)
