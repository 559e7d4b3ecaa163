"""Display transforms: full-bit-depth frames to 8-bit QImages, for the screen only.

The frame data are never modified; 16-bit values are scaled (not truncated) into a new
8-bit array that exists only to be painted.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

DETECTED_RGBA = (255, 60, 40)   # detected damage: red-orange
PAINTED_RGBA = (40, 200, 255)   # painted/held masks: cyan
REJECTED_RGBA = (150, 150, 150)


def to_display(data: np.ndarray) -> np.ndarray:
    """HxWx3 (or HxW) uint8/uint16/float -> contiguous HxWx3 uint8 for display."""
    if data.ndim == 2:
        data = np.repeat(data[:, :, None], 3, axis=2)
    if data.dtype == np.uint8:
        out = data
    elif data.dtype == np.uint16:
        # round(v * 255 / 65535), i.e. (v + 128) // 257, for every 16-bit value (v / 257 is
        # never within float error of .5); OpenCV does it ten times faster than numpy.
        out = cv2.convertScaleAbs(data, alpha=255.0 / 65535.0)
    else:
        out = (np.clip(data.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(out[:, :, :3])


def difference(before: np.ndarray, after: np.ndarray, gain: float) -> np.ndarray:
    """|after - before| at full bit depth, times ``gain``, shown as 8-bit."""
    peak = 65535.0 if before.dtype == np.uint16 else 255.0
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)) / peak
    return to_display(np.clip(diff * float(gain), 0.0, 1.0))


def qimage_rgb(rgb8: np.ndarray) -> QImage:
    """Wrap an HxWx3 uint8 array as a QImage that owns a copy of the pixels."""
    rgb8 = np.ascontiguousarray(rgb8)
    h, w = rgb8.shape[:2]
    # RGB32 paints (scaled, smooth) about four times faster than RGB888
    return QImage(rgb8.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)


def mask_overlay(layers: list[tuple[np.ndarray | None, tuple[int, int, int]]],
                 shape: tuple[int, int], opacity: float) -> QImage | None:
    """Colour each boolean mask layer (later layers on top) into one RGBA QImage."""
    h, w = shape
    rgba = None
    alpha = int(round(255 * max(0.0, min(1.0, opacity))))
    for mask, colour in layers:
        if mask is None or not mask.any():
            continue
        if rgba is None:
            rgba = np.zeros((h, w, 4), np.uint8)
        m = mask[:h, :w]
        rgba[m, 0], rgba[m, 1], rgba[m, 2] = colour
        rgba[m, 3] = alpha
    if rgba is None:
        return None
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
