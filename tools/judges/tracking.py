"""Finding and following moving objects in pixels: background, masks, blobs, tracks.

The measured judge must work on any video, so nothing here knows about a simulator or a scene.
Every step is a pure function over arrays, run at a reduced analysis resolution (long side about
320 px) for speed; detections are mapped back to full-resolution pixel units so the rules speak
of the video the user sees.

Pipeline: `downscale` -> `background_median` -> `noise_threshold` -> `foreground_mask` ->
`detect_objects` (one list per frame) -> `associate` (Hungarian matching) -> `stitch_tracks`
(re-joins a track broken by a jump or a short dropout, remembering where).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from tools.judges.camera import MIN_AGREEMENT, camera_path, masked_median, warp

ANALYSIS_MAX_SIDE = 320
CUT_SHARE = 0.8  # a blob at the frame's edge under this share of its body's area is cut off
OUTLINE_CELLS = 8  # a blob's outline is kept as this many by this many cells over its box
MIN_THRESHOLD = 12.0  # grey levels: below this, H.264 ringing and dithering dominate
# A shadow scales the channels alike; a dull body darker than the wall (a grey-green ball on a
# white wall) scales them almost alike, off by a few hundredths: measured 0.043 on real
# footage, against 0.0 to 0.02 for rendered shadows through noise and H.264.
SHADOW_SPREAD = 0.035
_INFEASIBLE = 1e6
_COLOUR_NORM = math.sqrt(3) * 255.0


@dataclass(frozen=True)
class Detection:
    """One foreground blob in one frame, in full-resolution pixels (y grows downward)."""

    frame: int
    x: float
    y: float
    area: float
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 (x1, y1 exclusive)
    # Over its firm pixels (weighted by contrast), where the soft rim's share of scenery does
    # not dilute it: what a change of colour is measured on.
    colour: tuple[float, float, float]
    at_edge: bool
    # Over all its pixels: what links sightings into tracks and counts bodies (None: as
    # `colour`). Weighted by contrast, a two-tone body (a steel ball and its highlight)
    # flips between its tones as the scenery behind it changes; its mean does not.
    mean_colour: tuple[float, float, float] | None = None
    # Its outline, coarsely: its box cut into OUTLINE_CELLS x OUTLINE_CELLS cells, one bit per
    # cell that holds any of its pixels, one int per row of cells (empty: the whole box). A
    # box says little about what lies beside a long or bent body (an arm reaching in from the
    # top spans the frame's height); the cells say where its pixels are.
    cells: tuple[int, ...] = ()
    # The frame's sides its box runs into ("l", "t", "r", "b"): there the body is cut off and
    # its blob is only the part in view (empty where the cut is a moving camera's, or none).
    cut: str = ""

    @property
    def look(self) -> tuple[float, float, float]:
        """The colour that tells one body's sightings from another's."""
        return self.mean_colour if self.mean_colour is not None else self.colour

    @property
    def radius(self) -> float:
        """Radius of the disc with the blob's area: a size measure robust to blob shape."""
        return math.sqrt(self.area / math.pi)

    @property
    def breadth(self) -> float:
        """Its radius across: the disc radius for a round blob, about half its width for a
        long one (an arm, a stick), whose disc radius says more about its length."""
        x0, y0, x1, y1 = self.bbox
        return min(self.radius, 2.0 / math.pi * self.area / max(x1 - x0, y1 - y0, 1e-9))

    def boxes(self) -> np.ndarray:
        """The occupied cells of its outline as boxes (x0, y0, x1, y1), one row each."""
        x0, y0, x1, y1 = self.bbox
        if not self.cells:
            return np.array([self.bbox], dtype=float)
        n = len(self.cells)
        rows, cols = np.nonzero([[(bits >> c) & 1 for c in range(n)] for bits in self.cells])
        w, h = (x1 - x0) / n, (y1 - y0) / n
        return np.stack([x0 + cols * w, y0 + rows * h, x0 + (cols + 1) * w,
                         y0 + (rows + 1) * h], axis=1)


def outline_gap(a: Detection, b: Detection) -> float:
    """Distance between two blobs' occupied cells: 0 when they overlap, never less than the
    gap between their boxes."""
    p, q = a.boxes()[:, None, :], b.boxes()[None, :, :]
    dx = np.maximum(0.0, np.maximum(p[..., 0], q[..., 0]) - np.minimum(p[..., 2], q[..., 2]))
    dy = np.maximum(0.0, np.maximum(p[..., 1], q[..., 1]) - np.minimum(p[..., 3], q[..., 3]))
    return float(np.sqrt(dx * dx + dy * dy).min())


@dataclass
class Track:
    """One object followed over time; `joins` index detections that follow a stitched gap."""

    id: int
    detections: list[Detection]
    joins: list[int] = field(default_factory=list)

    @property
    def first(self) -> Detection:
        return self.detections[0]

    @property
    def last(self) -> Detection:
        return self.detections[-1]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame indices, x and y of the detections, as float arrays for fitting."""
        frames = np.array([d.frame for d in self.detections], dtype=float)
        xs = np.array([d.x for d in self.detections], dtype=float)
        ys = np.array([d.y for d in self.detections], dtype=float)
        return frames, xs, ys

    @property
    def radius(self) -> float:
        return float(np.median([d.radius for d in self.detections]))

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of the body's centre at each sighting. Where the frame's edge cuts the
        body off, the blob's centre is the centre of the part in view, pulled inwards by up to
        a radius (a ball leaving through the top seems to slow as it goes); the body's centre
        lies one radius in from the side of its box that is still in view."""
        _, xs, ys = self.arrays()
        radius = self.radius
        for k, d in enumerate(self.detections):
            if not d.cut or d.area >= CUT_SHARE * math.pi * radius**2:
                continue
            # The box runs along pixel edges; positions are of pixel centres, half a pixel in.
            x0, y0, x1, y1 = (v - 0.5 for v in d.bbox)
            if "l" in d.cut and "r" not in d.cut:
                xs[k] = x1 - radius
            if "r" in d.cut and "l" not in d.cut:
                xs[k] = x0 + radius
            if "t" in d.cut and "b" not in d.cut:
                ys[k] = y1 - radius
            if "b" in d.cut and "t" not in d.cut:
                ys[k] = y0 + radius
        return xs, ys


