"""Synthetic damage masks for training an inpainting prior: strokes, blobs, stains, lines.

They imitate the shapes a reel's own defects take (hairs and scratches as thin strokes,
dirt and mould as blobs, stains and emulsion loss as large irregular patches, line
scratches as long vertical lines), so the prior learns to fill holes of those shapes.
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


def stains(rng: np.random.Generator, size: int, mask: np.ndarray) -> None:
    """One large irregular patch (a third to two thirds of the patch across): a stain."""
    c = rng.uniform(size * 0.3, size * 0.7, 2)
    r = rng.uniform(size / 6, size / 3)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radii = r * rng.uniform(0.6, 1.2, 9)
    pts = np.stack([c[0] + radii * np.cos(angles), c[1] + radii * np.sin(angles)], 1).astype(np.int32)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 1)


def vertical_lines(rng: np.random.Generator, size: int, mask: np.ndarray) -> None:
    for _ in range(int(rng.integers(1, 3))):
        x = int(rng.integers(0, size))
        width = int(rng.integers(1, 4))
        top = int(rng.integers(0, size // 2)) if rng.random() < 0.3 else 0
        mask[top:, x:x + width] = 1


SHAPES = (strokes, blobs, stains, vertical_lines)


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
