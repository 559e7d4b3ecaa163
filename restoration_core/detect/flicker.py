"""Flicker: per-frame brightness gain and offset against a temporally smoothed reference.

Each frame is summarised by luma quantiles (robust to specks and small moving objects).
The reference for frame ``i`` is the per-quantile median over frames ``i - r .. i + r``;
a least-squares line maps the frame's quantiles onto the reference, giving
``(gain, offset)`` such that ``gain * luma + offset`` removes the flicker.
"""

from __future__ import annotations

import numpy as np

QUANTILES = (0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95)
MIN_SPREAD = 0.02  # below this the frame is flat (black, white): no contrast to measure


def luma_quantiles(luma: np.ndarray) -> np.ndarray:
    """The frame's brightness summary (float64, len(QUANTILES))."""
    return np.quantile(luma[::2, ::2], QUANTILES).astype(np.float64)


def gain_offset(own: np.ndarray, window: list[np.ndarray]) -> tuple[float, float]:
    """Fit ``gain * own + offset ~ median(window)`` (window includes ``own``)."""
    ref = np.median(np.stack(window), axis=0)
    spread = float(own[-1] - own[0])
    if spread < MIN_SPREAD or float(ref[-1] - ref[0]) < MIN_SPREAD:
        # Flat frame: only an offset is measurable.
        return 1.0, float(np.median(ref - own))
    gain, offset = np.polyfit(own, ref, 1)
    return float(gain), float(offset)
