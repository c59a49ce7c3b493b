"""The measured physics judge: tracks moving objects in the pixels and checks kinematic rules.

It never sees a simulator's state, so it works on any video. The rules live in
`tools/judges/checks/`, one module each: `gravity`, `continuity`, `permanence`, `rigidity`,
`energy`, `time_direction`, `penetration`, `motion_present`, and `trajectory` when the plan
carries a simulated reference. Each returns `unclear` with low confidence when the tracking
cannot support a measurement; a guess is never dressed up as one.

Score (documented contract, see `physics_score`):
    physics = base * prod over violated rules of (1 - c / 2), where
    base = (sum_followed c + 0.5 * sum_unclear c / 4) / (sum_followed c + sum_unclear c / 4)
(c = the rule's confidence; base = 0.5 when no rule is followed or unclear). A violation
multiplies the score down by up to a half whatever the number of rules checked, so adding
rules never dilutes a confident violation: one at 0.9 caps the score at 0.55, two at 0.3.
Unclear rules weigh a quarter and pull the base gently toward 0.5.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tools.errors import BadInputError
from tools.judges.accounting import Account, Body, Physics, account
from tools.judges.adherence import Adherence, run_score
from tools.judges.adherence_tracking import adherence_for, still_picture
from tools.judges.agents import Sightings, carried
from tools.judges.camera import MIN_AGREEMENT, find_cuts
from tools.judges.checks import (
    CHECKS,
    RULE_TEXT,
    Scene,
    TrackMotion,
    frozen_video,
    has_reference,
    verdict,
)
from tools.judges.checks.base import rnd
from tools.judges.checks.continuity import near_ground, position_noise
from tools.judges.checks.gravity import expected_accel
from tools.judges.checks.permanence import check_permanence, materialised
from tools.judges.motion import (
    airborne_runs,
    fit_segment,
    position_gaps,
    rest_mask,
    step_ratios,
)
from tools.judges.score import rules_score
from tools.judges.surfaces import SurfaceFinder
from tools.judges.tracking import (
    ANALYSIS_MAX_SIDE,
    Detection,
    Track,
    Tracking,
    colour_distance,
    is_moving,
    is_speck,
    track_objects,
)
from tools.media import read_video, video_size
from tools.schema import Ledger, RuleVerdict, ShotPlan, Verdict

MIN_FRAMES = 8
SWOLLEN = 2.0  # a sighting this many times the body's usual area is the body merged with more
MAX_SALIENT = 4  # bodies followed at most: a clip's subjects, not its scenery's flicker
MIN_SHOT_S = 1.0  # a shot of an edited clip shorter than this is not judged
SALIENT_SHARE = 0.3
NOTHING_MOVES = "no moving object large enough to track was found"


class KinematicsOptions(BaseModel):
    """Options of the kinematics judge (`registry.resolve('judge', 'kinematics', **options)`)."""

    model_config = ConfigDict(extra="forbid")

    max_frames: int = Field(240, ge=MIN_FRAMES, description="Frames analysed at most.")
    max_side: int = Field(ANALYSIS_MAX_SIDE, ge=64, description="Analysis resolution, long side.")


class KinematicsJudge:
    """Judge backend `kinematics`: cheap, measured, always available."""

    spec = "kinematics"

    def __init__(self, model: str | None = None, **options: Any) -> None:
        if model:
            raise BadInputError(
                f"the kinematics judge measures pixels and takes no model (got {model!r}): "
                "use the spec 'kinematics', or 'vlm:<model>' for a model-based judge"
            )
        self.options = KinematicsOptions(**options)

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict:
        """Decodes `video` (raises VideoReadError if it cannot) and judges its frames.

        The decoder samples with one even stride and shrinks frames to the analysis size, so
        a long or large video costs little more than a short small one; positions are still
        reported in the video's own pixels (the plan's scale refers to those).
        """
        started = time.perf_counter()
        width, _ = video_size(video)
        opts = self.options
        frames, fps = read_video(video, max_frames=opts.max_frames, max_side=opts.max_side)
        scale = width / frames.shape[2]
        verdict_ = judge_frames(frames, fps, plan, max_side=opts.max_side, scale=scale)
        return verdict_.model_copy(update={"cost": Ledger(seconds=time.perf_counter() - started)})


def judge_frames(
    frames: np.ndarray,
    fps: float,
    plan: ShotPlan | None = None,
    max_side: int = ANALYSIS_MAX_SIDE,
    scale: float = 1.0,
) -> Verdict:
    """Judges (T, H, W, 3) uint8 RGB frames shown at `fps`; pure apart from the clock.

    `scale` is how many of the original video's pixels one pixel of `frames` stands for.
    """
    started = time.perf_counter()
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise BadInputError(f"frames must be (T, H, W, 3) uint8 RGB, got {frames.shape}")
    if fps <= 0:
        raise BadInputError(f"fps must be positive, got {fps}")
    count, height, width = frames.shape[:3]
    size = (round(width * scale), round(height * scale))
    base: dict[str, Any] = {
        "fps": round(float(fps), 4),
        "frames": int(count),
        "duration_s": round(count / fps, 4),
        "frame_size": list(size),
        "px_per_m": plan.px_per_m if plan else None,
    }
    if count < MIN_FRAMES:
        reason = f"only {count} frames: too few to measure motion"
        return _unclear_verdict(reason, base, started,
                                adherence=adherence_for(plan, None, fps, size, count, reason))
    cuts = find_cuts(_quarter(frames))
    if cuts:
        return _judge_shots(frames, fps, plan, max_side, scale, cuts, base, started)
    shot = _judge_shot(frames, fps, plan, max_side, scale, base, plan)
    if shot.coverage is None:
        return _unclear_verdict(base["unreliable_reason"], base, started, shot.rules,
                                shot.adherence)
    return _verdict(shot.rules, base, started, shot.coverage, shot.adherence)


@dataclasses.dataclass
class Shot:
    """What one shot showed: its rules, the share of its motion they checked (None when its
    tracks cannot be trusted), and its adherence to the plan's scene (None without one)."""

    rules: list[RuleVerdict]
    coverage: float | None
    adherence: Adherence | None


