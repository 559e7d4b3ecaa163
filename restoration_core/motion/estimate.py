"""Global motion between two frames: a similarity (translation, rotation, scale), sub-pixel.

Corner features of the earlier frame are tracked into the later one (pyramidal Lucas-Kanade,
kept only where tracking back lands within half a pixel of the start), and a similarity is
fitted to the tracks with RANSAC, then refined on its inliers: moving objects (cars, a
signing arm) are outliers as long as the background holds most of the features. With too
few tracks, phase correlation gives a translation only. Matrices are 3x3 in *centred*
pixel coordinates (origin at the frame's centre), so a rotation does not turn into a large
translation; the 8-bit copy made here is for estimation only, never for output.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.detect.flow import to_luma

MIN_TRACKS = 12


@dataclass(frozen=True)
class Motion:
    """How ``later`` maps onto ``earlier``: ``earlier(M @ p) ~ later(p)`` in centred coordinates.

    ``confidence`` (0..1) is the share of tracked features that agree with the fit; ``method``
    is ``"features"`` or ``"phase"`` (the translation-only fallback) or ``"none"`` (no usable
    estimate: treat as a cut).
    """

    matrix: np.ndarray
    confidence: float
    inliers: int
    method: str

    @property
    def params(self) -> tuple[float, float, float, float]:
        """(dx px, dy px, angle degrees, scale)."""
        return similarity_params(self.matrix)


def similarity_params(m: np.ndarray) -> tuple[float, float, float, float]:
    """(dx, dy, angle in degrees, scale) of a 3x3 similarity."""
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    angle = float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))
    return float(m[0, 2]), float(m[1, 2]), angle, scale


def similarity(dx: float, dy: float, angle_deg: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """The 3x3 similarity ``p -> scale * R(angle) p + (dx, dy)``."""
    a = np.radians(angle_deg)
    c, s = scale * np.cos(a), scale * np.sin(a)
    return np.array([[c, -s, dx], [s, c, dy], [0.0, 0.0, 1.0]])


def centred(m_image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An image-coordinate 3x3 (origin top-left) in centred coordinates."""
    h, w = shape
    t = np.array([[1.0, 0, (w - 1) / 2], [0, 1.0, (h - 1) / 2], [0, 0, 1.0]])
    return np.linalg.inv(t) @ m_image @ t


