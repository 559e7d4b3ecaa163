"""Rasterising tool strokes into boolean masks at source resolution (Qt-free, numpy/OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np


def effective_radius(size: float, hardness: float) -> float:
    """Masks are binary: a brush of ``size`` (diameter) and ``hardness`` (0..1) covers the
    pixels where its falloff (solid to ``hardness * r``, linear to 0 at ``r``) is >= 0.5.
    Softer edges in the repair come from the restore feather, not from the mask."""
    r = max(0.5, size / 2.0)
    h = min(1.0, max(0.0, hardness))
    return max(0.5, r * (1.0 + h) / 2.0)


def stamp_segment(mask: np.ndarray, p0: tuple[float, float], p1: tuple[float, float],
                  radius: float, value: bool) -> None:
    """Paint (or erase) a round-capped segment from ``p0`` to ``p1`` into ``mask`` in place.

    Drawn in the segment's own box, not a frame-sized canvas: a stroke on a 4K frame costs
    the brush's area per mouse event, not the frame's."""
    h, w = mask.shape
    a = (int(round(p0[0])), int(round(p0[1])))
    b = (int(round(p1[0])), int(round(p1[1])))
    r = int(round(radius))
    x0, x1 = max(0, min(a[0], b[0]) - r - 1), min(w, max(a[0], b[0]) + r + 2)
    y0, y1 = max(0, min(a[1], b[1]) - r - 1), min(h, max(a[1], b[1]) + r + 2)
    if r <= 0:
        mask[np.clip(a[1], 0, h - 1), np.clip(a[0], 0, w - 1)] = value
        return
    if x0 >= x1 or y0 >= y1:
        return
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    la, lb = (a[0] - x0, a[1] - y0), (b[0] - x0, b[1] - y0)
    cv2.line(canvas, la, lb, 1, thickness=2 * r, lineType=cv2.LINE_8)
    cv2.circle(canvas, la, r, 1, thickness=-1)
    cv2.circle(canvas, lb, r, 1, thickness=-1)
    mask[y0:y1, x0:x1][canvas.astype(bool)] = value


def fill_rect(mask: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], value: bool) -> None:
    h, w = mask.shape
    x0, x1 = sorted((int(np.floor(p0[0])), int(np.floor(p1[0]))))
    y0, y1 = sorted((int(np.floor(p0[1])), int(np.floor(p1[1]))))
    mask[max(0, y0):min(h, y1 + 1), max(0, x0):min(w, x1 + 1)] = value


def fill_polygon(mask: np.ndarray, points: list[tuple[float, float]], value: bool) -> None:
    if len(points) < 3:
        return
    canvas = np.zeros(mask.shape, np.uint8)
    pts = np.round(np.asarray(points, np.float64)).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(canvas, [pts], 1)
    mask[canvas.astype(bool)] = value