def _judge_shot(frames: np.ndarray, fps: float, plan: ShotPlan | None, max_side: int,
                scale: float, data: dict[str, Any], adhere_to: ShotPlan | None) -> Shot:
    """One shot, filling `data` with its measurements. The rules read `plan`; adherence is
    measured against `adhere_to`'s scene (an edited clip's shots are judged without the
    scene's simulation, but each against the scene the prompt asks for)."""
    count, height, width = frames.shape[:3]
    size = (round(width * scale), round(height * scale))
    tracking = track_objects(frames, fps, max_side, scale)
    diagonal = math.hypot(*size)
    movers = [t for t in split_switches(tracking.tracks, len(tracking.tracks))
              if is_moving(t, diagonal, tracking.min_area)]
    agents = [t for t in movers if is_agent(t)]
    bodies = [t for t in movers if t not in agents]
    moving = salient(bodies, count, diagonal)
    busy = cluttered(len(bodies), tracking.camera, width * scale)
    if busy:
        moving = [t for t in moving
                  if steady(t, count, diagonal, tracking.factor)
                  and not scenery(tracking, t)]
    elif len(moving) > 1:
        moving = [t for t in moving if steady_look(t, tracking.factor) or smooth_path(t)]
    data |= _tracking_measurements(tracking, moving, fps)
    data["movers_ignored"] = len(movers) - len(moving) - len(agents)
    data["agents"] = [t.id for t in agents]
    data["cluttered"] = busy
    if tracking.camera:
        data["camera"] = tracking.camera
    reason = _unreliable_reason(tracking, moving, count)
    if tracking.camera and tracking.camera.get("agreement", 1.0) < MIN_AGREEMENT:
        reason = (f"the camera moves past scenery at several depths: only "
                  f"{100 * tracking.camera['agreement']:.0f}% of the background's features "
                  "agree on one camera motion, so where things are in the world cannot be "
                  "recovered from the picture")
    elif reason and busy and bodies:
        reason = (f"{len(bodies)} regions move (a cluttered scene"
                  f"{' and a moving camera' if tracking.camera else ''}) and none is followed "
                  "steadily enough to measure its motion")
    # Adherence counts every moving region the tracker finds, as its calibration and its
    # rendition of the scene (`track_bodies`) do; None when the whole image changes.
    adhering = None if tracking.busy_frames > 0.3 * count else [
        t for t in tracking.tracks if is_moving(t, diagonal, tracking.min_area)]
    adherence = adherence_for(adhere_to, adhering, fps, size, count, reason,
                              still=lambda: still_picture(frames, tracking, scale))
    if reason:
        data["unreliable_reason"] = reason
        known = [frozen_video(plan, tracking.frame_change)] if not moving else []
        if not moving and not busy and reason == NOTHING_MOVES:
            # Nothing travels, yet something at rest may still turn up or go where nothing
            # moved (a stick swelling into a sphere in place): that needs no moving body.
            still = Scene(tracking, [], plan, fps, size, count, data)
            if materialised(still):
                known.append(check_permanence(still))  # reads the scene's `materialised`
        return Shot(known, None, adherence)
    seen = Sightings(tracking.tracks)
    motions = [dataclasses.replace(m, held=carried(m.track, seen))
               for m in (analyse_track(track, fps, diagonal) for track in moving)]
    surfaces = SurfaceFinder(tracking.background, tracking.factor)
    whole = account_motions(motions, tracking, plan, diagonal, surfaces)
    data["account"] = whole.as_dict()
    extras = () if busy else tuple(t for t in bodies if t not in moving
                                   and len(t.detections) >= MIN_FRAMES
                                   and not is_speck(t, tracking.min_area)
                                   and body_like(t, diagonal, ranging=False))
    scene = Scene(tracking, motions, plan, fps, size, count, data, whole, surfaces, extras)
    wanted = [r for r in CHECKS if r != "trajectory" or has_reference(plan)]
    return Shot([CHECKS[rule_id](scene) for rule_id in wanted], whole.coverage, adherence)


