"""Compositing: feather weights, windows around damaged regions, tone match, paste-back.

The repair of a frame is blended into the original with a weight that is 1 on the mask and
falls linearly to 0 over ``feather`` px around it; every pixel farther than ``feather`` px
from the mask keeps its original value exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.restore.boxes import box_of, components


def distance_to(mask: np.ndarray, within: int | None = None) -> np.ndarray:
    """Euclidean distance (float32) of every pixel to the nearest True pixel of ``mask``.

    ``within``: only distances up to ``within`` are needed; they are computed (exactly) in
    the mask's box grown past it, and every pixel outside that box is inf."""
    if within is None:
        if not mask.any():
            return np.full(mask.shape, np.inf, np.float32)
        return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    out = np.full(mask.shape, np.inf, np.float32)
    box = box_of(mask, int(np.ceil(within)) + 1)
    if box is not None:
        y0, y1, x0, x1 = box
        out[y0:y1, x0:x1] = cv2.distanceTransform((~mask[y0:y1, x0:x1]).astype(np.uint8), cv2.DIST_L2,
                                                  cv2.DIST_MASK_PRECISE)
    return out


def feather_alpha(mask: np.ndarray, feather: int, solid: int = 0, d: np.ndarray | None = None) -> np.ndarray:
    """Blend weight from the distance d to ``mask``: 1 for d <= ``solid`` (the mask grown by
    ``solid`` px), then falling linearly, 0 for d > ``feather``."""
    d = distance_to(mask) if d is None else d
    solid = min(solid, feather)
    alpha = np.clip(1.0 - (d - solid) / (feather - solid + 1.0), 0.0, 1.0).astype(np.float32)
    alpha[d <= solid] = 1.0
    alpha[d > feather] = 0.0
    return alpha


@dataclass
class Region:
    """One connected area to fill: its label, pixel bbox (x, y, w, h) and context window."""

    label: int
    bbox: tuple[int, int, int, int]
    window: tuple[int, int, int, int]  # y0, y1, x0, x1
    area: int


def regions(mask: np.ndarray, context: int) -> tuple[np.ndarray, list[Region]]:
    """8-connected components of ``mask`` with a context window around each."""
    count, labels, stats = components(mask)
    h, w = mask.shape
    out = []
    for k in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[k])
        pad = max(context, (max(bw, bh) + 1) // 2)
        window = (max(0, y - pad), min(h, y + bh + pad), max(0, x - pad), min(w, x + bw + pad))
        out.append(Region(k, (x, y, bw, bh), window, area))
    return labels, out


def _band(mask: np.ndarray, width: int, inside: bool) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    m8 = mask.astype(np.uint8)
    if inside:
        return mask & ~cv2.erode(m8, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)
    return cv2.dilate(m8, kernel).astype(bool) & ~mask


def tone_match(
    fill: np.ndarray, known: np.ndarray, mask: np.ndarray, avoid: np.ndarray | None = None, *, contrast: bool = False
) -> np.ndarray:
    """Shift (and with ``contrast`` rescale, within +-15%) the filled pixels so the fill's inner
    border band has the mean (and spread) of the ring of known pixels just outside the mask.

    ``fill`` and ``known``: float32 hxwx3 windows; ``mask``: the filled pixels; ``avoid``:
    pixels that are not trustworthy context (other damage). Returns a corrected copy.
    """
    inner = _band(mask, 2, inside=True)
    outer = _band(mask, 3, inside=False)
    if avoid is not None:
        outer &= ~avoid
    if inner.sum() < 4 or outer.sum() < 4:
        return fill
    out = fill.copy()
    for c in range(fill.shape[2]):
        fi = fill[..., c][inner]
        ko = known[..., c][outer]
        mu_in, mu_out = float(fi.mean()), float(ko.mean())
        gain = 1.0
        if contrast and fi.std() > 1e-4:
            gain = float(np.clip(ko.std() / fi.std(), 0.85, 1.15))
        vals = out[..., c]
        vals[mask] = (vals[mask] - mu_in) * gain + mu_out
    return out


def to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float [0, 1] -> uint8/uint16 with rounding and clipping."""
    maxv = 65535.0 if dtype == np.uint16 else 255.0
    return np.clip(values * maxv + 0.5, 0, maxv).astype(dtype)


def composite(original: np.ndarray, value: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``original`` (uint) with ``alpha * value + (1 - alpha) * original`` where ``alpha > 0``.

    Only pixels with ``alpha > 0`` are touched; all others are copied bit-exact.
    """
    out = original.copy()
    ys, xs = np.nonzero(alpha > 0)
    if len(ys) == 0:
        return out
    maxv = 65535.0 if original.dtype == np.uint16 else 255.0
    a = alpha[ys, xs][:, None]
    orig = original[ys, xs].astype(np.float32) / maxv
    blended = a * value[ys, xs] + (1.0 - a) * orig
    out[ys, xs] = to_dtype(blended, original.dtype)
    return out
