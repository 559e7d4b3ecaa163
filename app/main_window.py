"""The workbench window: docks around the viewer, menus, shortcuts, files and layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)
from superqt.utils import qthrottled

from app import background, settings
from app.controller import ReelController
from app.editing import EditingMixin
from app.frame_candidates import install as install_frame_candidates
from app.models.session import Session
from app.models.state import CompareState, OverlayState, PaintState
from app.models.transport import Transport
from app.motion_curve import install as install_motion_curve
from app.panels import first_launch_geometry
from app.project_io import add_reel
from app.review_pass import install as install_review_pass
from app.theme import icon
from app.viewer.viewer import ViewerWidget
from app.welcome import WelcomePage
from restoration_core.paths import data_dir

DETECT_REST_MS = 120   # a frame shown this long without a newer one gets its detection

REEL_FILTER = ("Film (*.mov *.mkv *.mp4 *.avi *.mxf *.dpx *.tif *.tiff *.png *.exr *.jpg);;"
               "All files (*)")


class MainWindow(EditingMixin, QMainWindow):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.headless = False  # screenshot mode: errors go to stderr, no modal dialogs
        self.shutdown_hooks: list = []
        self._reel_detector = None
        self.setWindowTitle("Reelwright")
        self.setObjectName("ReelwrightMain")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.session = Session()
        self.transport = Transport()
        self.compare, self.overlay, self.paint = CompareState(), OverlayState(), PaintState()
        self.controller = ReelController(self.session, self)
        self._detect_timer = QTimer(self)      # detection of the shown frame, once the scrub rests
        self._detect_timer.setSingleShot(True)
        self._detect_timer.setInterval(DETECT_REST_MS)
        self._detect_timer.timeout.connect(self._detect_current)
        self.viewer = ViewerWidget(self.compare, self.overlay, self)
        self.welcome = WelcomePage(settings.recent_files(), self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.viewer)
        self.setCentralWidget(self.stack)
        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self._build_actions()
        self._connect()
        from app.painting.controller import PaintController
        from app.project_io import Autosaver

        self.painter = PaintController(self, self.viewer)
        self.autosaver = Autosaver(self)
        install_review_pass(self)
        install_frame_candidates(self)
        install_motion_curve(self)
        self.shutdown_hooks.append(lambda: background.wait_idle(60_000))   # e.g. a save in progress
        self.statusBar().showMessage("Ready")
        self.frame_label = QLabel("", self)
        self.statusBar().addPermanentWidget(self.frame_label)
        self._restore_layout()

    # ---- construction ---------------------------------------------------------------
    def add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        """Panels are added by their own modules (see app/panels.py)."""
        from app.panels import build_panels

        build_panels(self)

    def _action(self, text: str, slot, shortcut=None, ic: str | None = None, menu=None,
                checkable: bool = False, tip: str = "") -> QAction:
        act = QAction(text, self)
        if ic:
            act.setIcon(icon(ic))
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(checkable)
        act.setToolTip(tip or text)
        act.triggered.connect(slot)
        self.addAction(act)
        if menu is not None:
            menu.addAction(act)
        return act

    def _build_actions(self) -> None:
        from app.actions import build_menus

        build_menus(self)

    def _connect(self) -> None:
        c = self.controller
        c.opened.connect(self._on_opened)
        c.frame_ready.connect(self._frame_ready)
        c.open_failed.connect(lambda msg: self.show_error("Cannot open", msg))
        c.status.connect(lambda m: self.statusBar().showMessage(m, 6000))
        c.preview_failed.connect(lambda m: self.show_error("Preview failed", m))
        self.welcome.open_reel.connect(self.open_reel_dialog)
        self.welcome.open_project.connect(self.open_project_dialog)
        self.welcome.open_sample.connect(self.open_sample)
        self.welcome.open_recent.connect(self.open_path)
        self.transport.events.frame.connect(self._frame_changed)
        self.session.detection_ready.connect(self._detection_ready)
        self.session.preview_ready.connect(self._preview_ready)
        self.session.masks_changed.connect(self._masks_changed)

    # ---- files -----------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """One line naming the file and the problem; never a crash."""
        self.statusBar().showMessage(message, 10000)
        if self.headless:
            import sys

            print(f"reelwright: error: {message}", file=sys.stderr)
            return
        QMessageBox.critical(self, title, message)

    def open_reel_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open reel", settings.last_folder(), REEL_FILTER)
        if path:
            settings.remember_folder(path)
            self.open_path(path)

    def open_sequence_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open image-sequence folder", settings.last_folder())
        if path:
            settings.remember_folder(Path(path).parent)
            self.open_path(path)

    def open_project_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open project folder", settings.last_folder())
        if path:
            settings.remember_folder(Path(path).parent)
            self.open_path(path)

    def open_sample(self) -> None:
        """Make (or reuse) the generated sample reel in a worker thread, then open it."""
        folder = data_dir() / "sample"
        self.statusBar().showMessage("Generating the sample reel…")
        background.make_sample_reel(
            self, folder, lambda path: self.open_path(str(path)),
            # any failure is shown, never a crash
            lambda exc: self.show_error("Cannot make the sample reel", f"{folder}: {exc}"))

    def open_path(self, path: str) -> None:
        p = Path(path)
        if not p.exists() and "%" not in p.name and "#" not in p.name:
            self.controller.open_failed.emit(f"{p}: no such file or folder")
            return
        from app.project_io import is_project, open_project

        if is_project(p):
            open_project(self, p)
            return
        if self.session.project is not None:   # the reel joins the open project's media bin

            add_reel(self, p)
            return
        self.statusBar().showMessage(f"Opening {p}…")
        self.controller.open(str(p))

    def open_reel_of_project(self, project, reel_id: str, keep_view: bool = False) -> None:
        record = project.reel(reel_id)
        self.statusBar().showMessage(f"Opening {record.path}…")
        self.controller.open(str(record.path), project, reel_id)

    def _on_opened(self) -> None:
        reel = self.session.reel
        if self.session.project is None:
            from app.project_io import attach_untitled

            try:
                project, reel_id = attach_untitled(self, reel.path, reel.info or {}, reel.sha256)
            except Exception as exc:  # noqa: BLE001 - reel still viewable without a project
                self.statusBar().showMessage(f"No project for this reel: {exc}", 10000)
            else:
                self.session.attach_project(project, reel_id)
        if self.session.project is not None:
            from app.project_io import mark_session

            mark_session(self.session.project.folder)
        self.transport.frames = reel.frames
        self.transport.fps = reel.fps
        self.transport.mark_in = self.transport.mark_out = -1
        self.stack.setCurrentWidget(self.viewer)
        self.viewer.view.fit = True
        self.setWindowTitle(f"Reelwright — {reel.path.name}")
        self.statusBar().showMessage(
            f"{reel.path.name}: {reel.frames} frames, {reel.width}x{reel.height}, "
            f"{reel.bit_depth}-bit, {reel.fps:.3f} fps", 8000)
        self.transport.frame = 0
        self._frame_changed(0)

    # ---- frames ----------------------------------------------------------------------
    @qthrottled(timeout=30, leading=True)
    def _request_current(self) -> None:
        self.controller.request_frame(self.transport.frame, reduced=self.transport.speed != 0)

    def _frame_changed(self, index: int) -> None:
        if self.session.reel is None:
            return
        self._request_current()
        tc = self.timecode(index)
        self.frame_label.setText(f"frame {index} / {self.transport.frames - 1}   {tc}")

    def timecode(self, index: int) -> str:
        from app.timecode import timecode_of

        reel = self.session.reel
        return timecode_of(index, reel.fps if reel else 24.0, reel.start_timecode if reel else None)

    def _frame_ready(self, index: int, data, timecode, image, latency: float, reduced: bool) -> None:
        if index != self.transport.frame and self.transport.speed == 0:
            return  # a newer frame was asked for while this one was read
        self.viewer.show_frame(index, data, timecode or self.timecode(index), image)
        if not reduced:
            self._refresh_masks(index)
            if index in self.session.previews:
                self.viewer.set_after(self.session.previews[index])
            # detection reads three frames: it waits until the scrub rests on this one, so it
            # does not take the CPU from the frames being scrubbed through
            self._detect_timer.start()
        self.controller.frame_shown.emit(index)

    def _detect_current(self) -> None:
        index = self.viewer.index
        if index >= 0 and index == self.transport.frame and self.transport.speed == 0:
            self.controller.request_detection(index)

    def _refresh_masks(self, index: int) -> None:
        det = self.session.detections.get(index)
        from app.painting.masks import display_masks

        painted, rejected = display_masks(self, index)
        self.viewer.set_masks(det.mask if det is not None else None, painted,
                              det.defects if det is not None else [], rejected)

    def _detection_ready(self, index: int) -> None:
        if index == self.viewer.index:
            self._refresh_masks(index)

    def _masks_changed(self, index: int) -> None:
        if index == self.viewer.index:
            self._refresh_masks(index)

    def _preview_ready(self, index: int) -> None:
        if index == self.viewer.index:
            self.viewer.set_after(self.session.previews[index])
            if self.compare.mode == "single":
                self.compare.mode = "wipe"
        self.statusBar().showMessage(f"Preview of frame {index} ready", 5000)

    # ---- drag and drop ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_path(urls[0]))

    # ---- layout ----------------------------------------------------------------------
    def _restore_layout(self) -> None:
        s = settings.settings()
        geo, state = s.value("window/geometry"), s.value("window/state")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        else:

            self.setGeometry(first_launch_geometry(self))   # sized for the screen it opens on
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self._layout_on_show = not isinstance(state, QByteArray)   # docks sized once shown

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._layout_on_show:
            self._layout_on_show = False
            QTimer.singleShot(0, self.reset_layout)

    def save_layout(self) -> None:
        s = settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.sync()

    def reset_layout(self) -> None:
        from app.panels import default_layout

        default_layout(self)

    def closeEvent(self, event) -> None:  # noqa: N802
        from app.project_io import confirm_close

        if not confirm_close(self):
            event.ignore()
            return
        if not self.headless:   # a --screenshot run never overwrites the user's layout
            self.save_layout()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every background thread (also used by tests and the screenshot mode)."""
        self.transport.speed = 0
        for hook in self.shutdown_hooks:
            hook()
        self.shutdown_hooks.clear()
        self.jobs.shutdown()
        self.controller.shutdown()
