"""Motion protection: a dust or dirt candidate counts only when no plausible motion explains it.

The temporal test (``dust.temporal_outliers``) trusts the flow to the two nearest frames.
Where that flow is wrong (a fast hand, a swinging arm, cloth: "pathological motion") the
moving thing itself looks like a one-frame outlier. Each candidate region is therefore
questioned again where the picture moves:

- **the candidate's shape displaced in a neighbour**: the candidate with a thin ring of its
  surroundings is searched for (masked template matching) in the frames +-1 and +-2, around
  where the flow puts it and around where it is, within a reach that grows with the
  protection strength. Damage exists in one frame only; a moving object is found again.
- **more evidence on and next to moving objects**: a region on or beside pixels that move
  relative to the frame's overall motion needs a stronger peak.

Static picture is left to the aligned test, so dust on a still background keeps its recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MOVE_PX = 1.5  # px of motion relative to the frame's overall motion that makes a pixel "moving"
NEAR_MOVING = 9  # px (at 640 wide): "next to" a moving object
BASE_REACH = 6  # px (at 640 wide) searched around the predicted place at strength 0
EXTRA_REACH = 36  # px added at strength 1
RING = 2  # px of surroundings matched with the candidate's shape
MATCH_TOLERANCE = (0.3, 0.7)  # rms(best displaced match) / rms(aligned) that explains a tile, strength 0..1
CONTEXT = 0.5  # weight of a tile's surroundings in the match (its own pixels weigh 1)
TILE = 8  # px (at 640 wide): a candidate is searched for tile by tile
EXPLAINED = 0.5  # share of a candidate's pixels in explained tiles that makes it motion
MOVING_EVIDENCE = 0.0  # peak-z factor on moving picture: 1 + MOVING_EVIDENCE * strength


@dataclass(frozen=True)
class Neighbour:
    """A frame near the current one: its luma and the flow from the current frame to it."""

    offset: int
    luma: np.ndarray
    flow: np.ndarray


def moving_pixels(flows: list[np.ndarray], scale: float) -> np.ndarray:
    """Pixels that move relative to the frame's overall motion (in any of ``flows``), grown
    by :data:`NEAR_MOVING` px: the picture on and next to moving objects."""
    moving = None
    for f in flows:
        rel = f - np.median(f[::4, ::4].reshape(-1, 2), axis=0)
        m = np.hypot(rel[..., 0], rel[..., 1]) > MOVE_PX * scale
        moving = m if moving is None else moving | m
    assert moving is not None
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
    reach: int, tolerance: float, tile: int,
) -> float:
    """Share of the candidate's pixels (``region``: bool crop at ``box`` = x0, y0, x1, y1) in
    tiles that a neighbour shows displaced: the tile with its surroundings matches somewhere
    within ``reach`` much better (rms below ``tolerance`` times) than where the flow puts it.
    Tiles let a hand or a sleeve change shape between frames and still be found."""
    h, w = cur.shape
    x0, y0, x1, y1 = box
    total = int(region.sum())
    if total == 0:
        return 0.0
    pad = RING + 1
    explained = 0
    for ty in range(y0, y1, tile):
        for tx in range(x0, x1, tile):
            sub = region[ty - y0 : ty - y0 + tile, tx - x0 : tx - x0 + tile]
            count = int(sub.sum())
            if count == 0:
                continue
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
            for nb in neighbours:
                f = nb.flow[min(h - 1, (b0 + b1) // 2), min(w - 1, (a0 + a1) // 2)]
                dx, dy = int(round(float(f[0]))), int(round(float(f[1])))
                sx0, sy0 = max(0, min(a0, a0 + dx) - reach), max(0, min(b0, b0 + dy) - reach)
                sx1, sy1 = min(w, max(a1, a1 + dx) + reach), min(h, max(b1, b1 + dy) + reach)
                if sx1 - sx0 < tw or sy1 - sy0 < th:
                    continue
                search = np.ascontiguousarray(nb.luma[sy0:sy1, sx0:sx1])
                aligned = _ssd_at(search, tpl, weight, a0 + dx - sx0, b0 + dy - sy0)
                if not np.isfinite(aligned):
                    aligned = float(np.sum(((nb.luma[b0:b1, a0:a1] - tpl) * weight) ** 2))
                best = float(cv2.matchTemplate(search, tpl, cv2.TM_SQDIFF, mask=weight).min())
                if best < tolerance * tolerance * aligned:
                    explained += count
                    break
    return explained / total


def protect(
    cur: np.ndarray,
    mask: np.ndarray,
    signed: np.ndarray,
    z: np.ndarray,
    high: float,
    neighbours: list[Neighbour],
    strength: float,
) -> np.ndarray:
    """``mask`` without the regions that motion explains (see module docs).

    ``signed``/``z``: the outlier distance and score of the temporal test; ``high``: its
    seed threshold; ``neighbours``: frames +-1 (+-2) with flows from the current frame.
    """
    if strength <= 0 or not mask.any() or not neighbours:
        return mask
    h, w = cur.shape
    scale = max(h, w) / 640.0
    near = [nb for nb in neighbours if abs(nb.offset) == 1]
    moving = moving_pixels([nb.flow for nb in (near or neighbours)], scale)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    flat = labels.ravel()
    peak = np.zeros(n, np.float32)
    sel = labels > 0
    np.maximum.at(peak, labels[sel], z[sel])
    on_moving = np.bincount(flat, weights=moving.ravel(), minlength=n) > 0
    reach = max(2, round((BASE_REACH + EXTRA_REACH * strength) * scale))
    tol = MATCH_TOLERANCE[0] + (MATCH_TOLERANCE[1] - MATCH_TOLERANCE[0]) * strength
    tile = max(4, round(TILE * scale))
    keep = np.ones(n, bool)
    keep[0] = False
    for k in range(1, n):
        if not on_moving[k]:
            continue
        if peak[k] < high * (1.0 + MOVING_EVIDENCE * strength):
            keep[k] = False
            continue
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        region = labels[y : y + bh, x : x + bw] == k
        if explained_share(cur, region, (x, y, x + bw, y + bh), neighbours, reach, tol, tile) >= EXPLAINED:
            keep[k] = False
    return keep[labels]
