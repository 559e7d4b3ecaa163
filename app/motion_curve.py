"""The measured motion curve on the timeline (View > Motion curve).

Turning it on measures the open reel in the background exactly as a stabilized render does
(``restoration_core.detect.frames.scan_frames`` for the splices, the one scan the rebuild
candidates keep when the reel was scanned already, and handed to them when it is made here; then
``restoration_core.motion.plan_stabilization`` over the inspector's *Smooth over* frames) and
puts the result in :class:`app.models.motion_curve.MotionCurve`; the timeline draws a motion
lane from it: the camera path per frame (x, y, rotation), the smoothed path kept, and so the
correction. Changing *Smooth over* measures again while the lane is shown.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from app.models.motion_curve import MotionCurve
from app.theme import icon
from app.workers import ReelTask, ReelWorker
from restoration_core.detect.frames import scan_frames
from restoration_core.motion import plan_stabilization
from restoration_core.progress import CancelToken, run_to_end


def measure(reel, smooth: int, cancel: CancelToken, cuts: list[int] | None = None):
    """(the stabilization plan of the whole reel, its splices as shot starts; the frame scan made
    for them, None when ``cuts`` were given: the reel was scanned already). Run in a worker."""
    scan = None
    if cuts is None:
        scan = yield from scan_frames(reel, cancel=cancel)
        cuts = scan.cuts()
    return (yield from plan_stabilization(reel, smooth=smooth, cuts=cuts, cancel=cancel)), scan


class MotionCurveController(ReelTask):
    """Measures the open reel's motion when the lane is shown and keeps the model in step."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.model = MotionCurve()
        s = window.session
        s.opened.connect(self._opened)
        s.closed.connect(self._closed)
        self.view = getattr(getattr(window, "timeline", None), "view", None)
        if self.view is not None:
            self.view.motion = self.model
            self.model.changed.connect(self._redraw)
        smooth = getattr(getattr(window, "inspector", None), "stabilize_smooth", None)
        if smooth is not None:
            smooth.valueChanged.connect(lambda _v: self._remeasure())
        menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&View"), None)
        self.action = QAction(icon("mdi6.chart-line"), "Motion curve", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Shift+W"))
        self.action.setToolTip("Show the measured camera motion (x, y, rotation) and the stabilizer's correction "
                               "on the timeline")
        self.action.toggled.connect(self.set_visible)
        window.addAction(self.action)
        if menu is not None:
            menu.addSeparator()
            menu.addAction(self.action)

    def smooth(self) -> int:
        box = getattr(getattr(self.w, "inspector", None), "stabilize_smooth", None)
        return int(box.value()) if box is not None else 24

    def set_visible(self, on: bool) -> None:
        if self.action.isChecked() != bool(on):
            self.action.setChecked(bool(on))  # toggled calls back here
            return
        self.model.set_visible(on)
        if on and not self.model.measured:
            self.measure()

    def _redraw(self) -> None:
        self.view.setMinimumHeight(self.view.wanted_height())
        self.view.update()

    # ---- measuring ---------------------------------------------------------------------
    def measure(self) -> bool:
        """Measure the open reel in the background (False when none is open)."""
        s = self.w.session
        if s.reel is None:
            return False
        self.stop()
        self.run_id += 1
        run_id, token, smooth = self.run_id, CancelToken(), self.smooth()
        candidates = getattr(self.w, "frame_candidates", None)
        cuts = candidates.cuts() if candidates is not None else None   # the one scan, when made
        self.token = token
        self.worker = ReelWorker(str(s.reel.path), "motion-curve", parent=self)

        def run(reel):
            return run_to_end(measure(reel, smooth, token, cuts))

        self.worker.submit("motion-curve", run, lambda out: self._measured(run_id, *out),
                           lambda msg: self._failed(run_id, msg))
        self.w.statusBar().showMessage("Measuring the reel's motion for the timeline…")
        return True

    def _measured(self, run_id: int, plan, scan=None) -> None:
        if run_id != self.run_id:
            return
        self._drop_worker()
        candidates = getattr(self.w, "frame_candidates", None)
        found = None
        if scan is not None and candidates is not None:
            # the rebuild candidates and splices from this scan, not another; said in this message
            found = candidates.offer(scan, announce=False)
        self.model.set_plan(plan)
        px, deg = self.model.extent()
        message = (f"Motion measured: camera moves up to {px:.1f} px and {deg:.2f}° "
                   f"({len(plan.cuts)} shot start{'s' if len(plan.cuts) != 1 else ''})")
        self.w.statusBar().showMessage(f"{message}; {found}" if found else message, 10000 if found else 8000)

    def _failed(self, run_id: int, message: str) -> None:
        if run_id != self.run_id:
            return
        self._drop_worker()
        if message != "cancelled":
            self.w.show_error("Motion could not be measured", message)

    def _remeasure(self) -> None:
        if self.model.visible and self.w.session.reel is not None:
            self.measure()
        else:
            self.model.reset(self.model.reel_id)

    def _opened(self) -> None:
        self.stop()
        self.model.reset(self.w.session.reel_id)
        if self.model.visible:
            self.measure()

    def _closed(self) -> None:
        self.stop()
        self.model.reset(None)


def install(window) -> MotionCurveController:
    mc = MotionCurveController(window)
    window.motion_curve = mc
    window.shutdown_hooks.append(mc.stop)
    return mc
