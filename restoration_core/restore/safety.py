"""Repairs that cannot make things worse: how far a mask is grown, and what is left alone.

- An exact mask (painted, supplied, ground truth) is replaced as it is: not grown.
- A detected mask is grown by the halo measured around each region: the rings just outside
  it that still lean the way the defect does (a speck's soft edge), up to the feather.
- A detected region whose temporal sources disagree (two or more frames show different
  things there: the picture moves in a way the flow does not follow) is not painted over:
  it is left as scanned and marked for review.
"""

from __future__ import annotations

import cv2
import numpy as np

HALO_SHARE = 0.3  # a ring belongs to the defect while it is this far from the background
HALO_FLOOR = 3.0 / 255.0  # ... and at least this far (noise)
DISAGREE_SHARE = 0.3  # share of a region's pixels with disagreeing sources that leaves it alone
REVIEW_SOURCES = "temporal sources disagree: left as scanned"


def halo(luma: np.ndarray, region: np.ndarray, limit: int) -> int:
    """How many px the defect's soft edge reaches beyond ``region`` (bool, a crop with room
    around it), at most ``limit``: consecutive 1-px rings whose median luma stays on the
    defect's side of the background (the ring ``limit + 1 .. limit + 3`` px out)."""
    if limit <= 0 or not region.any():
        return 0
    d = cv2.distanceTransform((~region).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    back = (d > limit) & (d <= limit + 3)
    if back.sum() < 4:
        return 0
    background = float(np.median(luma[back]))
    inside = float(np.median(luma[region])) - background
    g = 0
    for r in range(1, limit + 1):
        ring = (d > r - 1) & (d <= r)
        if not ring.any():
            break
        lean = float(np.median(luma[ring])) - background
        if lean * np.sign(inside) > max(HALO_SHARE * abs(inside), HALO_FLOOR):
            g = r
        else:
            break
    return g


def grown(luma: np.ndarray, mask: np.ndarray, least: int, limit: int) -> np.ndarray:
    """``mask`` with every region grown by its own :func:`halo` (at least ``least`` px)."""
    if limit <= 0 or not mask.any():
        return mask.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    h, w = mask.shape
    out = mask.copy()
    pad = limit + 4
    for k in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        y0, y1, x0, x1 = max(0, y - pad), min(h, y + bh + pad), max(0, x - pad), min(w, x + bw + pad)
        region = labels[y0:y1, x0:x1] == k
        g = max(least, halo(luma[y0:y1, x0:x1], region, limit))
        if g > 0:
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))
            out[y0:y1, x0:x1] |= cv2.dilate(region.astype(np.uint8), disc) > 0
    return out


def disagreeing_regions(mask: np.ndarray, disagree: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """Bool HxW: the regions of ``mask`` (not touching ``skip``) where more than
    :data:`DISAGREE_SHARE` of the pixels have temporal sources that disagree."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n)
    bad = np.bincount(flat, weights=(disagree & mask).ravel(), minlength=n)
    leave = bad > DISAGREE_SHARE * np.maximum(area, 1)
    if skip is not None:
        leave &= np.bincount(flat, weights=(skip & mask).ravel(), minlength=n) == 0
    leave[0] = False
    return leave[labels]
