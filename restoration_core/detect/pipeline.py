"""Detection over a reel: a sliding window of frames, one :class:`FrameDetection` per frame.

Only a few frames' luma (at the analysis resolution), their flows and their line evidence
are held at once, so memory does not grow with the clip. Frame ``i`` is compared with
``i - 1`` and ``i + 1``; the first and last frames of a reel use the two nearest frames on
their one side (with stricter thresholds). Reels of one or two frames have no temporal
evidence for dust (a speck cannot be told from its neighbour's): only line scratches are
looked for there, with stricter rules, and flicker is not measured on a single frame.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import cv2
import numpy as np

from restoration_core.defects import Defect
from restoration_core.detect import flicker as flk
from restoration_core.detect import motion, regions, scratch
from restoration_core.detect.dust import motion_boundaries, on_still_picture, smooth_flow, temporal_outliers
from restoration_core.detect.flow import estimate_flow, reliable, to_luma, warp
from restoration_core.detect.frames import FrameDefect, whole_frame_defect
from restoration_core.detect.settings import DetectSettings, FrameDetection
from restoration_core.errors import InputError
from restoration_core.progress import CancelToken, Progress

Z_HIGH = 5.0  # seed threshold, in local noise units
Z_LOW = 3.0  # growth threshold
GROW_GRAIN = 3.0  # grain units a pixel grown into a confirmed region must depart by, at least
ONE_SIDED = 1.3  # threshold factor when both references lie on one side (clip ends)
END_DETAIL = 0.06  # local luma range of the reference above which a clip end needs a consistent flow
END_BOUNDARIES_ON_DETAIL = True  # clip ends skip motion boundaries only where the reference has detail
SINGLE_FRAME_LINE = 0.9  # share of row bands a scratch must hold in a one-frame clip
FLOW_MAX_SIDE = 640
FLOW_QUALITY = "medium"  # "fast" is ~2x quicker but misregisters fine periodic detail


class ReelLike(Protocol):
    info: Any

    def __len__(self) -> int: ...

    def read(self, index: int) -> Any: ...

    def frames(self, start: int = 0, stop: int | None = None) -> Any: ...


def _references(i: int, lo: int, hi: int) -> tuple[int, int] | None:
    """The two frames frame ``i`` is compared with, within its shot ``[lo, hi)``."""
    if hi - lo < 3:
        return None
    if i == lo:
        return lo + 1, lo + 2
    if i == hi - 1:
        return hi - 2, hi - 3
    return i - 1, i + 1


def shot_of(i: int, n: int, cuts: Sequence[int] = ()) -> tuple[int, int]:
    """``[lo, hi)``: the shot of a reel of ``n`` frames holding frame ``i`` (``cuts``: shot starts).

    A splice or scene cut is a clip end for detection: no frame is compared across it."""
    lo = max((c for c in cuts if c <= i), default=0)
    hi = min((c for c in cuts if c > i), default=n)
    return lo, min(hi, n)


def reach_of(settings: DetectSettings | dict[str, Any]) -> int:
    """How many frames either side of a frame its detection looks at (settings or their dict)."""
    if isinstance(settings, dict):
        settings = DetectSettings(**settings)
    reach = 1
    if settings.dust:
        reach = 2
    if settings.flicker:
        reach = max(reach, settings.flicker_radius)
    return reach


class _Window:
    """Luma, flicker statistics, line evidence and flows of the frames near the current one."""

    def __init__(self, settings: DetectSettings, shape: tuple[int, int]):
        self.settings = settings
        self.full_shape = shape
        h, w = shape
        self.scale = min(1.0, settings.work_max_side / float(max(h, w)))
        self.work_size = (max(8, round(w * self.scale)), max(8, round(h * self.scale)))
        self.luma: dict[int, np.ndarray] = {}
        self.stats: dict[int, np.ndarray] = {}
        self.lines: dict[int, scratch.LineEvidence] = {}
        self.flows: dict[tuple[int, int], np.ndarray] = {}
        self.whole: dict[int, FrameDefect | None] = {}  # black or blank frames (detect.frames)

    def add(self, index: int, data: np.ndarray) -> None:
        if data.shape[:2] != self.full_shape:
            raise InputError(
                f"frame {index} is {data.shape[1]}x{data.shape[0]}, the reel's first is "
                f"{self.full_shape[1]}x{self.full_shape[0]}"
            )
        luma = to_luma(data)
        self.whole[index] = whole_frame_defect(luma)
        if self.scale < 1.0:
            luma = cv2.resize(luma, self.work_size, interpolation=cv2.INTER_AREA)
        self.luma[index] = np.ascontiguousarray(luma, dtype=np.float32)
        self.stats[index] = flk.luma_quantiles(luma)

    def forget_before(self, index: int) -> None:
        for store in (self.luma, self.stats, self.lines, self.whole):
            for k in [k for k in store if k < index]:
                del store[k]
        for k in [k for k in self.flows if min(k) < index]:
            del self.flows[k]

    def flow(self, i: int, j: int) -> np.ndarray:
        if (i, j) not in self.flows:
            self.flows[(i, j)] = estimate_flow(
                self.luma[i], self.luma[j], max_side=FLOW_MAX_SIDE, quality=FLOW_QUALITY
            )
        return self.flows[(i, j)]

    def prefetch(self, pairs: list[tuple[int, int]]) -> None:
        """Compute missing flows two at a time (OpenCV releases the GIL; two cores, two flows)."""
        todo = [p for p in dict.fromkeys(pairs) if p not in self.flows]
        if len(todo) < 2:
            return
        with ThreadPoolExecutor(max_workers=2) as pool:
            flows = list(
                pool.map(
                    lambda p: estimate_flow(
                        self.luma[p[0]], self.luma[p[1]], max_side=FLOW_MAX_SIDE, quality=FLOW_QUALITY
                    ),
                    todo,
                )
            )
        self.flows.update(zip(todo, flows, strict=True))

    def line_evidence(self, i: int) -> scratch.LineEvidence:
        if i not in self.lines:
            self.lines[i] = scratch.evidence(self.luma[i], self.settings.threshold_scale)
        return self.lines[i]


def _motion_neighbours(win: _Window, i: int, lo: int, hi: int) -> list[motion.Neighbour]:
    """Frames +-1 and +-2 for the motion search; +-2 reuse the +-1 flow doubled (constant
    velocity) as the place to search around, so no extra flow is computed."""
    out = []
    for d in (1, 2):
        for sign in (-1, 1):
            j, near = i + sign * d, i + sign
            if lo <= j < hi and j in win.luma and lo <= near < hi and (i, near) in win.flows:
                out.append(motion.Neighbour(sign * d, win.luma[j], win.flow(i, near) * float(d)))
    return out


def _lone_whole_defect(win: _Window, i: int, lo: int, hi: int) -> bool:
    """Frame ``i`` is black or blank (:func:`whole_frame_defect`) and no neighbour in its shot
    is black or blank the same way: a frame whose picture is gone. Frames of a dark shot, a fade
    or leader have such neighbours and are searched for dust as picture (the temporal tests
    compare them with frames like them, so the whole frame is no outlier)."""
    mine = win.whole.get(i)
    if mine is None:
        return False
    for j in (i - 1, i + 1):
        other = win.whole.get(j) if lo <= j < hi else None
        if other is not None and other.kind == mine.kind:
            return False
    return True


def _detect_one(win: _Window, i: int, lo: int, hi: int) -> FrameDetection:
    """Frame ``i``'s detection from the frames of its shot ``[lo, hi)`` only."""
    if _lone_whole_defect(win, i, lo, hi):
        # a black or blank frame is a rebuild candidate as a whole (the frame scan lists it), not
        # damage: no region, and a flicker gain of 1 (not brightened onto its neighbours), so the
        # restore leaves it as it is
        keep = (1.0, 0.0) if win.settings.flicker and hi - lo >= 2 else None
        return FrameDetection(i, np.zeros(win.full_shape, bool), [], keep)
    s = win.settings
    ts = s.threshold_scale
    cur = win.luma[i]
    mask = np.zeros(cur.shape, bool)
    defects: list[Defect] = []
    inv = 1.0 / win.scale

    refs = _references(i, lo, hi) if s.dust else None
    pairs = [(i, j) for j in (i - 1, i + 1) if s.scratches and lo <= j < hi]
    if refs is not None:
        pairs += [(i, refs[0]), (i, refs[1])]
        if abs(refs[0] - i) > 1 or abs(refs[1] - i) > 1:
            pairs.append((refs[0], i))
    win.prefetch(pairs)
    if refs is not None:
        a, b = refs
        one_sided = abs(b - i) > 1 or abs(a - i) > 1
        k = ts * (ONE_SIDED if one_sided else 1.0)
        ignore = smoothed = None
        if one_sided:
            # Both references lie on one side: what motion covers in one is covered in the
            # other too, so occlusions look like damage. Skip pixels whose flow is inconsistent.
            # The flows are median-smoothed first (a speck bends the flow over itself, which
            # would hide exactly the specks), and an inconsistent flow only matters where the
            # reference has detail: on flat picture a wrong flow still finds the same values.
            fa, fb = smooth_flow(win.flow(i, a)), smooth_flow(win.flow(i, b))
            ref = warp(win.luma[a], fa)
            k5 = np.ones((5, 5), np.uint8)
            detail = (cv2.dilate(ref, k5) - cv2.erode(ref, k5)) > END_DETAIL
            ignore = ~reliable(fa, smooth_flow(win.flow(a, i)), tolerance=1.5) | motion_boundaries(fb)
            if END_BOUNDARIES_ON_DETAIL:
                ignore &= detail
            smoothed = (fa, fb)  # the temporal test's own smoothing of the same two flows
        out = temporal_outliers(
            cur, win.luma[a], win.flow(i, a), win.luma[b], win.flow(i, b), Z_LOW * k, ignore, smoothed
        )
        dust_mask = regions.refine(out.z, Z_LOW * k, Z_HIGH * k, signed=out.signed)
        # candidates on still picture need no motion protection (their own flow is bent by them)
        still = on_still_picture(cur, dust_mask, [(win.luma[a], win.flow(i, a)), (win.luma[b], win.flow(i, b))])
        candidates = dust_mask
        dust_mask = still | motion.protect(
            cur, dust_mask & ~still, out.signed, out.z, Z_HIGH * k, _motion_neighbours(win, i, lo, hi),
            s.motion_protection,
        )
        floor = GROW_GRAIN * out.sigma
        # dropped pieces of a confirmed region (a lint crossing a moving arm) rejoin it
        dust_mask = regions.link_dropped(candidates, dust_mask, out.signed, floor)
        # what is confirmed grows into the pixels beside it that depart the same way; by a few
        # pixels only where it was not seen to sit on still picture (small ones, those on or
        # next to moving picture: a picture detail let through would grow too)
        short = (regions.GROW_REACH[0], regions.GROW_REACH[0])
        dust_mask = regions.fill_holes(
            regions.grow_confirmed(dust_mask & still, out.signed, floor)
            | regions.grow_confirmed(dust_mask & ~still, out.signed, floor, reach=short)
        )
        defects += regions.defects_from_mask(i, dust_mask, out.signed, out.z, Z_HIGH * k, inv, 1)
        mask |= dust_mask

    if s.scratches:
        ev = win.line_evidence(i)
        neighbours = [(win.line_evidence(j), win.flow(i, j)) for j in (i - 1, i + 1) if lo <= j < hi]
        lines = scratch.confirmed(ev, neighbours, cur.shape[0], cur)
        if not neighbours:  # a single frame: only lines that hold almost all the way
            lines = [c for c in lines if c.strength >= SINGLE_FRAME_LINE]
        for line, m in zip(lines, scratch.scratch_mask(ev, lines, ts), strict=True):
            ys, xs = np.nonzero(m)
            if len(xs) == 0:
                continue
            x0, y0 = int(xs.min()), int(ys.min())
            defects.append(
                Defect(
                    frame=i,
                    bbox=(
                        int(x0 * inv),
                        int(y0 * inv),
                        max(1, round((xs.max() - x0 + 1) * inv)),
                        max(1, round((ys.max() - y0 + 1) * inv)),
                    ),
                    area=max(1, round(len(xs) * inv * inv)),
                    kind="scratch",
                    polarity="bright" if line.polarity == 0 else "dark",
                    score=round(float(min(1.0, line.strength)), 4),
                    id=len(defects) + 1,
                )
            )
            mask |= m

    gain_offset = None
    if s.flicker and hi - lo >= 2:
        r = s.flicker_radius
        window = [win.stats[j] for j in range(max(lo, i - r), min(hi, i + r + 1)) if j in win.stats]
        gain_offset = flk.gain_offset(win.stats[i], window)

    if win.scale < 1.0:
        h, w = win.full_shape
        mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return FrameDetection(i, mask, defects, gain_offset)


