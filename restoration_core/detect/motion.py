"""Motion protection: a dust or dirt candidate counts only when no plausible motion explains it.

The temporal test (``dust.temporal_outliers``) trusts the flow to the two nearest frames.
Where that flow is wrong (a fast hand, a swinging arm, cloth: "pathological motion") the
moving thing itself looks like a one-frame outlier. Each candidate region is therefore
questioned again where the picture moves:

- **the candidate's shape displaced in a neighbour**: the candidate with a thin ring of its
  surroundings is searched for (masked template matching) in the frames +-1 and +-2, around
  where the flow puts it and around where it is, within a reach that grows with the
  protection strength. Damage exists in one frame only; a moving object is found again.
- **more evidence on and next to moving objects**: only a region on or beside pixels that
  move relative to the frame's overall motion is questioned; where the flow failed even
  around it (or it continues a bright or dark object of the picture), its values found
  within the local motion's reach in both neighbours are enough to call it motion. A
  stronger peak there (:data:`MOVING_EVIDENCE`) is off: on the tuning clips any peak
  threshold that removed a false region removed some 20 true specks on moving picture.

- **background that one side in time shows**: a moving object uncovers background at its
  trailing edge (and covers it at its leading edge); the frame before shows the object there,
  the frames after show the background in place, so against the two aligned neighbours it is
  an outlier, and the flow near the object's edge is dragged by it, so the displaced search
  misses it. A candidate both frames of one side show where one steady motion puts it, while
  the other side's flow does not continue that motion (it follows the occluder) or that side
  is missing, is motion (:func:`one_sided_motion`); this is applied after the rules or the
  verifier, which weigh the nearest frames on both sides and do not see it.

These rules are not the last word: every candidate on or next to moving picture is measured
(:func:`candidate_features`) and a learned verifier (``detect.verify``, trained on the
tuning clips only) decides from the measurements together whether it is damage. It rejects
most of the picture the rules let through (glints, finger highlights, a thumb's tip) and
keeps specks on a moving hand that the rules dropped. Without the shipped weights the rules
alone decide.

Static picture is left to the aligned test, so dust on a still background keeps its recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from restoration_core.detect import verify
from restoration_core.detect.dust import fill_flow

MOVE_PX = 1.5  # px of motion relative to the frame's overall motion that makes a pixel "moving"
NEAR_MOVING = 9  # px (at 640 wide): "next to" a moving object
BASE_REACH = 6  # px (at 640 wide) searched around the predicted place at strength 0
EXTRA_REACH = 36  # px added at strength 1
RING = 2  # px of surroundings matched with the candidate's shape
MATCH_TOLERANCE = (0.3, 0.7)  # rms(best displaced match) / rms(aligned) that explains a tile, strength 0..1
CONTEXT = 0.5  # weight of a tile's surroundings in the match (its own pixels weigh 1)
RING_OUT = 8  # px: the surroundings whose fit tells whether the flow failed
MISFIT = 0.15  # surroundings misfit, relative to the candidate's contrast, that means the flow failed
ATTACHED = 0.3  # ring share that makes a candidate part of an object of the picture
BLUR = 1.0  # px (at 640 wide): Gaussian blur of the pictures before matching
TILE = 8  # px (at 640 wide): a candidate is searched for tile by tile
VALUE_EXPLAINED = 0.6  # share of its pixels whose values the neighbours show nearby that makes it motion
EXPLAINED = 0.5  # share of a candidate's pixels in explained tiles that makes it motion
MOVING_EVIDENCE = 0.0  # peak-z factor on moving picture: 1 + MOVING_EVIDENCE * strength
SIDE_FIT = 0.2  # rms of a one-sided match, relative to the candidate's contrast, that shows it
SIDE_OCCLUDED = 3.0  # px (at 640 wide): the other side's flow off the steady motion: occluded there


@dataclass(frozen=True)
class Neighbour:
    """A frame near the current one: its luma and the flow from the current frame to it."""

    offset: int
    luma: np.ndarray
    flow: np.ndarray


def relative_motion(flow: np.ndarray) -> np.ndarray:
    """Per-pixel motion (px) relative to the frame's overall (median) motion."""
    med = np.median(flow[::4, ::4].reshape(-1, 2), axis=0)
    # per component (no two-channel temporary): the same subtraction, element by element
    return np.hypot(flow[..., 0] - med[0], flow[..., 1] - med[1])


def _largest(arrays: list[np.ndarray]) -> np.ndarray:
    """``np.max(arrays, axis=0)`` without stacking them first."""
    out = np.array(arrays[0], copy=True)
    for a in arrays[1:]:
        np.maximum(out, a, out=out)
    return out