def downscale(frames: np.ndarray, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[np.ndarray, int]:
    """Shrinks (T, H, W, 3) uint8 frames by an integer factor so the long side is <= max_side.

    Averages up to 2x2 samples spread over each factor x factor block: most of the noise
    reduction of a full box filter at under half its cost, which matters for the time budget.
    """
    height, width = frames.shape[1:3]
    factor = max(1, math.ceil(max(height, width) / max_side))
    if factor == 1:
        return frames, 1
    h, w = height // factor, width // factor
    samples = min(factor, 2)
    offsets = sorted({int((k + 0.5) * factor / samples) for k in range(samples)})
    acc = np.zeros((frames.shape[0], h, w, 3), dtype=np.uint16)
    for dy in offsets:
        for dx in offsets:
            acc += frames[:, dy : h * factor : factor, dx : w * factor : factor]
    return (acc // (len(offsets) ** 2)).astype(np.uint8), factor


def background_median(small: np.ndarray, max_samples: int = 48) -> np.ndarray:
    """Per-pixel temporal median: whatever sits still for most of the clip is background.

    Moving objects occupy any pixel for a minority of frames, so the median removes them
    without needing an empty first frame.
    """
    index = np.linspace(0, len(small) - 1, min(len(small), max_samples)).round().astype(int)
    return np.median(small[index], axis=0).astype(np.uint8)


def without_resting_bodies(small: np.ndarray, background: np.ndarray,
                           min_area: int = 10, valid: np.ndarray | None = None) -> np.ndarray:
    """The background with the scenery restored where a body rests for most of the clip.

    A ball that comes to rest early sits still for most frames, so the median takes it for
    scenery: then it is invisible where it rests and, while it moves nearby, only the part of
    it off its own image shows (a blob that bobs and shrinks near the floor). Where the
    clip's first and last quarters differ, something rests there at one end only. Scenery
    runs on across the edge of such a spot as it does everywhere, while a body's outline is a
    step there; so the view with the clearly smaller step at the spot's edge is the scenery.
    (A mean of the spot against a mean of the ring around it cannot tell: on a textured wall
    a small patch's mean is as far off as a body's.) Where neither view's step is clearly
    smaller, as where H.264 and shake change both views of a textured wall, the median
    stays: measured against ball-free renders of calibration clips, picking a view there
    made the background worse than the median.

    On a panning camera's canvas (`valid`: which canvas pixels each frame shows) a body
    resting in view for the clip's second half is as much scenery to the median as on a
    still camera; each quarter's view is then its median over the frames that show each
    pixel, and only spots both quarters show are compared.
    """
    quarter = max(1, len(small) // 4)
    if valid is None:
        early = background_median(small[:quarter], 16)
        late = background_median(small[-quarter:], 16)
        both = np.ones(small.shape[1:3], dtype=bool)
    else:
        early, early_seen = masked_median(small[:quarter], valid[:quarter], 16, 3)
        late, late_seen = masked_median(small[-quarter:], valid[-quarter:], 16, 3)
        both = early_seen & late_seen
    changed = (difference(early, late) > 2.0 * MIN_THRESHOLD) & both
    labels, _ = ndimage.label(ndimage.binary_dilation(changed, iterations=2))
    out = background.copy()
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        # The spot within a window 3 px wider, so that its edge lies inside the window.
        window = (slice(max(box[0].start - 3, 0), box[0].stop + 3),
                  slice(max(box[1].start - 3, 0), box[1].stop + 3))
        spot = labels[window] == index
        size = int(spot.sum())
        if size < min_area or size > 0.25 * changed.size or not both[window].all():
            continue
        views = [early[window], late[window]]
        steps = [_edge_step(view, changed[window] & spot) for view in views]
        if max(steps) >= 2.0 * min(steps):
            out[window][spot] = views[int(np.argmin(steps))][spot]
    return out


def _edge_step(view: np.ndarray, inside: np.ndarray) -> float:
    """Mean largest-channel difference between neighbouring pixels across `inside`'s edge."""
    grey = view.astype(np.int16)
    total, pairs = 0.0, 0
    for dy, dx in ((0, 1), (1, 0)):
        height, width = inside.shape[0] - dy, inside.shape[1] - dx
        across = inside[:height, :width] != inside[dy:, dx:]
        step = np.abs(grey[:height, :width] - grey[dy:, dx:]).max(axis=2)[across]
        total, pairs = total + float(step.sum()), pairs + step.size
    return total / max(pairs, 1)


def difference(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Largest per-channel absolute difference: catches colour changes at equal brightness.

    uint8, from OpenCV's saturating absolute difference: the judge spends much of its time
    here, and a reduction over numpy's last, three-wide axis is several times slower.
    """
    import cv2

    both = cv2.absdiff(np.ascontiguousarray(frame), np.ascontiguousarray(background))
    return np.maximum(np.maximum(both[..., 0], both[..., 1]), both[..., 2])


def _grey_sum(frames: np.ndarray) -> np.ndarray:
    """Three times the grey level of each pixel (the channels' sum) as uint16."""
    grey = frames[..., 0].astype(np.uint16)
    grey += frames[..., 1]
    grey += frames[..., 2]
    return grey


def noise_threshold(small: np.ndarray, background: np.ndarray, samples: int = 24,
                    valid: np.ndarray | None = None) -> np.ndarray:
    """A per-pixel foreground threshold from the clip's own noise: 6 robust sigmas, floored.

    Each pixel's temporal MAD against the background measures its own sensor and compression
    noise; compression is far noisier on fine texture than on flat paint, so one global
    threshold either drowns textured regions in false blobs or misses objects on flat ones.
    A moving object covers any pixel for a minority of frames and barely moves the MAD; but a
    body that lingers (small bounces, rolling to rest) covers a patch of its own size for
    many of them, and that patch's MAD is the body's contrast, not noise: it would hide the
    body there. Real noise comes in regions wider than a body (a textured wall) or along
    the scenery's edges (where shake and ringing act), so peaks narrower than a body are
    cut down to their surroundings, except by the background's own gradient.
    """
    index = np.linspace(0, len(small) - 1, min(len(small), samples)).round().astype(int)
    diffs = np.stack([difference(small[i], background) for i in index]).astype(np.float32)
    if valid is None:
        mad = np.median(diffs, axis=0)
    else:  # on a moving camera's canvas, each pixel's noise from the frames that show it
        diffs[~valid[index]] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pixels no sample shows
            mad = np.nan_to_num(np.nanmedian(diffs, axis=0), nan=0.0)
    raw = np.maximum(MIN_THRESHOLD, 6.0 * 1.4826 * mad + 4.0)
    width = max(5, round(0.12 * min(small.shape[1:3])))
    around = ndimage.grey_opening(raw, size=(width, width))
    grey = background.astype(np.float32)
    edges = np.maximum(np.abs(np.gradient(grey, axis=0)), np.abs(np.gradient(grey, axis=1)))
    return np.minimum(raw, np.maximum(around, MIN_THRESHOLD + 2.0 * edges.max(axis=2)))


def shadow_like(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Pixels that look like the background darkened uniformly across channels (a soft shadow).

    A shadow scales every channel by about the same factor; a coloured object does not.
    """
    # The offset keeps dark channels, where compression noise is a large share, from
    # looking like a colour change.
    ratio = (frame.astype(np.float32) + 8.0) / (background.astype(np.float32) + 8.0)
    level = ratio.mean(axis=-1)
    spread = np.abs(ratio - level[..., None]).max(axis=-1)
    return (level > 0.55) & (level < 0.95) & (spread < SHADOW_SPREAD)


def foreground_mask(
    frame: np.ndarray, background: np.ndarray, threshold: float | np.ndarray
) -> np.ndarray:
    """Pixels that differ from the background by more than the noise, shadows excluded."""
    return _foreground(frame, background, difference(frame, background) - threshold)


def _foreground(frame: np.ndarray, background: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """`foreground_mask` from each pixel's difference over its threshold, computed once."""
    mask = excess > 0
    if mask.any():
        mask[mask] = ~shadow_like(frame[mask], background[mask])
    return mask


def detect_objects(
    mask: np.ndarray,
    frame: np.ndarray,
    factor: float,
    frame_index: int,
    min_area: int = 10,
    max_area_fraction: float = 0.25,
    contrast: np.ndarray | None = None,
    view: np.ndarray | None = None,
    border: int = 0,
) -> list[Detection]:
    """Connected foreground blobs of plausible size, as full-resolution detections.

    Components are labelled on a one-pixel dilation so that a ball cracked by compression stays
    one blob, but statistics use only the true mask pixels. With `contrast` (each pixel's
    difference from the background over its noise threshold), a blob's centre is weighted by
    how surely each pixel is the object: H.264 leaves a faint smear behind a moving body that
    joins its blob, and an unweighted centroid lags into it. With `view` (where a moving
    camera's canvas shows this frame's picture), a blob touching the picture's edge is at
    the edge of the frame, wherever that lies on the canvas; `border` is a margin along the
    frame's edge that shake compensation blanked out, where a blob ends at the frame's edge.
    """
    grown = ndimage.binary_dilation(mask)
    labels, count = ndimage.label(grown, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return []
    labels = np.where(mask, labels, 0)
    height, width = mask.shape
    # Statistics over foreground pixels only: they are a small share of the frame.
    where = np.flatnonzero(mask)
    ids = labels.ravel()[where]
    area = np.bincount(ids, minlength=count + 1)
    max_area = max_area_fraction * mask.size
    keep = [i for i in range(1, count + 1) if min_area <= area[i] <= max_area]
    if not keep:
        return []
    weight = (np.ones(len(where)) if contrast is None
              else _core_weights(contrast.ravel()[where], ids, keep))
    mass = np.bincount(ids, weights=weight, minlength=count + 1)
    sum_x = np.bincount(ids, weights=weight * (where % width), minlength=count + 1)
    sum_y = np.bincount(ids, weights=weight * (where // width), minlength=count + 1)
    pixels = frame.reshape(-1, 3)[where].astype(float)
    # Colour over its firm pixels, to measure it; over all its pixels, to link sightings.
    sums_c = [np.bincount(ids, weights=pixels[:, c], minlength=count + 1) for c in range(3)]
    firm_c = [np.bincount(ids, weights=weight * pixels[:, c], minlength=count + 1)
              for c in range(3)]
    slices = ndimage.find_objects(labels, max_label=count)
    cells = _outline_cells(where, ids, width, slices)
    detections = []
    for i in keep:
        box = slices[i - 1]
        if box is None:
            continue
        y0, y1, x0, x1 = box[0].start, box[0].stop, box[1].start, box[1].stop
        sides = "".join(side for side, cut in (
            ("l", x0 <= 1 + border), ("t", y0 <= 1 + border), ("r", x1 >= width - 1 - border),
            ("b", y1 >= height - 1 - border)) if cut)
        detections.append(
            Detection(
                frame=frame_index,
                x=(sum_x[i] / mass[i] + 0.5) * factor - 0.5,
                y=(sum_y[i] / mass[i] + 0.5) * factor - 0.5,
                area=float(area[i] * factor * factor),
                bbox=(x0 * factor, y0 * factor, x1 * factor, y1 * factor),
                colour=(firm_c[0][i] / mass[i], firm_c[1][i] / mass[i], firm_c[2][i] / mass[i]),
                mean_colour=(sums_c[0][i] / area[i], sums_c[1][i] / area[i],
                             sums_c[2][i] / area[i]),
                cells=cells[i],
                at_edge=bool(sides) or (view is not None and not view[
                    max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2].all()),
                cut=sides,
            )
        )
    return detections


def _outline_cells(where: np.ndarray, ids: np.ndarray, width: int,
                   slices: Sequence[tuple[slice, slice] | None]) -> list[tuple[int, ...]]:
    """Each blob's outline cells (see `Detection.cells`), indexed by label; all blobs at once."""
    n = OUTLINE_CELLS
    box = np.zeros((len(slices) + 1, 4), dtype=np.int64)  # y0, y1, x0, x1 per label
    for i, found in enumerate(slices, start=1):
        if found is not None:
            box[i] = (found[0].start, found[0].stop, found[1].start, found[1].stop)
    py, px = where // width, where % width
    b = box[ids]
    row = (py - b[:, 0]) * n // np.maximum(b[:, 1] - b[:, 0], 1)
    col = (px - b[:, 2]) * n // np.maximum(b[:, 3] - b[:, 2], 1)
    bits = np.zeros((len(slices) + 1, n), dtype=np.int64)
    np.bitwise_or.at(bits, (ids, row), np.left_shift(1, col))
    return [tuple(int(v) for v in r) for r in bits]


def _core_weights(excess: np.ndarray, ids: np.ndarray, blobs: Sequence[int]) -> np.ndarray:
    """Each foreground pixel's share of being the object, from 0 to 1.

    A pixel as far above its noise threshold as the blob's firmer half counts fully; fainter
    ones (soft rims, compression smear) count by how far above the threshold they are. The
    interior counts evenly, so a textured wall behind a body does not pull its centre around.
    Only the `blobs` kept as detections are weighed (the others count fully, unused).
    """
    order = np.lexsort((excess, ids))
    sorted_ids, sorted_excess = ids[order], excess[order]
    firm = np.ones(int(ids.max()) + 1)
    for i in blobs:
        start, stop = np.searchsorted(sorted_ids, [i, i + 1])
        values = sorted_excess[start:stop]
        firm[i] = max(float(values[len(values) // 2]), 1e-6)
    return np.clip(excess / firm[ids], 0.0, 1.0)


def colour_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean RGB distance scaled to [0, 1]."""
    return math.dist(a, b) / _COLOUR_NORM


def _predict(track: Track, frame: int) -> tuple[float, float, float]:
    """Constant-velocity prediction at `frame`, and the track's recent top speed (px/frame).

    The top speed over the last few steps, not the last one: a ball slowed by the floor in
    its contact frame leaves the floor at nearly its full speed.
    """
    last = track.last
    if len(track.detections) < 2:
        return last.x, last.y, 0.0
    prev = track.detections[-2]
    span = max(1, last.frame - prev.frame)
    vx, vy = (last.x - prev.x) / span, (last.y - prev.y) / span
    ahead = frame - last.frame
    recent = track.detections[-4:]
    speed = max(
        math.hypot(b.x - a.x, b.y - a.y) / max(1, b.frame - a.frame)
        for a, b in itertools.pairwise(recent)
    )
    return last.x + vx * ahead, last.y + vy * ahead, speed


def match_cost(track: Track, det: Detection, diagonal: float) -> float:
    """Cost of extending `track` with `det`: position, size and colour, gated to infeasible.

    Position is measured against the constant-velocity prediction or, when closer, the last
    position: a bounce reverses the velocity, so the prediction runs through the floor.
    """
    px, py, speed = _predict(track, det.frame)
    gap = det.frame - track.last.frame
    gate = max(3.0 * track.last.radius, 2.5 * speed * gap, 0.03 * diagonal)
    dist = min(
        math.hypot(det.x - px, det.y - py),
        math.hypot(det.x - track.last.x, det.y - track.last.y),
    )
    size = abs(math.log(max(det.area, 1.0) / max(track.last.area, 1.0)))
    colour = colour_distance(det.look, track.last.look)
    if dist > gate or size > math.log(4.0) or colour > 0.3:
        return _INFEASIBLE
    return dist / gate + size + 3.0 * colour


def associate(
    detections: Sequence[Sequence[Detection]], diagonal: float, max_gap: int = 2
) -> list[Track]:
    """Links per-frame detections into tracks by optimal (Hungarian) assignment each frame.

    A track may skip up to `max_gap` frames (a missed detection) before it is closed.
    """
    tracks: list[Track] = []
    for frame, dets in enumerate(detections):
        active = [t for t in tracks if 0 < frame - t.last.frame <= max_gap + 1]
        taken: set[int] = set()
        if active and dets:
            cost = np.array([[match_cost(t, d, diagonal) for d in dets] for t in active])
            for row, col in zip(*linear_sum_assignment(cost), strict=True):
                if cost[row, col] < _INFEASIBLE:
                    active[row].detections.append(dets[col])
                    taken.add(int(col))
        for col, det in enumerate(dets):
            if col not in taken:
                tracks.append(Track(id=len(tracks), detections=[det]))
    return tracks


def _stitchable(a: Track, b: Track, max_gap: int) -> bool:
    """Whether `b` could be `a` seen again: same look, soon after, not an exit then an entry.

    Straight after its last sighting (one frame) `b` may be anywhere: a body that teleports
    is lost by the matcher for just that step. After a dropout of several frames it must be
    about where `a` was heading: across a heap of look-alike pieces, a far one seen again
    later is another piece.
    """
    gap = b.first.frame - a.last.frame
    if not 1 <= gap <= max_gap + 1:
        return False
    if a.last.at_edge and b.first.at_edge:
        return False
    if gap > 1:
        px, py, speed = _predict(a, b.first.frame)
        reach = max(3.0 * a.radius, 2.5 * speed * gap)
        if math.hypot(b.first.x - px, b.first.y - py) > reach and math.hypot(
                b.first.x - a.last.x, b.first.y - a.last.y) > reach:
            return False
    return same_look(a.last, b.first)


def is_speck(track: Track, min_area: float, times: float = 2.5) -> bool:
    """Whether a track is a speck: a blob hardly bigger than the smallest the masks keep
    (`min_area`, in the detections' pixels; under `times` that). It comes and goes as its
    few pixels cross the threshold, so where it starts or ends says nothing of a body
    appearing or vanishing."""
    return track.radius**2 * math.pi < times * min_area


def _far_specks(a: Track, b: Track, min_area: float) -> bool:
    """Whether two tracks are specks too far apart to be one (see `stitch_tracks`): among
    look-alike specks the match is loose, so up to 4x the smallest blob counts."""
    gap = math.hypot(b.first.x - a.last.x, b.first.y - a.last.y)
    return is_speck(a, min_area, 4.0) and is_speck(b, min_area, 4.0) and gap > 3.0 * max(
        a.radius, b.radius)


def same_look(a: Detection, b: Detection) -> bool:
    """Whether two sightings could be one body: area within a factor of 2, colour close."""
    size = abs(math.log(max(b.area, 1.0) / max(a.area, 1.0)))
    return size < math.log(2.0) and colour_distance(a.look, b.look) < 0.15


def stitch_tracks(tracks: Sequence[Track], max_gap: int, min_length: int = 3,
                  min_area: float = 0.0) -> list[Track]:
    """Re-joins tracks broken by a jump or a dropout, recording each join for the rules.

    Short tracks (compression flicker) are dropped first so they cannot bridge real ones.
    A teleport shows up here as a join whose step is far larger than the track's speed.
    Specks (blobs hardly bigger than `min_area`, in the analysis frame's pixels scaled as
    the detections are) are re-joined only near where they were lost: among many look-alike
    specks (leaves, grain) a far one is another speck, not the same one teleported.
    """
    pending = sorted(
        (t for t in tracks if len(t.detections) >= min_length), key=lambda t: t.first.frame
    )
    merged: list[Track] = []
    for track in pending:
        candidates = [m for m in merged if _stitchable(m, track, max_gap)
                      and not _far_specks(m, track, min_area)]
        if candidates:
            host = min(
                candidates,
                key=lambda m: (
                    track.first.frame - m.last.frame,
                    colour_distance(m.last.look, track.first.look),
                ),
            )
            host.joins.append(len(host.detections))
            host.detections.extend(track.detections)
        else:
            merged.append(Track(id=len(merged), detections=list(track.detections)))
    return merged


def extend_backwards(tracks: Sequence[Track], detections: Sequence[Sequence[Detection]]) -> None:
    """Prepends to each track the sightings before its start that its motion leads back to.

    A track's first link is gated without any speed known, so a body that enters the clip
    already fast is picked up only a few frames late, and its first sightings are left over
    as too-short tracks; then it seems to appear in the middle of the frame, and its start
    (where a wrong fall shows) goes unmeasured. Once a track has two sightings its velocity
    is known: a leftover sighting where it leads back to, within half a step or a radius,
    and looking the same, is the body. Changes the tracks in place.
    """
    used = {id(d) for t in tracks for d in t.detections}
    for track in tracks:
        while len(track.detections) >= 2 and track.first.frame > 0:
            a, b = track.detections[0], track.detections[1]
            span = b.frame - a.frame
            vx, vy = (b.x - a.x) / span, (b.y - a.y) / span
            px, py = a.x - vx, a.y - vy
            gate = max(a.radius, 0.5 * math.hypot(vx, vy))
            near = [
                (math.hypot(d.x - px, d.y - py), i)
                for i, d in enumerate(detections[a.frame - 1])
                if id(d) not in used and same_look(a, d)
            ]
            dist, index = min(near, default=(math.inf, -1))
            if dist > gate:
                break
            found = detections[a.frame - 1][index]
            used.add(id(found))
            track.detections.insert(0, found)
            track.joins[:] = [j + 1 for j in track.joins]


def is_moving(track: Track, diagonal: float, min_area: float = 0.0) -> bool:
    """True when the track travels further than its own size, not counting its largest step.

    Static scenery never travels; compression flicker that a matcher hops between two nearby
    spots travels in one step only. A real object's motion is spread over many steps. Blobs
    hardly bigger than the smallest accepted (`min_area`, full-resolution px) are what
    compression makes of a textured wall that shakes: they come and go, and a matcher
    strings them into wandering tracks; so a track of them must be seen in most frames of
    its span, as any body big enough to follow is.
    """
    frames, xs, ys = track.arrays()
    if len(xs) < 3:
        return False
    small = float(np.median([d.area for d in track.detections])) < 3.0 * min_area
    if small and len(frames) < 0.8 * (frames[-1] - frames[0] + 1):
        return False
    steps = np.hypot(np.diff(xs), np.diff(ys))
    travel = float(steps.sum() - steps.max())
    return travel >= max(2.0 * track.radius, 0.02 * diagonal, 4.0)


@dataclass(frozen=True)
class Tracking:
    """Everything the rules need from the pixels, at analysis resolution plus full-res tracks."""

    small: np.ndarray  # stabilised analysis frames
    background: np.ndarray
    factor: float  # full-resolution pixels per analysis pixel
    threshold: np.ndarray  # per-pixel, analysis resolution
    tracks: list[Track]
    busy_frames: int  # frames where foreground covers a large part of the image
    shifts: np.ndarray  # (T, 2) camera (dy, dx) per frame, analysis pixels, compensated
    frame_change: np.ndarray  # (T-1,) mean |difference| of consecutive analysis frames
    min_area: float  # full-resolution px: the smallest blob accepted as a detection
    valid: np.ndarray | None = None  # (T, h, w) where a moving camera's canvas shows frame t
    camera: dict[str, float] | None = None  # how far the camera moved (pans, zooms)

    def in_view(self, frame: int, x: float, y: float, margin: float) -> bool | None:
        """Whether (x, y), in full-resolution px, lies `margin` inside frame `frame`'s picture
        on a moving camera's canvas; None for a steady camera (the frame is the picture)."""
        if self.valid is None:
            return None
        f = self.factor
        view = self.valid[min(max(frame, 0), len(self.valid) - 1)]
        r = max(1, math.ceil(margin / f))
        cx, cy = round(x / f), round(y / f)
        if not (r <= cx < view.shape[1] - r and r <= cy < view.shape[0] - r):
            return False
        return bool(view[cy - r : cy + r + 1, cx - r : cx + r + 1].all())


def track_objects(
    frames: np.ndarray, fps: float, max_side: int = ANALYSIS_MAX_SIDE, scale: float = 1.0
) -> Tracking:
    """Runs the whole pipeline on (T, H, W, 3) uint8 frames.

    `scale` is how many pixels of the original video one pixel of `frames` stands for (the
    decoder may already have shrunk them), so tracks come out in the video's own pixels.
    """
    small, factor = downscale(frames, max_side)
    min_area = max(10, round(2e-4 * small.shape[1] * small.shape[2]))
    path = camera_path(small)
    valid: np.ndarray | None = None
    margin = 0
    camera = None if path is None else {"moved_px": round(path.moved_px * factor * scale, 1),
                                        "zoom": round(path.zoom, 4),
                                        "agreement": round(path.agreement, 3)}
    if path is not None and path.agreement < MIN_AGREEMENT:
        # No one canvas holds this scene (parallax): nothing to track in world coordinates.
        return Tracking(small, small[len(small) // 2], factor * scale,
                        np.full(small.shape[1:3], 255.0, np.float32), [], 0,
                        np.zeros((len(small), 2)), frame_change(small),
                        min_area * (factor * scale) ** 2, None, camera)
    if path is not None:
        small, valid = warp(small, path)
        background, seen = masked_median(small, valid)
        valid &= seen
        background = without_resting_bodies(small, background, min_area, valid)
        threshold = noise_threshold(small, background, valid=valid)
        shifts = np.zeros((len(small), 2))
    else:
        shifts = estimate_shifts(small)
        if shifts.any():
            small = compensate(small, shifts)
            margin = math.ceil(float(np.abs(shifts).max())) + 1
        background = without_resting_bodies(small, background_median(small), min_area)
        threshold = noise_threshold(small, background)
    height, width = frames.shape[1:3]
    diagonal = math.hypot(height, width) * scale
    per_frame: list[list[Detection]] = []
    busy = 0
    for index, frame in enumerate(small):
        excess = difference(frame, background) - threshold
        mask = _foreground(frame, background, excess)
        view = valid[index] if valid is not None else None
        if view is not None:
            mask &= view
        if margin:
            _clear_border(mask, margin)
        mask = without_thin_lines(mask)
        busy += int(mask.sum() > 0.2 * (view.sum() if view is not None else mask.size))
        per_frame.append(detect_objects(mask, frame, factor * scale, index, min_area,
                                        contrast=excess, view=view, border=margin))
    tracks = associate(per_frame, diagonal)
    tracks = stitch_tracks(tracks, max_gap=max(2, round(0.25 * fps)),
                           min_area=min_area * (factor * scale) ** 2)
    extend_backwards(tracks, per_frame)
    change = frame_change(small)
    return Tracking(small, background, factor * scale, threshold, tracks, busy, shifts, change,
                    min_area * (factor * scale) ** 2, valid, camera)


def without_thin_lines(mask: np.ndarray) -> np.ndarray:
    """The mask with only pixels that lie in some 3x3 square of foreground (an opening).

    A scene's hard edges (a floor line, a table top) leave lines one or two pixels thick in
    some frames' masks: shake compensation a fraction of a pixel off, or H.264 drawing the
    edge a little differently in one run of frames than in the rest (the first frames copy
    the first keyframe's rendering). It happens in a minority of frames, so the noise
    threshold does not learn it. A body on or beside that edge joins the line: its blob
    doubles, its centre runs off along the line, and a ball rolling evenly "speeds up" or
    one at rest "jumps". A body's blob is nearly always 3 px thick somewhere (the smallest
    accepted blob, 10 px, is a disc 3.6 px across), so it keeps its shape, less a corner
    pixel here and there; a sliver thinner everywhere is lost, and such slivers come from
    edges far more often than from bodies.
    """
    core = ndimage.minimum_filter(mask.view(np.uint8), size=3, mode="constant", cval=0)
    return ndimage.maximum_filter(core, size=3).astype(bool)


def _clear_border(mask: np.ndarray, margin: int) -> None:
    """Drops a border that camera compensation filled with made-up pixels (in place)."""
    mask[:margin] = mask[-margin:] = False
    mask[:, :margin] = mask[:, -margin:] = False


def frame_change(small: np.ndarray) -> np.ndarray:
    """Mean absolute grey difference between consecutive frames: ~0 where the video froze."""
    grey = _grey_sum(small).astype(np.int16)
    return np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2)) / 3.0


# --- camera shake ----------------------------------------------------------------------------

SHAKE_MIN_PX = 0.3  # analysis pixels: below this a clip is treated as shot from a tripod
SHAKE_MAX_PX = 12


def _profiles(small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column profiles: the mean of the middle half of the greys along each row /
    column of each frame.

    A camera translation shifts the row profile by dy and the column profile by dx, so two
    1-D searches replace one 2-D search. The middle half leaves out a moving body: a plain
    mean would carry a falling ball as a bump along the rows that a shift tries to follow.
    """
    grey = _grey_sum(small)  # three times the grey: sorts as integers
    return _middle_mean(grey, axis=2) / 3.0, _middle_mean(grey, axis=1) / 3.0


def _middle_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean of the values between the lower and upper quartile along `axis`."""
    ordered = np.sort(values, axis=axis)
    size = values.shape[axis]
    return np.asarray(np.take(ordered, np.arange(size // 4, size - size // 4), axis=axis)
                      .mean(axis=axis))


def _profile_shifts(profiles: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Sub-sample shift of each profile against `reference` by least squares; 0 where unsure.

    A direction with no image structure (a plain wall crossed only by a horizontal floor line
    has none along x) gives a flat cost curve: its shift is unknowable and also harmless.
    """
    span = SHAKE_MAX_PX
    length = profiles.shape[1]
    core = reference[span : length - span]
    costs = np.stack(
        [
            ((profiles[:, span + s : length - span + s] - core) ** 2).mean(axis=1)
            for s in range(-span, span + 1)
        ],
        axis=1,
    )
    # A slight preference for small moves breaks ties between look-alike textures.
    costs *= 1.0 + 0.02 * np.abs(np.arange(-span, span + 1))
    best = np.argmin(costs, axis=1)
    out = np.zeros(len(profiles))
    for i, k in enumerate(best):
        if 0 < k < 2 * span:
            left, mid, right = costs[i, k - 1 : k + 2]
            curve = left + right - 2 * mid
            if curve > 0 and np.median(costs[i]) > 1.5 * mid + 1e-9:
                out[i] = k - span + 0.5 * (left - right) / curve
    return out


def _aligned_median(profiles: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Temporal median of the profiles after undoing each one's shift (linear interpolation)."""
    grid = np.arange(profiles.shape[1], dtype=float)
    aligned = [np.interp(grid + s, grid, p) for p, s in zip(profiles, shifts, strict=True)]
    return np.asarray(np.median(aligned, axis=0))


def estimate_shifts(small: np.ndarray) -> np.ndarray:
    """Per-frame camera translation (dy, dx) against the clip's median view, by profile matching.

    The temporal median profile is the scenery without the moving objects: matching against it
    keeps a lone ball on a plain wall from being "aligned" onto its own earlier position. The
    median is recomputed once after alignment, since the median of shaken profiles is blurred.
    Profiles are smoothed and differenced after the median (a median of shifted steps is still
    a step), which keeps the edges that pin a shift down and drops slow lighting gradients.
    Returns all zeros for a steady camera so steady clips are never resampled.
    """
    count = len(small)
    if count < 3 or min(small.shape[1:3]) < 4 * SHAKE_MAX_PX:
        return np.zeros((count, 2))
    shifts = []
    for raw in _profiles(small):
        profiles = ndimage.gaussian_filter1d(raw, 1.0, axis=1)
        found = np.zeros(count)
        for _ in range(2):
            reference = np.diff(_aligned_median(profiles, found))
            found = _profile_shifts(np.diff(profiles, axis=1), reference)
        shifts.append(found)
    both = np.column_stack([_despike(found) for found in shifts])
    # Shifts are against the median view, so a camera's own ones centre on 0; an offset shared
    # by every frame is the sub-pixel fit's bias (or bodies resting on an edge), not a move.
    both -= np.median(both, axis=0)
    if np.median(np.abs(both).max(axis=1)) < SHAKE_MIN_PX:
        return np.zeros((count, 2))
    return both


def _despike(shifts: np.ndarray) -> np.ndarray:
    """Replaces lone outliers by the median of their neighbours.

    Compression can make a look-alike edge win the profile match a few pixels away; a frame
    moved by such an error lights up as foreground everywhere. A shaking camera wanders
    within a band, so a shift far outside its neighbours' is a mismatch, not a move.
    """
    local = ndimage.median_filter(shifts, size=5, mode="nearest")
    resid = shifts - local
    spread = 1.4826 * float(np.median(np.abs(resid)))
    spikes = np.abs(resid) > max(2.0, 5.0 * spread)
    return np.where(spikes, local, shifts)


def compensate(small: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Moves each frame back by its camera shift (bilinear, edges repeated)."""
    out = np.empty_like(small)
    height, width = small.shape[1:3]
    rows, cols = np.arange(height), np.arange(width)
    for i, (dy, dx) in enumerate(shifts):
        out[i] = _translate(small[i], rows, cols, dy, dx)
    return out


def _translate(
    frame: np.ndarray, rows: np.ndarray, cols: np.ndarray, dy: float, dx: float
) -> np.ndarray:
    """The frame sampled at (y + dy, x + dx): undoes a camera move of (dy, dx)."""
    y0, x0 = math.floor(dy), math.floor(dx)
    fy, fx = dy - y0, dx - x0
    r0 = np.clip(rows + y0, 0, len(rows) - 1)
    r1 = np.clip(rows + y0 + 1, 0, len(rows) - 1)
    c0 = np.clip(cols + x0, 0, len(cols) - 1)
    c1 = np.clip(cols + x0 + 1, 0, len(cols) - 1)
    f = frame.astype(np.float32)
    top = f[r0][:, c0] * (1 - fx) + f[r0][:, c1] * fx
    bottom = f[r1][:, c0] * (1 - fx) + f[r1][:, c1] * fx
    return np.clip(top * (1 - fy) + bottom * fy + 0.5, 0, 255).astype(np.uint8)


def presence_change(
    tracking: Tracking, bbox: tuple[float, float, float, float], before: int, after: int
) -> float:
    """How much of an object's contrast against the background changes between two frames.

    Near 1: the object vanished (or appeared) at once; near 0: it is still there, e.g. it came
    to rest and merged into the median background. `bbox` is in full-resolution pixels.
    """
    f = tracking.factor
    x0, y0, x1, y1 = (max(0, int(v / f)) for v in bbox)
    a = tracking.small[before, y0:y1, x0:x1].astype(np.int16)
    b = tracking.small[after, y0:y1, x0:x1].astype(np.int16)
    bg = tracking.background[y0:y1, x0:x1].astype(np.int16)
    if a.size == 0:
        return 0.0
    # The noise threshold floors the contrast, so an object that merged into the background
    # (equal to it in both frames) scores near 0 instead of noise over noise.
    floor = float(tracking.threshold[y0:y1, x0:x1].mean())
    contrast = max(float(np.abs(a - bg).mean()), float(np.abs(b - bg).mean()), floor)
    return float(np.abs(a - b).mean()) / contrast


def soft_radius(tracking: Tracking, det: Detection) -> float | None:
    """A detection's radius from the pixels the body covers at least half, in full-resolution
    pixels; None where the body cannot be told from the scenery behind it.

    A blob thresholded at the noise level loses its soft rim, and loses more of it the lower
    the contrast, so its area drifts with lighting, background and compression. Instead each
    pixel is read as a blend of the body's colour and the scenery behind that pixel, and
    pixels more than half body are counted: a blurred edge crosses half where the true edge
    is, whatever the contrast; the faint smear H.264 leaves behind a moving body stays below
    it (summing every pixel's share counted that smear and made a ball rolling along a table
    at crf 34 look 50% larger than it was later); a body half over a wall and half over a
    floor is measured against each.
    """
    f = tracking.factor
    x0, y0, x1, y1 = (v / f for v in det.bbox)
    pad = 2 + 0.3 * max(x1 - x0, y1 - y0)
    height, width = tracking.background.shape[:2]
    r0, r1 = max(0, int(y0 - pad)), min(height, math.ceil(y1 + pad))
    c0, c1 = max(0, int(x0 - pad)), min(width, math.ceil(x1 + pad))
    diff = difference(tracking.small[det.frame, r0:r1, c0:c1],
                      tracking.background[r0:r1, c0:c1]).astype(np.float32)
    if diff.size < 9:
        return det.radius
    contrast = float(np.percentile(diff, 100.0 * (1.0 - 0.25 * det.area / (f * f) / diff.size)))
    core = diff >= contrast
    if contrast < MIN_THRESHOLD or not core.any():
        return det.radius
    patch = tracking.small[det.frame, r0:r1, c0:c1].astype(np.float32)
    scenery = tracking.background[r0:r1, c0:c1].astype(np.float32)
    # Each pixel as a blend of the body's colour over the scenery behind it: the share of the
    # body is read on the channel where the two differ most, so a body straddling a wall and a
    # floor, or crossing a textured wall, is measured against what is behind each pixel.
    body = np.median(patch[core], axis=0)
    gap = body - scenery
    channel = np.abs(gap).argmax(axis=2)[..., None]
    reach = np.take_along_axis(gap, channel, axis=2)[..., 0]
    step = np.take_along_axis(patch - scenery, channel, axis=2)[..., 0]
    visible = np.abs(reach) >= max(MIN_THRESHOLD, 0.5 * contrast)
    # Where the scenery looks like the body (its own image smeared into the background where
    # it rolled slowly or rests, a floor of its colour), less than half the body's contrast
    # is left to see it by: it cannot be told apart there and its size is unknown.
    yy, xx = np.mgrid[r0:r1, c0:c1]
    disc = np.hypot(yy + 0.5 - (det.y + 0.5) / f, xx + 0.5 - (det.x + 0.5) / f) <= det.radius / f
    if disc.any() and float(np.mean(visible[disc])) < 0.8:
        return None
    share = np.where(visible, step / np.where(visible, reach, 1.0), 0.0)
    return math.sqrt(float(np.count_nonzero(share >= 0.5)) * f * f / math.pi)
