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


def edge_rows(background: np.ndarray) -> np.ndarray:
    """Signed vertical grey step at each pixel (row below minus row above), float32."""
    grey = background.astype(np.float32).mean(axis=2)
    step = np.zeros_like(grey)
    step[1:-1] = grey[2:] - grey[:-2]
    return step


class SurfaceFinder:
    """Tells whether a surface lies under a point, from a background at analysis resolution.

    `factor` is how many of the video's pixels one analysis pixel stands for.
    """

    def __init__(self, background: np.ndarray, factor: float) -> None:
        self.step = edge_rows(background)
        self.height, self.width = self.step.shape
        self.factor = factor
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
        columns = [round(cx + k * 2 * half) for k in (-1, 0, 1)]
        if min(columns) < 0 or max(columns) >= self.width:
            columns = [min(max(c, 0), self.width - 1) for c in columns]
        band = runs[top:low, columns]  # rows x (left, under, right)
        for row in band:
            same_sign = bool(np.all(row > 0) or np.all(row < 0))
            if same_sign and float(np.min(np.abs(row))) >= MIN_STEP:
                return True
        return False
