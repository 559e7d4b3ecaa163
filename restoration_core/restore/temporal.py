"""Temporal fill: copy each damaged pixel from where it is visible in a neighbouring frame.

For frame ``i`` and each neighbour ``j`` (nearest first, both directions, ``radius`` deep)
a dense flow ``i -> j`` and ``j -> i`` is estimated on luma whose damage was roughly
inpainted first (so specks do not drag the flow). A neighbour's pixel is a *candidate* only
where the flow is forward-backward consistent, lands inside the frame, and the source pixel
is itself undamaged (the neighbour's mask is warped too). Per pixel the nearest-in-time
candidate that agrees with the median of all candidates wins: a real pixel with its real
grain, robust to a single occluded or mis-tracked source.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import cv2
import numpy as np

from restoration_core.detect.flow import estimate_flow, to_luma

DILATE = np.ones((5, 5), np.uint8)


def prefilled_luma(data: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Luma (float32 0..1) with the damaged pixels roughly inpainted, for flow estimation."""
    luma = to_luma(data)
    if mask is None or not mask.any():
        return luma
    u8 = np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)
    grown = cv2.dilate(mask.astype(np.uint8), DILATE)
    return cv2.inpaint(u8, grown, 3, cv2.INPAINT_TELEA).astype(np.float32) / 255.0


