"""Where a body could be standing: surfaces seen in the clip's background.

A bounce or a rest needs something under the body. A floor, a table top, a step or a shelf
shows in the scenery as a horizontal edge (a change of colour from the wall to the surface)
running on beyond the body on both sides; a textured wall makes edges too, but short ones of
changing sign, and they average away along a row. The frame's bottom edge counts as a
surface (the floor may be out of view).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MIN_STEP = 10.0  # grey levels: a floor line fainter than this is not told from texture


def edge_rows(background: np.ndarray, depth: int = 3) -> np.ndarray:
    """Signed grey step at each pixel: the mean of the `depth` rows below it minus the mean
    of the `depth` rows above it, float32.

    A surface is a change from one region to another (a wall above, a floor or a table top
    below) that holds for several rows; a seam, a shelf's thin line or a panel's border is a
    line with the same wall on both sides, and averages to no step at all.
    """
    grey = background.astype(np.float32).mean(axis=2)
    height = grey.shape[0]
    sums = np.concatenate([np.zeros((1, grey.shape[1]), np.float32), np.cumsum(grey, axis=0)])
    step = np.zeros_like(grey)
    rows = np.arange(depth, height - depth)
    below = (sums[rows + 1 + depth] - sums[rows + 1]) / depth
    above = (sums[rows] - sums[rows - depth]) / depth
    step[rows] = below - above
    return step


class SurfaceFinder:
    """Tells whether a surface lies under a point, from a background at analysis resolution.

    `factor` is how many of the video's pixels one analysis pixel stands for.
    """

    def __init__(self, background: np.ndarray, factor: float) -> None:
        self.step = edge_rows(background)
        self.height, self.width = self.step.shape
        self.factor = factor
        grey = background.astype(np.float32).mean(axis=2)
        self.texture = np.hypot(*np.gradient(grey))
        self.usual_texture = float(np.median(self.texture))
        # The step averaged along each row over a short run, once, for every width asked.
        self._runs: dict[int, np.ndarray] = {}

    def _run(self, half: int) -> np.ndarray:
        if half not in self._runs:
            self._runs[half] = ndimage.uniform_filter1d(self.step, 2 * half + 1, axis=1,
                                                        mode="nearest")
        return self._runs[half]

    def __call__(self, x: float, y_bottom: float, half_width: float, reach: float = 0.0) -> bool:
        """Whether a surface edge runs under (x, y_bottom) across the body and beyond it.

        The edge is looked for from a little above the body's bottom (a blob's centre sits
        a little high or low of the true one) to half a body, plus `reach`, below it, in
        three runs side by side (left, under, right) that must all show a step of the same
        sign.
        """
        f = self.factor
        cx, bottom = x / f, y_bottom / f
        half = max(2, round(0.8 * half_width / f))
        if bottom + reach / f >= self.height - 3:
            return True
        top = max(1, int(bottom - max(2.0, 0.3 * half_width / f)))
        low = min(self.height - 2, int(bottom + max(2.0, 0.25 * half_width / f) + reach / f) + 1)
        if low <= top:
            return False
        runs = self._run(half)
        columns = [min(max(round(cx + k * 2 * half), 0), self.width - 1) for k in (-1, 0, 1)]
        # The step is spread over a few rows around an edge: find the edges' own rows (where
        # the step peaks) and ask whether one lies in the band.
        lo, hi = max(1, top - 4), min(self.height - 1, low + 4)
        window = runs[lo:hi, columns]  # rows x (left, under, right)
        strength = np.where(np.all(window > 0, axis=1) | np.all(window < 0, axis=1),
                            np.abs(window).min(axis=1), 0.0)
        if len(strength) < 3:
            return False
        peaks = np.flatnonzero((strength[1:-1] >= MIN_STEP) & (strength[1:-1] >= strength[:-2])
                               & (strength[1:-1] >= strength[2:])) + 1 + lo
        return bool(np.any((peaks >= top) & (peaks < low)))

    def cluttered_below(self, x: float, y_bottom: float, half_width: float) -> bool:
        """Whether the scenery just under a body is busy with edges, several times more than
        the picture's usual: a heap, a shelf's clutter, a pile of pieces it may lie on. Only
        something held in front of plain scenery is surely held by nothing."""
        f = self.factor
        cx, bottom, half = x / f, y_bottom / f, max(2.0, half_width / f)
        r0, r1 = int(max(0, bottom)), int(min(self.height, bottom + max(3.0, 0.8 * half)))
        c0, c1 = int(max(0, cx - half)), int(min(self.width, cx + half + 1))
        if r1 <= r0 or c1 <= c0:
            return False
        busy = float(self.texture[r0:r1, c0:c1].mean())
        return busy > max(6.0, 2.5 * self.usual_texture)
