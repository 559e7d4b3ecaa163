"""Picture quality metrics for the restoration benchmark: PSNR, SSIM, warping error.

Every function takes uint8/uint16/float ([0, 1]) arrays; values are compared in [0, 1].
``mask`` restricts a metric to some pixels (e.g. the damaged ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from restoration_core.detect.flow import estimate_flow, reliable, to_luma, warp


def as_float(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    return image.astype(np.float32, copy=False)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB (peak 1.0), over ``mask`` pixels when given; inf if equal."""
    d = as_float(a) - as_float(b)
    if mask is not None:
        d = d[np.asarray(mask, bool)]
        if d.size == 0:
            return float("nan")
    mse = float(np.mean(d.astype(np.float64) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def ssim_map(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Per-pixel SSIM of the luma of ``a`` and ``b`` (Gaussian window, Wang et al. 2004)."""
    x = to_luma(as_float(a)).astype(np.float64)
    y = to_luma(as_float(b)).astype(np.float64)
    c1, c2 = 0.01**2, 0.03**2

    def blur(v: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(v, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean SSIM (luma), averaged over ``mask`` pixels when given."""
    m = ssim_map(a, b)
    if mask is not None:
        sel = m[np.asarray(mask, bool)]
        return float(sel.mean()) if sel.size else float("nan")
    return float(m.mean())


def warping_error(
    frames: Sequence[np.ndarray], reference: Sequence[np.ndarray] | None = None
) -> float:
    """E_warp: mean squared difference between each frame and the next one warped onto it,
    over pixels whose flow is forward-backward consistent (non-occluded), averaged over pairs.

    The flow comes from ``reference`` (e.g. the clean clip) when given, so different outputs
    of the same clip are measured along the same motion; else from ``frames`` themselves.
    """
    if len(frames) < 2:
        return 0.0
    ref = reference if reference is not None else frames
    if len(ref) != len(frames):
        raise ValueError("reference and frames differ in length")
    errors = []
    for t in range(len(frames) - 1):
        la, lb = to_luma(ref[t]), to_luma(ref[t + 1])
        fw = estimate_flow(la, lb)
        bw = estimate_flow(lb, la)
        ok = reliable(fw, bw)
        if not ok.any():
            continue
        cur = as_float(frames[t])
        nxt = warp(as_float(frames[t + 1]), fw)
        d = (cur - nxt)[ok]
        errors.append(float(np.mean(d.astype(np.float64) ** 2)))
    return float(np.mean(errors)) if errors else 0.0


def harm(
    output: np.ndarray, source: np.ndarray, artifact: np.ndarray, levels: float = 12.0, distance: float = 8.0
) -> tuple[int, np.ndarray]:
    """Regions a restoration changed that no damage explains: connected areas where ``output``
    differs from ``source`` by more than ``levels`` code values (of 255) farther than
    ``distance`` px from every ``artifact`` pixel. Returns (count, bool mask of those pixels)."""
    d = np.abs(as_float(output) - as_float(source))
    if d.ndim == 3:
        d = d.max(axis=2)
    changed = d > levels / 255.0
    art = np.asarray(artifact, bool)
    if art.any():
        far = cv2.distanceTransform((~art).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > distance
    else:
        far = np.ones(art.shape, bool)
    bad = changed & far
    if not bad.any():
        return 0, bad
    n, _ = cv2.connectedComponents(bad.astype(np.uint8), connectivity=8)
    return n - 1, bad
