"""Gate-weave and jitter stabilization: measure, plan, and resample at full bit depth.

:func:`plan_stabilization` is a pre-pass over a clip (a generator of Progress, cancellable)
that measures each frame's motion onto the previous one, chains it per shot (cuts, splices
and frames whose motion cannot be measured start a new shot), smooths the trajectory and
returns a :class:`StabilizationPlan`: each frame's correction. :class:`StabilizedReel` wraps
a reel and serves the corrected frames, so detection and restoration run on them unchanged.
Each frame is resampled once, in float32 with Lanczos-4 (uint8 stays uint8, uint16 stays
uint16); the border a correction reveals is filled from the nearest frames of the same shot,
each warped through its own camera (motion-compensated), and only what none of them covers
repeats the edge. With ``crop`` on, each shot is instead zoomed just enough that no border
shows. A frame whose correction moves no pixel by more than 1/1000 px is returned as is.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restoration_core.errors import InputError
from restoration_core.media.frame import Frame
from restoration_core.motion.blocks import fit_block
from restoration_core.motion.estimate import (
    MIN_TRACKS,
    Motion,
    centred,
    estimate_motion,
    prepare,
    similarity_params,
    to_image,
)
from restoration_core.motion.trajectory import chain, corrections, shots
from restoration_core.progress import CancelToken, Progress

MIN_CONFIDENCE = 0.15  # below this share of agreeing tracks the motion is not trusted (a cut)
IDENTITY_PX = 1e-3
MASK_LEVEL = 0.5  # share of an output pixel a warped mask must cover to mark it (see warp_mask)
MASK_PEAK = 0.2  # ... or this much where it is the largest around (a speck thinner than a pixel)
MASK_TIE = 1e-3  # coverage this close under the level counts as the level (half-pixel shifts)
BLOCK = 16  # frames measured together against what stays rigid over them (see measure_motion)


@dataclass
class StabilizationPlan:
    """Corrections for frames ``[start, start + len(warps))`` of a reel of ``shape`` (h, w)."""

    start: int
    shape: tuple[int, int]
    smooth: int
    crop: bool
    motions: list[Motion | None]  # of frame i onto i - 1 (None for a shot's first frame)
    cuts: list[int]  # absolute indices where a shot starts
    warps: list[np.ndarray]  # output -> source, centred 3x3 (zoom included)
    cameras: list[np.ndarray]  # measured camera of each frame (centred 3x3)
    smoothed: list[np.ndarray]  # smoothed camera of each frame, zoom included
    zoom: list[float] = field(default_factory=list)

    @property
    def stop(self) -> int:
        return self.start + len(self.warps)

    def covers(self, index: int) -> bool:
        return self.start <= index < self.stop

    def shot_of(self, index: int) -> tuple[int, int]:
        for s, e in shots(len(self.warps), [c - self.start for c in self.cuts]):
            if s <= index - self.start < e:
                return s + self.start, e + self.start
        raise IndexError(index)

    def correction(self, index: int) -> dict[str, Any]:
        """Frame ``index``'s correction as the report lists it (pixels, degrees)."""
        k = index - self.start
        dx, dy, angle, scale = similarity_params(self.warps[k])
        m = self.motions[k]
        return {
            "frame": index, "dx": round(dx, 4), "dy": round(dy, 4), "angle": round(angle, 5),
            "scale": round(scale, 6), "zoom": round(self.zoom[k], 6) if self.zoom else 1.0,
            "matrix": [[round(float(v), 8) for v in row] for row in to_image(self.warps[k], self.shape)[:2]],
            "shot_start": index in self.cuts or k == 0,
            "confidence": None if m is None else round(m.confidence, 3),
        }

    def motion_curve(self) -> list[tuple[int, float, float, float]]:
        """(frame, dx, dy, angle) of each measured camera: the curve the timeline draws."""
        return [(self.start + k, *similarity_params(c)[:3]) for k, c in enumerate(self.cameras)]


