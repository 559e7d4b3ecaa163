"""Projects from the GUI: untitled projects for bare reels, open/save/save-as, autosave and
crash recovery ("Recover unsaved changes?")."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import background, settings
from restoration_core.errors import ReelwrightError
from restoration_core.paths import data_dir

AUTOSAVE_MS = 60_000


def _project_api():
    from restoration_core.project import PROJECT_FILE, SUFFIX, Project

    return Project, PROJECT_FILE, SUFFIX


def is_project(path: Path) -> bool:
    try:
        _p, project_file, suffix = _project_api()
    except ImportError:
        return False
    path = Path(path)
    return path.name == project_file or (path.is_dir() and (path / project_file).is_file()) or \
        (path.suffix == suffix and path.is_dir())


def output_folder(project, kind: str, sources: list[Path]) -> Path:
    """``<project>/<kind>`` (renders, exports), created if needed: the project's own folder
    for what it writes, never the folder of a camera original. Raises OutputError."""
    from restoration_core.errors import OutputError

    folder = (Path(project.folder) / kind).resolve()
    for source in sources:
        src = Path(source).resolve()
        src_dir = src if src.is_dir() else src.parent
        if folder == src_dir:
            raise OutputError(f"holds the camera original {src.name}: output is never written beside it", folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc})", folder) from None
    return folder


def untitled_folder(reel_path: Path) -> Path:
    _p, _f, suffix = _project_api()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return data_dir() / "untitled" / f"{Path(reel_path).stem or 'reel'}-{stamp}{suffix}"


def attach_untitled(window, reel_path: Path, info: dict, sha256: str | None):
    """A bare reel gets an untitled project (under the data folder) to hold its masks."""
    project_cls, _f, _s = _project_api()
    folder = untitled_folder(reel_path)
    n = 1
    while folder.exists():
        folder = folder.with_name(f"{folder.stem}-{n}{folder.suffix}")
        n += 1
    project = project_cls.create(folder)
    record = project.add_reel(reel_path, info=info, sha256=sha256, fixity=False)
    project.save()
    return project, record.id


def open_project(window, path: Path) -> None:
    project_cls, _f, _s = _project_api()
    try:
        if project_cls.has_recovery(path) and ask_recover(window, path):
            project = project_cls.recover(path)
        else:
            project = project_cls.load(path)
    except ReelwrightError as exc:
        window.show_error("Cannot open project", str(exc))
        return
    if not project.reels:
        window.show_error("Cannot open project", f"{project.path}: the project has no reels")
        return
    settings.add_recent(project.folder)
    reel = project.reels[0]
    window.open_reel_of_project(project, reel.id)


def ask_recover(window, path: Path) -> bool:
    answer = QMessageBox.question(
        window, "Recover unsaved changes?",
        f"{path}: Reelwright stopped before these changes were saved. Recover unsaved changes?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def save(window) -> bool:
    project = window.session.project
    if project is None:
        return False
    try:
        project.save()
    except ReelwrightError as exc:
        window.show_error("Cannot save project", str(exc))
        return False
    settings.add_recent(project.folder)
    window.statusBar().showMessage(f"Saved {project.path}", 5000)
    return True


def save_in_background(window) -> None:
    """File > Save: the masks and files are written in a worker thread (the GUI keeps going);
    closing and Save as, which need the result at once, use :func:`save`."""
    project = window.session.project
    if project is None:
        return
    if getattr(window, "_saving", False):
        window.statusBar().showMessage("Already saving…", 3000)
        return
    window._saving = True
    window.statusBar().showMessage(f"Saving {project.path}…")

    def saved(path) -> None:
        window._saving = False
        settings.add_recent(project.folder)
        window.statusBar().showMessage(f"Saved {path}" + ("" if not project.dirty else
                                       " (changes made while saving are not in it yet)"), 5000)

    def failed(exc: BaseException) -> None:
        window._saving = False
        window.show_error("Cannot save project", str(exc))

    background.save_project(window, project, saved, failed)


def save_as(window) -> bool:
    """Save, then copy the project folder to a new place and continue there."""
    project = window.session.project
    if project is None:
        return False
    project_cls, _f, suffix = _project_api()
    target, _ = QFileDialog.getSaveFileName(window, "Save project as", str(Path.home() / project.folder.name),
                                            f"Reelwright project (*{suffix})")
    if not target:
        return False
    target_path = Path(target)
    if target_path.suffix != suffix:
        target_path = target_path.with_name(target_path.name + suffix)
    if not save(window):
        return False
    try:
        shutil.copytree(project.folder, target_path)
        moved = project_cls.load(target_path)
    except (OSError, ReelwrightError) as exc:
        window.show_error("Cannot save project", f"{target_path}: {exc}")
        return False
    settings.add_recent(moved.folder)
    window.open_reel_of_project(moved, window.session.reel_id, keep_view=True)
    return True


def confirm_close(window) -> bool:
    """Ask to save a dirty project; False cancels closing."""
    project = window.session.project
    if project is None or not project.dirty or getattr(window, "headless", False):
        return True
    answer = QMessageBox.question(
        window, "Save changes?", f"{project.folder}: save changes before closing?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
    if answer == QMessageBox.StandardButton.Cancel:
        return False
    if answer == QMessageBox.StandardButton.Save:
        return save(window)
    project.discard_recovery(project.folder)
    mark_session(None)
    return True


def mark_session(project_folder: Path | None) -> None:
    """Remember the open project so the next start can offer its autosave after a crash."""
    s = settings.settings()
    if project_folder is None:
        s.remove("session/open_project")
    else:
        s.setValue("session/open_project", str(project_folder))
    s.sync()


def offer_recovery(window) -> bool:
    """On start: if the last session did not end cleanly and left an autosave, offer it."""
    last = settings.settings().value("session/open_project")
    if not last:
        return False
    try:
        project_cls, _f, _s = _project_api()
        if not project_cls.has_recovery(last):
            return False
    except (ImportError, ReelwrightError, OSError):
        return False
    if ask_recover(window, Path(last)):
        try:
            project = project_cls.recover(last)
        except ReelwrightError as exc:
            window.show_error("Cannot recover project", str(exc))
            return False
        if project.reels:
            window.open_reel_of_project(project, project.reels[0].id)
            return True
    else:
        project_cls.discard_recovery(last)
        mark_session(None)
    return False


class Autosaver:
    """Autosaves the open project every minute while it has unsaved changes."""

    def __init__(self, window):
        self.window = window
        self.timer = QTimer(window)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    def autosave(self) -> None:
        project = self.window.session.project
        if project is None or not project.dirty:
            return
        try:
            project.autosave()
            self.window.statusBar().showMessage("Autosaved", 2000)
        except ReelwrightError as exc:
            self.window.statusBar().showMessage(f"Autosave failed: {exc}", 8000)
