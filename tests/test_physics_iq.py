"""Physics-IQ metrics on motion masks whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from evals.physics_iq import (
    PhysicsIQMetrics,
    compare,
    motion_masks,
    mse,
    physics_iq_score,
    spatial_iou,
    spatiotemporal_iou,
    weighted_spatial_iou,
)


def _masks(cells: list[list[tuple[int, int]]], shape=(4, 4)) -> np.ndarray:
    out = np.zeros((len(cells), *shape), dtype=bool)
    for t, frame in enumerate(cells):
        for y, x in frame:
            out[t, y, x] = True
    return out


def test_identical_masks_score_one_and_disjoint_zero():
    a = _masks([[(0, 0)], [(1, 1)]])
    assert spatial_iou(a, a) == spatiotemporal_iou(a, a) == weighted_spatial_iou(a, a) == 1.0
    b = _masks([[(3, 3)], [(2, 2)]])
    assert spatial_iou(a, b) == spatiotemporal_iou(a, b) == weighted_spatial_iou(a, b) == 0.0


def test_right_place_wrong_time_is_spatial_but_not_spatiotemporal():
    a = _masks([[(0, 0)], [(1, 1)]])
    swapped = _masks([[(1, 1)], [(0, 0)]])
    assert spatial_iou(a, swapped) == 1.0
    assert spatiotemporal_iou(a, swapped) == 0.0
    assert weighted_spatial_iou(a, swapped) == 1.0


def test_known_partial_overlaps():
    a = _masks([[(0, 0), (0, 1)], [(0, 0)]])
    b = _masks([[(0, 0)], [(0, 0), (1, 0)]])
    assert spatial_iou(a, b) == pytest.approx(1 / 3)  # {00} of {00, 01, 10}
    assert spatiotemporal_iou(a, b) == pytest.approx((1 / 2 + 1 / 2) / 2)
    # shares: a = {00: 1, 01: .5}, b = {00: 1, 10: .5} -> min sum 1, max sum 2
    assert weighted_spatial_iou(a, b) == pytest.approx(0.5)
    empty = np.zeros((2, 4, 4), dtype=bool)
    assert spatial_iou(empty, empty) == 1.0 and spatiotemporal_iou(empty, empty) == 1.0


def test_motion_masks_and_mse_on_a_moving_square():
    frames = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    frames[0, 0:2, 0:2] = frames[1, 0:2, 2:4] = frames[2, 0:2, 4:6] = 255
    masks = motion_masks(frames)
    assert not masks[0].any()
    assert masks[1].sum() == 8 and masks[1, 0, 0] and masks[1, 0, 3]
    assert mse(frames, frames) == 0.0
    assert mse(frames[:1], frames[1:2]) == pytest.approx(8 / 64)
    metrics = compare(frames, frames)
    assert metrics == PhysicsIQMetrics(1.0, 1.0, 1.0, 0.0)


def test_score_normalises_by_physical_variance():
    variance = [PhysicsIQMetrics(0.8, 0.5, 0.6, 0.01)]
    assert physics_iq_score(variance, variance) == 100.0
    half = [PhysicsIQMetrics(0.4, 0.25, 0.3, 0.01)]
    assert physics_iq_score(half, variance) == pytest.approx(50.0)
    worse = [PhysicsIQMetrics(0.4, 0.25, 0.3, 0.11)]  # 0.1 more MSE than reality
    assert physics_iq_score(worse, variance) == pytest.approx(40.0)
    assert physics_iq_score([PhysicsIQMetrics(0, 0, 0, 1.0)], variance) == 0.0
