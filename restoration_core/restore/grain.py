"""Grain matching: measure the film grain around a repair and add matching grain to the fill.

Grain is measured as the high-pass residual (image minus a Gaussian blur) of the known
pixels around the repair: a robust per-channel standard deviation, its spatial correlation
(the lag-1 autocorrelation, matched against Gaussian-correlated noise) and the correlation
between channels. Synthetic grain with the same statistics is generated deterministically
from a seed and added to generated (diffusion/classical) pixels only: temporal fills are real
pixels that already carry their grain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

HP_SIGMA = 1.5
SIGMAS = (0.0, 0.5, 0.7, 1.0, 1.4, 2.0)


@dataclass(frozen=True)
class GrainStats:
    std: tuple[float, float, float]  # high-pass residual std per channel (0..1 units)
    sigma: float  # spatial correlation: Gaussian blur of white noise
    rho: float  # correlation between channels (0 = independent, 1 = monochrome grain)


def highpass(image: np.ndarray) -> np.ndarray:
    return image - cv2.GaussianBlur(image, (0, 0), HP_SIGMA, borderType=cv2.BORDER_REFLECT)


def _blur(noise: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return noise
    return cv2.GaussianBlur(noise, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def _lag1(res: np.ndarray, valid: np.ndarray) -> float:
    """Mean lag-1 autocorrelation (horizontal and vertical) of ``res`` over valid pairs."""
    num = den = 0.0
    for a, b, va, vb in (
        (res[:, :-1], res[:, 1:], valid[:, :-1], valid[:, 1:]),
        (res[:-1], res[1:], valid[:-1], valid[1:]),
    ):
        both = va & vb
        if both.sum() < 8:
            continue
        x, y = a[both], b[both]
        num += float(np.sum(x * y))
        den += float(np.sqrt(np.sum(x * x) * np.sum(y * y)))
    return num / den if den > 0 else 0.0


@lru_cache(maxsize=1)
def _lag1_table() -> tuple[float, ...]:
    """Lag-1 autocorrelation of the high-passed grain for each candidate correlation sigma."""
    rng = np.random.default_rng(1234)
    noise = rng.standard_normal((192, 192)).astype(np.float32)
    valid = np.ones(noise.shape, bool)
    return tuple(_lag1(highpass(_blur(noise, s)), valid) for s in SIGMAS)


def _robust_std(x: np.ndarray) -> float:
    if x.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def estimate_grain(image: np.ndarray, known: np.ndarray) -> GrainStats | None:
    """Grain statistics of ``image`` (float32 hxwx3) over the ``known`` pixels, or None if too few."""
    if known.sum() < 24:
        return None
    res = highpass(image)
    # Edges are not grain: keep the residual's central part only.
    std = tuple(_robust_std(res[..., c][known]) for c in range(3))
    luma_res = res.mean(axis=2)
    spread = max(_robust_std(luma_res[known]), 1e-6)
    keep = known & (np.abs(luma_res) < 3 * spread)
    r = _lag1(np.where(keep, luma_res, 0), keep)
    table = _lag1_table()
    sigma = SIGMAS[int(np.argmin([abs(r - t) for t in table]))]
    pairs = []
    for c1, c2 in ((0, 1), (1, 2), (0, 2)):
        a, b = res[..., c1][keep], res[..., c2][keep]
        if a.std() > 1e-6 and b.std() > 1e-6:
            pairs.append(float(np.corrcoef(a, b)[0, 1]))
    rho = float(np.clip(np.mean(pairs), 0.0, 1.0)) if pairs else 0.0
    return GrainStats(std=std, sigma=sigma, rho=rho)  # type: ignore[arg-type]


def synth_grain(shape: tuple[int, int], stats: GrainStats, seed: int | tuple[int, ...]) -> np.ndarray:
    """Deterministic grain (float32 hxwx3) whose high-pass residual std matches ``stats.std``."""
    h, w = shape
    rng = np.random.default_rng(seed)
    pad = 8
    size = (h + 2 * pad, w + 2 * pad)
    shared = _blur(rng.standard_normal(size).astype(np.float32), stats.sigma)
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        own = _blur(rng.standard_normal(size).astype(np.float32), stats.sigma)
        g = np.sqrt(stats.rho) * shared + np.sqrt(1.0 - stats.rho) * own
        hp = float(np.std(highpass(g)))
        g = g[pad : pad + h, pad : pad + w] * (stats.std[c] / hp if hp > 0 else 0.0)
        out[..., c] = g
    return out