def smooth_over(flow: np.ndarray, mask: np.ndarray | None, reach: int = 6, sigma: float = 6.0) -> np.ndarray:
    """Replace the flow on and near the damage by a weighted average of the flow around it.

    The prefilled damage is textureless, so the flow estimated there (and a few px around)
    is biased; the motion of the surroundings is the better guess.
    """
    if mask is None or not mask.any():
        return flow
    bad = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))).astype(bool)
    weight = (~bad).astype(np.float32)
    h, w = mask.shape
    small = (max(1, w // 4), max(1, h // 4))
    # Blur at quarter resolution: the result is smooth anyway and 16x cheaper to compute.
    num = cv2.resize(cv2.GaussianBlur(cv2.resize(flow * weight[..., None], small, interpolation=cv2.INTER_AREA),
                                      (0, 0), sigma / 4), (w, h), interpolation=cv2.INTER_LINEAR)
    den = cv2.resize(cv2.GaussianBlur(cv2.resize(weight, small, interpolation=cv2.INTER_AREA),
                                      (0, 0), sigma / 4), (w, h), interpolation=cv2.INTER_LINEAR)
    out = flow.copy()
    ok = bad & (den > 1e-3)
    out[ok] = num[ok] / den[ok][:, None]
    return out


class FlowCache:
    """Flows between frames of the sliding window, computed once per ordered pair."""

    def __init__(self, luma_of: Callable[[int], np.ndarray], mask_of: Callable[[int], np.ndarray | None]):
        self._luma_of = luma_of
        self._mask_of = mask_of
        self._flows: dict[tuple[int, int], np.ndarray] = {}

    def get(self, i: int, j: int) -> np.ndarray:
        key = (i, j)
        if key not in self._flows:
            flow = estimate_flow(self._luma_of(i), self._luma_of(j))
            self._flows[key] = smooth_over(flow, self._mask_of(i))
        return self._flows[key]

    def drop_before(self, first: int) -> None:
        """Forget every flow that involves a frame older than ``first``."""
        for key in [k for k in self._flows if min(k) < first]:
            del self._flows[key]

    def __len__(self) -> int:
        return len(self._flows)


def _sample(image: np.ndarray, mx: np.ndarray, my: np.ndarray, nearest: bool = False) -> np.ndarray:
    """``image`` at the (N,) float coordinates; returns (N,) or (N, C)."""
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    n = len(mx)
    cols = 1024  # OpenCV maps must stay below 32767 rows
    rows = max(1, -(-n // cols))
    px = np.zeros(rows * cols, np.float32)
    py = np.zeros(rows * cols, np.float32)
    px[:n], py[:n] = mx, my
    out = cv2.remap(image, px.reshape(rows, cols), py.reshape(rows, cols), interp, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * cols, *image.shape[2:])[:n]


def neighbour_order(i: int, radius: int, lo: int, hi: int) -> list[int]:
    """Neighbours of ``i`` within [lo, hi), nearest first, the past before the future at equal distance."""
    out = []
    for d in range(1, radius + 1):
        for j in (i - d, i + d):
            if lo <= j < hi:
                out.append(j)
    return out


def _candidates(
    i: int, j: int, ys: np.ndarray, xs: np.ndarray, known: np.ndarray,
    image_of: Callable[[int], np.ndarray], damage_of: Callable[[int], np.ndarray | None],
    flows: FlowCache, current: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour ``j``'s pixels seen at (ys, xs) of frame ``i`` and where they can be trusted."""
    fw = flows.get(i, j)
    bw = flows.get(j, i)
    h, w = fw.shape[:2]
    f = fw[ys, xs]
    mx = (xs + f[:, 0]).astype(np.float32)
    my = (ys + f[:, 1]).astype(np.float32)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    back = _sample(bw, mx, my)
    err = np.linalg.norm(f + back, axis=1)
    ok = inside & (err <= 1.0 + 0.05 * np.linalg.norm(f, axis=1))
    dmg = damage_of(j)
    if dmg is not None and dmg.any():
        grown = cv2.dilate(dmg.astype(np.uint8), DILATE).astype(np.float32)
        ok &= _sample(grown, mx, my) < 0.01
    cand = _sample(image_of(j), mx, my)
    if current is not None:
        ring = ok & known
        if ring.sum() >= 16:
            offset = np.median(current[ys[ring], xs[ring]] - cand[ring], axis=0)
            if np.abs(offset).max() > 0.5 / 255.0:
                cand = cand + offset.astype(np.float32)
    return cand, ok


def _settled(cands: np.ndarray, valid: np.ndarray, agree: float) -> bool:
    """True when every pixel has a candidate and nearly all (98%) have two that agree."""
    count = valid.sum(axis=0)
    if valid.shape[0] < 2 or not (count >= 1).all():
        return False
    lo = np.where(valid[..., None], cands, np.inf).min(axis=0)
    hi = np.where(valid[..., None], cands, -np.inf).max(axis=0)
    good = (count >= 2) & ((hi - lo).max(axis=1) <= agree)
    return bool(good.mean() >= 0.98)


def temporal_fill(
    i: int,
    ys: np.ndarray,
    xs: np.ndarray,
    known: np.ndarray,
    neighbours: list[int],
    image_of: Callable[[int], np.ndarray],
    damage_of: Callable[[int], np.ndarray | None],
    flows: FlowCache,
    agree: float = 0.08,
    current: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates for the pixels (ys, xs) of frame ``i`` from its neighbours.

    ``image_of(j)``: float32 HxWx3 in [0, 1]; ``damage_of(j)``: bool HxW or None (the
    neighbour's mask). ``known``: (N,) True for pixels of ``i`` that are themselves undamaged
    (the feather ring); they measure each neighbour's brightness offset (flicker), which is
    removed from its candidates when ``current`` (frame ``i`` as float) is given.
    Returns ``values`` (N, 3) float32, ``ok`` (N,) bool and ``source`` (N,) int (-1 = none).
    """
    n = len(ys)
    if n == 0 or not neighbours:
        return np.zeros((n, 3), np.float32), np.zeros(n, bool), np.full(n, -1, np.int64)
    cand_list: list[np.ndarray] = []
    valid_list: list[np.ndarray] = []
    used: list[int] = []
    for k, j in enumerate(neighbours):
        cand, ok = _candidates(i, j, ys, xs, known, image_of, damage_of, flows, current)
        cand_list.append(cand)
        valid_list.append(ok)
        used.append(j)
        last_of_level = k + 1 == len(neighbours) or abs(neighbours[k + 1] - i) != abs(j - i)
        if last_of_level and _settled(np.stack(cand_list), np.stack(valid_list), agree):
            break  # every pixel has two agreeing sources: farther frames are not needed
    cands = np.stack(cand_list)
    valid = np.stack(valid_list)
    neighbours = used
    count = valid.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        masked = np.where(valid[..., None], cands, np.nan)
        median = np.nanmedian(masked, axis=0)
    close = valid & (np.abs(cands - median[None]).max(axis=2) <= agree)
    # Where candidates disagree (two sources, one occluded) fall back to the nearest valid one.
    pick_from = np.where(close.any(axis=0)[None], close, valid)
    first = np.argmax(pick_from, axis=0)
    ok = count > 0
    values = cands[first, np.arange(n)]
    source = np.where(ok, np.asarray(neighbours)[first], -1)
    return values.astype(np.float32), ok, source
