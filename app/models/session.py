"""What the workbench has open: the reel, its project, detections and previews (Qt-free).

The views listen to these psygnal signals; background results are stored here first so
that every view (viewer overlay, timeline density strip, inspector) reads one truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal


@dataclass
class ReelSummary:
    path: Path
    frames: int
    fps: float
    width: int
    height: int
    bit_depth: int
    start_timecode: str | None = None
    info: dict | None = None        # the engine's ReelInfo.to_dict(), stored in the project
    sha256: str | None = None


class StoredDetection:
    """A frame's detection as the project keeps it (shown after reopening without detecting
    again): defects and flicker from the project, the mask read when the frame is shown."""

    def __init__(self, project: Any, reel_id: str, index: int):
        self.project, self.reel_id, self.index = project, reel_id, int(index)

    @property
    def mask(self) -> np.ndarray | None:
        return self.project.masks.get(self.reel_id, self.index, "detected")

    @property
    def defects(self) -> list:
        return self.project.defects(self.reel_id, self.index)

    @property
    def flicker(self) -> tuple[float, float] | None:
        return self.project.flicker(self.reel_id).get(self.index)


class Session:
    opened = Signal()
    closed = Signal()
    detection_ready = Signal(int)
    preview_ready = Signal(int)
    masks_changed = Signal(int)
    clips_changed = Signal()
    project_changed = Signal()

    def __init__(self) -> None:
        self.reel: ReelSummary | None = None
        self.project: Any = None
        self.reel_id: str | None = None
        self.detections: dict[int, Any] = {}
        self.previews: dict[int, np.ndarray] = {}

    # ---- reel ---------------------------------------------------------------------
    def open(self, reel: ReelSummary, project: Any = None, reel_id: str | None = None) -> None:
        self.reel, self.project, self.reel_id = reel, project, reel_id
        self.detections.clear()
        self.previews.clear()
        self._load_stored()
        self.opened.emit()
        self.project_changed.emit()

    def attach_project(self, project: Any, reel_id: str) -> None:
        """Give an open bare reel the (untitled) project that keeps its masks."""
        self.project, self.reel_id = project, reel_id
        self._load_stored()
        self.project_changed.emit()

    def _load_stored(self) -> None:
        """The project's detections of this reel: damage strip, flicker curve and overlays show
        on reopening, and those frames are not detected again (their rejections stay valid)."""
        p, r = self.project, self.reel_id
        if p is None or r is None:
            return
        frames = set(p.defect_frames(r)) | set(p.masks.frames(r, "detected")) | set(p.flicker(r))
        for f in frames:
            self.detections.setdefault(int(f), StoredDetection(p, r, f))

    def close(self) -> None:
        self.reel = self.project = self.reel_id = None
        self.detections.clear()
        self.previews.clear()
        self.closed.emit()

    @property
    def frames(self) -> int:
        return self.reel.frames if self.reel else 0

    # ---- detections -----------------------------------------------------------------
    def add_detection(self, det: Any) -> None:
        """Keep a frame's detection; the project stores its mask, defects and flicker."""
        self.detections[int(det.index)] = det
        if self.project is not None and self.reel_id is not None:
            self.project.set_detection(self.reel_id, int(det.index), det.mask, list(det.defects),
                                       getattr(det, "flicker", None))
        self.detection_ready.emit(int(det.index))

    def defects(self, index: int) -> list:
        det = self.detections.get(index)
        return list(det.defects) if det is not None else []

    def density(self) -> dict[int, float]:
        """Damage per analysed frame: the detected defects' area as a fraction of the picture
        (from the defect list, so a reopened project needs no mask read to draw it)."""
        pixels = max(1, self.reel.width * self.reel.height) if self.reel else 1
        return {i: min(1.0, sum(d.area for d in det.defects) / pixels)
                for i, det in self.detections.items()}

    def flicker_curve(self) -> dict[int, float]:
        """Per-frame flicker gain: the project's curve (saved with it), and any frame detected
        without a project."""
        out = {}
        if self.project is not None and self.reel_id is not None:
            out.update({int(f): float(g) for f, (g, _o) in self.project.flicker(self.reel_id).items()})
        for i, det in self.detections.items():
            if i in out or isinstance(det, StoredDetection):
                continue
            fl = getattr(det, "flicker", None)
            if fl is not None:
                out[i] = float(fl[0])
        return out

    def next_defect_frame(self, frame: int, direction: int) -> int | None:
        """The nearest analysed frame after/before ``frame`` with at least one defect."""
        hits = sorted(i for i, d in self.detections.items() if d.defects)
        if direction > 0:
            later = [i for i in hits if i > frame]
            return later[0] if later else None
        earlier = [i for i in hits if i < frame]
        return earlier[-1] if earlier else None

    # ---- previews -------------------------------------------------------------------
    def add_preview(self, index: int, data: np.ndarray) -> None:
        self.previews[index] = data
        self.preview_ready.emit(index)
