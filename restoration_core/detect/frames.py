"""Frame-level defects: black, blank, torn or burnt, duplicate frames, and splices (cuts).

Each frame is summarised by a small luma thumbnail (longest side :data:`THUMB`). From those:

- ``black``: almost every pixel dark (luma < 0.06 for 98% of the frame);
- ``blank``: a flat frame of any level (spread of luma under 0.02: clear leader, a flash);
- ``duplicate``: the frame equals the previous one up to noise (mean difference under
  ``duplicate_level``, and under a tenth of the clip's typical frame-to-frame difference);
- ``torn``: a large connected area (over ``torn_area`` of the frame) disagrees with the
  motion-compensated average of both neighbours while the neighbours agree with each other
  (a tear, a burn, a destroyed part), reported with its mask (a candidate for
  :func:`restoration_core.restore.rebuild.repair_region` or, if large, a rebuild); the area
  is seeded where the difference exceeds ``torn_difference`` and takes in the pixels around it
  that differ half as much (a burn's mottled parts);
- ``splice``: a content jump between a frame and the previous one (thumbnails barely
  correlate) that lasts: neither the frame after it nor the one two before match across it
  (a single destroyed frame is no cut, and neither is the frame after it) -- with a bright or
  dark bar along the frame line when there is one -- so every temporal step treats it as a
  cut: :func:`cut_indices`.

:func:`scan_frames` is a generator of Progress over a reel (cancellable) that returns a
:class:`FrameScan`; black, blank, torn and duplicate frames are the rebuild candidates.

A run of more than :data:`LONGEST_REBUILD` black (or blank) frames in a row is no missing
frame: it is a dark shot, a fade or leader (nothing could rebuild it from its neighbours). It
is not listed as defects but as one entry of :attr:`FrameScan.runs`, and detection searches
its frames for dust like any picture (:func:`restoration_core.detect.pipeline.detect_reel`
leaves alone only a black or blank frame whose neighbours are not black or blank the same way).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restoration_core.detect.flow import estimate_flow, to_luma, warp
from restoration_core.errors import InputError
from restoration_core.progress import CancelToken, Progress

THUMB = 160
REBUILD_KINDS = ("black", "blank", "torn", "duplicate")
LONGEST_REBUILD = 3  # the most frames in a row a rebuild takes (restore.rebuild.MAX_RUN)
TORN_WEAK = 0.5  # a torn area grows into pixels differing this share of torn_difference from both predictions
TORN_SEED = 0.25  # ... and needs this share of torn_area differing by the whole torn_difference


@dataclass(frozen=True)
class FrameDefect:
    """One frame-level finding. ``bbox`` (x, y, w, h, source pixels) for a torn area."""

    frame: int
    kind: str  # black | blank | torn | duplicate | splice
    score: float
    bbox: tuple[int, int, int, int] | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "kind": self.kind, "score": round(self.score, 4),
                "bbox": list(self.bbox) if self.bbox else None, "detail": self.detail}


@dataclass
class FrameScan:
    """What :func:`scan_frames` found in frames ``[start, start + count)``."""

    start: int
    count: int
    defects: list[FrameDefect] = field(default_factory=list)
    torn_masks: dict[int, np.ndarray] = field(default_factory=dict)  # thumbnail-size bool masks
    # (start, stop, kind): black or blank frames [start, stop), more than LONGEST_REBUILD in a row
    runs: list[tuple[int, int, str]] = field(default_factory=list)

    def cuts(self) -> list[int]:
        """Absolute indices where a new shot starts (splices)."""
        return sorted({d.frame for d in self.defects if d.kind == "splice"})

    def rebuild_candidates(self) -> list[int]:
        """Frames worth rebuilding whole: black, blank, duplicate, or torn over most of the frame."""
        return sorted({d.frame for d in self.defects if d.kind in REBUILD_KINDS})

    def within(self, a: int, b: int) -> FrameScan:
        """What this scan found in frames ``[a, b)`` (a run crossing an end is cut at it)."""
        a, b = max(a, self.start), min(b, self.start + self.count)
        return FrameScan(a, max(0, b - a), [d for d in self.defects if a <= d.frame < b],
                         {i: m for i, m in self.torn_masks.items() if a <= i < b},
                         [(max(s, a), min(e, b), k) for s, e, k in self.runs if s < b and e > a])

    def to_dict(self) -> dict[str, Any]:
        return {"frames": [self.start, self.start + self.count], "defects": [d.to_dict() for d in self.defects],
                "cuts": self.cuts(), "rebuild_candidates": self.rebuild_candidates(),
                "runs": [{"frames": [a, b], "kind": k, "detail": f"{b - a} {k} frames in a row: a dark shot, "
                          "fade or leader, searched as picture, not a rebuild candidate"}
                         for a, b, k in self.runs]}


@dataclass
class FrameSettings:
    black_level: float = 0.06
    blank_spread: float = 0.02
    duplicate_level: float = 0.004
    torn_area: float = 0.04  # share of the frame
    torn_difference: float = 0.18  # luma units the frame must differ from both neighbours' prediction
    splice_correlation: float = 0.35  # thumbnails correlating less than this are a content jump
    bar_contrast: float = 0.25  # a frame-line bar differs this much from the picture next to it

    def __post_init__(self) -> None:
        for name in ("black_level", "blank_spread", "duplicate_level", "torn_area", "torn_difference",
                     "splice_correlation", "bar_contrast"):
            v = float(getattr(self, name))
            if not 0.0 <= v <= 1.0:
                raise InputError(f"frame detection: {name} must be within 0..1, got {v}")


def thumbnail(data: np.ndarray) -> np.ndarray:
    """Float32 luma, longest side :data:`THUMB` px."""
    luma = to_luma(data)
    h, w = luma.shape
    scale = min(1.0, THUMB / float(max(h, w)))
    if scale < 1.0:
        luma = cv2.resize(luma, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    return luma.astype(np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation of two thumbnails (1 = same picture; flat pictures give 1)."""
    a0, b0 = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a0 * a0).sum() * (b0 * b0).sum()))
    return 1.0 if den < 1e-6 else float((a0 * b0).sum() / den)


