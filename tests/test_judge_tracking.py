"""Pure measurement functions of the kinematics judge, on arrays whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from tests.synthetic_clips import render
from tools.judges.motion import (
    airborne_runs,
    apex_heights,
    bounce_indices,
    fit_quadratic,
    fit_segment,
    rest_mask,
    step_ratios,
)
from tools.judges.tracking import (
    Detection,
    Track,
    associate,
    background_median,
    detect_objects,
    downscale,
    estimate_shifts,
    extend_backwards,
    foreground_mask,
    is_moving,
    noise_threshold,
    shadow_like,
    stitch_tracks,
    track_objects,
    without_resting_bodies,
    without_thin_lines,
)


def _det(frame: int, x: float, y: float, colour=(200, 0, 0), area: float = 300.0) -> Detection:
    return Detection(frame, x, y, area, (x - 10, y - 10, x + 10, y + 10), colour, False)


def test_downscale_averages_blocks_and_keeps_small_frames():
    frames = np.zeros((2, 480, 854, 3), dtype=np.uint8)
    frames[:, :240] = 200
    small, factor = downscale(frames, 320)
    assert factor == 3
    assert small.shape == (2, 160, 284, 3)
    assert small[0, 10, 10, 0] == 200 and small[0, 100, 10, 0] == 0
    tiny = np.zeros((3, 100, 120, 3), dtype=np.uint8)
    assert downscale(tiny, 320)[1] == 1


def test_background_median_removes_a_moving_object():
    frames = np.full((20, 40, 60, 3), 100, dtype=np.uint8)
    for i in range(20):
        frames[i, 10:20, 2 * i : 2 * i + 10] = 250
    background = background_median(frames)
    assert np.all(background == 100)
    threshold = noise_threshold(frames, background)
    mask = foreground_mask(frames[5], background, threshold)
    assert mask.sum() == 100 and mask[15, 14]


def test_shadow_like_separates_darkening_from_colour():
    background = np.full((1, 3, 3), 160, dtype=np.uint8)
    frame = np.array([[[128, 128, 128], [200, 40, 40], [20, 20, 20]]], dtype=np.uint8)
    assert shadow_like(frame, background).tolist() == [[True, False, False]]


def test_detect_objects_maps_a_disc_back_to_full_resolution():
    mask = np.zeros((100, 160), dtype=bool)
    yy, xx = np.mgrid[:100, :160]
    mask[np.hypot(xx - 40, yy - 30) <= 6] = True
    mask[80, 150] = True  # a speck below the size floor
    frame = np.zeros((100, 160, 3), dtype=np.uint8)
    frame[mask] = (10, 200, 30)
    (det,) = detect_objects(mask, frame, factor=2, frame_index=7)
    assert det.frame == 7
    assert det.x == pytest.approx(2 * 40.5 - 0.5) and det.y == pytest.approx(2 * 30.5 - 0.5)
    assert det.area == pytest.approx(4 * mask[:60, :80].sum())
    assert det.bbox == (68, 48, 94, 74)
    assert det.colour == pytest.approx((10, 200, 30)) and not det.at_edge


def test_associate_keeps_identities_of_crossing_objects_by_colour():
    frames = []
    for i in range(20):
        frames.append(
            [_det(i, 10 + 5 * i, 50, (220, 30, 30)), _det(i, 105 - 5 * i, 52, (30, 30, 220))]
        )
    tracks = associate(frames, diagonal=300.0)
    assert len(tracks) == 2
    for track in tracks:
        colours = {d.colour for d in track.detections}
        assert len(colours) == 1 and len(track.detections) == 20


def test_stitch_joins_a_teleported_track_and_records_the_join():
    before = Track(0, [_det(i, 10 + 3 * i, 50) for i in range(10)])
    after = Track(1, [_det(i, 200 + 3 * i, 50) for i in range(10, 20)])
    elsewhere = Track(2, [_det(i, 80, 80, (0, 0, 250)) for i in range(10, 20)])
    joined = stitch_tracks([before, after, elsewhere], max_gap=3)
    assert len(joined) == 2
    assert len(joined[0].detections) == 20 and joined[0].joins == [10]


def test_is_moving_ignores_static_blobs_and_single_hops():
    static = Track(0, [_det(i, 50, 50) for i in range(30)])
    hop = Track(1, [_det(i, 50 if i < 15 else 90, 50) for i in range(30)])
    moving = Track(2, [_det(i, 50 + 4 * i, 50) for i in range(30)])
    assert not is_moving(static, 500.0)
    assert not is_moving(hop, 500.0)
    assert is_moving(moving, 500.0)


def test_fit_quadratic_recovers_acceleration():
    t = np.arange(20) / 24
    fit = fit_quadratic(t, 10 + 30 * t + 0.5 * 800 * t**2)
    assert fit.accel == pytest.approx(800, rel=1e-6)
    assert fit.rms < 1e-6 and fit.accel_se > 0


def test_segment_bend_ratio_separates_free_fall_from_constant_speed():
    t = np.arange(20) / 24
    fall = fit_segment(0, t, 0.5 * 900 * t**2, 0, 20)
    steady = fit_segment(0, t, 200 * t, 0, 20)
    assert fall.bend_ratio == pytest.approx(0.25, abs=0.01)
    assert abs(steady.bend_ratio) < 0.01
    assert fall.halves is not None and fall.halves[0].accel == pytest.approx(900, rel=1e-6)


def _bounce(t: np.ndarray) -> np.ndarray:
    """y (down) of a drop from 0 to a floor at 100 px, bouncing once to 36 px high."""
    g = 800.0
    land = np.sqrt(2 * 100 / g)
    up = 0.6 * g * land
    s = t - land
    return np.where(t < land, 0.5 * g * t**2, 100 - (up * s - 0.5 * g * s**2))


def test_bounces_rest_and_runs_on_a_known_trajectory():
    t = np.arange(36) / 24
    y = np.minimum(_bounce(t), 100.0)
    y[t > 1.25] = 100.0  # comes to rest
    contacts = bounce_indices(y, radius=5)
    assert list(contacts) == [12]
    rest = rest_mask(t, y, radius=5)
    assert rest[-1] and not rest[:20].any()
    runs = airborne_runs(t, y, 5, breaks=[])
    assert runs[0] == (0, 12) and runs[1][0] == 13
    apexes = apex_heights(t, y, runs, radius=5)
    assert [round(h) for _, h in apexes] == [round(100 - y[0]), pytest.approx(36, abs=2)]


def test_step_ratios_flag_one_isolated_jump_only():
    frames = np.arange(30, dtype=float)
    x = 5.0 * frames
    x[15:] += 120
    y = 0.5 * frames**2  # speeding up is not a jump
    _, ratio = step_ratios(frames, x, y)
    assert int(np.argmax(ratio)) == 14 and ratio[14] > 4
    assert np.sum(ratio > 4) == 1


@pytest.mark.parametrize("environment", ["earth", "mars", "moon"])
def test_shake_is_measured_past_a_falling_ball(environment):
    # A falling ball darkens whole rows as it goes: a profile that averages over it followed
    # the ball instead of the camera, by up to 8 px where the camera moved by 1.5.
    from evals.calibration_clips import ClipSpec, render_clip

    spec = ClipSpec(None, "drop", seed=66594257, crf=20, shake_px=3.0, environment=environment)
    small, factor = downscale(render_clip(spec)[0])
    found = estimate_shifts(small) * factor
    assert np.abs(found).max() <= 3.5 + 1.0  # full-resolution px: the shake's reach plus a pixel
    assert np.abs(found).max() >= 2.0  # and the shake is seen


def test_a_ball_that_comes_to_rest_is_seen_whole_where_it_rests():
    # It falls for 12 frames and rests for 36: the median takes it for scenery, and the spot
    # it covers for most frames would have its own contrast as "noise".
    count, floor_y, radius = 48, 200, 12.0
    fall = np.minimum(np.arange(count), 12)
    ys = 40 + (floor_y - radius - 40) * (fall / 12.0) ** 2
    frames = render(np.full(count, 180.0), ys, radius=radius, floor_y=floor_y, noise=1.0)
    background = without_resting_bodies(frames, background_median(frames))
    spot = (floor_y - 12, 180)
    assert np.abs(background[spot].astype(int) - frames[0][spot]).max() < 8
    tracking = track_objects(frames, 24.0)
    resting = [d for tr in tracking.tracks for d in tr.detections if d.frame >= 20]
    assert len(resting) == count - 20
    disc = np.pi * radius**2
    assert all(abs(d.area - disc) < 0.25 * disc for d in resting)
    assert all(abs(d.y - (floor_y - radius)) < 1.5 for d in resting)


def test_thin_lines_leave_the_mask_and_a_body_touching_one_keeps_its_shape():
    mask = np.zeros((60, 120), dtype=bool)
    yy, xx = np.mgrid[:60, :120]
    disc = np.hypot(yy - 30, xx - 40) <= 6
    mask |= disc
    mask[36, :] = True  # a one-pixel edge line touching the disc's bottom
    mask[10:12, 70:110] = True  # a two-pixel line on its own
    kept = without_thin_lines(mask)
    assert not kept[36, 60:].any() and not kept[10:12].any()
    assert kept[disc].mean() > 0.9
    assert not (kept & ~ndimage.binary_dilation(disc, iterations=2)).any()


def test_a_body_that_enters_fast_is_followed_back_to_its_first_sighting():
    # Its first steps are longer than a one-sighting track may link (no speed known yet), so
    # it is first linked at frame 3; its motion then leads back to frames 2, 1 and 0.
    ys = [20, 48, 72, 92, 108, 120, 128, 132]
    per_frame = [[_det(f, 100.0, y, area=100.0)] for f, y in enumerate(ys)]
    per_frame[1].append(_det(1, 100.0, 50.0, colour=(0, 0, 200), area=100.0))  # another body
    tracks = stitch_tracks(associate(per_frame, 400.0), max_gap=2)
    assert [t.first.frame for t in tracks] == [3]
    extend_backwards(tracks, per_frame)
    assert [d.y for d in tracks[0].detections] == ys
    assert tracks[0].detections[1].colour == (200, 0, 0)


def test_a_two_tone_bob_is_one_track_however_the_scenery_behind_it_changes():
    """A steel bob (dark, with a white highlight) swinging over its own image in the median
    background: weighted by contrast its colour flips between its two tones, so sightings are
    linked by their plain mean colour, and the bob is one body from start to end."""
    import math

    from evals.adherence_calibration import FPS, make_video

    frames, _ = make_video("a pendulum swings back and forth", "simulation", 0)
    tracking = track_objects(frames, FPS)
    diagonal = math.hypot(frames.shape[2], frames.shape[1])
    moving = [t for t in tracking.tracks if is_moving(t, diagonal, tracking.min_area)]
    assert len(moving) == 1 and len(moving[0].detections) >= 0.9 * len(frames)


def test_a_body_cut_off_by_the_frames_edge_is_placed_by_the_side_still_in_view():
    # A ball of radius 8 leaving through the top edge at 10 px per frame: the blob of its
    # last sighting is the half still in view, whose centre lags; the body's centre lies one
    # radius in from the box's lower side.
    from tools.judges.tracking import detect_objects

    yy, xx = np.mgrid[:120, :160]
    dets = []
    for k, cy in enumerate([60.0, 50.0, 40.0, 30.0, 20.0, 10.0, 0.0]):
        mask = (xx - 80) ** 2 + (yy - cy) ** 2 <= 64
        (det,) = detect_objects(mask, np.zeros((120, 160, 3), np.uint8), 1.0, k)
        dets.append(det)
    track = Track(0, dets)
    _, ys = track.centres()
    assert dets[-1].cut == "t" and dets[0].cut == ""
    assert ys[-1] == pytest.approx(0.0, abs=1.0)
    assert dets[-1].y > 2.5  # the half in view has its centre a third of a radius in
    assert ys[:4] == pytest.approx([d.y for d in dets[:4]])