def _quarter(frames: np.ndarray) -> np.ndarray:
    """Frames at a quarter of their size, each pixel the mean of its 4x4 block: sensor noise
    averages away, so a cut out of a noisy, shaken shot stands out against the next one
    (every fourth pixel alone keeps the noise whole)."""
    import cv2

    height, width = frames.shape[1:3]
    size = (max(1, width // 4), max(1, height // 4))
    return np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])


def split_switches(tracks: list[Track], next_id: int) -> list[Track]:
    """The tracks cut where one jumps onto a body that looks otherwise: among many small
    movers (leaves, specks) the matcher can hand a track from one to another when the first
    blinks out. A teleporting body keeps its look; such a hop does not, and it is two bodies,
    not one that jumped. New pieces get ids from `next_id` on."""
    out: list[Track] = []
    for track in tracks:
        dets = track.detections
        steps = [math.hypot(b.x - a.x, b.y - a.y) for a, b in itertools.pairwise(dets)]
        cuts = [k for k in range(1, len(dets))
                if _switch(dets[max(0, k - 3) : k], dets[k : k + 3], track.radius, steps,
                           k - 1)]
        if not cuts:
            out.append(track)
            continue
        for a, b in itertools.pairwise([0, *cuts, len(dets)]):
            piece = Track(track.id if a == 0 else next_id, dets[a:b],
                          [j - a for j in track.joins if a < j < b])
            next_id += a != 0
            out.append(piece)
    return out


def _switch(before: list[Detection], after: list[Detection], radius: float,
            steps: list[float], k: int) -> bool:
    """A step far longer than the body's size and than the steps around it (a fast body
    blurred into a longer blob makes long steps throughout), onto a blob of another look.

    The looks compared are those of the last few sightings before the step and the first few
    after it, not of the two at the step: a frame blurred across a jump smears the body into
    a long blob, and that one blob is not another body."""
    around = steps[max(0, k - 3) : k] + steps[k + 1 : k + 4]
    usual = float(np.median(around)) if around else 0.0
    if steps[k] <= max(3.0 * radius, 12.0, 4.0 * usual):
        return False
    area = [float(np.median([d.area for d in side])) for side in (before, after)]
    size = max(area) / max(min(area), 1.0)
    colour = [[float(c) for c in np.median([d.colour for d in side], axis=0)]
              for side in (before, after)]
    return size > 1.5 or colour_distance(colour[0], colour[1]) > 0.12


def is_agent(track: Track) -> bool:
    """Whether a mover reaches in from the frame's edge most of the time: an arm and hand, a
    person, a tool held from outside the picture. It moves bodies; it is not one of them."""
    dets = track.detections
    return len(dets) >= 3 and sum(d.at_edge for d in dets) >= 0.5 * len(dets)