def moving_pixels(flows: list[np.ndarray], scale: float, rel: np.ndarray | None = None) -> np.ndarray:
    """Pixels that move relative to the frame's overall motion (in any of ``flows``), grown
    by :data:`NEAR_MOVING` px: the picture on and next to moving objects. ``rel``: the largest
    :func:`relative_motion` of ``flows`` when the caller has it already."""
    if rel is None:
        rel = _largest([relative_motion(f) for f in flows])
    moving = rel > MOVE_PX * scale
    r = max(1, round(NEAR_MOVING * scale))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(moving.astype(np.uint8), k) > 0


def _ssd_at(search: np.ndarray, tpl: np.ndarray, weight: np.ndarray, ox: int, oy: int) -> float:
    """Weighted sum of squared differences of ``tpl`` placed at (ox, oy) of ``search`` (inf outside)."""
    th, tw = tpl.shape
    if ox < 0 or oy < 0 or oy + th > search.shape[0] or ox + tw > search.shape[1]:
        return np.inf
    d = (search[oy : oy + th, ox : ox + tw] - tpl) * weight
    return float(np.sum(d * d))


def explained_share(
    cur: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
    reach: int, tolerance: float, tile: int, enough: float | None = None,
) -> float:
    """Share of the candidate's pixels (``region``: bool crop at ``box`` = x0, y0, x1, y1) in
    tiles that a neighbour shows displaced: the tile with its surroundings matches somewhere
    within ``reach`` much better (rms below ``tolerance`` times) than where the flow puts it.
    Tiles let a hand or a sleeve change shape between frames and still be found.

    With ``enough``, the search stops as soon as the share is known to reach it or to stay
    below it (the value returned then answers ``share >= enough`` exactly, nothing more)."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    total = int(region.sum())
    if total == 0:
        return 0.0
    pad = RING + 1
    explained = 0
    left = total
    # a moving object is seen again on both sides in time (in one frame of each side is
    # enough), or in both frames of the one side a clip's end has; a look-alike speck of
    # another frame is seen once. Nearest frames first: a side stops at its first match.
    sides = [sorted((nb for nb in neighbours if np.sign(nb.offset) == sg), key=lambda nb: abs(nb.offset))
             for sg in (-1, 1)]
    sides = [side for side in sides if side]
    needed = 1 if len(sides) == 2 else 2
    for ty in range(y0, y1, tile):
        for tx in range(x0, x1, tile):
            sub = region[ty - y0 : ty - y0 + tile, tx - x0 : tx - x0 + tile]
            count = int(sub.sum())
            if count == 0:
                continue
            if enough is not None and (
                explained >= enough * total or explained + left < enough * total
            ):
                return explained / total
            left -= count
            a0, b0 = max(0, tx - pad), max(0, ty - pad)
            a1, b1 = min(w, tx + tile + pad), min(h, ty + tile + pad)
            tpl = np.ascontiguousarray(cur[b0:b1, a0:a1])
            th, tw = tpl.shape
            # the candidate's own pixels count fully, its surroundings as context only
            own = np.zeros((th, tw), np.uint8)
            own[max(0, y0 - b0) : y1 - b0, max(0, x0 - a0) : x1 - a0] = region[
                max(0, b0 - y0) : b1 - y0, max(0, a0 - x0) : a1 - x0
            ]
            weight = np.where(cv2.dilate(own, np.ones((3, 3), np.uint8)) > 0, 1.0, CONTEXT).astype(np.float32)
            seen_on_every_side = bool(sides)
            for side in sides:
                matches = 0
                for nb in side:
                    if _displaced_match(nb, tpl, weight, a0, b0, a1, b1, reach, tolerance):
                        matches += 1
                        if matches >= needed:
                            break
                    elif needed > 1:
                        break
                if matches < needed:
                    seen_on_every_side = False
                    break
            if seen_on_every_side:
                explained += count
    return explained / total


def _displaced_match(
    nb: Neighbour, tpl: np.ndarray, weight: np.ndarray, a0: int, b0: int, a1: int, b1: int,
    reach: int, tolerance: float,
) -> bool:
    """Whether ``tpl`` (the crop a0:a1, b0:b1 of the current frame) matches somewhere within
    ``reach`` of where the flow puts it in ``nb`` much better than it does there."""
    found = _aligned_and_best(nb, tpl, weight, a0, b0, a1, b1, reach)
    return found is not None and found[1] < tolerance * tolerance * found[0]


def _aligned_and_best(
    nb: Neighbour, tpl: np.ndarray, weight: np.ndarray, a0: int, b0: int, a1: int, b1: int, reach: int,
) -> tuple[float, float] | None:
    """The weighted SSD of ``tpl`` (the crop a0:a1, b0:b1 of the current frame) where the flow
    puts it in ``nb``, and the best within ``reach`` of there (``None`` when the search
    window is smaller than ``tpl``)."""
    h, w = nb.luma.shape
    th, tw = tpl.shape
    f = nb.flow[min(h - 1, (b0 + b1) // 2), min(w - 1, (a0 + a1) // 2)]
    dx, dy = int(round(float(f[0]))), int(round(float(f[1])))
    sx0, sy0 = max(0, min(a0, a0 + dx) - reach), max(0, min(b0, b0 + dy) - reach)
    sx1, sy1 = min(w, max(a1, a1 + dx) + reach), min(h, max(b1, b1 + dy) + reach)
    if sx1 - sx0 < tw or sy1 - sy0 < th:
        return None
    search = np.ascontiguousarray(nb.luma[sy0:sy1, sx0:sx1])
    aligned = _ssd_at(search, tpl, weight, a0 + dx - sx0, b0 + dy - sy0)
    if not np.isfinite(aligned):
        aligned = float(np.sum(((nb.luma[b0:b1, a0:a1] - tpl) * weight) ** 2))
    return aligned, float(cv2.matchTemplate(search, tpl, cv2.TM_SQDIFF, mask=weight).min())


@lru_cache(maxsize=64)
def _disc_rows(radius: int) -> tuple[int, ...] | None:
    """Half-width of each row of OpenCV's ``2r+1`` ellipse (``None`` if a row is not one run
    of ones centred on the middle column)."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    out = []
    for row in k:
        cols = np.flatnonzero(row)
        d = radius - int(cols[0]) if len(cols) else -1
        if d < 0 or int(cols[-1]) != radius + d or len(cols) != 2 * d + 1:
            return None
        out.append(d)
    return tuple(out)