def _shape_of(reel: ReelLike) -> tuple[int, int]:
    info = getattr(reel, "info", None)
    if info is not None and getattr(info, "width", None) and getattr(info, "height", None):
        return int(info.height), int(info.width)
    data = reel.read(0).data
    return int(data.shape[0]), int(data.shape[1])


def _check_range(frame_range: tuple[int, int] | None, n: int) -> tuple[int, int]:
    if frame_range is None:
        return 0, n
    a, b = int(frame_range[0]), int(frame_range[1])
    if not (0 <= a < b <= n):
        raise InputError(f"frame range {a}:{b} is outside the reel's 0:{n}")
    return a, b


def detect_reel(
    reel: ReelLike,
    settings: DetectSettings | None = None,
    frame_range: tuple[int, int] | None = None,
    cancel: CancelToken | None = None,
    cuts: Sequence[int] = (),
) -> Generator[Progress, None, int]:
    """Detect damage in frames ``frame_range`` (``[a, b)``, default all) of ``reel``.

    ``cuts``: shot starts (splices, scene cuts); a frame is only compared with frames of its
    own shot, a shot's first and last frames as a clip's (two frames on their one side).

    Yields ``Progress(done, total, "detect", frame=i, payload=FrameDetection)`` per frame,
    in order; returns the number of frames detected. Frames just outside the range are
    read as temporal context. Raises :class:`Cancelled` when ``cancel`` is set.
    """
    settings = settings or DetectSettings()
    n = len(reel)
    if n == 0:
        raise InputError("the reel has no frames")
    a, b = _check_range(frame_range, n)
    reach = reach_of(settings)
    lo, hi = max(0, a - reach), min(n, b + reach)
    win = _Window(settings, _shape_of(reel))
    total = b - a
    nxt = a
    last = lo - 1
    for offset, frame in enumerate(reel.frames(lo, hi)):
        if cancel is not None:
            cancel.check()
        last = lo + offset
        win.add(last, frame.data)
        while nxt < b and last >= min(n - 1, nxt + reach):
            yield Progress(nxt - a + 1, total, "detect", nxt, payload=_detect_one(win, nxt, *shot_of(nxt, n, cuts)))
            nxt += 1
            win.forget_before(nxt - reach)
            if cancel is not None:
                cancel.check()
    if nxt < b:
        # The source delivered fewer frames than it announced: finish with what there is.
        have = last + 1
        while nxt < min(b, have):
            yield Progress(nxt - a + 1, total, "detect", nxt, payload=_detect_one(win, nxt, *shot_of(nxt, have, cuts)))
            nxt += 1
        if nxt < b:
            raise InputError(f"the reel ended after {have} frames, {n} were announced")
    return total


def detect_frame(reel: ReelLike, index: int, settings: DetectSettings | None = None,
                 cuts: Sequence[int] = ()) -> FrameDetection:
    """Detect damage in one frame (reads the neighbours it needs itself): for the GUI."""
    settings = settings or DetectSettings()
    n = len(reel)
    if not 0 <= index < n:
        raise InputError(f"frame {index} is outside the reel's 0:{n}")
    reach = reach_of(settings)
    win = _Window(settings, _shape_of(reel))
    for j in range(max(0, index - reach), min(n, index + reach + 1)):
        win.add(j, reel.read(j).data)
    return _detect_one(win, index, *shot_of(index, n, cuts))