def _judge_shots(frames: np.ndarray, fps: float, plan: ShotPlan | None, max_side: int,
                 scale: float, cuts: list[int], base: dict[str, Any],
                 started: float) -> Verdict:
    """An edited clip: each shot judged on its own (a cut is no teleport), then one verdict.

    A rule is violated when it is in some shot, followed when it is in some and violated in
    none; spans are given in the whole clip's time. The plan's simulation is not compared:
    which shot shows which part of it is unknown. Each shot's adherence is measured against
    the plan's scene, and the clip's is that of the shot that shows the scene best (an edit
    may show the scene in one shot and a close-up or a reaction in another).
    """
    bounds = [0, *cuts, len(frames)]
    shot_plan = plan.model_copy(update={"scene": None}) if plan is not None else None
    shots: list[dict[str, Any]] = []
    per_rule: dict[str, list[RuleVerdict]] = {}
    adherences: list[tuple[Adherence, float, int]] = []
    weighted = total = 0.0
    for a, b in itertools.pairwise(bounds):
        data: dict[str, Any] = {"t0": rnd(a / fps), "t1": rnd(b / fps)}
        if (b - a) / fps < MIN_SHOT_S:
            # The scenery of so short a shot is what its few frames share: a body that rests
            # through most of them is taken for scenery, and its remains for a moving body.
            data["unreliable_reason"] = (f"a shot of {(b - a) / fps:.2f} s is too short to "
                                         "tell the bodies from the scenery")
            shot = Shot([], None, None)
        else:
            shot = _judge_shot(frames[a:b], fps, shot_plan, max_side, scale, data, plan)
        shots.append(data)
        seconds = (b - a) / fps
        weighted += (shot.coverage or 0.0) * seconds
        total += seconds
        for rule in shot.rules:
            per_rule.setdefault(rule.id, []).append(_shifted(rule, a / fps, len(shots)))
        if shot.adherence is not None:
            adherences.append((shot.adherence, a / fps, len(shots)))
    base["shots"] = shots
    base["cuts_s"] = [rnd(c / fps) for c in cuts]
    rules = [_combined(rule_id, per_rule.get(rule_id, [])) for rule_id in RULE_TEXT
             if rule_id != "trajectory"]
    if adherences:
        best, offset, number = max(adherences, key=lambda found: found[0].score)
        adherence: Adherence | None = Adherence(
            best.score, [_shifted(c, offset, number) for c in best.checks],
            {**best.measurements, "shot": number})
    else:
        size = (round(frames.shape[2] * scale), round(frames.shape[1] * scale))
        adherence = adherence_for(plan, None, fps, size, len(frames),
                                  "no shot is long enough to tell the bodies from the scenery")
    return _verdict(rules, base, started, weighted / total if total else 0.0, adherence)


def _shifted(rule: RuleVerdict, offset: float, shot: int) -> RuleVerdict:
    span = (rule.span[0] + offset, rule.span[1] + offset) if rule.span else None
    where = [{**w, "t0": rnd(w["t0"] + offset), "t1": rnd(w["t1"] + offset)}
             for w in rule.where]
    return rule.model_copy(update={"span": span, "where": where, "evidence": (
        f"shot {shot} (times from its start at {offset:.2f} s): {rule.evidence}")})


def _combined(rule_id: str, answers: list[RuleVerdict]) -> RuleVerdict:
    for status in ("violated", "followed"):
        found = [r for r in answers if r.status == status]
        if found:
            return max(found, key=lambda r: r.confidence)
    if answers:
        return max(answers, key=lambda r: r.confidence)
    return verdict(rule_id, "unclear", 0.1, "no shot could measure it")


def account_motions(
    motions: list[TrackMotion], tracking: Tracking, plan: ShotPlan | None, diagonal: float,
    surfaces: SurfaceFinder | None = None,
) -> Account:
    """The whole-track account of the moving bodies (see `tools.judges.accounting`)."""
    expected, weightless = expected_accel(plan)
    surfaces = surfaces or SurfaceFinder(tracking.background, tracking.factor)
    physics = Physics(
        gravity=None if weightless else expected,
        weightless=weightless,
        fluid=plan is not None and plan.environment == "underwater",
        diagonal=diagonal,
        support=surfaces,
        clutter=surfaces.cluttered_below,
    )
    return account([_body(m) for m in motions], physics)


