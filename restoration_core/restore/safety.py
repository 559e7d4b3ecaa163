"""Repairs that cannot make things worse: how far a mask is grown, and what is left alone.

- An exact mask (painted, supplied, ground truth) is replaced as it is: not grown.
- A detected mask is grown by the halo measured around each region: the rings just outside
  it that still lean the way the defect does (a speck's soft edge), up to the feather.
- A detected region whose temporal sources disagree (two or more frames show different
  things there: the picture moves in a way the flow does not follow) is not painted over:
  it is left as scanned and marked for review.
- So is a detected region whose finished fill does not continue what surrounds it (a step
  at its border, or a texture inside, far beyond what the grain of the ring around it
  explains) and continues it worse than the scan does.
"""

from __future__ import annotations

import cv2
import numpy as np

from restoration_core.restore.boxes import components

HALO_SHARE = 0.3  # a ring belongs to the defect while it is this far from the background
HALO_FLOOR = 3.0 / 255.0  # ... and at least this far (noise)
DISAGREE_SHARE = 0.3  # share of a region's pixels with disagreeing sources that leaves it alone
REVIEW_SOURCES = "temporal sources disagree: left as scanned"
REVIEW_FILL = "fill does not match its surroundings: left as scanned"
STEP_GRAIN = 5.0  # a border step this many times the ring's grain ...
STEP_FLOOR = 10.0 / 255.0  # ... and at least this (luma, 0..1) is a fill that does not fit
TEXTURE_GRAIN = 3.0  # fill texture (high-pass spread) this many times the ring's ...
TEXTURE_FLOOR = 8.0 / 255.0  # ... and this much above it is not the picture's
RING = 6  # px around a region that it is compared with ...
GAP = 3  # ... from this far out


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
    n, labels, stats = components(mask)
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
    flat = labels[mask]  # counted on the mask's pixels only (every labelled pixel is one)
    area = np.bincount(flat, minlength=n)
    bad = np.bincount(flat, weights=disagree[mask], minlength=n)
    leave = bad > DISAGREE_SHARE * np.maximum(area, 1)
    if skip is not None:
        leave &= np.bincount(flat, weights=skip[mask], minlength=n) == 0
    leave[0] = False
    out = np.zeros(mask.shape, bool)
    out[mask] = leave[flat]
    return out


def _spread(values: np.ndarray) -> float:
    """Robust standard deviation: the interquartile range / 1.349 (unlike the MAD, it does not
    vanish on a two-valued texture such as a checkerboard)."""
    if values.size == 0:
        return 0.0
    q1, q3 = np.percentile(values, (25, 75))
    return float(q3 - q1) / 1.349


def _u8(luma: np.ndarray) -> np.ndarray:
    return np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)


def fill_mismatch(
    original: np.ndarray, filled: np.ndarray, region: np.ndarray, damage: np.ndarray
) -> tuple[float, float, float, float, float]:
    """How a region's fill and its scan fit what surrounds them, on luma crops (float 0..1)
    with room around it: (fill's border step, scan's border step, ring grain, fill texture,
    scan texture).

    A border step is the mean difference, over the region's 2 px inner border, between the
    pixels and the picture around it continued inwards (a Telea inpaint of ``original`` over
    all the ``damage``); grain is the robust spread of the ring's high-pass (the ``RING`` px
    outside, undamaged); a texture the same spread inside the region."""
    inside = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform((~region).astype(np.uint8), cv2.DIST_L2, 3)
    ring = ~damage & (outside > GAP) & (outside <= GAP + RING)
    band = region & (inside <= 2)
    if ring.sum() < 8 or not band.any():
        return 0.0, 0.0, 1.0, 0.0, 0.0
    # continued from GAP px out: the defect's own soft edge just outside its mask is no reference
    hole = cv2.dilate((damage | region).astype(np.uint8), np.ones((2 * GAP + 1,) * 2, np.uint8))
    cont = cv2.inpaint(_u8(original), hole, 3, cv2.INPAINT_TELEA)
    cont = cont.astype(np.float32) / 255.0
    step_fill = float(np.abs(filled[band] - cont[band]).mean())
    step_scan = float(np.abs(original[band] - cont[band]).mean())
    high_o = original - cv2.GaussianBlur(original, (0, 0), 1.0)
    high_f = filled - cv2.GaussianBlur(filled, (0, 0), 1.0)
    core = region & (inside > 1) if (region & (inside > 1)).sum() >= 8 else region
    return step_fill, step_scan, _spread(high_o[ring]), _spread(high_f[core]), _spread(high_o[core])


def mismatched_regions(
    original: np.ndarray, filled: np.ndarray, candidates: np.ndarray, damage: np.ndarray,
    skip: np.ndarray | None = None,
) -> np.ndarray:
    """Bool HxW: the regions of ``candidates`` (detected, not touching ``skip``) whose fill in
    ``filled`` does not continue ``original`` around them (see :func:`fill_mismatch`): the
    scan's border fits (its step is within ``fits`` = :data:`STEP_GRAIN` times the ring's
    grain, at least :data:`STEP_FLOOR`) and the fill's step exceeds the scan's by more than
    ``fits``; or the fill's texture is above :data:`TEXTURE_GRAIN` times the grain and
    :data:`TEXTURE_FLOOR` more than the ring's and the scan's. A speck's scan is what does
    not fit its surroundings, so its repair is kept; a fill that breaks a border the scan
    continues, or adds texture the picture does not have, repaints picture. ``original`` and ``filled``: luma, float
    0..1; ``damage``: every pixel being repaired (not read)."""
    out = np.zeros(candidates.shape, bool)
    n, labels, stats = components(candidates)
    h, w = candidates.shape
    pad = GAP + RING + 4
    for k in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        y0, y1, x0, x1 = max(0, y - pad), min(h, y + bh + pad), max(0, x - pad), min(w, x + bw + pad)
        region = labels[y0:y1, x0:x1] == k
        if skip is not None and bool((skip[y0:y1, x0:x1] & region).any()):
            continue
        step, step_scan, grain, texture, texture_scan = fill_mismatch(
            original[y0:y1, x0:x1], filled[y0:y1, x0:x1], region, damage[y0:y1, x0:x1])
        noise = max(grain, 0.5 / 255.0)
        fits = max(STEP_GRAIN * noise, STEP_FLOOR)
        bad_step = step_scan <= fits < step - step_scan
        bad_texture = texture > max(TEXTURE_GRAIN * noise, noise + TEXTURE_FLOOR, texture_scan + TEXTURE_FLOOR)
        if bad_step or bad_texture:
            out[y0:y1, x0:x1] |= region
    return out