def measure_motion(
    frames: Iterable[np.ndarray], count: int, cancel: CancelToken | None = None, max_side: int = 1024,
    cuts: Sequence[int] = (), block: int = BLOCK,
) -> Generator[Progress, None, list[Motion | None]]:
    """The motion of each frame onto the previous one (``None`` for a shot's first frame).

    Frames are measured in blocks of ``block`` (each block's key is the previous block's last
    frame) against what stays rigid over the whole block (:mod:`restoration_core.motion.blocks`):
    a subject that sways slowly, consistent with the background from one frame to the next but
    not over the block, then no longer biases the background's motion. A frame the block's
    background does not hold (too few of its features tracked) is measured against the frame
    before it alone; one that matches nothing starts a new shot. ``cuts`` are indices (0-based
    within ``frames``) where a shot starts.
    """
    starts = set(cuts)
    out: list[Motion | None] = []
    buf: list[np.ndarray] = []  # the current block's 8-bit luma, its key first
    geometry: tuple[tuple[int, int], float] | None = None  # full-size shape, estimation scale
    for k, data in enumerate(frames):
        if cancel is not None:
            cancel.check()
        cur, scale = prepare(data, max_side)
        if geometry is None:
            geometry = (tuple(data.shape[:2]), scale)
        elif tuple(data.shape[:2]) != geometry[0]:
            raise InputError(f"frame {k} changes the picture size within the clip")
        if k in starts and buf:
            out += _block_motions(buf, *geometry)
            buf = []
        if not buf:
            out.append(None)  # a shot starts
            buf = [cur]
        else:
            buf.append(cur)
            if len(buf) >= block:
                out += _block_motions(buf, *geometry)
                buf = [cur]
        yield Progress(k + 1, count, "stabilize", None, "measuring motion")
    if len(buf) > 1:
        out += _block_motions(buf, *geometry)
    return out


def _block_motions(lumas: list[np.ndarray], shape: tuple[int, int], scale: float) -> list[Motion | None]:
    """Motions of ``lumas[1:]`` each onto the one before, from the block's background (see
    :func:`measure_motion`); full-resolution centred matrices."""
    fit = fit_block(lumas)
    s = np.diag([scale, scale, 1.0])
    out: list[Motion | None] = []
    for j in range(1, len(lumas)):
        held = all(fit.support[i] >= MIN_TRACKS and np.isfinite(fit.matrices[i]).all() for i in (j - 1, j))
        if held:
            prev, cur = (np.vstack([fit.matrices[i], [0.0, 0.0, 1.0]]) for i in (j - 1, j))
            step = np.linalg.inv(s) @ (np.linalg.inv(prev) @ cur) @ s
            out.append(Motion(centred(step, shape), fit.share, fit.support[j], "block"))
            continue
        m = estimate_motion(lumas[j - 1], lumas[j], threshold=0.3, grid=True)
        if m.method == "none" or m.confidence < MIN_CONFIDENCE:
            out.append(None)  # nothing matches: a new shot
            continue
        step = np.linalg.inv(s) @ to_image(m.matrix, lumas[j].shape) @ s
        out.append(Motion(centred(step, shape), m.confidence, m.inliers, m.method))
    return out


def _crop_zoom(warps: Sequence[np.ndarray], shape: tuple[int, int]) -> float:
    """The least zoom (>= 1, <= 1.5) at which every warp's output lies inside its source."""
    h, w = shape
    hx, hy = (w - 1) / 2 + 0.5, (h - 1) / 2 + 0.5
    corners = np.array([[-hx, -hy, 1], [hx, -hy, 1], [hx, hy, 1], [-hx, hy, 1]], float).T

    def inside(z: float) -> bool:
        zm = np.diag([1 / z, 1 / z, 1.0])
        for wp in warps:
            p = (wp @ zm) @ corners
            if np.any(np.abs(p[0]) > hx + 1e-6) or np.any(np.abs(p[1]) > hy + 1e-6):
                return False
        return True

    lo, hi = 1.0, 1.5
    if inside(lo):
        return 1.0
    if not inside(hi):
        return hi
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if inside(mid) else (mid, hi)
    return hi


