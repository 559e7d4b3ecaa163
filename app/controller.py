"""Connects the session to background work: frames for the viewer, detection, previews.

Two threads, each with its own Reel: one reads frames (so scrubbing is never stuck behind
analysis), one runs detection and restore previews. Every request is keyed, so only the
newest frame, detection and preview request survives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app import engine
from app.models.session import ReelSummary, Session
from app.viewer.frames import FrameSource
from app.workers import ReelWorker
from restoration_core.errors import Cancelled
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.render.engines import load_engines
from restoration_core.render.pipeline import plan_preview, restore_preview
from restoration_core.render.spec import DEFAULT_CHUNK


def summarize(reel, path: str, fixity: bool = False) -> ReelSummary:
    """Runs in the worker thread: the reel's numbers (and its source checksum if asked)."""
    info = reel.info
    sha = None
    if fixity:
        from restoration_core.project.records import source_fixity

        sha = source_fixity(Path(path))
    fps = float(getattr(info, "fps", 24) or 24)
    return ReelSummary(path=Path(path), frames=len(reel), fps=fps,
                       width=int(info.width), height=int(info.height),
                       bit_depth=int(getattr(info, "bit_depth", 8) or 8),
                       start_timecode=getattr(info, "timecode", None),
                       info=info.to_dict() if hasattr(info, "to_dict") else None, sha256=sha)


class ReelController(QObject):
    opened = Signal()
    frame_ready = Signal(int, object, object, object, float, bool)   # index, data, timecode, image, s, reduced
    open_failed = Signal(str)
    frame_shown = Signal(int)
    analysis_done = Signal(int)     # detection of a frame finished (or is unavailable)
    preview_failed = Signal(str)
    status = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.frames: FrameSource | None = None
        self.analysis: ReelWorker | None = None
        self.path: str | None = None
        self.detect_enabled = engine.available("restoration_core.detect", "detect_frame")
        self.detect_settings = None
        self._previewer = None   # the process that restores previews with a model, started on demand
        self._preview_token = None

    def open(self, path: str, project=None, reel_id: str | None = None) -> None:
        self.close()
        self.path = path
        self.frames = FrameSource(path, parent=self)
        self.analysis = ReelWorker(path, "analysis", parent=self)
        self.frames.failed.connect(self.status.emit)
        self.frames.frame_ready.connect(self.frame_ready)

        def ok(summary: ReelSummary) -> None:
            self.session.open(summary, project, reel_id)
            self.opened.emit()

        fixity = project is None
        self.frames.worker.submit("info", lambda reel: summarize(reel, path, fixity), ok, self._failed)

    def _failed(self, message: str) -> None:
        self.close()
        self.open_failed.emit(message)

    def shutdown(self) -> None:
        """Close the reel and stop the preview process (first: a preview in flight ends at once)."""
        if self._previewer is not None:
            self._previewer.close()
            self._previewer = None
        self.close()

    def close(self) -> None:
        for w in (self.frames, self.analysis):
            if w is not None:
                w.close() if isinstance(w, FrameSource) else w.stop()
                w.deleteLater()
        self.frames = self.analysis = None
        if self.session.reel is not None:
            self.session.close()

    # ---- requests -------------------------------------------------------------------
    def request_frame(self, index: int, reduced: bool = False) -> None:
        if self.frames is not None:
            self.frames.request(index, reduced)

    def request_detection(self, index: int) -> None:
        if self.analysis is None:
            return
        if index in self.session.detections or not self.detect_enabled:
            self.analysis_done.emit(index)
            return
        settings = self.detect_settings

        def run(reel):
            return engine.detect_frame(reel, index, settings)

        def done(det) -> None:
            self.session.add_detection(det)
            self.analysis_done.emit(index)

        def failed(msg: str) -> None:
            self.status.emit(f"Detection of frame {index} failed: {msg}")
            self.analysis_done.emit(index)

        self.analysis.submit("detect", run, done, failed, priority=5)

    def request_preview(self, index: int, masks, settings: dict, detect_settings: dict | None = None,
                        chunk: int = DEFAULT_CHUNK, model: str | None = None, steps: int | None = None) -> None:
        """Restore ``index`` in the background as the clip's render will; the result lands in the session.

        ``masks`` (the clip's :class:`ClipMasks`), ``settings`` / ``detect_settings`` (the job's
        setting dicts; None: the job does not detect) and ``chunk`` are what the queued job
        gets, so the preview is that frame of the render, bit for bit. With ``model`` the
        frame is restored in a worker process that keeps the model loaded (model code never
        runs in the GUI process)."""
        if self.analysis is None:
            return
        path = self.path
        self.cancel_preview()
        token = self._preview_token = CancelToken()

        def progress(done, total, stage, message="") -> None:
            self.status.emit(f"Preview of frame {index}: {message or stage} ({done}/{total})  — Esc cancels")

        def run(reel):
            eng = load_engines()
            restore = eng.restore_settings(settings)
            detect = None if detect_settings is None else eng.detect_settings(detect_settings)
            try:
                plan = run_to_end(plan_preview(reel, index, masks, restore, eng, chunk=chunk,
                                               detect_settings=detect, cancel=token))
                if model:
                    if self._previewer is None:
                        self._previewer = engine.preview_worker()
                    return self._previewer.restore(path, plan, settings, model, steps, on_progress=progress)
                out = run_to_end(restore_preview(reel, plan, restore, eng, cancel=token))
                return np.asarray(out.data)
            except Cancelled:
                return None

        def done(data) -> None:
            if data is None:
                self.status.emit(f"Preview of frame {index} cancelled")
            else:
                self.session.add_preview(index, data)

        self.status.emit(f"Restoring frame {index} for preview…")
        self.analysis.submit("preview", run, done, self.preview_failed.emit, priority=1)

    def cancel_preview(self) -> None:
        """Stop the preview in progress (a model preview's worker process is stopped at once)."""
        if self._preview_token is not None:
            self._preview_token.cancel()
        if self._previewer is not None:
            self._previewer.cancel()

    def run_on_reel(self, key: str, fn, on_result, on_error=None, priority: int = 3) -> None:
        """Any other reel task (mask tracking, reel detection) on the analysis thread."""
        if self.analysis is not None:
            self.analysis.submit(key, fn, on_result, on_error or self.status.emit, priority)
