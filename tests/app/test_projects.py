"""Projects in the workbench: one untitled project per reel (reused), several reels per project
in the media bin, recent list by name, prompts that name the project, a failed open that
changes nothing."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.app.conftest import open_reel, wait_frame


def _paint(window, frame: int = 0) -> np.ndarray:
    s = window.session
    h, w = window.viewer.data.shape[:2]
    mask = np.zeros((h, w), bool)
    mask[10:14, 10:14] = True
    window.painter.commit(s.project, s.reel_id, frame, mask, "Test paint")
    return mask


def test_a_bare_reel_reuses_its_untitled_project(qtbot, window, reel_file):
    from app import project_io, settings

    open_reel(qtbot, window, reel_file)
    first = window.session.project
    assert project_io.is_untitled(first) and first.name == reel_file.name
    mask = _paint(window)
    assert project_io.save(window)
    window.controller.close()
    open_reel(qtbot, window, reel_file)
    again = window.session.project
    assert again.folder == first.folder, "the same untitled project, not a new one"
    assert len(list(project_io.untitled_root().iterdir())) == 1
    assert np.array_equal(again.masks.get(window.session.reel_id, 0, "painted"), mask)
    assert settings.recent_name(str(first.folder)) == f"{reel_file.name} (untitled)"


def test_open_adds_a_reel_to_the_project_and_the_bin_switches(qtbot, window, tmp_path):
    from tests.core.fixtures_media import make_png_sequence

    a, b = tmp_path / "reel-a", tmp_path / "reel-b"
    make_png_sequence(a, frames=4, size=(64, 48), bits=8)
    make_png_sequence(b, frames=6, size=(64, 48), bits=8)
    open_reel(qtbot, window, a)
    project = window.session.project
    with qtbot.waitSignal(window.controller.opened, timeout=30_000):
        window.open_path(str(b))                  # File > Open with a project open
    wait_frame(qtbot, window, 0)
    s = window.session
    assert s.project is project and [r.path.name for r in project.reels] == ["reel-a", "reel-b"]
    assert s.reel.path.name == "reel-b" and s.frames == 6
    tree = window.media_bin.tree
    assert tree.topLevelItemCount() == 2
    item_a = tree.topLevelItem(0)
    assert item_a.text(0) == "reel-a" and item_a.toolTip(0) == str(a.resolve())
    with qtbot.waitSignal(window.controller.opened, timeout=30_000):
        window.media_bin._activated(item_a, 0)    # double-click reel A in the bin
    wait_frame(qtbot, window, 0)
    assert s.project is project and s.reel.path.name == "reel-a" and s.frames == 4
    with qtbot.waitSignal(window.controller.opened, timeout=30_000):
        window.open_path(str(b))                  # a reel already in the project: switched to, not added
    assert len(project.reels) == 2 and s.reel.path.name == "reel-b"


def test_a_failed_open_leaves_the_open_project_exactly_as_it_was(qtbot, window, reel_file, tmp_path,
                                                                   monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append((title, text)))
    open_reel(qtbot, window, reel_file)
    _paint(window)
    s = window.session
    project, reel_id, reels = s.project, s.reel_id, list(s.project.reels)
    frames_source = window.controller.frames
    notes = tmp_path / "notes.txt"
    notes.write_text("not a film")
    window.open_path(str(notes))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert len(shown) == 1 and "notes.txt" in shown[0][1] and "\n" not in shown[0][1], shown
    assert s.project is project and s.reel_id == reel_id and project.reels == reels
    assert s.reel.path == reel_file.resolve() or s.reel.path == reel_file
    assert window.controller.frames is frames_source, "nothing was torn down"
    assert window.viewer.data is not None and project.dirty
    window.transport.seek(3)                       # and the reel still works
    wait_frame(qtbot, window, 3)


def test_prompts_and_the_recent_list_name_the_project(qtbot, window, reel_file, tmp_path, monkeypatch):
    from app import actions, project_io
    from restoration_core.project import Project

    asked = []

    def question(parent, title, text, *args):
        asked.append((title, text))
        return QMessageBox.StandardButton.Cancel if "Save" in title else QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", question)

    open_reel(qtbot, window, reel_file)
    _paint(window)
    assert not project_io.confirm_close(window)       # Cancel keeps the window open
    assert asked[-1][0] == f"Save changes to '{reel_file.name} (untitled)'?"

    film = Project.create(tmp_path / "Nitrate 1931.reelwright")
    film.add_reel(reel_file, info={"frames": 12, "width": 160, "height": 90}, fixity=False)
    film.save()
    film.set_flicker(film.reels[0].id, {0: (1.0, 0.0)})
    film.autosave()                                  # left behind by a crash
    window.open_path(str(film.folder))
    qtbot.waitUntil(lambda: window.session.project is not None and window.session.project.name == "Nitrate 1931",
                    timeout=30_000)
    assert asked[-1][0] == "Recover unsaved changes to 'Nitrate 1931'?"

    actions._fill_recent(window)
    recent = [(a.text(), a.toolTip()) for a in window.recent_menu.actions() if a.toolTip().startswith("/")]
    assert ("Nitrate 1931", str(film.folder)) in recent
    assert (f"{reel_file.name} (untitled)", str(project_io.untitled_folder(reel_file))) in recent


def test_the_welcome_page_lists_recent_projects_by_name(qtbot, tmp_path):
    from app import settings
    from app.welcome import WelcomePage

    settings.add_recent(tmp_path / "Nitrate 1931.reelwright", "Nitrate 1931")
    page = WelcomePage(settings.recent_files())
    qtbot.addWidget(page)
    item = page.recent.item(0)
    assert item.text() == "Nitrate 1931"
    assert item.toolTip() == str((tmp_path / "Nitrate 1931.reelwright").resolve())
    with qtbot.waitSignal(page.open_recent) as sig:
        page.recent.itemActivated.emit(item)
    assert sig.args == [item.data(Qt.ItemDataRole.UserRole)]