def build_plan(
    motions: list[Motion | None], start: int, shape: tuple[int, int], smooth: int = 24, crop: bool = False,
    cuts: Sequence[int] = (),
) -> StabilizationPlan:
    """The plan from measured motions: shots, cameras, smoothed cameras and the warps."""
    n = len(motions)
    rel = {c - start for c in cuts if 0 < c - start < n}
    for k, m in enumerate(motions):
        if k > 0 and m is None:
            rel.add(k)  # motion that cannot be measured: a new shot
    rel_cuts = sorted(rel)
    steps = [None if m is None else m.matrix for m in motions]
    cams = chain(steps, rel_cuts)
    warps, params = corrections(cams, rel_cuts, smooth)
    smoothed = [cams[k] @ warps[k] for k in range(n)]
    zoom = [1.0] * n
    if crop:
        for s, e in shots(n, rel_cuts):
            z = _crop_zoom(warps[s:e], shape)
            zm = np.diag([1 / z, 1 / z, 1.0])
            for k in range(s, e):
                warps[k] = warps[k] @ zm
                smoothed[k] = smoothed[k] @ zm
                zoom[k] = z
    return StabilizationPlan(start, shape, smooth, crop, motions, [start + c for c in rel_cuts], warps, cams,
                             smoothed, zoom)


def plan_stabilization(
    reel: Any, frame_range: tuple[int, int] | None = None, smooth: int = 24, crop: bool = False,
    cuts: Sequence[int] = (), cancel: CancelToken | None = None,
) -> Generator[Progress, None, StabilizationPlan]:
    """Measure frames ``[a, b)`` of ``reel`` and plan their corrections (``cuts``: absolute indices)."""
    n = len(reel)
    a, b = frame_range if frame_range is not None else (0, n)
    if not (0 <= a < b <= n):
        raise InputError(f"frame range {a}:{b} is outside the reel (0:{n})")
    if int(smooth) < 2:
        raise InputError(f"stabilize_smooth must be at least 2 frames, got {smooth}")
    shape = (int(reel.info.height), int(reel.info.width))
    rel = [c - a for c in cuts if 0 < c - a < b - a]
    motions = yield from measure_motion((f.data for f in reel.frames(a, b)), b - a, cancel, cuts=rel)
    if len(motions) != b - a:
        raise InputError(f"the reel ended after {len(motions)} of {b - a} frames")
    return build_plan(motions, a, shape, int(smooth), crop, cuts)


