"""Camera trajectory: frame-to-frame motions chained per shot, smoothed, and the corrections.

Within a shot (cuts and splices start a new one) frame ``i``'s *camera* ``C_i`` maps its
centred pixel coordinates into the shot's first frame: ``C_i = C_{i-1} @ A_i``, with ``A_i``
the motion of frame ``i`` onto ``i - 1``. Its parameters (dx, dy, angle, log scale) are
smoothed by L1 trend filtering (:func:`smooth_path`): the kept path is close to piecewise
linear, so a hold or a steady pan (or zoom) is kept, up to the shot's ends, a pan that starts
or stops keeps a sharp corner, and the weave's jitter does not leak into the path from frame
to frame (a Gaussian-weighted local line over 24 frames let 0.05 px of a 1.2 px jitter through
and rounded a pan's start by up to 3 px).
The correction of frame ``i`` maps the output's pixels into the source frame:
``W_i = C_i^-1 @ S_i`` (``S_i`` the smoothed camera), the warp a resampler applies.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import solveh_banded

from restoration_core.motion.estimate import similarity, similarity_params

TREND = 0.15  # the trend filter's penalty per unit of jitter and frames^1.5 (see smooth_path)
TREND_ITERS = 1000  # ADMM steps (about 0.06 ms each for a shot of 1000 frames)


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


def trend_filter(y: np.ndarray, lam: float, iters: int = TREND_ITERS) -> np.ndarray:
    """L1 trend filtering of ``y`` (1-D): ``argmin 0.5 |x - y|^2 + lam |D2 x|_1``, ``D2`` the
    second differences, by ADMM (each step one pentadiagonal solve). The result is close to
    piecewise linear: straight where the path is (a hold, a steady pan, to the ends), with a
    kink where the motion really changes, so jitter does not leak into it frame by frame."""
    n = len(y)
    if n < 4 or lam <= 0:
        return y.astype(np.float64).copy()
    rho = lam
    band = np.zeros((3, n))  # upper band form of I + rho D2^T D2
    diag = np.full(n, 6.0)
    diag[[0, -1]], diag[[1, -2]] = 1.0, 5.0
    off = np.full(n - 1, -4.0)
    off[[0, -1]] = -2.0
    band[2], band[1, 1:], band[0, 2:] = 1.0 + rho * diag, rho * off, rho
    y = y.astype(np.float64)

    def d2(x: np.ndarray) -> np.ndarray:
        return x[2:] - 2.0 * x[1:-1] + x[:-2]

    def d2t(z: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        out[2:] += z
        out[1:-1] -= 2.0 * z
        out[:-2] += z
        return out

    x, z, u = y.copy(), d2(y), np.zeros(n - 2)
    for _ in range(iters):
        x = solveh_banded(band, y + rho * d2t(z - u), check_finite=False)
        v = d2(x) + u
        z = np.sign(v) * np.maximum(np.abs(v) - lam / rho, 0.0)
        u = v - z
    return x


def smooth_path(values: np.ndarray, frames: int) -> np.ndarray:
    """Each column (a camera parameter over a shot) trend-filtered (:func:`trend_filter`) with
    ``lam = TREND * sigma * frames ** 1.5``, ``sigma`` the column's frame-to-frame jitter
    (the RMS of its second differences over sqrt 6): a kink must be worth what a local line
    over about ``frames`` frames could tell from that jitter."""
    n = len(values)
    if n < 4 or frames < 2:
        return values.copy()
    out = np.empty_like(values, dtype=np.float64)
    for c in range(values.shape[1]):
        y = values[:, c]
        sigma = float(np.sqrt(np.mean(np.square(np.diff(y, 2))) / 6.0))
        out[:, c] = trend_filter(y, TREND * sigma * frames ** 1.5)
    return out


def corrections(cams: Sequence[np.ndarray], cuts: Sequence[int], smooth: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Per frame the warp ``W_i`` (output -> source, centred 3x3) and the smoothed params (n, 4)."""
    n = len(cams)
    raw = to_params(cams)
    smoothed = np.zeros_like(raw)
    for s, e in shots(n, cuts):
        smoothed[s:e] = smooth_path(raw[s:e], smooth)
    warps = [np.linalg.inv(cams[i]) @ from_params(smoothed[i]) for i in range(n)]
    return warps, smoothed
