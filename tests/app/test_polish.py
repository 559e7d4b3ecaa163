"""The small things a first user trips over: nothing truncated, nothing stale, sensible folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QToolTip

from tests.app.conftest import open_reel


def test_lane_labels_stay_readable_under_the_playhead(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    view = window.timeline.view
    window.transport.seek(0)
    img = view.grab().toImage()
    x = int(view.x_of(0.5))                       # the playhead of frame 0 crosses the labels
    (r, text), *_ = [lab for lab in view._labels if lab[1] == "damage"]
    fm = view.fontMetrics()
    assert r.left() <= x <= r.left() + fm.horizontalAdvance(text) + 8, "the playhead crosses the label"
    y = int(r.top() + fm.height() / 2)
    c = QColor(img.pixel(x, y))
    assert not (c.red() > 200 and c.green() < 120), f"playhead red over the label: {c.getRgb()}"


def test_side_by_side_fits_both_frames_on_entering(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    cv = window.viewer.canvas
    cv.zoom_at(6.0, cv.rect().center().toPointF())
    assert not window.viewer.view.fit
    window.compare.mode = "side"
    w, h = cv.image_size()
    for panel in cv.panels():
        assert w * window.viewer.view.scale <= panel.width() + 0.5
        assert h * window.viewer.view.scale <= panel.height() + 0.5
    assert window.viewer.view.fit


def test_readout_and_tooltip_are_cleared_on_leaving_or_switching_off(qtbot, window, reel_file, monkeypatch):
    hidden = []
    monkeypatch.setattr(QToolTip, "hideText", staticmethod(lambda: hidden.append(1)))
    open_reel(qtbot, window, reel_file)
    v = window.viewer
    v.canvas.hovered.emit(10.0, 10.0)
    assert v.readout.text().startswith("x 10  y 10")
    v.canvas.leaveEvent(QEvent(QEvent.Type.Leave))
    assert v.readout.text() == "" and hidden
    v.canvas.hovered.emit(10.0, 10.0)
    hidden.clear()
    window.overlay.boxes = False
    assert v.readout.text() == "" and hidden, "switching the overlay off clears what it showed"


def test_open_dialogs_start_at_home_then_the_last_folder(qtbot, window, tmp_path, monkeypatch):
    asked = []
    scan = tmp_path / "scans" / "reel.mov"
    scan.parent.mkdir()

    def get_open(parent, caption, folder, filt, *a):
        asked.append(folder)
        return (str(scan), "") if len(asked) == 1 else ("", "")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open)
    monkeypatch.setattr(window, "open_path", lambda p: None)
    window.open_reel_dialog()
    window.open_reel_dialog()
    assert asked == [str(Path.home()), str(scan.parent)]


def test_defect_rows_and_the_job_state_are_not_truncated(qtbot, window, reel_file, tmp_path):
    from restoration_core.defects import Defect
    from restoration_core.render.spec import JobSpec

    open_reel(qtbot, window, reel_file)
    s = window.session
    s.project.set_defects(s.reel_id, 0, [Defect(0, (1200, 1040, 2048, 1556), 99999, "scratch", "bright", 0.87, id=12)])
    window.docks["inspector"].show()
    insp = window.inspector
    insp._frame_changed()
    lst = insp.defects
    item = lst.item(0)
    fm = lst.fontMetrics()
    room = lst.viewport().width() - 2 * lst.spacing() - 30          # the check box and margins
    for line in item.text().splitlines():
        assert fm.horizontalAdvance(line) <= room, (line, room)
    assert "2048x1556 at 1200,1040" in item.toolTip()

    window.jobs.project_changed()
    panel = window.jobs.panel
    queue = window.jobs.queue
    job = queue.add(JobSpec(input=str(reel_file), output=str(tmp_path / "o.mov"), name="clip"))
    reason = "restore: " + "the model at /mnt/models/a-very-long-folder-name/unet is missing " * 3
    queue.mark_running(job.id)
    queue.mark_failed(job.id, reason)
    qtbot.waitUntil(lambda: panel.table.item(0, 1).text() == "failed", timeout=5000)
    header = panel.table.horizontalHeader()
    state_w = header.sectionSize(1)
    assert state_w >= panel.table.fontMetrics().horizontalAdvance("cancelled")
    panel.select(job.id)
    qtbot.waitUntil(lambda: reason.strip() in panel.log_view.toPlainText(), timeout=5000)
    assert panel.log_view.lineWrapMode() == panel.log_view.LineWrapMode.WidgetWidth
    assert panel.log_view.minimumHeight() >= 7 * panel.log_view.fontMetrics().lineSpacing()
    assert panel.table.item(0, 1).toolTip() == reason