def to_image(m_centred: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A centred 3x3 in image coordinates (origin at the top-left pixel's centre)."""
    h, w = shape
    t = np.array([[1.0, 0, (w - 1) / 2], [0, 1.0, (h - 1) / 2], [0, 0, 1.0]])
    return t @ m_centred @ np.linalg.inv(t)


def _u8(luma: np.ndarray) -> np.ndarray:
    return np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)


def prepare(image: np.ndarray, max_side: int = 1024) -> tuple[np.ndarray, float]:
    """The 8-bit luma used for estimation (downscaled above ``max_side``) and its scale."""
    luma = image if image.ndim == 2 and image.dtype == np.float32 else to_luma(image)
    h, w = luma.shape
    scale = 1.0
    if max(h, w) > max_side:
        scale = max_side / float(max(h, w))
        luma = cv2.resize(luma, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    return _u8(luma), scale


def _phase(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    window = cv2.createHanningWindow(fa.shape[::-1], cv2.CV_32F)
    (sx, sy), response = cv2.phaseCorrelate(fb, fa, window)
    # phaseCorrelate(b, a) returns the shift of a relative to b: a(p) ~ b(p - s), so earlier(p + s) ~ later(p)
    return np.array([[1.0, 0, sx], [0, 1.0, sy], [0, 0, 1.0]]), float(response)


def grid_features(image: np.ndarray, count: int, mask: np.ndarray | None = None, cells: tuple[int, int] = (8, 6)) -> np.ndarray | None:
    """Up to ``count`` corners spread evenly (the strongest few per cell of a grid), (N, 1, 2) float32.

    An even spread keeps a plain but static background from being outvoted by a textured
    moving subject.
    """
    eig = cv2.cornerMinEigenVal(image, 7, 3)
    peak = (eig >= cv2.dilate(eig, np.ones((5, 5), np.uint8))) & (eig > max(1e-4, 0.002 * float(eig.max())))
    edge = 10
    peak[:edge], peak[-edge:], peak[:, :edge], peak[:, -edge:] = False, False, False, False
    if mask is not None:
        peak &= mask > 0
    h, w = image.shape
    per = max(2, count // (cells[0] * cells[1]))
    out = []
    for cy in range(cells[1]):
        y0, y1 = cy * h // cells[1], (cy + 1) * h // cells[1]
        for cx in range(cells[0]):
            x0, x1 = cx * w // cells[0], (cx + 1) * w // cells[0]
            ys, xs = np.nonzero(peak[y0:y1, x0:x1])
            if len(ys) == 0:
                continue
            order = np.argsort(-eig[y0 + ys, x0 + xs])[:per]
            out.append(np.stack([xs[order] + x0, ys[order] + y0], 1))
    if not out:
        return None
    pts = np.concatenate(out).astype(np.float32)
    return cv2.cornerSubPix(image, pts.reshape(-1, 1, 2), (3, 3), (-1, -1),
                            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.01))


def estimate_motion(
    earlier: np.ndarray, later: np.ndarray, *, max_side: int = 1024, features: int = 600,
    exclude: np.ndarray | None = None, threshold: float = 0.75, grid: bool = False,
) -> Motion:
    """The similarity taking ``later``'s pixels onto ``earlier`` (see :class:`Motion`).

    Inputs are images (any dtype) or prepared 8-bit luma from :func:`prepare`. ``exclude``
    (bool HxW of ``earlier``) keeps features off known damage or moving objects.
    """
    if earlier.dtype == np.uint8 and earlier.ndim == 2:
        a, scale = earlier, 1.0
        b = later
    else:
        a, scale = prepare(earlier, max_side)
        b, _ = prepare(later, max_side)
    if a.shape != b.shape:
        raise ValueError(f"frames differ in size: {a.shape} and {b.shape}")
    h, w = a.shape
    full_shape = (round(h / scale), round(w / scale))
    mask = None
    if exclude is not None:
        ex = exclude if scale == 1.0 else cv2.resize(exclude.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        mask = np.where(ex.astype(bool), 0, 255).astype(np.uint8)
    spacing = max(4, int(np.sqrt(h * w / features) * 0.7))
    if grid:
        pts = grid_features(a, features, mask)
    else:
        pts = cv2.goodFeaturesToTrack(a, features, 0.005, spacing, mask=mask, blockSize=7)
    fit = None
    if pts is not None and len(pts) >= MIN_TRACKS:
        lk = {"winSize": (21, 21), "maxLevel": 4,
              "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 0.003)}
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, nxt, None, **lk)
        good = (st[:, 0] == 1) & (st2[:, 0] == 1) & (np.linalg.norm(back - pts, axis=2)[:, 0] < 0.5)
        p0, p1 = pts[good, 0], nxt[good, 0]
        if len(p0) >= MIN_TRACKS:
            m, inl = cv2.estimateAffinePartial2D(p1, p0, method=cv2.RANSAC, ransacReprojThreshold=threshold,
                                                 maxIters=4000, confidence=0.999, refineIters=20)
            if m is not None and inl is not None and int(inl.sum()) >= MIN_TRACKS:
                sel = inl[:, 0].astype(bool)
                m = _refine(p1[sel], p0[sel], m, threshold / 3)
                fit = (m, int(sel.sum()), float(sel.sum()) / float(len(pts)))
    if fit is not None:
        m2 = np.vstack([fit[0], [0.0, 0.0, 1.0]])
        method, inliers, conf = "features", fit[1], fit[2]
    else:
        m2, response = _phase(a, b)
        method, inliers, conf = ("phase", 0, response) if response > 0.05 else ("none", 0, 0.0)
    if scale != 1.0:  # back to full-resolution pixels
        s = np.diag([scale, scale, 1.0])
        m2 = np.linalg.inv(s) @ m2 @ s
    return Motion(centred(m2, full_shape), float(min(1.0, conf)), inliers, method)


def _refine(src: np.ndarray, dst: np.ndarray, m: np.ndarray, scale: float = 0.25) -> np.ndarray:
    """Least-squares similarity on the inliers, with a Huber-like reweighting (2 passes)."""
    x, y = src[:, 0].astype(np.float64), src[:, 1].astype(np.float64)
    u, v = dst[:, 0].astype(np.float64), dst[:, 1].astype(np.float64)
    weights = np.ones(len(x))
    rows = np.concatenate([np.stack([x, -y, np.ones_like(x), np.zeros_like(x)], 1),
                           np.stack([y, x, np.zeros_like(x), np.ones_like(x)], 1)])
    rhs = np.concatenate([u, v])
    params = np.array([m[0, 0], m[1, 0], m[0, 2], m[1, 2]])
    for _ in range(3):
        ww = np.concatenate([weights, weights])
        params, *_ = np.linalg.lstsq(rows * ww[:, None], rhs * ww, rcond=None)
        res = np.hypot(*(rows @ params - rhs).reshape(2, -1))
        weights = 1.0 / np.maximum(1.0, res / scale)
    a, b, tx, ty = params
    return np.array([[a, -b, tx], [b, a, ty]])
