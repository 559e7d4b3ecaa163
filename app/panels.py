"""The dockable panels around the viewer and the default layout."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication

from app.media_bin import MediaBin
from app.reel_detection import ReelDetection

LEFT, RIGHT, BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                       Qt.DockWidgetArea.BottomDockWidgetArea)


def build_panels(window) -> None:
    window.media_bin = MediaBin(window.session, window)
    window.add_dock("media", "Media bin", window.media_bin, LEFT)
    window.media_bin.reel_activated.connect(lambda rid: _open_reel(window, rid))
    window.media_bin.clip_activated.connect(lambda cid: _goto_clip(window, cid))
    from app.inspector import Inspector
    from app.timeline.panel import TimelinePanel

    window.inspector = Inspector(window, window)
    window.add_dock("inspector", "Inspector", window.inspector, RIGHT)

    window.timeline = TimelinePanel(window, window)
    window.add_dock("timeline", "Timeline", window.timeline, BOTTOM)
    window.shutdown_hooks.append(window.timeline.shutdown)
    from app.jobs_dock import JobsHost

    window.jobs = JobsHost(window)
    window.add_dock("jobs", "Jobs", window.jobs.widget(), BOTTOM)

    window.reel_detection = ReelDetection(window)
    window.shutdown_hooks.append(window.reel_detection.stop)
    default_layout(window)


FIRST_LAUNCH_FRACTION = 0.85       # of the screen's available area
MIN_WINDOW = (1024, 680)


def available_geometry(window) -> QRect:
    """The available area of the screen the window opens on (the primary one before it is shown)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1600, 1000)


def first_launch_geometry(window) -> QRect:
    """No saved layout: most of the available screen, centred, never larger than the screen."""
    avail = available_geometry(window)
    w = min(avail.width(), max(MIN_WINDOW[0], round(avail.width() * FIRST_LAUNCH_FRACTION)))
    h = min(avail.height(), max(MIN_WINDOW[1], round(avail.height() * FIRST_LAUNCH_FRACTION)))
    rect = QRect(0, 0, w, h)
    rect.moveCenter(avail.center())
    return rect


def dock_sizes(width: int, height: int) -> dict[str, int]:
    """Usable panel sizes for a window of this size: the viewer keeps at least half the width."""
    media = max(220, round(width * 0.14))
    inspector = max(300, round(width * 0.2))
    if media + inspector > width // 2:
        scale = (width // 2) / (media + inspector)
        media, inspector = round(media * scale), round(inspector * scale)
    return {"media": media, "inspector": inspector, "timeline": max(200, round(height * 0.27)),
            "jobs": max(320, round(width * 0.3))}


def default_layout(window) -> None:
    for key, area in (("media", LEFT), ("inspector", RIGHT), ("timeline", BOTTOM), ("jobs", BOTTOM)):
        dock = window.docks.get(key)
        if dock is not None:
            dock.setFloating(False)
            dock.show()
            window.addDockWidget(area, dock)
    size = dock_sizes(window.width(), window.height())
    if "timeline" in window.docks and "jobs" in window.docks:
        window.splitDockWidget(window.docks["timeline"], window.docks["jobs"], Qt.Orientation.Horizontal)
        window.resizeDocks([window.docks["timeline"], window.docks["jobs"]],
                           [window.width() - size["jobs"], size["jobs"]], Qt.Orientation.Horizontal)
    sizes = [(k, size[k]) for k in ("media", "inspector") if k in window.docks]
    if sizes:
        window.resizeDocks([window.docks[k] for k, _ in sizes], [w for _, w in sizes], Qt.Orientation.Horizontal)
    if "timeline" in window.docks:
        window.resizeDocks([window.docks["timeline"]], [size["timeline"]], Qt.Orientation.Vertical)


def _open_reel(window, reel_id: str) -> None:
    s = window.session
    if s.project is not None and reel_id != s.reel_id:
        window.open_reel_of_project(s.project, reel_id)


def _goto_clip(window, clip_id: str) -> None:
    s = window.session
    if s.project is None:
        return
    clip = s.project.clip(clip_id)
    if clip.reel_id != s.reel_id:
        window.open_reel_of_project(s.project, clip.reel_id)
        return
    window.transport.mark_in, window.transport.mark_out = clip.in_frame, clip.out_frame
    window.transport.seek(clip.in_frame)