def frame_line_bar(t: np.ndarray, contrast: float) -> str:
    """``"top"`` / ``"bottom"`` when a thin full-width band at that edge is much brighter or
    darker than the picture next to it and even across the width (a splice's tape or cement)."""
    h = t.shape[0]
    band = max(2, h // 24)
    for side, rows, inner in (("top", t[:band], t[band:3 * band]), ("bottom", t[-band:], t[-3 * band:-band])):
        row = rows.mean(axis=0)
        if abs(float(row.mean() - inner.mean())) > contrast and float(row.std()) < 0.5 * contrast:
            return side
    return ""


def classify_single(t: np.ndarray, s: FrameSettings) -> FrameDefect | None:
    """Black or blank, from one frame's thumbnail alone (frame index 0; the caller sets it)."""
    dark = float((t < s.black_level).mean())
    if dark >= 0.98:
        return FrameDefect(0, "black", dark, detail=f"{100 * dark:.0f}% of the frame is black")
    lo, hi = np.quantile(t, (0.02, 0.98))
    if float(hi - lo) < s.blank_spread:
        return FrameDefect(0, "blank", 1.0 - float(hi - lo) / s.blank_spread, detail=f"flat at level {float(t.mean()):.2f}")
    return None


def whole_frame_defect(image: np.ndarray, settings: FrameSettings | None = None) -> FrameDefect | None:
    """A frame whose picture is gone, black or blank (:func:`classify_single` on its thumbnail,
    the scan's own verdict): a rebuild candidate as a whole, which detection leaves alone (a
    region over the whole frame would have the restore paint it)."""
    return classify_single(thumbnail(image), settings or FrameSettings())


def torn_region(prev: np.ndarray, cur: np.ndarray, nxt: np.ndarray, s: FrameSettings) -> tuple[np.ndarray, float] | None:
    """The largest area of ``cur`` that neither neighbour explains, if it covers ``torn_area``."""
    f_pn = estimate_flow(prev, nxt, max_side=None, quality="fast")
    f_np = estimate_flow(nxt, prev, max_side=None, quality="fast")
    # the middle moment: each neighbour moved half way (linear motion) towards the other
    pred_p = warp(prev, 0.5 * f_np)
    pred_n = warp(nxt, 0.5 * f_pn)
    agree = np.abs(pred_p - pred_n) < s.torn_difference / 2
    diff = np.minimum(np.abs(cur - pred_p), np.abs(cur - pred_n))
    strong = (diff > s.torn_difference) & agree
    # hysteresis: an area is seeded where the frame differs strongly from both predictions and
    # takes in what differs half as much around it (a burn's mottled parts, a tear's edge)
    bad = ((diff > TORN_WEAK * s.torn_difference) & agree).astype(np.uint8)
    bad = cv2.morphologyEx(bad, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    bad = cv2.morphologyEx(bad, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bad, connectivity=8)
    if count <= 1:
        return None
    seeds = np.bincount(labels[strong], minlength=count) / float(bad.size)
    areas = stats[:, cv2.CC_STAT_AREA] / float(bad.size)
    ok = [k for k in range(1, count) if areas[k] >= s.torn_area and seeds[k] >= TORN_SEED * s.torn_area]
    if not ok:
        return None
    k = max(ok, key=lambda j: areas[j])
    return labels == k, float(areas[k])


class Classifier:
    """:func:`classify`, fed one thumbnail at a time: it keeps only the last four (a frame's
    splice test looks one frame ahead, its torn test needs its neighbours' splice verdicts), so a
    scan's memory does not grow with the clip. The duplicate test needs the clip's typical
    frame-to-frame difference, so its candidates wait for :meth:`finish` as numbers."""

    def __init__(self, start: int, settings: FrameSettings | None = None, shape: tuple[int, int] | None = None):
        self.s = settings or FrameSettings()
        self.start, self.shape = start, shape
        self.n = 0
        self._thumbs: dict[int, np.ndarray] = {}  # k -> thumbnail, the last four
        self._single: dict[int, FrameDefect | None] = {}
        self._diffs: list[float] = []
        self._splices: set[int] = set()
        self._duplicates: list[tuple[int, float]] = []  # (k, difference to k - 1) awaiting the typical
        self._scale: tuple[float, float] = (1.0, 1.0)
        self.scan = FrameScan(start, 0)

    def add(self, thumb: np.ndarray) -> None:
        k = self.n
        self.n += 1
        if k == 0 and self.shape:
            th, tw = thumb.shape
            self._scale = (self.shape[0] / th, self.shape[1] / tw)
        self._thumbs[k] = thumb
        self._single[k] = classify_single(thumb, self.s)
        if k >= 1:
            self._diffs.append(float(np.abs(thumb - self._thumbs[k - 1]).mean()))
            self._step(k - 1)  # frame k - 1's splice test can look at frame k now
        if k >= 2:
            self._torn(k - 2)
        for old in [j for j in self._thumbs if j < k - 3]:
            del self._thumbs[old]
        for old in [j for j in self._single if j < k - 3]:
            del self._single[old]

    def _step(self, k: int) -> None:
        """Frame k's own verdict (single, splice or duplicate candidate), frame k + 1 known if there is one."""
        s, t, i = self.s, self._thumbs, self.start + k
        single = self._single[k]
        if single is not None:
            self.scan.defects.append(FrameDefect(i, single.kind, single.score, detail=single.detail))
            return
        if k == 0:
            return
        prev_bad = self._single[k - 1] is not None
        corr = correlation(t[k - 1], t[k])
        # a jump that lasts (the next frame does not go back to the previous picture): a single
        # destroyed frame between two matching ones is no cut
        lasting = k + 1 >= self.n or correlation(t[k - 1], t[k + 1]) < s.splice_correlation
        # nor is the frame after one: when frame k matches frame k - 2, frame k - 1 was the odd one
        lasting = lasting and (k < 2 or correlation(t[k - 2], t[k]) < s.splice_correlation)
        if not prev_bad and corr < s.splice_correlation and lasting:
            bar = frame_line_bar(t[k], s.bar_contrast) or frame_line_bar(t[k - 1], s.bar_contrast)
            detail = f"content jump (correlation {corr:.2f})" + (f", bar at the {bar} frame line" if bar else "")
            self.scan.defects.append(FrameDefect(i, "splice", 1.0 - corr, detail=detail))
            self._splices.add(k)
            return
        d = self._diffs[k - 1]
        if not prev_bad and d < s.duplicate_level:
            self._duplicates.append((k, d))

    def _torn(self, k: int) -> None:
        """Frame k's torn test (k >= 1, frame k + 1 exists and its splice verdict is in)."""
        single = self._single
        if k < 1 or single[k] is not None or k in self._splices or (k + 1) in self._splices \
                or single[k - 1] or single[k + 1]:
            return
        found = torn_region(self._thumbs[k - 1], self._thumbs[k], self._thumbs[k + 1], self.s)
        if found is None:
            return
        mask, share = found
        sy, sx = self._scale
        ys, xs = np.nonzero(mask)
        bbox = (int(xs.min() * sx), int(ys.min() * sy), int((xs.max() - xs.min() + 1) * sx),
                int((ys.max() - ys.min() + 1) * sy))
        self.scan.defects.append(FrameDefect(self.start + k, "torn", share, bbox,
                                             f"{100 * share:.0f}% of the frame destroyed"))
        self.scan.torn_masks[self.start + k] = mask

    def finish(self) -> FrameScan:
        """All findings (call once, after the last thumbnail)."""
        if self.n >= 1:
            self._step(self.n - 1)  # the last frame: nothing after it
        if self.n >= 3:
            self._torn(self.n - 2)  # the last frame with two neighbours
        typical = float(np.median(self._diffs)) if self._diffs else 0.0
        s = self.s
        for k, d in self._duplicates:
            if typical <= 0 or d < 0.1 * typical:
                i = self.start + k
                self.scan.defects.append(FrameDefect(i, "duplicate", 1.0 - d / max(s.duplicate_level, 1e-9),
                                                     detail=f"differs from frame {i - 1} by {d:.4f}"))
        self.scan.count = self.n
        self.scan.defects.sort(key=lambda d: (d.frame, d.kind))
        self._take_long_runs()
        self._thumbs.clear()
        return self.scan


    def _take_long_runs(self) -> None:
        """Move black or blank frames more than LONGEST_REBUILD in a row from the defects to
        :attr:`FrameScan.runs` (the defects are sorted by frame; a frame has one single verdict)."""
        single = [d for d in self.scan.defects if d.kind in ("black", "blank")]
        runs: list[list[FrameDefect]] = []
        for d in single:
            if runs and runs[-1][-1].frame == d.frame - 1 and runs[-1][-1].kind == d.kind:
                runs[-1].append(d)
            else:
                runs.append([d])
        long_ = [r for r in runs if len(r) > LONGEST_REBUILD]
        if not long_:
            return
        gone = {id(d) for r in long_ for d in r}
        self.scan.defects = [d for d in self.scan.defects if id(d) not in gone]
        self.scan.runs = [(r[0].frame, r[-1].frame + 1, r[0].kind) for r in long_]


def classify(thumbs: list[np.ndarray], start: int, settings: FrameSettings | None = None,
             shape: tuple[int, int] | None = None) -> FrameScan:
    """All findings over consecutive thumbnails (frame ``start + k`` is ``thumbs[k]``)."""
    classifier = Classifier(start, settings, shape)
    for t in thumbs:
        classifier.add(t)
    return classifier.finish()


def scan_frames(
    reel: Any, frame_range: tuple[int, int] | None = None, settings: FrameSettings | None = None,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, FrameScan]:
    """Read frames ``[a, b)`` of ``reel`` once and classify them (memory flat: see :class:`Classifier`)."""
    n = len(reel)
    a, b = frame_range if frame_range is not None else (0, n)
    if not (0 <= a < b <= n):
        raise InputError(f"frame range {a}:{b} is outside the reel (0:{n})")
    classifier = Classifier(a, settings, (int(reel.info.height), int(reel.info.width)))
    for k, frame in enumerate(reel.frames(a, b)):
        if cancel is not None:
            cancel.check()
        classifier.add(thumbnail(frame.data))  # a few thumbnails kept, not the clip's
        yield Progress(k + 1, b - a, "frames", a + k, "frame-level defects")
    return classifier.finish()


def cuts_near(reel: Any, frame_range: tuple[int, int], reach: int, cancel: CancelToken | None = None,
              ) -> Generator[Progress, None, list[int]]:
    """The shot starts that frames ``[a, b)`` reaching ``reach`` frames either side must not cross.

    Only frames within reach of the range (and one more) are scanned: a cut depends on the
    frames either side of it, so this finds the same cuts near the range as a whole-reel scan."""
    _scan, cuts = yield from scan_near(reel, frame_range, reach, cancel)
    return cuts


def scan_near(reel: Any, frame_range: tuple[int, int], reach: int, cancel: CancelToken | None = None,
              ) -> Generator[Progress, None, tuple[FrameScan | None, list[int]]]:
    """:func:`cuts_near` with the scan it made (None when there was too little to scan): over
    a whole reel that scan is also the reel's rebuild candidates, so no second pass is needed."""
    a, b = frame_range
    lo, hi = max(0, a - reach - 1), min(len(reel), b + reach + 1)
    if hi - lo < 2:
        return None, []
    scan = yield from scan_frames(reel, (lo, hi), cancel=cancel)
    # the scan's first frame cannot start a shot and its last has no next frame to confirm one
    return scan, [c for c in scan.cuts() if lo < c and (c < hi - 1 or hi == len(reel))]


def cut_indices(frames: Iterable[np.ndarray], start: int = 0, settings: FrameSettings | None = None) -> list[int]:
    """Where a new shot starts (splices and content jumps), as absolute frame indices: for the
    temporal steps (temporal fill, deflicker, stabilization) not to reach across."""
    thumbs = [thumbnail(f) for f in frames]
    return classify(thumbs, start, settings).cuts()