def _body(motion: TrackMotion) -> Body:
    """A track as accounting sees it: without the sightings down at the floor whose blob is
    not the whole body (merged with its shadow, cut by the floor's edge), whose centres bob by
    up to a radius and would read as accelerations; unless they are most of the track."""
    held = motion.held if motion.held is not None else np.zeros(len(motion.t), dtype=bool)
    keep = ~near_ground(motion)
    if keep.sum() < max(MIN_FRAMES, 0.5 * len(keep)):
        keep[:] = True
    keep[[0, -1]] = True  # the track's time span stays whole
    index = np.flatnonzero(keep)
    jumps = [float(j["t1"]) for j in motion.jumps]
    breaks = sorted({int(np.searchsorted(motion.t[index], t - 1e-6)) for t in jumps})
    areas = np.array([d.area for d in motion.track.detections])
    swollen = areas >= SWOLLEN * float(np.median(areas))
    return Body(motion.track.id, motion.t[index], motion.x[index], motion.y[index],
                motion.radius, position_noise(motion), held[index], breaks=breaks,
                floor_times=motion.t[~keep], swollen=swollen[index])


def _unreliable_reason(tracking: Tracking, moving: list[Track], count: int) -> str | None:
    """Why the tracks cannot be trusted, or None when they can."""
    if tracking.busy_frames > 0.3 * count:
        return (
            f"the whole image changes in {tracking.busy_frames} of {count} frames (camera motion "
            "or lighting), so moving objects cannot be separated from the background"
        )
    if not moving:
        return NOTHING_MOVES
    return None


CLUTTER_MOVERS = 2 * MAX_SALIENT + 1  # movers beyond which a scene counts as cluttered
# Share of the clip's frames, or of the frame's diagonal, over which a body in a cluttered
# scene must be followed to be measured.
STEADY_SHARE = 0.15



def cluttered(movers: int, camera: dict[str, float] | None, width: float) -> bool:
    """Whether the scene makes moving regions by itself: many of them (shimmering foliage,
    boiling texture, a spray of pieces), or a camera that sweeps a good part of a frame
    across textured scenery (where every misregistered edge moves)."""
    sweep = camera is not None and camera.get("moved_px", 0.0) > 0.25 * width
    return movers >= CLUTTER_MOVERS or sweep


def steady(track: Track, count: int, diagonal: float, factor: float = 1.0) -> bool:
    """Whether a body in a cluttered scene was followed well enough to measure: seen in
    nearly every frame of a good share of the clip, or along one smooth path across a good
    share of the frame (a ball thrown through the picture may leave it within a few frames;
    the scenery's flicker stays put, and chance links among it hop), and `steady_look`."""
    dets = track.detections
    span = dets[-1].frame - dets[0].frame + 1
    _, xs, ys = track.arrays()
    across = math.hypot(float(np.ptp(xs)), float(np.ptp(ys))) >= STEADY_SHARE * diagonal
    smooth = smooth_path(track)
    long_enough = span >= max(MIN_FRAMES + 2, STEADY_SHARE * count) or (across and smooth)
    return len(dets) >= 0.8 * span and long_enough and (smooth or steady_look(track, factor))


def smooth_path(track: Track) -> bool:
    """Whether a track runs along one smooth path far beyond its own size: from frame to
    frame its velocity changes by a fraction of itself (bounces aside). Regions taking
    turns hop back and forth, each hop as long as the steps; a thrown body's blob may
    flicker in size through compression, or swell as it passes a leaf, but its path does
    not. (What makes the path is the body's motion, which is what the rules measure.)"""
    frames, xs, ys = track.arrays()
    if len(xs) < 6 or max(float(np.ptp(xs)), float(np.ptp(ys))) < 4.0 * track.radius:
        return False
    span = np.maximum(np.diff(frames), 1.0)
    vx, vy = np.diff(xs) / span, np.diff(ys) / span
    speed = float(np.median(np.hypot(vx, vy)))
    turn = float(np.median(np.hypot(np.diff(vx), np.diff(vy))))
    return speed >= 1.0 and turn <= 0.3 * speed


