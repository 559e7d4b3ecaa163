"""Dust and dirt: motion-compensated temporal outliers (rank-order / spike-detection style).

Both reference frames are warped onto the current one with optical flow. A pixel is an
outlier when it lies outside the range spanned by the two warped references (widened by the
values found within one pixel of them), on the same side of both (``d = c - max(a, b)`` or ``min(a, b) - c``): a speck present in this frame
only. The distance is compared with a per-pixel noise unit that grows with

- film grain and residual warp error (robust spread of ``a - b`` over the frame),
- local contrast of the references (detail suffers most from sub-pixel flow error),
- local disagreement between the two warped references (occlusions, unreliable flow),
- nearness to a motion boundary, where the flow mixes two motions,

so grain, moving edges and uncovered background stay quiet. A smooth local brightness
difference (local flicker, a faint stain of developer) is removed first. The flow inside candidate
regions is then replaced by the flow around them (a large blotch corrupts the flow that
was computed over it) and the test is repeated there, which recovers blotch interiors.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.detect.flow import flow_maps, out_of_frame, warp

GRAIN_FLOOR = 1.5 / 255.0  # quantisation and compression noise never drop below this
TEXTURE_WEIGHT = 0.15  # share of the references' local contrast tolerated
MISMATCH_WEIGHT = 0.3  # share of the references' local disagreement tolerated
BOUNDARY_FACTOR = 2.0  # stricter near motion boundaries
BOUNDARY_JUMP = 1.0  # px of flow change per px that makes a motion boundary
BIG_CANDIDATE = 12  # px (at 640 wide): candidates this large get their flow re-estimated


@dataclass
class Outliers:
    """Signed outlier distance (positive = brighter than both references) and its z-score."""

    signed: np.ndarray  # float32 HxW, luma units
    z: np.ndarray  # float32 HxW, distance / local noise unit
    sigma: float = 0.0  # the frame's grain (robust spread of the aligned references' difference)


def smooth_flow(flow: np.ndarray) -> np.ndarray:
    """5x5 median per component: specks and thin hairs do not bend the field."""
    out = np.empty_like(flow)
    for c in range(2):
        out[..., c] = cv2.medianBlur(np.ascontiguousarray(flow[..., c]), 5)
    return out


def fill_flow(flow: np.ndarray, hole: np.ndarray, sigma: float) -> np.ndarray:
    """Replace ``flow`` inside ``hole`` by a normalised-convolution average of its surroundings."""
    if not hole.any():
        return flow
    keep = (~hole).astype(np.float32)
    h, w = hole.shape
    # The average is smooth: compute it at a quarter of the size, then scale it back up.
    f = 4 if min(h, w) >= 64 else 1
    small = (max(1, w // f), max(1, h // f))
    num = cv2.resize(flow * keep[..., None], small, interpolation=cv2.INTER_AREA)
    den = cv2.resize(keep, small, interpolation=cv2.INTER_AREA)
    num = cv2.GaussianBlur(num, (0, 0), sigma / f)
    den = cv2.GaussianBlur(den, (0, 0), sigma / f)
    filled = cv2.resize(num / np.maximum(den, 1e-4)[..., None], (w, h), interpolation=cv2.INTER_LINEAR)
    den = cv2.resize(den, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    # Very large holes: fall back to the frame's median motion where the average is thin.
    weak = den[..., 0] < 1e-3
    if weak.any():
        filled[weak] = np.median(flow[~hole], axis=0) if (~hole).any() else 0.0
    return np.where(hole[..., None], filled, flow).astype(np.float32)


def _flow_jumps(flow: np.ndarray, jump: float) -> np.ndarray:
    """Where the flow changes by more than ``jump`` px per px (uint8 0/1)."""
    mag = np.zeros(flow.shape[:2], np.float32)
    for c in range(2):
        comp = np.ascontiguousarray(flow[..., c])  # once, not once per Sobel
        gx = cv2.Sobel(comp, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(comp, cv2.CV_32F, 0, 1, ksize=3)
        gx *= 0.125
        gy *= 0.125
        gx *= gx
        gy *= gy
        gx += gy
        mag += gx
    np.sqrt(mag, out=mag)
    return (mag > jump).astype(np.uint8)


def motion_boundaries(flow: np.ndarray, jump: float = 0.5, reach: int = 9,
                      other: np.ndarray | None = None) -> np.ndarray:
    """Pixels within ``reach`` px of a place where the flow (or ``other``, a second flow) changes
    by more than ``jump`` px per px. Two flows' places are joined before the one dilation (a
    dilation of a union is the union of the dilations)."""
    edge = _flow_jumps(flow, jump)
    if other is not None:
        edge |= _flow_jumps(other, jump)
    return cv2.dilate(edge, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0


def grain_sigma(a: np.ndarray, b: np.ndarray) -> float:
    """Robust noise level of one frame from the difference of two aligned references."""
    diff = (a - b)[::2, ::2]
    mad = float(np.median(np.abs(diff - np.median(diff))))
    return max(GRAIN_FLOOR, 1.4826 * mad / np.sqrt(2.0))


def _noise_unit(wa: np.ndarray, wb: np.ndarray, sigma: float) -> np.ndarray:
    mean = 0.5 * (wa + wb)
    k3 = np.ones((3, 3), np.uint8)
    # local contrast of the references: detail loses some of it in any resampling and
    # under sub-pixel flow error, so it earns tolerance in proportion
    texture = cv2.dilate(cv2.dilate(mean, k3) - cv2.erode(mean, k3), k3)
    mismatch = cv2.dilate(np.abs(wa - wb), np.ones((3, 3), np.uint8))
    # sigma + TEXTURE_WEIGHT * texture + MISMATCH_WEIGHT * mismatch, in place (the same order)
    texture *= TEXTURE_WEIGHT
    texture += sigma
    mismatch *= MISMATCH_WEIGHT
    texture += mismatch
    return texture


def local_offset(cur: np.ndarray, wa: np.ndarray, wb: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth brightness difference between ``cur`` and its references (local flicker, faint stains).

    The difference is clipped to a few noise units first, so specks and blotches barely
    move it; what is left is the slow, large-scale part that must not count as damage.
    """
    h, w = cur.shape
    diff = np.clip(cur - 0.5 * (wa + wb), -3.0 * sigma, 3.0 * sigma)
    f = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(diff, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(1.0, max(h, w) / 64.0 / f))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def rank_order(
    cur: np.ndarray,
    wa: np.ndarray,
    wb: np.ndarray,
    sigma: float,
    near: tuple[np.ndarray, np.ndarray] | None = None,
    boundary: np.ndarray | None = None,
) -> Outliers:
    """Outlier distance of ``cur`` against two aligned references and its z-score.

    ``near`` (the references warped with nearest-neighbour sampling) widens the allowed
    range by the values found within one pixel: fine, sharp detail that sub-pixel flow
    error smears in a bilinear warp (1-px window grids, text) then stays inside the range,
    while a speck, which no reference has anywhere near, does not.
    """
    # (frame-size temporaries reused in place: the same operations in the same order)
    hi = np.maximum(wa, wb)
    lo = np.minimum(wa, wb)
    if near is not None:
        k3 = np.ones((3, 3), np.uint8)
        np.maximum(hi, cv2.dilate(np.maximum(*near), k3), out=hi)
        np.minimum(lo, cv2.erode(np.minimum(*near), k3), out=lo)
    same = np.result_type(cur, hi) == hi.dtype  # else new arrays of the wider type, as before
    above = np.subtract(cur, hi, out=hi if same else None)
    below = np.subtract(lo, cur, out=lo if same else None)
    signed = np.where(above > 0, above, np.where(below > 0, -below, 0.0)).astype(np.float32, copy=False)
    unit = _noise_unit(wa, wb, sigma)
    if boundary is not None:
        unit[boundary] *= BOUNDARY_FACTOR
    z = np.abs(signed)
    z /= unit
    return Outliers(signed, z.astype(np.float32, copy=False))


