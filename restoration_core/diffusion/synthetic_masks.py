"""Synthetic damage masks for training an inpainting prior: strokes, blobs, vertical lines.

They imitate the shapes a reel's own defects take (hairs and scratches as thin strokes,
dirt and mould as blobs, line scratches as long vertical lines), so the prior learns to
fill holes of those shapes.
"""

from __future__ import annotations

import cv2
import numpy as np


def strokes(rng: np.random.Generator, size: int, mask: np.ndarray) -> None:
    for _ in range(int(rng.integers(1, 4))):
        n = int(rng.integers(2, 6))
        pts = np.cumsum(rng.normal(0, size / 5, (n, 2)), axis=0) + rng.uniform(0, size, 2)
        pts = np.clip(pts, 0, size - 1).astype(np.int32)
        cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, int(rng.integers(1, 5)))


def blobs(rng: np.random.Generator, size: int, mask: np.ndarray) -> None:
    for _ in range(int(rng.integers(1, 4))):
        center = (int(rng.integers(0, size)), int(rng.integers(0, size)))
        axes = (int(rng.integers(1, max(2, size // 6))), int(rng.integers(1, max(2, size // 6))))
        cv2.ellipse(mask, center, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)


def vertical_lines(rng: np.random.Generator, size: int, mask: np.ndarray) -> None:
    for _ in range(int(rng.integers(1, 3))):
        x = int(rng.integers(0, size))
        width = int(rng.integers(1, 4))
        top = int(rng.integers(0, size // 2)) if rng.random() < 0.3 else 0
        mask[top:, x:x + width] = 1


SHAPES = (strokes, blobs, vertical_lines)


def synthetic_mask(rng: np.random.Generator, size: int) -> np.ndarray:
    """A bool size x size mask with one or two kinds of synthetic damage (never empty)."""
    mask = np.zeros((size, size), np.uint8)
    for i in rng.choice(len(SHAPES), size=int(rng.integers(1, 3)), replace=False):
        SHAPES[int(i)](rng, size, mask)
    if mask.mean() > 0.6:  # keep enough context to condition on
        mask[:, : size // 3] = 0
    if not mask.any():
        mask[size // 2, size // 2] = 1
    return mask.astype(bool)
