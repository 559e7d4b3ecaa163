"""The render's frame steps before detection: rebuild listed frames, then stabilize.

Both are per-clip restore settings and off by default (``rebuild``, ``stabilize``,
``stabilize_smooth``, ``stabilize_crop``). :func:`prepare_frames` runs once per render, over the
whole clip range: it scans for frame-level defects (splices become the stabilizer's cuts;
black, blank, torn and duplicate frames are listed as rebuild candidates in the report) and
plans the stabilization on the rebuilt frames. :meth:`FrameSteps.wrap` then gives every later
step (detection, restoration, the source the render cache patches, the encoder) the same
corrected frames, and :meth:`FrameSteps.interventions` / :meth:`FrameSteps.report` what the
report lists: each rebuilt frame and its sources, each stabilized frame and its transform.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restoration_core.defects import Intervention
from restoration_core.detect.frames import FrameScan, scan_frames, scan_near
from restoration_core.motion import StabilizationPlan, StabilizedReel, plan_stabilization
from restoration_core.motion.stabilize import FrameStore, warp_mask
from restoration_core.progress import CancelToken, Progress
from restoration_core.restore.rebuild import (
    BuiltFrames,
    RebuildRun,
    RebuiltReel,
    plan_runs,
    rebuild_interventions,
)


@dataclass
class FrameSteps:
    """What the frame steps decided for one render (the same for every reader of the clip)."""

    rebuild: tuple[int, ...] = ()
    runs: list[RebuildRun] = field(default_factory=list)  # whole frames and tears
    plan: StabilizationPlan | None = None
    scan: FrameScan | None = None
    tears: dict[int, np.ndarray] = field(default_factory=dict)  # full-size area to repair per frame
    built: BuiltFrames = field(default_factory=BuiltFrames)  # rebuilt once, read by every step
    corrected: FrameStore = field(default_factory=lambda: FrameStore(1 << 30))  # stabilized once, up to 1 GiB
    cuts: list[int] = field(default_factory=list)  # shot starts the restore's temporal steps keep to

    @property
    def active(self) -> bool:
        return bool(self.runs) or self.plan is not None

    def wrap(self, reel: Any) -> Any:
        """``reel`` with the listed frames rebuilt and the clip stabilized (as planned)."""
        if self.runs:
            reel = RebuiltReel(reel, self.rebuild, tears=self.tears, built=self.built)
        if self.plan is not None:
            reel = StabilizedReel(reel, self.plan, store=self.corrected)
        return reel

    def to_output(self, index: int, mask: np.ndarray | None) -> np.ndarray | None:
        """A mask drawn on source frame ``index`` (painted, held, the project's layers) in the
        frames the later steps read: warped with the stabilization, as is where there is none."""
        if mask is None or self.plan is None or not self.plan.covers(index):
            return mask
        return warp_mask(mask, self.plan.warps[index - self.plan.start])

    def interventions(self, shape: tuple[int, int], frame_range: tuple[int, int]) -> list[Intervention]:
        """Rebuilt frames (kind ``rebuild``) and stabilized frames (kind ``stabilize``) in the range."""
        a, b = frame_range
        out = [i for i in rebuild_interventions(self.runs, shape) if a <= i.frame < b]
        if self.plan is not None:
            h, w = shape
            for k in range(a, b):
                if self.plan.covers(k):
                    out.append(Intervention(frame=k, bbox=(0, 0, w, h), area=w * h, kind="stabilize",
                                            method="resample"))
        return sorted(out, key=lambda i: (i.frame, i.kind))

    def report(self, frame_range: tuple[int, int]) -> dict[str, Any]:
        """The report's ``extra`` entries: rebuilt frames with sources, per-frame transforms, candidates."""
        a, b = frame_range
        out: dict[str, Any] = {}
        if self.runs:
            out["rebuilt"] = [{"frame": i, "method": r.method, "sources": [s for s in (r.before, r.after) if s is not None],
                               "area": "tear" if r.region is not None else "frame"}
                              for r in self.runs for i in range(r.start, r.stop) if a <= i < b]
        if self.plan is not None:
            out["stabilization"] = {
                "smooth": self.plan.smooth, "crop": self.plan.crop, "cuts": self.plan.cuts,
                "frames": [self.plan.correction(k) for k in range(a, b) if self.plan.covers(k)],
            }
        if self.scan is not None:
            out["frame_defects"] = self.scan.to_dict()
        return out


def full_size(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A thumbnail-size torn area at full size, grown by about one thumbnail pixel (its edge)."""
    h, w = shape
    big = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    grow = max(2, round(max(h, w) / mask.shape[1] * 1.5)) | 1
    return cv2.dilate(big, np.ones((grow, grow), np.uint8)).astype(bool)


def uses_time(settings: Any) -> bool:
    """Whether the restore looks at other frames (temporal fill, a model's initialisation, deflicker)."""
    engine = getattr(settings, "engine", "auto")
    return bool(getattr(settings, "deflicker", False)) or engine == "diffusion" or \
        (engine != "classical" and int(getattr(settings, "radius", 0) or 0) > 0)


def temporal_cuts(
    settings: Any, reel: Any, frame_range: tuple[int, int], steps: FrameSteps, *, cancel: CancelToken | None = None,
    detect_reach: int = 0, keep_scan: bool = False,
) -> Generator[Progress, None, list[int]]:
    """The shot starts (splices, scene cuts) that restoring ``frame_range`` must not reach across.

    The frame steps' scan when there is one; else frames within the restore's reach around the
    range are scanned (a cut depends only on the frames either side of it, so a preview's short
    scan finds the same cuts near its frame as the render's whole one). None without time, unless
    ``detect_reach`` (frames either side a detection compares, ``detect.pipeline.reach_of``) is given.
    ``keep_scan``: a scan made here is kept in ``steps.scan`` for ``frame_range`` (a render's one
    call, so its report lists the range's frame-level defects and rebuild candidates)."""
    if not (detect_reach or uses_time(settings)):
        return []
    if steps.scan is not None:
        return steps.scan.cuts()
    reach = max(int(getattr(settings, "radius", 0) or 0), 1,
                int(getattr(settings, "deflicker_radius", 0) or 0) if getattr(settings, "deflicker", False) else 0,
                detect_reach)
    scan, cuts = yield from scan_near(reel, frame_range, reach, cancel=cancel)
    if keep_scan and scan is not None:
        steps.scan = scan.within(*frame_range)
    return cuts


def prepare_frames(
    settings: Any, reel: Any, frame_range: tuple[int, int], *, scan: bool = False, cancel: CancelToken | None = None,
) -> Generator[Progress, None, FrameSteps]:
    """Plan the frame steps of ``settings`` (a RestoreSettings) for ``frame_range`` of ``reel``.

    Frame-level defects are scanned when ``scan`` is set or a frame step is on (their splices
    reset the stabilizer's trajectory; the report lists black, blank, torn and duplicate
    frames as rebuild candidates). With both steps off and no scan nothing is read.
    """
    rebuild = tuple(getattr(settings, "rebuild", ()) or ())
    runs = plan_runs(rebuild, len(reel))
    steps = FrameSteps(rebuild, runs)
    stabilize = bool(getattr(settings, "stabilize", False))
    tears = bool(getattr(settings, "repair_tears", False))
    if not (scan or stabilize or runs or tears):
        return steps
    source = RebuiltReel(reel, rebuild, built=steps.built) if runs else reel
    steps.scan = yield from scan_frames(source, frame_range, cancel=cancel)
    if tears and steps.scan.torn_masks:
        shape = (int(reel.info.height), int(reel.info.width))
        steps.tears = {i: full_size(m, shape) for i, m in steps.scan.torn_masks.items()}
        steps.runs = RebuiltReel(reel, rebuild, tears=steps.tears).runs
        source = steps.wrap(reel)
    if stabilize:
        steps.plan = yield from plan_stabilization(
            source, frame_range, smooth=settings.stabilize_smooth, crop=settings.stabilize_crop,
            cuts=steps.scan.cuts() if steps.scan else (), cancel=cancel)
    return steps
