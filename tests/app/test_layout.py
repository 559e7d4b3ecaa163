"""Window layout: a first launch fits the screen it opens on; --screenshot never saves it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QRect

ROOT = Path(__file__).resolve().parents[2]


def _new_window(qtbot):
    from app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w, before_close_func=lambda x: (x.shutdown(), setattr(x.session, "project", None)))
    w.show()
    qtbot.wait(200)                               # the first-launch dock sizes apply after show
    return w


def test_a_first_launch_is_laid_out_for_a_full_hd_screen(qtbot, monkeypatch):
    from app import panels

    avail = QRect(0, 0, 1920, 1040)               # 1920x1080 less a panel
    monkeypatch.setattr(panels, "available_geometry", lambda window: avail)
    w = _new_window(qtbot)
    assert avail.contains(w.geometry())
    assert w.width() >= 0.8 * avail.width() and w.height() >= 0.8 * avail.height(), w.size()
    qtbot.waitUntil(lambda: w.docks["media"].width() >= 220, timeout=5000)   # laid out after show
    media, insp = w.docks["media"].width(), w.docks["inspector"].width()
    assert media >= 220 and insp >= 300, (media, insp)
    assert w.centralWidget().width() >= w.width() * 0.45
    assert w.docks["timeline"].height() >= 200
    assert w.docks["jobs"].width() >= 320


def test_a_first_launch_on_a_small_screen_stays_on_it(qtbot):
    from app import panels

    w = _new_window(qtbot)
    avail = panels.available_geometry(w)          # the offscreen screen (800x800)
    floor = w.minimumSizeHint()                   # menus and toolbar: Qt will not go below it
    assert avail.contains(w.geometry().topLeft())
    assert w.width() <= max(avail.width(), floor.width()) and w.height() <= max(avail.height(), floor.height())
    assert w.centralWidget().width() >= w.width() * 0.4, "docks leave the picture at least ~half the width"


def test_a_saved_layout_is_restored_instead(qtbot):
    from app import settings

    w = _new_window(qtbot)
    w.docks["media"].hide()                       # the user closed the media bin
    w.close()                                     # a normal close saves the layout
    assert settings.settings().value("window/state") is not None
    again = _new_window(qtbot)
    assert not again._layout_on_show, "a saved layout is not replaced by the first-launch one"
    assert again.docks["media"].isHidden() and not again.docks["inspector"].isHidden()


def test_a_screenshot_run_never_saves_the_window_state(tmp_path):
    from app import settings
    from tests.core.fixtures_media import make_png_sequence

    scan = tmp_path / "scan"
    make_png_sequence(scan, frames=3, size=(64, 48), bits=8)
    png = tmp_path / "shot.png"
    run = subprocess.run([sys.executable, "-m", "app.main", str(scan), "--screenshot", str(png)],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    assert png.is_file() and png.stat().st_size > 0
    s = settings.settings()                       # the same per-user folder (REELWRIGHT_HOME)
    s.sync()
    assert s.value("window/geometry") is None and s.value("window/state") is None, "layout was saved"
