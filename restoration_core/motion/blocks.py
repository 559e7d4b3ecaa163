"""Background motion over a block of frames, chosen by what stays rigid over time.

Frame to frame, a large textured subject that sways or bobs slowly (a signer's patterned
sweatshirt) moves almost like the background and can hold most of the features, so a
per-pair fit follows it. Over a block of frames it does not stay rigid with the background:
it deforms, turns, is crossed by hands. So corners of the block's first frame (the key, spread
over a fine grid: one or two per cell, so a plain but large background is not outvoted) are
tracked into every later frame of the block (pyramidal Lucas-Kanade from the key itself, so
errors do not add up from frame to frame; forward-backward checked), and a RANSAC *over
time* picks the background: a hypothesis is two features' tracks, which give a similarity
per frame; a feature agrees when its track fits within ``tau`` in ``share`` of its frames,
and the hypothesis with the most agreeing features wins. Each frame's similarity onto the
key is then refitted by least squares on those features, reweighted by how well each fits
over the whole block (a feature that drifts away in a few frames loses its weight in all).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.motion.estimate import grid_features

LK = {"winSize": (21, 21), "maxLevel": 4, "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 0.003)}
CELLS = (16, 12)
FEATURES = 384  # two per cell
TAU = 0.5  # px: a feature agrees with a hypothesis in a frame within this
SHARE = 0.9  # ... in this share of the frames it is tracked in
SIGMA = 0.15  # px: the reweighting's scale (a feature's 90th-percentile residual over the block)
HYPOTHESES = 300
MIN_SPAN = 40  # px between a hypothesis' two features (at most a fifth of the frame's longer side)


@dataclass
class BlockFit:
    """Per frame of a block (index 0: the key) the 2x3 similarity (image pixels) taking the
    frame onto the key, how many background features it rests on, and their share."""

    matrices: list[np.ndarray]
    support: list[int]
    share: float


def track(lumas: list[np.ndarray], features: int = FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Positions (F, B, 2) of the key's features in each frame and where they were tracked (F, B)."""
    key = lumas[0]
    pts = grid_features(key, features, None, CELLS)
    if pts is None:
        return np.zeros((0, len(lumas), 2)), np.zeros((0, len(lumas)), bool)
    f, b = len(pts), len(lumas)
    pos = np.zeros((f, b, 2), np.float64)
    ok = np.zeros((f, b), bool)
    pos[:, 0], ok[:, 0] = pts[:, 0], True
    guess = pts.copy()
    for k in range(1, b):
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(key, lumas[k], pts, guess.copy(), flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **LK)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(lumas[k], key, nxt, pts.copy(), flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
                                                **LK)
        good = (st[:, 0] == 1) & (st2[:, 0] == 1) & (np.linalg.norm(back - pts, axis=2)[:, 0] < 0.5)
        pos[:, k], ok[:, k] = nxt[:, 0], good
        guess = np.where(good[:, None, None], nxt, guess)
    return pos, ok


def _two_point(pos: np.ndarray, i: int, j: int) -> np.ndarray:
    """(B, 4) similarity parameters (a, b, tx, ty) per frame from features i and j: frame -> key."""
    p0, p1 = pos[i], pos[j]  # (B, 2) each, in every frame
    dp = p1 - p0
    dq = pos[j, 0] - pos[i, 0]
    den = np.maximum((dp * dp).sum(1), 1e-9)
    a = (dp @ dq) / den
    b = (dp[:, 0] * dq[1] - dp[:, 1] * dq[0]) / den
    tx = pos[i, 0, 0] - (a * p0[:, 0] - b * p0[:, 1])
    ty = pos[i, 0, 1] - (b * p0[:, 0] + a * p0[:, 1])
    return np.stack([a, b, tx, ty], 1)


def residuals(pos: np.ndarray, params: np.ndarray) -> np.ndarray:
    """(F, B): how far each feature, taken onto the key by its frame's similarity, lands from its key position."""
    a, b, tx, ty = (params[None, :, c] for c in range(4))
    x, y = pos[..., 0], pos[..., 1]
    return np.hypot(a * x - b * y + tx - pos[:, :1, 0], b * x + a * y + ty - pos[:, :1, 1])


def consensus(pos: np.ndarray, ok: np.ndarray, rng: np.random.Generator, span: float) -> np.ndarray:
    """The features that stay rigid together over the block (bool F), by RANSAC over time."""
    full = np.nonzero(ok.all(1))[0]
    tracked = np.maximum(1, ok.sum(1))
    best, best_in = -1, np.zeros(len(pos), bool)
    if len(full) < 2:
        return best_in
    for _ in range(HYPOTHESES):
        i, j = rng.choice(full, 2, replace=False)
        if np.hypot(*(pos[i, 0] - pos[j, 0])) < span:
            continue
        r = residuals(pos, _two_point(pos, i, j))
        agree = ((r < TAU) & ok).sum(1) >= SHARE * tracked
        if int(agree.sum()) > best:
            best, best_in = int(agree.sum()), agree
    return best_in


def _fit(pos: np.ndarray, ok: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, 4): each frame's weighted least-squares similarity onto the key."""
    out = np.zeros((pos.shape[1], 4))
    out[0] = (1.0, 0.0, 0.0, 0.0)
    for k in range(1, pos.shape[1]):
        sel = ok[:, k] & (weights > 0)
        if sel.sum() < 2:
            out[k] = np.nan
            continue
        x, y, u, v = pos[sel, k, 0], pos[sel, k, 1], pos[sel, 0, 0], pos[sel, 0, 1]
        w = np.sqrt(np.concatenate([weights[sel], weights[sel]]))
        rows = np.concatenate([np.stack([x, -y, np.ones_like(x), 0 * x], 1), np.stack([y, x, 0 * x, np.ones_like(x)], 1)])
        out[k], *_ = np.linalg.lstsq(rows * w[:, None], np.concatenate([u, v]) * w, rcond=None)
    return out


def fit_block(lumas: list[np.ndarray], seed: int = 0) -> BlockFit:
    """Each frame of ``lumas`` (8-bit luma, the key first) onto the key, from the block's background."""
    pos, ok = track(lumas)
    n = len(lumas)
    span = min(MIN_SPAN, max(lumas[0].shape) / 5)
    inliers = consensus(pos, ok, np.random.default_rng(seed), span)
    weights = inliers.astype(np.float64)
    params = _fit(pos, ok, weights)
    for _ in range(3):  # reweight each feature by its fit over the whole block
        if not np.isfinite(params).all():
            break
        r = np.where(ok, residuals(pos, params), np.nan)[:, 1:]
        tracked = ok[:, 1:].any(1)
        q = np.full(len(pos), np.inf)
        q[tracked] = np.nanquantile(r[tracked], 0.9, axis=1)
        weights = np.where(q < 3 * TAU, 1.0 / (1.0 + (q / SIGMA) ** 2), 0.0)  # any rigid feature may join
        params = _fit(pos, ok, weights)
    support = [int(inliers.sum())] + [int((ok[:, k] & (weights > 0)).sum()) for k in range(1, n)]
    mats = []
    for p in params:
        a, b, tx, ty = p
        mats.append(np.array([[a, -b, tx], [b, a, ty]]))
    return BlockFit(mats, support, float(inliers.sum()) / max(1, len(pos)))
