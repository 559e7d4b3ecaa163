"""Whole-reel detection in the background (Review > Detect whole reel).

The reel is detected on its own thread with its own Reel; each frame's result streams into
the session (and so into the project, the damage strip and the flicker curve). The frame scan
it makes first for the reel's cuts is handed on (``frame_scan``): the rebuild candidates and
splices come from it, so the reel is not scanned a second time. The status
bar shows a progress bar with a cancel button while it runs and says when it is done.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from app import engine
from app.theme import icon
from app.workers import ReelWorker
from restoration_core.progress import CancelToken


class ReelDetection(QObject):
    """Runs, shows and cancels one whole-reel detection at a time for the open reel."""

    item = Signal(int, object, int, int)   # run, FrameDetection, done, total (worker -> GUI thread)
    scanned = Signal(int, object)          # run, the FrameScan made for the cuts (worker -> GUI thread)
    frame_scan = Signal(object)            # that FrameScan, once per run (GUI thread): candidates, splices
    ended = Signal(str)                    # "finished", "cancelled" or "failed"

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.worker: ReelWorker | None = None
        self.token: CancelToken | None = None
        self.run_id = 0
        self.done = self.total = 0
        self.notes: list[str] = []  # what others found in this run (add_note), kept in its messages
        self.item.connect(self._item)
        self.scanned.connect(self._scanned)
        self.box = QWidget(window)
        lay = QHBoxLayout(self.box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Detecting", self.box)
        self.bar = QProgressBar(self.box)
        self.bar.setFixedWidth(160)
        self.bar.setFormat("%v / %m")
        self.cancel_button = QToolButton(self.box)
        self.cancel_button.setIcon(icon("mdi6.close"))
        self.cancel_button.setToolTip("Cancel whole-reel detection")
        self.cancel_button.clicked.connect(lambda _=False: self.cancel())
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        window.statusBar().addPermanentWidget(self.box)
        self.box.hide()
        window.session.closed.connect(self._reel_closed)

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self) -> bool:
        """Detect every frame of the open reel; False (with a message) if it cannot start."""
        w, s = self.window, self.window.session
        if self.running:
            w.statusBar().showMessage("Reel detection is already running", 4000)
            return False
        if s.reel is None:
            return False
        if not engine.available("restoration_core.detect", "detect_reel"):
            w.show_error("Cannot detect", "restoration_core.detect: detection is not part of this build")
            return False
        self.run_id += 1
        run_id, settings, total = self.run_id, w.controller.detect_settings, s.frames
        token = self.token = CancelToken()
        self.done, self.total, self.notes = 0, total, []
        self.worker = ReelWorker(str(s.reel.path), "detect-reel", parent=self)

        def run(reel):
            for p in engine.detect_reel(reel, settings, cancel=token,
                                        on_scan=lambda scan: self.scanned.emit(run_id, scan)):
                if p.payload is not None:
                    self.item.emit(run_id, p.payload, p.done, p.total)
            return total

        self.worker.submit("detect-reel", run, lambda _n: self._end(run_id, "finished"),
                           lambda msg: self._end(run_id, "cancelled" if msg == "cancelled" else "failed", msg))
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(0)
        self.box.show()
        w.statusBar().showMessage(f"Detecting the whole reel ({total} frames)…")
        return True

    def add_note(self, text: str) -> None:
        """Keep ``text`` in this run's status messages (its progress and its end) instead of a
        message of its own, which the next frame's progress would overwrite at once."""
        self.notes.append(text)
        self.window.statusBar().showMessage(self._with_notes(f"Detecting the whole reel: frame {self.done} of "
                                                             f"{self.total}"))

    def _with_notes(self, message: str) -> str:
        return "; ".join([message, *self.notes])

    def cancel(self) -> None:
        """Stop at the next frame; what was detected so far stays in the project."""
        if self.token is not None:
            self.token.cancel()

    def stop(self) -> None:
        """Cancel and wait for the thread (window shutdown); nothing more is delivered."""
        self.cancel()
        self.run_id += 1
        self._drop_worker()

    # ---- GUI thread ------------------------------------------------------------------
    def _item(self, run_id: int, det, done: int, total: int) -> None:
        if run_id != self.run_id:
            return   # a cancelled run's last frames, or the reel was closed
        s = self.window.session
        if int(det.index) not in s.detections:
            s.add_detection(det)
        self.done = done
        self.bar.setValue(done)
        self.window.statusBar().showMessage(self._with_notes(f"Detecting the whole reel: frame {done} of {total}"))

    def _scanned(self, run_id: int, scan) -> None:
        if run_id == self.run_id:
            self.frame_scan.emit(scan)

    def _end(self, run_id: int, how: str, message: str = "") -> None:
        if run_id != self.run_id:
            return
        self._drop_worker()
        s, bar = self.window.session, self.window.statusBar()
        if how == "finished":
            project = s.project
            hits = len(project.defect_frames(s.reel_id)) if project is not None and s.reel_id else 0
            bar.showMessage(self._with_notes(f"Detection finished: {self.total} frames, {hits} with damage"), 15000)
        elif how == "cancelled":
            bar.showMessage(self._with_notes(f"Detection cancelled after {self.done} of {self.total} frames "
                                             "(those frames are kept)"), 15000)
        else:
            self.window.show_error("Detection failed", message)
        self.ended.emit(how)

    def _reel_closed(self) -> None:
        if self.running:
            self.stop()
            self.ended.emit("cancelled")

    def _drop_worker(self) -> None:
        worker, self.worker, self.token = self.worker, None, None
        self.box.hide()
        if worker is not None:
            worker.stop()
            worker.deleteLater()