def temporal_outliers(
    cur: np.ndarray,
    ref_a: np.ndarray,
    flow_a: np.ndarray,
    ref_b: np.ndarray,
    flow_b: np.ndarray,
    candidate_z: float,
    ignore: np.ndarray | None = None,
    smoothed: tuple[np.ndarray, np.ndarray] | None = None,
) -> Outliers:
    """Two-pass outlier test of ``cur`` against two references (flows from ``cur`` to each).

    ``ignore`` marks pixels without trustworthy evidence (set to z = 0). Pass one uses
    median-smoothed flow. Around candidate regions (``z > candidate_z``) large enough to
    have bent the flow, the flow is interpolated from around them and the test repeated;
    the larger z wins. ``smoothed``: ``smooth_flow`` of ``flow_a`` and ``flow_b`` when the
    caller has them already.
    """
    fa, fb = (smooth_flow(flow_a), smooth_flow(flow_b)) if smoothed is None else smoothed
    ma, mb = flow_maps(fa), flow_maps(fb)  # each read three times below
    wa, wb = warp(ref_a, fa, maps=ma), warp(ref_b, fb, maps=mb)
    sigma = grain_sigma(wa, wb)
    cur = cur - local_offset(cur, wa, wb, sigma)
    near = (warp(ref_a, fa, nearest=True, maps=ma), warp(ref_b, fb, nearest=True, maps=mb))
    # Near motion boundaries the flow mixes both motions: demand more there.
    boundary = motion_boundaries(fa, BOUNDARY_JUMP, other=fb)
    first = rank_order(cur, wa, wb, sigma, near, boundary)
    # Where a reference has no picture (motion or weave across the frame's edge) there is no evidence.
    blind = out_of_frame(fa, ma) | out_of_frame(fb, mb)
    del ma, mb
    if ignore is not None:
        blind |= ignore
    blind = cv2.dilate(blind.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    first.z[blind] = 0.0
    first.sigma = sigma
    cand = (first.z > candidate_z).astype(np.uint8)
    h, w = cur.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    big_area = max(4.0, BIG_CANDIDATE * (max(h, w) / 640.0) ** 2)
    is_big = stats[:, cv2.CC_STAT_AREA] >= big_area
    is_big[0] = False
    if not is_big.any():
        return first
    # Second pass, only around regions large enough to have bent the flow.
    grow = max(3, round(max(h, w) / 160)) | 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    sigma_fill = max(4.0, max(h, w) / 80.0)
    margin = grow + int(3 * sigma_fill)
    z, signed = first.z, first.signed
    # one box per cluster of large candidates (with room around them for the interpolation)
    near_big = cv2.dilate(
        is_big[labels].astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    )
    m, _, boxes, _ = cv2.connectedComponentsWithStats(near_big, connectivity=8)
    for k in range(1, m):
        x0, y0, bw, bh = (int(v) for v in boxes[k, :4])
        y1, x1 = y0 + bh, x0 + bw
        box = (slice(y0, y1), slice(x0, x1))
        hole = cv2.dilate(cand[box], disc) > 0
        fa2, fb2 = fill_flow(fa[box], hole, sigma_fill), fill_flow(fb[box], hole, sigma_fill)
        wa2, wb2 = _warp_at(ref_a, fa2, x0, y0), _warp_at(ref_b, fb2, x0, y0)
        near2 = (_warp_at(ref_a, fa2, x0, y0, nearest=True), _warp_at(ref_b, fb2, x0, y0, nearest=True))
        second = rank_order(cur[box], wa2, wb2, sigma, near2, boundary[box])
        second.z[blind[box]] = 0.0
        take = hole & (second.z > z[box])
        z[box][take] = second.z[take]
        signed[box][take] = second.signed[take]
    return Outliers(signed, z, sigma)


STILL_RING = (3, 10)  # px (at 640 wide): the surroundings that tell whether the picture moves
STILL_MIN_AREA = 100.0  # px (at 640 wide): smaller candidates do not bend the flow much; motion protection decides them
STILL_PERCENTILE = 80.0  # of the ring's mismatch, so a few grain outliers or a neighbour's speck do not count
STILL_GRAIN = 3.0  # mismatch allowed, in grain units ...
STILL_FLOOR = 0.02  # ... and at least this (luma units)


def on_still_picture(cur: np.ndarray, mask: np.ndarray, refs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The regions of ``mask`` that sit on still picture: their surroundings (3..10 px out)
    match every reference (``(luma, flow from cur to it)``) shifted by the frame's overall
    motion (the median flow: a pan or weave), within the grain.

    This needs no local flow, which a large speck bends over itself and several pixels
    around it (a 1700-px lint bent it by up to 18 px): such a candidate looks like moving
    picture to motion protection and was questioned (and often dropped) on a still street.
    A candidate on or beside a moving hand has the hand in its surroundings, which matches
    no reference at the overall motion, so it is not on still picture."""
    h, w = cur.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1 or not refs:
        return np.zeros(mask.shape, bool)
    shifted = []
    for luma, flow in refs:
        g = np.median(flow[::4, ::4].reshape(-1, 2), axis=0)
        m = np.float32([[1, 0, g[0]], [0, 1, g[1]]])
        shifted.append(cv2.warpAffine(luma, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                      borderMode=cv2.BORDER_REPLICATE))
    sigma = grain_sigma(shifted[0], shifted[-1]) if len(shifted) > 1 else GRAIN_FLOOR
    limit = max(STILL_FLOOR, STILL_GRAIN * sigma)
    s = max(1.0, max(h, w) / 640.0)
    r_in, r_out = (max(1, round(v * s)) for v in STILL_RING)
    k_in = np.ones((2 * r_in + 1,) * 2, np.uint8)
    k_out = np.ones((2 * r_out + 1,) * 2, np.uint8)
    keep = np.zeros(n, bool)
    min_area = STILL_MIN_AREA * s * s
    for k in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[k, :5])
        if area < min_area:
            continue
        x0, y0, x1, y1 = max(0, x - r_out), max(0, y - r_out), min(w, x + bw + r_out), min(h, y + bh + r_out)
        own = (labels[y0:y1, x0:x1] == k).astype(np.uint8)
        # the ring leaves out the other candidates (a lint in pieces: its other pieces)
        ring = (cv2.dilate(own, k_out) > 0) & ~(cv2.dilate(own, k_in) > 0) & (labels[y0:y1, x0:x1] == 0)
        if ring.sum() < 8:
            continue
        c = cur[y0:y1, x0:x1][ring]
        keep[k] = all(
            float(np.percentile(np.abs(c - ref[y0:y1, x0:x1][ring]), STILL_PERCENTILE)) <= limit for ref in shifted
        )
    return keep[labels]


def _warp_at(image: np.ndarray, flow: np.ndarray, x0: int, y0: int, nearest: bool = False) -> np.ndarray:
    """:func:`warp` for a crop of the flow whose top-left pixel is ``(x0, y0)`` of ``image``'s grid."""
    hh, ww = flow.shape[:2]
    ys, xs = np.mgrid[y0 : y0 + hh, x0 : x0 + ww].astype(np.float32)
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], interp, borderMode=cv2.BORDER_REPLICATE)
