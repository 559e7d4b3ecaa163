"""Fit arbitrary windows onto a model's square canvas and back, keeping known pixels exact.

A window is scaled (down always when larger than the canvas; up only when asked, as latent
models want their native size) with its aspect kept, then padded by mirroring to the
square canvas. The padding counts as known. Holes are pre-filled by normalized
convolution so that neither the model nor the mirror padding sees the damaged pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Placement:
    """Where a window sits on the canvas: offset and scaled size, and its original size."""

    top: int
    left: int
    height: int
    width: int
    src_height: int
    src_width: int


def prefill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Replace hole pixels by a smooth average of the nearby known pixels."""
    out = image.astype(np.float32, copy=True)
    if not hole.any():
        return out
    known = (~hole).astype(np.float32)
    if known.sum() == 0:
        out[:] = 0.5
        return out
    sigma = max(2.0, 0.1 * max(hole.shape))
    num = cv2.GaussianBlur(out * known[..., None], (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(known, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    mean = out[~hole].mean(axis=0)
    fill = np.where(den[..., None] > 1e-4, num / np.maximum(den[..., None], 1e-4), mean)
    out[hole] = fill[hole]
    return out


def fit(image: np.ndarray, hole: np.ndarray, size: int, *, upscale: bool) -> tuple[np.ndarray, np.ndarray, Placement]:
    """(canvas size x size x 3, canvas hole mask, placement) for one window."""
    h, w = hole.shape
    scale = min(size / h, size / w)
    if not upscale:
        scale = min(scale, 1.0)
    nh = int(np.clip(round(h * scale), 1, size))
    nw = int(np.clip(round(w * scale), 1, size))
    img = prefill(np.clip(image, 0.0, 1.0), hole)
    m = hole.astype(np.float32)
    if (nh, nw) != (h, w):
        interp = cv2.INTER_AREA if nh < h else cv2.INTER_CUBIC
        img = np.clip(cv2.resize(img, (nw, nh), interpolation=interp), 0.0, 1.0)
        m = cv2.resize(m, (nw, nh), interpolation=cv2.INTER_AREA if nh < h else cv2.INTER_LINEAR)
    mk = m > 0
    top, left = (size - nh) // 2, (size - nw) // 2
    pads = ((top, size - nh - top), (left, size - nw - left))
    canvas = np.pad(img, (*pads, (0, 0)), mode="symmetric")
    cmask = np.pad(mk, pads, mode="constant", constant_values=False)
    return canvas.astype(np.float32), cmask, Placement(top, left, nh, nw, h, w)


def unfit(canvas: np.ndarray, place: Placement) -> np.ndarray:
    """The window's part of the canvas, back at the window's own size."""
    crop = canvas[place.top:place.top + place.height, place.left:place.left + place.width]
    if (place.height, place.width) != (place.src_height, place.src_width):
        interp = cv2.INTER_CUBIC if place.src_height > place.height else cv2.INTER_AREA
        crop = cv2.resize(crop, (place.src_width, place.src_height), interpolation=interp)
    return np.clip(crop, 0.0, 1.0).astype(np.float32)


def compose(image: np.ndarray, hole: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """``image`` with only the hole pixels taken from ``generated`` (known pixels exact)."""
    out = np.array(image, dtype=np.float32, copy=True)
    out[hole] = generated[hole]
    return out


def validate(image: np.ndarray, hole: np.ndarray, init: np.ndarray | None) -> None:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"fill request image must be HxWx3, got {image.shape}")
    if hole.shape != image.shape[:2] or hole.dtype != np.bool_:
        raise ValueError(f"fill request mask must be bool {image.shape[:2]}, got {hole.dtype} {hole.shape}")
    if init is not None and init.shape != image.shape:
        raise ValueError(f"fill request init must be {image.shape}, got {init.shape}")


def tile_starts(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``size`` covering ``length`` with at least ``overlap``."""
    if length <= size:
        return [0]
    n = int(np.ceil((length - overlap) / (size - overlap)))
    return [int(round(i * (length - size) / (n - 1))) for i in range(n)] if n > 1 else [0]


def fit_tiled(image: np.ndarray, hole: np.ndarray, size: int, overlap: int
              ) -> tuple[np.ndarray, np.ndarray, Placement, list[tuple[int, int]]]:
    """Keep the window at 1:1 scale: mirror-pad it to at least size x size and cover it with
    overlapping size x size tiles; only tiles that touch the hole are listed."""
    h, w = hole.shape
    img = prefill(np.clip(image, 0.0, 1.0), hole)
    H, W = max(h, size), max(w, size)
    top, left = (H - h) // 2, (W - w) // 2
    pads = ((top, H - h - top), (left, W - w - left))
    canvas = np.pad(img, (*pads, (0, 0)), mode="symmetric").astype(np.float32)
    cmask = np.pad(hole, pads, mode="constant", constant_values=False)
    tiles = [(y, x) for y in tile_starts(H, size, overlap) for x in tile_starts(W, size, overlap)
             if cmask[y:y + size, x:x + size].any()]
    return canvas, cmask, Placement(top, left, h, w, h, w), tiles
