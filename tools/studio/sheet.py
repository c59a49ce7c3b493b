"""Contact sheets: a video's frames as one filmstrip image, for reports and for a quick look."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

GAP_PX = 4
GAP_RGB = (24, 24, 28)


def contact_sheet(frames: Sequence[np.ndarray] | np.ndarray, n: int = 8, columns: int = 4,
                  tile_width: int = 320) -> np.ndarray:
    """`n` evenly spaced frames (first and last included) tiled `columns` across, each scaled to
    `tile_width`, on a dark gutter; returns an HxWx3 uint8 image (write it with any PNG writer)."""
    count = len(frames)
    if count == 0:
        raise ValueError("contact_sheet needs at least one frame")
    picks = np.unique(np.linspace(0, count - 1, min(n, count)).round().astype(int))
    h, w = np.asarray(frames[0]).shape[:2]
    tile_h = max(1, round(h * tile_width / w))
    tiles = [np.asarray(Image.fromarray(np.asarray(frames[i], np.uint8)).resize(
        (tile_width, tile_h), Image.Resampling.LANCZOS)) for i in picks]
    cols = min(columns, len(tiles))
    rows = -(-len(tiles) // cols)
    sheet = np.empty((rows * (tile_h + GAP_PX) + GAP_PX, cols * (tile_width + GAP_PX) + GAP_PX, 3),
                     np.uint8)
    sheet[:] = GAP_RGB
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        y, x = GAP_PX + r * (tile_h + GAP_PX), GAP_PX + c * (tile_width + GAP_PX)
        sheet[y:y + tile_h, x:x + tile_width] = tile
    return sheet
