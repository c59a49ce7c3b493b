"""Physics-IQ's metrics (Motamed et al., 2025) over motion masks, in numpy.

Physics-IQ compares a generated continuation with real footage by *where* and *when* things
move, not by how pixels look: binary motion masks per frame, then
- spatial IoU: IoU of the masks collapsed over time (where motion happened at all);
- spatiotemporal IoU: per-frame IoU, averaged (where and when);
- weighted spatial IoU: sum(min) / sum(max) of the per-pixel share of frames with motion
  (where, and how much);
- MSE: mean squared error of the frames themselves (values in [0, 1]).
The Physics-IQ score divides each IoU by the same metric between two real takes of the scene
(the *physical variance*: what a perfect model could hope to reach), averages the three,
subtracts the MSE in excess of the takes' MSE, and reports it as a percentage in [0, 100].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def motion_masks(frames: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """(T, H, W) bool: pixels whose grey value changed since the previous frame.

    `frames` are (T, H, W, 3) uint8 or floats in [0, 1]; the first frame has no motion.
    The threshold is in [0, 1] grey units.
    """
    grey = np.asarray(frames, dtype=np.float32)
    if grey.ndim == 4:
        grey = grey.mean(axis=3)
    if grey.max(initial=0.0) > 1.0:
        grey = grey / 255.0
    masks = np.zeros(grey.shape, dtype=bool)
    masks[1:] = np.abs(np.diff(grey, axis=0)) > threshold
    return masks


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean arrays; two empty masks agree perfectly."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of where motion happened at any time (masks collapsed over time)."""
    return _iou(np.any(a, axis=0, keepdims=True), np.any(b, axis=0, keepdims=True))


def spatiotemporal_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over frames of the per-frame IoU."""
    return float(np.mean([_iou(x, y) for x, y in zip(a, b, strict=True)]))


def weighted_spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """sum(min) / sum(max) of each pixel's share of frames with motion."""
    wa, wb = a.mean(axis=0), b.mean(axis=0)
    union = np.maximum(wa, wb).sum()
    return 1.0 if union == 0 else float(np.minimum(wa, wb).sum() / union)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error of two videos with values scaled to [0, 1]."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.max(initial=0.0) > 1.0 or y.max(initial=0.0) > 1.0:
        x, y = x / 255.0, y / 255.0
    return float(np.mean((x - y) ** 2))


@dataclass(frozen=True)
class PhysicsIQMetrics:
    """The four Physics-IQ metrics of one comparison."""

    spatial_iou: float
    spatiotemporal_iou: float
    weighted_spatial_iou: float
    mse: float


def compare(generated: np.ndarray, real: np.ndarray, threshold: float = 0.1) -> PhysicsIQMetrics:
    """All four metrics of `generated` against `real` frames of the same shape."""
    if generated.shape != real.shape:
        raise ValueError(f"videos differ in shape: {generated.shape} vs {real.shape}")
    ga, ra = motion_masks(generated, threshold), motion_masks(real, threshold)
    return PhysicsIQMetrics(spatial_iou(ga, ra), spatiotemporal_iou(ga, ra),
                            weighted_spatial_iou(ga, ra), mse(generated, real))


def physics_iq_score(model: list[PhysicsIQMetrics], variance: list[PhysicsIQMetrics]) -> float:
    """The Physics-IQ score in [0, 100]: model metrics normalised by the physical variance.

    `model` holds each scenario's generated-vs-real metrics, `variance` each scenario's
    real-take-1-vs-real-take-2 metrics; a model as consistent as reality itself scores 100.
    """
    def mean(items: list[PhysicsIQMetrics], field: str) -> float:
        return float(np.mean([getattr(m, field) for m in items]))

    ratios = [mean(model, f) / max(mean(variance, f), 1e-12)
              for f in ("spatiotemporal_iou", "spatial_iou", "weighted_spatial_iou")]
    score = float(np.mean(ratios)) - (mean(model, "mse") - mean(variance, "mse"))
    return round(min(max(100.0 * score, 0.0), 100.0), 2)