def steady_look(track: Track, factor: float = 1.0) -> bool:
    """Whether a track keeps its size and colour from one sighting to the next. A body does
    (a morph is a slow trend); a track that flickers in size or colour is several regions
    taking turns (pieces of a heap, leaves), and its "jumps" and "bounces" are theirs.

    A small blob's size and colour jitter more (its rim is a large share of it, and
    compression blurs it into the scenery), so the allowance grows as its radius, in the
    analysis frame's pixels (`factor` video pixels each), shrinks.
    """
    dets = track.detections
    radius = max(track.radius / factor, 1.0)
    areas = np.array([d.area for d in dets])
    size_steps = float(np.median(np.abs(np.diff(np.log(areas))))) if len(areas) > 2 else 1.0
    chroma = np.array([[d.colour[0], d.colour[1]] for d in dets]) / np.maximum(
        np.array([sum(d.colour) for d in dets]), 1.0)[:, None]
    colour_steps = float(np.median(np.hypot(*np.diff(chroma, axis=0).T))) if len(dets) > 2 \
        else 1.0
    return size_steps <= max(0.12, 0.8 / radius) and colour_steps <= max(0.02, 0.15 / radius)


def scenery(tracking: Tracking, track: Track, samples: int = 8) -> bool:
    """Whether a track is the scenery itself, seen a few pixels off: where a moving camera
    meets parallax (near grass sweeping past far trees) or a registration slip, a patch of
    the background moves relative to the rest. Such a patch matches the background shifted
    by a few pixels; a body in front of the scenery matches it at no shift."""
    picked = track.detections[:: max(1, len(track.detections) // samples)][:samples]
    matched = sum(_shifted_match(tracking, det) for det in picked)
    return matched >= 0.5 * len(picked)


def _shifted_match(tracking: Tracking, det: Detection, reach: int = 5) -> bool:
    f = tracking.factor
    x0, y0, x1, y1 = (int(v / f) for v in det.bbox)
    height, width = tracking.background.shape[:2]
    x0, y0 = max(x0, reach), max(y0, reach)
    x1, y1 = min(x1, width - reach), min(y1, height - reach)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return False
    patch = tracking.small[det.frame, y0:y1, x0:x1].astype(np.int16)
    best = None
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            ground = tracking.background[y0 + dy : y1 + dy, x0 + dx : x1 + dx].astype(np.int16)
            miss = float(np.abs(patch - ground).mean())
            if dx == 0 and dy == 0:
                direct = miss
            best = miss if best is None else min(best, miss)
    assert best is not None
    return best < 0.4 * direct


def ranges(track: Track, diagonal: float) -> bool:
    """Whether a mover goes somewhere: its position ranges over more than its own size and a
    few hundredths of the frame. A leaf trembling in place, a flickering highlight or a
    blob that wanders with the noise travels a long path in small steps but stays put; its
    kinematics say nothing about physics."""
    _, xs, ys = track.arrays()
    reach = max(float(np.ptp(xs)), float(np.ptp(ys)))
    return reach >= max(1.5 * track.radius, 0.06 * diagonal)


def body_like(track: Track, diagonal: float, ranging: bool = True) -> bool:
    """Whether a moving region behaves like one body the rules can speak of.

    A body is seen in most frames of its span, fills a good part of its box (a net's mesh,
    a spray of shards or a blade of grass does not), keeps its size from one frame to the
    next (a morph is a trend, not a flicker), and goes somewhere: its position ranges over
    more than its own size. Regions that fail are flicker of the scenery, piles that shift
    as pieces settle, or several things merging and parting: measuring their kinematics
    would report the segmentation's faults as the video's.
    """
    dets = track.detections
    span = dets[-1].frame - dets[0].frame + 1
    if len(dets) < 0.6 * span:
        return False
    areas = np.array([d.area for d in dets])
    boxes = np.array([max((d.bbox[2] - d.bbox[0]) * (d.bbox[3] - d.bbox[1]), 1.0)
                      for d in dets])
    if float(np.median(areas / boxes)) < 0.25:
        return False
    if len(areas) > 2 and float(np.median(np.abs(np.diff(np.log(areas))))) > 0.2:
        return False
    return ranges(track, diagonal) if ranging else True


def salient(movers: list[Track], count: int, diagonal: float) -> list[Track]:
    """The bodies worth following when many regions move, as in most generated clips: the
    largest, longest-seen movers that travel and look like bodies (`body_like`), at most
    `MAX_SALIENT` of them.

    Waving grass, flickering texture and shimmering water make many small regions that come
    and go; a subject is big, stays in view and goes somewhere. A body scores by its size,
    the share of the clip it is seen in, and how far it ranges for its size; when there are
    more than `MAX_SALIENT`, those scoring under a third of the best are left out too (the
    verdict says how many).
    """
    def score(track: Track) -> float:
        _, xs, ys = track.arrays()
        # How far it ranges, not the sum of its steps: jitter in place adds up to a long path.
        reach = max(float(np.ptp(xs)), float(np.ptp(ys)))
        seen = len(track.detections) / max(count, 1)
        return track.radius * seen * min(5.0, reach / max(2.0 * track.radius, 1e-9))

    movers = [t for t in movers if ranges(t, diagonal)]
    if len(movers) <= MAX_SALIENT:
        return movers  # a few movers: each is a body, or the pieces a fault broke one into
    bodies = [t for t in movers if body_like(t, diagonal)]
    if len(bodies) <= MAX_SALIENT:
        return bodies
    scores = [score(t) for t in bodies]
    best = max(scores)
    cut = sorted(scores, reverse=True)[min(MAX_SALIENT, len(scores)) - 1]
    return [t for sc, t in zip(scores, bodies, strict=True)
            if sc >= max(cut, SALIENT_SHARE * best)]


def analyse_track(track: Track, fps: float, diagonal: float) -> TrackMotion:
    """Times, jumps, rests and airborne segment fits of one track."""
    frames, _, _ = track.arrays()
    xs, ys = track.centres()
    t = frames / fps
    radius = track.radius
    step, ratio = step_ratios(frames, xs, ys)
    gaps = position_gaps(frames, xs, ys)
    jumps: list[dict[str, float]] = []
    breaks = [int(i) + 1 for i in np.nonzero(ratio > 4.0)[0]]
    for i in range(len(step)):
        span = max(frames[i + 1] - frames[i], 1.0)
        distance = float(step[i] * span)
        if distance <= max(2.0 * radius, 0.04 * diagonal):
            continue
        # A jump is a step far longer than its neighbours, or a break in the position itself
        # that the motion on either side cannot bridge (the ball teleports while falling fast).
        around = max(step[i - 1] if i else 0.0, step[i + 1] if i + 1 < len(step) else 0.0)
        # Down at the floor a body's blob bobs with its shadow: a short vertical hop between
        # two floor-level sightings is that, not a jump.
        low = float(np.max(ys)) - radius
        dx, dy = abs(xs[i + 1] - xs[i]), abs(ys[i + 1] - ys[i])
        if ys[i] > low and ys[i + 1] > low and dy > 2.0 * dx and distance < 4.0 * radius:
            continue
        # A blob that doubles or halves in one step merged with something (a hand, a shadow)
        # or lost part of itself: its centre moved, not the body. A teleported body keeps
        # its size.
        areas = track.detections[i].area, track.detections[i + 1].area
        if max(areas) > 1.8 * max(min(areas), 1.0):
            continue
        # A bounce leaves a gap of about one step; a teleport leaves its whole offset.
        broken = bool(gaps[i] > max(2.0 * around * span, 2.0 * radius, 0.04 * diagonal))
        if ratio[i] > 4.0 or broken:
            breaks.append(i + 1)
            jumps.append(
                {
                    "track": track.id,
                    "t0": rnd(t[i]),
                    "t1": rnd(t[i + 1]),
                    "distance_px": rnd(distance),
                    "usual_px_per_frame": rnd(step[i] / max(ratio[i], 1e-9)),
                    "ratio": rnd(ratio[i]),
                }
            )
    for i in _smears(track):
        # The sightings either side of a swollen blob are the body itself: judge the jump
        # from one to the other.
        span = max(frames[i + 2] - frames[i], 1.0)
        distance = float(math.hypot(xs[i + 2] - xs[i], ys[i + 2] - ys[i]))
        around = np.concatenate([step[max(0, i - 4) : i], step[i + 2 : i + 6]])
        usual = max(float(np.median(around)) if len(around) else 0.0, 1.0)
        # Or a break in the position: each side carried on at its own velocity to the
        # swollen frame lands far from the other (a body falling fast that jumps); a bounce
        # leaves a gap of about a step.
        gap = 0.0
        if i > 0 and i + 3 < len(xs):
            gap = math.hypot(2 * xs[i] - xs[i - 1] - 2 * xs[i + 2] + xs[i + 3],
                             2 * ys[i] - ys[i - 1] - 2 * ys[i + 2] + ys[i + 3])
        if distance > max(2.0 * radius, 0.04 * diagonal) + usual * span and (
                distance > 4.0 * usual * span
                or gap > max(2.0 * usual, 2.0 * radius, 0.04 * diagonal)):
            breaks += [i + 1, i + 2]
            jumps.append({"track": track.id, "t0": rnd(t[i]), "t1": rnd(t[i + 2]),
                          "distance_px": rnd(distance), "usual_px_per_frame": rnd(usual),
                          "ratio": rnd(distance / (usual * span)), "smeared": True})
    runs = airborne_runs(t, ys, radius, sorted(set(breaks)))
    segments = [fit_segment(track.id, t, ys, a, b) for a, b in runs]
    rest = rest_mask(t, ys, radius)
    return TrackMotion(track, frames, t, xs, ys, radius, rest, runs, segments, jumps)


def _smears(track: Track) -> list[int]:
    """Indices i whose next sighting (i + 1) is one swollen blob between two of the body's
    own size, a frame apart each: a frame blurred across a fast move (a jump smeared into a
    streak), or the body merged for a moment with something it passes. The step into it
    and out of it each measure the blob, not the body, so per-step tests skip them."""
    dets = track.detections
    found = []
    for i in range(len(dets) - 2):
        a, b, c = dets[i : i + 3]
        if c.frame - a.frame != 2:
            continue
        small, large = sorted((a.area, c.area))
        if large <= 1.5 * max(small, 1.0) and b.area > 1.5 * max(large, 1.0):
            found.append(i)
    return found


# --- verdict assembly ------------------------------------------------------------------------


def physics_score(rules: list[RuleVerdict]) -> float:
    """Confidence-weighted score; see the module docstring for the formula and its reasons."""
    return rules_score(rules)


def _verdict(
    rules: list[RuleVerdict], data: dict[str, Any], started: float, coverage: float = 0.0,
    adherence: Adherence | None = None,
) -> Verdict:
    score = physics_score(rules)
    seconds = time.perf_counter() - started
    data["judge_seconds"] = rnd(seconds)
    if adherence is not None:
        data["adherence"] = adherence.measurements
    return Verdict(
        judge="kinematics",
        score=run_score(score, adherence.score if adherence else None),
        physics=score,
        adherence=adherence.score if adherence else None,
        adherence_checks=adherence.checks if adherence else [],
        coverage=round(coverage, 4),
        rules=rules,
        measurements=data,
        cost=Ledger(seconds=seconds),
    )


def _unclear_verdict(
    reason: str, data: dict[str, Any], started: float, known: list[RuleVerdict] | None = None,
    adherence: Adherence | None = None,
) -> Verdict:
    """Every rule unclear, at low confidence, for the one reason the tracking failed.

    `known` holds the few verdicts that need no tracks (e.g. a frozen video's motion_present).
    """
    data["unreliable_reason"] = reason
    given = {r.id: r for r in known or []}
    rules = [
        given.get(rule_id) or verdict(rule_id, "unclear", 0.1, reason)
        for rule_id in RULE_TEXT
        if rule_id != "trajectory"
    ]
    return _verdict(rules, data, started, adherence=adherence)


def _tracking_measurements(tracking: Tracking, moving: list[Track], fps: float) -> dict[str, Any]:
    moving_ids = {t.id for t in moving}
    return {
        "analysis_factor": tracking.factor,
        "noise_threshold": rnd(float(np.median(tracking.threshold))),
        "busy_frames": tracking.busy_frames,
        "unreliable_reason": None,
        "tracks": [_track_dict(t, fps, t.id in moving_ids) for t in tracking.tracks],
        "moving_tracks": len(moving),
    }


def _track_dict(track: Track, fps: float, moving: bool) -> dict[str, Any]:
    frames, xs, ys = track.arrays()
    found: dict[str, Any] = {
        "id": track.id,
        "t0": rnd(track.first.frame / fps),
        "t1": rnd(track.last.frame / fps),
        "detections": len(track.detections),
        "radius_px": rnd(track.radius),
        "colour": [round(float(c)) for c in track.first.colour],
        "moving": moving,
        "path_px": rnd(float(np.hypot(np.diff(xs), np.diff(ys)).sum())),
        "joins": len(track.joins),
    }
    if moving:  # where it went, so a report can draw it on the video
        found["points"] = [[round(float(f) / fps, 3), round(float(x), 1), round(float(y), 1)]
                           for f, x, y in zip(frames, xs, ys, strict=True)]
    return found