def _to_dtype(value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    top = 65535.0 if dtype == np.uint16 else 255.0
    return np.clip(value + 0.5, 0, top).astype(dtype)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    key = (h, w)
    if key not in _GRIDS:
        _GRIDS.clear()
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        _GRIDS[key] = (xs, ys)
    return _GRIDS[key]


_GRIDS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _inside(sx: np.ndarray, sy: np.ndarray, h: int, w: int) -> np.ndarray:
    return (sx >= -0.5) & (sx <= w - 0.5) & (sy >= -0.5) & (sy <= h - 0.5)


def resample(data: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``data`` resampled through ``warp`` (output -> source, centred) in float32, Lanczos-4,
    and the output pixels whose source lies inside the frame."""
    h, w = data.shape[:2]
    m = to_image(warp, (h, w))[:2].astype(np.float64)
    out = cv2.warpAffine(data.astype(np.float32), m, (w, h), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REPLICATE)
    if out.ndim == 2 and data.ndim == 3:
        out = out[..., None]
    xs, ys = _grid(h, w)
    sx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    sy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    return out, _inside(sx, sy, h, w)


def warp_mask(mask: np.ndarray, warp: np.ndarray, level: float = MASK_LEVEL) -> np.ndarray:
    """A bool mask of a source frame in the corrected frame (``warp``: output -> source, centred),
    resampled exactly as the picture is (float32, Lanczos-4, the same warp), so it lands on the
    same content: an output pixel is marked where the resampled mask covers at least ``level``
    of it. At 0.5 the mask's edges fall within half a pixel of where the picture's edges land,
    and a pixel centred exactly on the mask's edge (coverage 0.5 at a half-pixel shift) is
    marked. A mark thinner than a pixel in both directions at once (a one-pixel speck shifted
    by half a pixel both ways covers four output pixels 0.38 each) would fall under the level
    everywhere, so a pixel that holds the largest coverage around it (3x3) is marked too when
    it is covered by at least MASK_PEAK: no mark vanishes."""
    h, w = mask.shape[:2]
    if is_identity(warp, (h, w)):
        return mask.astype(bool)
    m = to_image(warp, (h, w))[:2].astype(np.float64)
    out = cv2.warpAffine(mask.astype(np.float32), m, (w, h), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    peak = (out >= MASK_PEAK) & (out >= cv2.dilate(out, np.ones((3, 3), np.uint8)) - MASK_TIE)
    return (out >= level - MASK_TIE) | peak


def resample_at(data: np.ndarray, warp: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`resample`, for the output pixels ``(ys, xs)`` only: values (N x C) and inside."""
    h, w = data.shape[:2]
    m = to_image(warp, (h, w))[:2]
    fx, fy = xs.astype(np.float64), ys.astype(np.float64)
    sx = (m[0, 0] * fx + m[0, 1] * fy + m[0, 2]).astype(np.float32)
    sy = (m[1, 0] * fx + m[1, 1] * fy + m[1, 2]).astype(np.float32)
    vals = cv2.remap(data.astype(np.float32), sx[None, :], sy[None, :], cv2.INTER_LANCZOS4,
                     borderMode=cv2.BORDER_REPLICATE)[0]
    if vals.ndim == 1:
        vals = vals[:, None]
    return vals, _inside(sx, sy, h, w)


def is_identity(warp: np.ndarray, shape: tuple[int, int]) -> bool:
    h, w = shape
    corners = np.array([[-w / 2, -h / 2, 1], [w / 2, -h / 2, 1], [w / 2, h / 2, 1], [-w / 2, h / 2, 1]], float).T
    return float(np.abs((warp - np.eye(3)) @ corners).max()) < IDENTITY_PX


def stabilize_frame(
    plan: StabilizationPlan, index: int, frames: dict[int, np.ndarray], fill_radius: int = 3,
) -> tuple[np.ndarray, dict[str, int]]:
    """Frame ``index`` corrected (same dtype), its revealed border filled from ``frames``'
    neighbours of the same shot; and how many border pixels came from where."""
    data = frames[index]
    k = index - plan.start
    stats = {"from_neighbours": 0, "edge_repeated": 0}
    if is_identity(plan.warps[k], plan.shape):
        return data, stats
    out, valid = resample(data, plan.warps[k])
    missing = ~valid
    if missing.any():
        s, e = plan.shot_of(index)
        order = sorted((j for j in frames if j != index and s <= j < e and abs(j - index) <= fill_radius),
                       key=lambda j: (abs(j - index), j))
        target = plan.smoothed[k]
        ys, xs = np.nonzero(missing)
        for j in order:
            vals, ok = resample_at(frames[j], np.linalg.inv(plan.cameras[j - plan.start]) @ target, ys, xs)
            if ok.any():
                out[ys[ok], xs[ok]] = vals[ok].reshape(out[ys[ok], xs[ok]].shape)
                stats["from_neighbours"] += int(ok.sum())
                ys, xs = ys[~ok], xs[~ok]
            if len(ys) == 0:
                break
        missing = np.zeros(missing.shape, bool)
        missing[ys, xs] = True
        stats["edge_repeated"] = int(missing.sum())
    return _to_dtype(out, data.dtype), stats


class FrameStore:
    """Corrected frames kept for every reader of one render, up to ``max_bytes`` (0: none kept);
    a frame that no longer fits is corrected again when read (the same pixels)."""

    def __init__(self, max_bytes: int = 0):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._frames: dict[int, np.ndarray] = {}

    def get(self, index: int) -> np.ndarray | None:
        data = self._frames.get(index)
        return None if data is None else data.copy()

    def put(self, index: int, data: np.ndarray) -> None:
        if index not in self._frames and self.bytes + data.nbytes <= self.max_bytes:
            self._frames[index] = data.copy()
            self.bytes += data.nbytes


class StabilizedReel:
    """A reel whose frames within ``plan`` come corrected; frames outside it come as they are.

    Same reading interface as :class:`restoration_core.media.reader.Reel` (``len``, ``info``,
    ``frames``, ``read``, ``close``), so detection and restoration need no change.
    """

    def __init__(self, reel: Any, plan: StabilizationPlan, fill_radius: int = 3, store: FrameStore | None = None):
        self.reel = reel
        self.store = store if store is not None else FrameStore()
        self.plan = plan
        self.fill_radius = 0 if plan.crop else int(fill_radius)
        self.info = reel.info
        self.border: dict[int, dict[str, int]] = {}
        self._recent: dict[int, Frame] = {}  # source frames around the last read() (sequential reads)

    def __len__(self) -> int:
        return len(self.reel)

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        n = len(self.reel)
        stop = n if stop is None else min(int(stop), n)
        start = max(0, int(start))
        r = self.fill_radius
        lo = max(0, min(start, max(self.plan.start, start - r)))
        hi = min(n, max(stop, min(self.plan.stop, stop + r)))
        source = iter(self.reel.frames(lo, hi))
        window: dict[int, Frame] = {}
        nxt = lo
        try:
            for i in range(start, stop):
                while nxt < min(hi, max(i + 1, i + r + 1)):
                    f = next(source, None)
                    if f is None:
                        raise InputError(f"the reel ended before frame {nxt}")
                    window[f.index] = f
                    nxt += 1
                for j in [j for j in window if j < i - r]:
                    del window[j]
                frame = window[i]
                if not self.plan.covers(i):
                    yield frame
                    continue
                yield Frame(self._corrected(i, {j: f.data for j, f in window.items()}), i, frame.timecode)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def read(self, index: int) -> Frame:
        """Frame ``index`` corrected; the source frames around it are kept, so reading frame
        after frame (as the encoder does) decodes each source frame once."""
        n = len(self.reel)
        if not 0 <= index < n:
            raise InputError(f"frame {index} is outside the reel (0..{n - 1})")
        if not self.plan.covers(index):
            return self.reel.read(index)
        r = self.fill_radius
        lo, hi = max(self.plan.start, index - r), min(self.plan.stop, index + r + 1)
        for j in [j for j in self._recent if not lo <= j < hi]:
            del self._recent[j]
        kept = self.store.get(index)
        if kept is not None:
            return Frame(kept, index, self.timecode_of(index))
        missing = [j for j in range(lo, hi) if j not in self._recent]
        if missing:
            for f in self.reel.frames(missing[0], missing[-1] + 1):
                if lo <= f.index < hi:
                    self._recent[f.index] = f
        return Frame(self._corrected(index, {j: f.data for j, f in self._recent.items()}), index,
                     self._recent[index].timecode)

    def _corrected(self, index: int, frames: dict[int, np.ndarray]) -> np.ndarray:
        data = self.store.get(index)
        if data is None:
            data, self.border[index] = stabilize_frame(self.plan, index, frames, self.fill_radius)
            self.store.put(index, data)
        return data

    def timecode_of(self, index: int) -> str | None:
        tc = getattr(self.reel, "timecode_of", None)
        return tc(index) if callable(tc) else None

    def thumbnail(self, index: int, max_side: int = 160) -> np.ndarray:
        return self.reel.thumbnail(index, max_side)

    def close(self) -> None:
        self.reel.close()