def disc_extreme(src: np.ndarray, radius: int, y: int, x: int, h: int, w: int, high: bool) -> np.ndarray:
    """``cv2.dilate`` (``high``) or ``cv2.erode`` of ``src`` by the ``2r+1`` ellipse, read only
    at ``src[y:y+h, x:x+w]``: the same values. The ellipse is taken row by row (each row a
    centred run), a row's run as a running max over columns grown one pixel each side at a
    time, so the cost is ``r`` (not ``r^2``) passes over the crop; pixels outside ``src`` do
    not count, as OpenCV's default border leaves them out."""
    rows = _disc_rows(radius)
    if rows is None:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        return (cv2.dilate if high else cv2.erode)(src, k)[y : y + h, x : x + w]
    r = radius
    fill = -np.inf if high else np.inf
    pad = np.full((src.shape[0] + 2 * r, src.shape[1] + 2 * r), fill, src.dtype)
    pad[r : r + src.shape[0], r : r + src.shape[1]] = src
    pick = np.maximum if high else np.minimum
    band = pad[y : y + h + 2 * r]  # rows y - r .. y + h + r of src
    run = band[:, x + r : x + r + w].copy()  # the running max over columns x - d .. x + d
    out = np.full((h, w), fill, src.dtype)
    for d in range(r + 1):
        if d:
            pick(run, band[:, x + r - d : x + r - d + w], out=run)
            pick(run, band[:, x + r + d : x + r + d + w], out=run)
        for i, di in enumerate(rows):
            if di == d:
                pick(out, run[i : i + h], out=out)
    return out


def _fit_at(luma: np.ndarray, tpl: np.ndarray, weight: np.ndarray, x: float, y: float, jitter: int) -> float:
    """The weighted rms of ``tpl`` placed with its corner within ``jitter`` px of (x, y) in
    ``luma``, at its best there (inf when that leaves the picture)."""
    h, w = luma.shape
    th, tw = tpl.shape
    cx, cy = int(round(x)), int(round(y))
    sx0, sy0, sx1, sy1 = cx - jitter, cy - jitter, cx + tw + jitter, cy + th + jitter
    if sx0 < 0 or sy0 < 0 or sx1 > w or sy1 > h:
        return np.inf
    res = cv2.matchTemplate(np.ascontiguousarray(luma[sy0:sy1, sx0:sx1]), tpl, cv2.TM_SQDIFF, mask=weight)
    return float(np.sqrt(max(0.0, float(res.min())) / float(np.sum(weight * weight))))


