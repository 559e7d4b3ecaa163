"""Whole-frame mask work done only where a mask has pixels (the same results, less memory traffic).

At 1080p and above a frame's damage covers well under 1% of it, yet labelling, dilating or
listing the pixels of a whole-frame mask reads (and a result writes) every pixel. These
helpers do it in the mask's bounding box, grown by what the operation reaches, and give
back exactly what the whole-frame call gives.
"""

from __future__ import annotations

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # y0, y1, x0, x1


def _u8(mask: np.ndarray) -> np.ndarray:
    """``mask`` (bool or uint8) as uint8 0/1, without a copy when it is bool."""
    if mask.dtype == bool:
        return mask.view(np.uint8)
    return mask if mask.dtype == np.uint8 else mask.astype(np.uint8)


def box_of(mask: np.ndarray, margin: int = 0) -> Box | None:
    """The bounding box (y0, y1, x0, x1) of ``mask``'s nonzero pixels grown by ``margin``
    inside the frame; None when it has none."""
    m8 = np.ascontiguousarray(_u8(mask))
    x, y, w, h = cv2.boundingRect(m8)
    if w == 0 or h == 0:
        return None
    hh, ww = mask.shape[:2]
    return max(0, y - margin), min(hh, y + h + margin), max(0, x - margin), min(ww, x + w + margin)


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(mask, connectivity=8)``'s (count, labels, stats),
    computed in the mask's bounding box: the labels are numbered in the same raster order,
    0 outside the box, and the stats are in the frame's pixels (the background's row counts
    the box only)."""
    box = box_of(mask)
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    if box is None:
        return 1, labels, np.array([[0, 0, w, h, h * w]], np.int32)
    y0, y1, x0, x1 = box
    n, sub, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(_u8(mask)[y0:y1, x0:x1]),
                                                        connectivity=8)
    labels[y0:y1, x0:x1] = sub
    stats[1:, cv2.CC_STAT_LEFT] += x0
    stats[1:, cv2.CC_STAT_TOP] += y0
    return n, labels, stats


def nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(mask)`` of a 2-D mask (same order), read in its bounding box only."""
    box = box_of(mask)
    if box is None:
        empty = np.zeros(0, np.int64)
        return empty, empty.copy()
    y0, y1, x0, x1 = box
    ys, xs = np.nonzero(mask[y0:y1, x0:x1])
    return ys + y0, xs + x0


def dilated(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.dilate(mask as uint8, kernel) > 0`` (bool HxW), computed in the mask's box grown by
    the kernel's reach."""
    reach = max(kernel.shape) // 2 + 1
    out = np.zeros(mask.shape, bool)
    box = box_of(mask, reach)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    out[y0:y1, x0:x1] = cv2.dilate(np.ascontiguousarray(_u8(mask)[y0:y1, x0:x1]), kernel) > 0
    return out
