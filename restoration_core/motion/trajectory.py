"""Camera trajectory: frame-to-frame motions chained per shot, smoothed, and the corrections.

Within a shot (cuts and splices start a new one) frame ``i``'s *camera* ``C_i`` maps its
centred pixel coordinates into the shot's first frame: ``C_i = C_{i-1} @ A_i``, with ``A_i``
the motion of frame ``i`` onto ``i - 1``. Its parameters (dx, dy, angle, log scale) are
smoothed with a Gaussian-weighted local *linear* fit over ``smooth`` frames, so a steady
pan (or zoom) is kept exactly, up to the shot's ends, while weave and jitter are removed.
The correction of frame ``i`` maps the output's pixels into the source frame:
``W_i = C_i^-1 @ S_i`` (``S_i`` the smoothed camera), the warp a resampler applies.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from restoration_core.motion.estimate import similarity, similarity_params


def shots(n: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    """``[start, stop)`` of each shot of ``n`` frames, a new one starting at each cut index."""
    edges = sorted({c for c in cuts if 0 < c < n})
    starts = [0, *edges]
    return list(zip(starts, [*edges, n], strict=True))


def chain(steps: Sequence[np.ndarray | None], cuts: Sequence[int]) -> list[np.ndarray]:
    """Cameras ``C_i`` from the steps ``A_i`` (``steps[0]`` and steps at cuts are ignored)."""
    n = len(steps)
    starts = {s for s, _ in shots(n, cuts)}
    out: list[np.ndarray] = []
    for i in range(n):
        if i in starts or steps[i] is None:
            out.append(np.eye(3))
        else:
            out.append(out[-1] @ steps[i])
    return out


def to_params(cams: Sequence[np.ndarray]) -> np.ndarray:
    """(n, 4): dx, dy, angle (degrees, unwrapped), log scale of each camera."""
    p = np.array([similarity_params(c) for c in cams], dtype=np.float64).reshape(-1, 4)
    if len(p):
        p[:, 2] = np.degrees(np.unwrap(np.radians(p[:, 2])))
        p[:, 3] = np.log(p[:, 3])
    return p


def from_params(p: np.ndarray) -> np.ndarray:
    return similarity(float(p[0]), float(p[1]), float(p[2]), float(np.exp(p[3])))


def smooth_linear(values: np.ndarray, frames: int) -> np.ndarray:
    """Gaussian-weighted local linear fit of each column (sigma = frames / 4, window +-frames/2).

    A straight line (a steady pan) is returned unchanged, including at the ends.
    """
    n = len(values)
    if n < 3 or frames < 2:
        return values.copy()
    sigma = max(0.5, frames / 4.0)
    half = max(1, int(round(frames / 2)))
    out = np.empty_like(values)
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        t = np.arange(lo, hi, dtype=np.float64) - i
        w = np.exp(-0.5 * (t / sigma) ** 2)
        sw, st, stt = w.sum(), (w * t).sum(), (w * t * t).sum()
        y = values[lo:hi]
        sy, sty = (w[:, None] * y).sum(0), ((w * t)[:, None] * y).sum(0)
        det = sw * stt - st * st
        # the fit's value at t = 0 (the intercept); a degenerate window falls back to the mean
        out[i] = (stt * sy - st * sty) / det if det > 1e-9 else sy / sw
    return out


def corrections(cams: Sequence[np.ndarray], cuts: Sequence[int], smooth: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Per frame the warp ``W_i`` (output -> source, centred 3x3) and the smoothed params (n, 4)."""
    n = len(cams)
    raw = to_params(cams)
    smoothed = np.zeros_like(raw)
    for s, e in shots(n, cuts):
        smoothed[s:e] = smooth_linear(raw[s:e], smooth)
    warps = [np.linalg.inv(cams[i]) @ from_params(smoothed[i]) for i in range(n)]
    return warps, smoothed