def one_sided_motion(
    soft: np.ndarray, signed: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int],
    neighbours: list[Neighbour], flows: dict[int, np.ndarray], overall: dict[int, np.ndarray], scale: float,
) -> bool:
    """Whether the candidate is picture that one side in time shows and the other cannot:
    the background a moving object uncovers (its trailing edge) or is about to cover (its
    leading edge). Both frames of one side (+1 and +2, or -1 and -2) show the candidate's
    pixels and the one beside them closely (rms within :data:`SIDE_FIT` of its contrast)
    where one steady motion puts them, the frame's overall motion (a still or panning
    background) or the flow around the candidate, within a pixel (two in the +-2 frame), and on the other side the frame +-1 is missing or its flow at the candidate
    does not continue that motion by :data:`SIDE_OCCLUDED` px or more (it follows the
    occluder). Damage exists in one frame only; only the places that steady motion predicts
    are tried, so a look-alike elsewhere (a window of a row of windows) does not count.
    ``soft``/``neighbours``: the blurred pictures; ``flows``: the flows to the frames +-1 by
    offset, filled over the candidates (a speck bends the flow over itself); ``overall``: their
    medians (the frame's overall motion) by offset."""
    h, w = soft.shape
    x0, y0, x1, y1 = box
    by_offset = {nb.offset: nb for nb in neighbours}
    contrast = float(np.sqrt(np.mean(signed[y0:y1, x0:x1][region] ** 2)))
    if contrast <= 0:
        return False
    pad = RING + 1
    a0, b0, a1, b1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    tpl = np.ascontiguousarray(soft[b0:b1, a0:a1])
    own = np.zeros(tpl.shape, np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    # the candidate's own pixels (and the one beside them) must be shown, not just its ring
    weight = (cv2.dilate(own, np.ones((3, 3), np.uint8)) > 0).astype(np.float32)
    fit = SIDE_FIT * contrast
    for sign in (1, -1):
        near, far, flow = by_offset.get(sign), by_offset.get(2 * sign), flows.get(sign)
        if near is None or far is None or flow is None:
            continue
        local = np.median(flow[y0:y1, x0:x1][region], axis=0)
        other = flows.get(-sign)
        for px, py in {(round(float(v[0])), round(float(v[1]))) for v in (overall[sign], local)}:
            if _fit_at(near.luma, tpl, weight, a0 + px, b0 + py, 1) > fit:
                continue
            if _fit_at(far.luma, tpl, weight, a0 + 2 * px, b0 + 2 * py, 2) > fit:
                continue
            if other is None:
                return True
            f = np.median(other[y0:y1, x0:x1][region], axis=0)
            # steady motion puts the candidate at minus that displacement on the other side
            if np.hypot(float(f[0]) + px, float(f[1]) + py) >= SIDE_OCCLUDED * max(1.0, scale):
                return True
    return False


def value_explained(
    cur: np.ndarray, signed: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int],
    neighbours: list[Neighbour], radius: int,
) -> float:
    """Share of the candidate's pixels whose value both nearest neighbours (+-1) show within
    ``radius`` px of where the flow puts them, to within half the outlier distance: what a
    moving object, carried by a wrong flow, looks like. ``radius`` is the local motion."""
    shown = _values_shown(cur, signed, region, box, neighbours, radius, 0.5)
    return 0.0 if shown is None else float(np.logical_and.reduce(shown).mean())


