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
    """Paint (or erase) a round-capped segment from ``p0`` to ``p1`` into ``mask`` in place."""
    canvas = np.zeros(mask.shape, np.uint8)
    a = (int(round(p0[0])), int(round(p0[1])))
    b = (int(round(p1[0])), int(round(p1[1])))
    r = int(round(radius))
    if r <= 0:
        canvas[np.clip(a[1], 0, mask.shape[0] - 1), np.clip(a[0], 0, mask.shape[1] - 1)] = 1
    else:
        cv2.line(canvas, a, b, 1, thickness=2 * r, lineType=cv2.LINE_8)
        cv2.circle(canvas, a, r, 1, thickness=-1)
        cv2.circle(canvas, b, r, 1, thickness=-1)
    mask[canvas.astype(bool)] = value


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