def _values_shown(
    cur: np.ndarray, signed: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int],
    neighbours: list[Neighbour], radius: int, slack: float,
) -> list[np.ndarray] | None:
    """Per nearest neighbour (+-1; at a clip's end the frames of its one side), which of the
    candidate's pixels it shows within ``radius`` px of where the flow puts them, to within
    ``slack`` times the outlier distance (``None`` when there are not two such neighbours)."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    near = [nb for nb in neighbours if abs(nb.offset) == 1]
    if len(near) < 2:  # a clip's end: both frames on its one side must show it
        near = list(neighbours)
    if len(near) < 2 or not region.any():
        return None
    a0, b0, a1, b1 = max(0, x0 - radius), max(0, y0 - radius), min(w, x1 + radius), min(h, y1 + radius)
    c = cur[y0:y1, x0:x1][region]
    s = signed[y0:y1, x0:x1][region]
    out = []
    for nb in near:
        f = np.median(nb.flow[y0:y1, x0:x1][region], axis=0)
        dx, dy = int(round(float(f[0]))), int(round(float(f[1])))
        src = nb.luma[max(0, b0 + dy) : max(0, b1 + dy), max(0, a0 + dx) : max(0, a1 + dx)]
        if src.shape != (b1 - b0, a1 - a0):
            return None
        hi = disc_extreme(src, radius, y0 - b0, x0 - a0, y1 - y0, x1 - x0, True)[region]
        lo = disc_extreme(src, radius, y0 - b0, x0 - a0, y1 - y0, x1 - x0, False)[region]
        allowed = slack * np.abs(s)
        out.append(np.where(s > 0, hi >= c - allowed, lo <= c + allowed))
    return out


def displaced_fit(
    soft: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
    reach: int,
) -> float:
    """How well the whole candidate with a thin ring of its surroundings is found displaced
    in the nearest neighbours: per neighbour (+-1, or the clip end's side), the rms of the
    best match within ``reach`` of where the flow puts it over the rms where the flow puts
    it; the worse neighbour's ratio (near 1: found on neither side or no better than
    aligned, as film damage; small: the picture moved, seen again on both sides)."""
    h, w = soft.shape
    x0, y0, x1, y1 = box
    pad = RING + 1
    a0, b0, a1, b1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    tpl = np.ascontiguousarray(soft[b0:b1, a0:a1])
    own = np.zeros(tpl.shape, np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    weight = np.where(cv2.dilate(own, np.ones((3, 3), np.uint8)) > 0, 1.0, CONTEXT).astype(np.float32)
    near = [nb for nb in neighbours if abs(nb.offset) == 1] or list(neighbours)
    worst = 0.0
    for nb in near:
        found = _aligned_and_best(nb, tpl, weight, a0, b0, a1, b1, reach)
        if found is None:
            return 1.0
        aligned, best = found
        worst = max(worst, float(np.sqrt(max(0.0, best) / max(aligned, 1e-12))))
    return min(1.5, worst)


def surroundings_misfit(
    cur: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
) -> float:
    """How badly the flow explains the candidate's surroundings: the smallest (over the +-1
    neighbours) median |current - warped neighbour| on a ring 3..8 px around it. Near zero
    for a speck on a well-tracked background; large where the flow failed (a fast limb)."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    m = RING_OUT
    a0, b0, a1, b1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    own = np.zeros((b1 - b0, a1 - a0), np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    ring = (cv2.dilate(own, np.ones((2 * m + 1,) * 2, np.uint8)) > 0) & ~(cv2.dilate(own, np.ones((7, 7), np.uint8)) > 0)
    if ring.sum() < 8:
        return 0.0
    gy, gx = np.mgrid[b0:b1, a0:a1].astype(np.float32)
    out = np.inf
    for nb in neighbours:
        if abs(nb.offset) != 1:
            continue
        f = nb.flow[b0:b1, a0:a1]
        warped = cv2.remap(nb.luma, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out = min(out, float(np.median(np.abs(cur[b0:b1, a0:a1] - warped)[ring])))
    return 0.0 if not np.isfinite(out) else out


def attached_share(cur: np.ndarray, signed: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of the 2-px ring just outside the candidate whose value is as far from the
    picture as the candidate (within a fifth of its outlier distance): the candidate continues a
    bright or dark object of the picture (the tip of a limb) instead of sitting on it."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    a0, b0, a1, b1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
    own = np.zeros((b1 - b0, a1 - a0), np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    ring = (cv2.dilate(own, np.ones((5, 5), np.uint8)) > 0) & (own == 0)
    if not ring.any():
        return 0.0
    c = cur[b0:b1, a0:a1]
    s = signed[b0:b1, a0:a1]
    inside = own > 0
    # the candidate's core (the detection's rim is grown by a pixel into the picture)
    core = inside & (np.abs(s) >= 0.5 * float(np.abs(s[inside]).max()))
    level = float(np.median(c[core]))
    slack = 0.2 * float(np.median(np.abs(s[core])))
    polarity = 1.0 if float(np.sum(s[inside])) > 0 else -1.0
    return float(np.mean(polarity * (c[ring] - level) >= -slack))


def edge_continuation(
    soft: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
    flows: list[np.ndarray], radius: int = 1,
) -> list[float]:
    """Per nearest neighbour (+-1, with ``flows``: their flows from the current frame, filled over
    the candidates), how much of the candidate's outline is a picture edge the neighbour shows
    where the flow puts it: the neighbour's gradient within ``radius`` px, projected on the
    current outline's gradient (same direction), over the outline's gradient, weighted by it
    (0..1). A speck's outline is its own edge, absent from the neighbours (near 0); picture the
    flow lost by a pixel has an outline the neighbours show too (larger).
    ``soft``: the blurred current picture; ``neighbours``: the blurred pictures.

    Measured and **not weighed by the shipped verifier**: on the tuning clips, damage that lies
    partly on picture of its own value (dirt over a dark sleeve) is found only where it departs,
    so its outline follows the picture's edges as often as a fold's does (any threshold that
    dropped picture dropped 1.5-5% of the accepted damage). A verifier that weighs it, trained
    with generated specks on panning texture as well (``scripts/train_detect_verifier.py
    --dump-generated``), keeps fewer picture candidates left clip by clip at the same damage, but
    raised the harm on a held-out clip (README, detection). Recorded by the training script
    (``follow``, ``follow_max``, ``follow_2``) for a later verifier."""
    return _edge_continuations(soft, region, box, neighbours, flows, (radius,))[0]


def _edge_continuations(
    soft: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
    flows: list[np.ndarray], radii: tuple[int, ...],
) -> list[list[float]]:
    """:func:`edge_continuation` for each of ``radii`` from one warp of each neighbour."""
    h, w = soft.shape
    x0, y0, x1, y1 = box
    m = max(radii) + 3
    a0, b0, a1, b1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    own = np.zeros((b1 - b0, a1 - a0), np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    k3 = np.ones((3, 3), np.uint8)
    outline = (cv2.dilate(own, k3) > 0) & ~(cv2.erode(own, k3) > 0)
    c = soft[b0:b1, a0:a1]
    cx = cv2.Sobel(c, cv2.CV_32F, 1, 0, ksize=3) * 0.125
    cy = cv2.Sobel(c, cv2.CV_32F, 0, 1, ksize=3) * 0.125
    mag = np.hypot(cx, cy)
    sel = outline & (mag > 0.25 * float(mag[outline].max() if outline.any() else 0.0))
    if not sel.any():
        return [[] for _ in radii]
    wgt = mag[sel]
    ux, uy = cx[sel] / wgt, cy[sel] / wgt
    ys, xs = np.nonzero(sel)
    gy, gx = np.mgrid[b0:b1, a0:a1].astype(np.float32)
    r = max(radii)
    dy, dx = (d.ravel() for d in np.mgrid[-r : r + 1, -r : r + 1])
    ring = np.maximum(np.abs(dy), np.abs(dx))  # each offset's distance (the square's ring)
    yy = np.clip(ys[:, None] + dy[None, :], 0, b1 - b0 - 1)
    xx = np.clip(xs[:, None] + dx[None, :], 0, a1 - a0 - 1)
    out: list[list[float]] = [[] for _ in radii]
    for nb, f in zip(neighbours, flows, strict=True):
        if abs(nb.offset) != 1:
            continue
        ff = f[b0:b1, a0:a1]
        warped = cv2.remap(nb.luma, gx + ff[..., 0], gy + ff[..., 1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        nx = cv2.Sobel(warped, cv2.CV_32F, 1, 0, ksize=3) * 0.125
        ny = cv2.Sobel(warped, cv2.CV_32F, 0, 1, ksize=3) * 0.125
        # the neighbour's gradient at every offset, projected on the outline's: one gather
        proj = nx[yy, xx] * ux[:, None] + ny[yy, xx] * uy[:, None]
        for k, radius in enumerate(radii):
            best = np.maximum(0.0, proj[:, ring <= radius].max(axis=1))
            out[k].append(float(np.sum(np.minimum(best, wgt)) / np.sum(wgt)))
    return out


FEATURES = (
    "log_peak", "polarity", "level", "attached", "misfit", "value_1", "moving_share", "edge", "spatial",
    "displaced", "rules", "follow", "follow_max", "follow_2",
)


def candidate_features(
    cur: np.ndarray, signed: np.ndarray, z: np.ndarray, high: float, region: np.ndarray,
    box: tuple[int, int, int, int], neighbours: list[Neighbour], rel: np.ndarray, moving: np.ndarray,
    r_near: int, reach: int, rules: bool | None, soft: np.ndarray | None = None, displaced: bool = True,
    flows: list[np.ndarray] | None = None,
) -> np.ndarray:
    """The measurements of one candidate the verifier (``detect.verify``) weighs, in
    :data:`FEATURES` order: peak score, polarity and level, how much it continues an
    object of the picture (``attached``), how badly the flow fits around it (relative to
    its contrast), whether its values are found within the local motion's reach in the
    frames +-1, how much of it moves, the edges and the contrast of its own surroundings
    (relative to its contrast), how well the whole candidate is found displaced in the frames
    +-1 (:func:`displaced_fit`, on ``soft``, the blurred current picture, when given), the
    rules' answer (these two NaN when not worked out: ``displaced=False``, ``rules=None``),
    and how much its outline continues the picture's edges in the frames +-1
    (:func:`edge_continuation` with ``flows``, the flows to the frames +-1 in ``neighbours``'
    order: the least and the most over them within 1 px, the least within 2 px; NaN without
    ``flows``).
    ``neighbours``: the blurred pictures the search uses; ``rel``/``moving``: relative motion
    and moving picture from the flows around the candidates."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    s = signed[y0:y1, x0:x1][region]
    contrast = float(np.sqrt(np.mean(s * s))) + 1e-6
    peak = float(z[y0:y1, x0:x1][region].max())
    # contrast of the candidate against its own surroundings (3..6 px out) and their edges
    m = 6
    a0, b0, a1, b1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    own = np.zeros((b1 - b0, a1 - a0), np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    ring = (cv2.dilate(own, np.ones((2 * m + 1,) * 2, np.uint8)) > 0) & ~(cv2.dilate(own, np.ones((5, 5), np.uint8)) > 0)
    c = cur[b0:b1, a0:a1]
    level = float(np.median(c[own > 0]))
    if ring.any():
        gx = cv2.Sobel(c, cv2.CV_32F, 1, 0, ksize=3) * 0.125
        gy = cv2.Sobel(c, cv2.CV_32F, 0, 1, ksize=3) * 0.125
        edge = float(np.median(np.hypot(gx, gy)[ring])) / contrast
        spatial = abs(level - float(np.median(c[ring]))) / contrast
    else:
        edge = spatial = 0.0
    around = rel[max(0, y0 - r_near) : y1 + r_near, max(0, x0 - r_near) : x1 + r_near]
    radius = min(reach, int(np.ceil(float(around.max()))) + 2)
    return np.array([
        np.log(peak / high),
        1.0 if float(s.sum()) > 0 else -1.0,
        level,
        attached_share(cur, signed, region, box),
        min(10.0, surroundings_misfit(cur, region, box, neighbours) / contrast),
        value_explained(cur, signed, region, box, neighbours, radius),
        float(moving[y0:y1, x0:x1][region].mean()),
        min(10.0, edge),
        min(10.0, spatial),
        displaced_fit(cur if soft is None else soft, region, box, neighbours, reach) if displaced else np.nan,
        np.nan if rules is None else float(rules),
        *_follow(cur if soft is None else soft, region, box, neighbours, flows),
    ], np.float64)


def _follow(soft: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int], neighbours: list[Neighbour],
            flows: list[np.ndarray] | None) -> tuple[float, float, float]:
    near = [nb for nb in neighbours if abs(nb.offset) == 1]
    if flows is None or not near or len(flows) != len(near):
        return (np.nan, np.nan, np.nan)
    one, two = _edge_continuations(soft, region, box, near, flows, (1, 2))
    if not one:
        return (0.0, 0.0, 0.0)
    return (min(one), max(one), min(two))

def protect(
    cur: np.ndarray,
    mask: np.ndarray,
    signed: np.ndarray,
    z: np.ndarray,
    high: float,
    neighbours: list[Neighbour],
    strength: float,
    verifier: verify.Verifier | None | bool = True,
    sink: list | None = None,
) -> np.ndarray:
    """``mask`` without the regions that motion explains (see module docs).

    ``signed``/``z``: the outlier distance and score of the temporal test; ``high``: its
    seed threshold; ``neighbours``: frames +-1 (+-2) with flows from the current frame.
    ``verifier``: the learned verifier (``detect.verify``) that decides every candidate on
    moving picture from its :func:`candidate_features`, the rules' answer among them
    (``True``: the shipped one; ``None``/``False``: the rules alone). ``sink``: for the
    verifier's training script, receives ``(box, region, features, kept_by_rules)`` of every
    candidate on moving picture.
    """
    if verifier is True:
        verifier = verify.load()
    elif verifier is False:
        verifier = None
    cols = verifier.columns(FEATURES) if verifier is not None else None
    # the rules' own answer is only worked out when something asks for it
    need_rules = verifier is None or sink is not None or "rules" in verifier.features
    need_displaced = sink is not None or (verifier is not None and "displaced" in verifier.features)
    need_follow = sink is not None or (verifier is not None and any(f.startswith("follow") for f in verifier.features))
    if strength <= 0 or not mask.any() or not neighbours:
        return mask
    h, w = cur.shape
    scale = max(h, w) / 640.0
    near = [nb for nb in neighbours if abs(nb.offset) == 1]
    # the candidates themselves bend the flow: their motion is read from around them
    hole = cv2.dilate(mask.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
    sigma_fill = max(4.0, max(h, w) / 80.0)
    filled = [fill_flow(nb.flow, hole, sigma_fill) for nb in (near or neighbours)]
    rel = _largest([relative_motion(f) for f in filled])
    side_flows = {nb.offset: f for nb, f in zip(near, filled, strict=False)} if near else {}
    side_overall = {o: np.median(f[::4, ::4].reshape(-1, 2), axis=0) for o, f in side_flows.items()}
    moving = moving_pixels(filled, max(1.0, scale), rel)
    r_near = 2 * max(1, round(NEAR_MOVING * max(1.0, scale)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    flat = labels.ravel()
    peak = np.zeros(n, np.float32)
    sel = labels > 0
    np.maximum.at(peak, labels[sel], z[sel])
    on_moving = np.bincount(flat, weights=moving.ravel(), minlength=n) > 0
    reach = max(2, round((BASE_REACH + EXTRA_REACH * strength) * max(1.0, scale)))  # motion does not shrink with the picture
    tol = MATCH_TOLERANCE[0] + (MATCH_TOLERANCE[1] - MATCH_TOLERANCE[0]) * strength
    tile = max(4, round(TILE * scale))
    # matched a little blurred: a turning limb's edges then still line up within a pixel
    # (only once a candidate needs it: still pictures never do)
    sigma = BLUR * scale
    soft: np.ndarray | None = None
    plain = neighbours
    keep = np.ones(n, bool)
    keep[0] = False
    for k in range(1, n):
        if not on_moving[k]:
            continue
        if peak[k] < high * (1.0 + MOVING_EVIDENCE * strength):
            keep[k] = False
            continue
        if soft is None:
            soft = cv2.GaussianBlur(cur, (0, 0), sigma)
            neighbours = [Neighbour(nb.offset, cv2.GaussianBlur(nb.luma, (0, 0), sigma), nb.flow) for nb in plain]
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        region = labels[y : y + bh, x : x + bw] == k
        box = (x, y, x + bw, y + bh)
        rules = None
        if need_rules:
            rules = _rules_keep(cur, soft, signed, region, box, neighbours, rel, reach, tol, tile, r_near)
        if verifier is None and sink is None:
            keep[k] = rules
        else:
            feats = candidate_features(
                cur, signed, z, high, region, box, neighbours, rel, moving, r_near, reach, rules, soft,
                need_displaced, filled if near and need_follow else None,
            )
            if sink is not None:
                sink.append((box, region, feats, bool(rules)))
            keep[k] = bool(rules) if verifier is None else bool(verifier.accepts(feats[cols], strength)[0])
        # neither the rules nor the verifier see a background that only one side in time shows
        if keep[k] and one_sided_motion(soft, signed, region, box, neighbours, side_flows, side_overall, scale):
            keep[k] = False
    return keep[labels]


def _rules_keep(
    cur: np.ndarray, soft: np.ndarray, signed: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int],
    neighbours: list[Neighbour], rel: np.ndarray, reach: int, tol: float, tile: int, r_near: int,
) -> bool:
    """Whether the rules keep a candidate on moving picture: found displaced in the
    neighbours, or its values within the local motion's reach where the flow failed, it goes."""
    x, y, x1, y1 = box
    bw, bh = x1 - x, y1 - y
    if explained_share(soft, region, box, neighbours, reach, tol, tile, EXPLAINED) >= EXPLAINED:
        return False
    # where the flow does not explain even the surroundings (it failed on a fast limb),
    # the candidate's values found within reach of it are enough
    contrast = float(np.sqrt(np.mean(signed[y : y + bh, x : x + bw][region] ** 2)))
    # as far as the picture around it moves (the flow may be wrong on it, not all around)
    around = rel[max(0, y - r_near) : y + bh + r_near, max(0, x - r_near) : x + bw + r_near]
    radius = min(reach, int(np.ceil(float(around.max()))) + 2)
    suspect = attached_share(cur, signed, region, box) >= ATTACHED
    return not (
        (suspect or surroundings_misfit(cur, region, box, neighbours) > MISFIT * contrast)
        and value_explained(cur, signed, region, box, neighbours, radius) >= VALUE_EXPLAINED
    )
