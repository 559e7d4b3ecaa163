"""Projects from the GUI: untitled projects for bare reels, open/save/save-as, autosave and
crash recovery ("Recover unsaved changes?")."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import background, settings
from app.controller import summarize
from app.workers import ReelWorker
from restoration_core.errors import OutputError, ReelwrightError
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


def untitled_root() -> Path:
    return data_dir() / "untitled"


def untitled_folder(reel_path: Path) -> Path:
    """The one untitled project of a reel: named after the reel, keyed by its full path, so the
    next open of the same reel finds its masks and detections again."""
    _p, _f, suffix = _project_api()
    resolved = Path(reel_path).expanduser().resolve()
    key = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:10]
    return untitled_root() / f"{resolved.stem or 'reel'}-{key}{suffix}"


def is_untitled(project) -> bool:
    return Path(project.folder).resolve().parent == untitled_root().resolve()


def project_label(project) -> str:
    """How prompts and lists name a project: its name, "(untitled)" for a bare reel's project."""
    return f"{project.name} (untitled)" if is_untitled(project) else project.name


def find_reel(project, path: str | Path):
    """The project's record of the reel at ``path`` (None if it is not in the project)."""
    want = Path(path).expanduser().resolve()
    return next((r for r in project.reels if Path(r.path).resolve() == want), None)


def attach_untitled(window, reel_path: Path, info: dict, sha256: str | None):
    """A bare reel gets its untitled project (under the data folder) to hold its masks: the one
    made the last time this reel was opened, else a new one."""
    project_cls, project_file, _s = _project_api()
    folder = untitled_folder(reel_path)
    project = None
    if (folder / project_file).is_file():
        try:
            recover = project_cls.has_recovery(folder) and not getattr(window, "headless", False) \
                and ask_recover(window, folder, project_cls.load(folder).name)
            project = project_cls.recover(folder) if recover else project_cls.load(folder)
        except ReelwrightError as exc:     # a damaged one is left as it is; a fresh one beside it
            window.statusBar().showMessage(f"{exc}: starting a new untitled project", 10000)
            n = 1
            while folder.exists():
                folder = folder.with_name(f"{folder.name.removesuffix(folder.suffix)}-{n}{folder.suffix}")
                n += 1
    if project is None:
        project = project_cls.create(folder, name=Path(reel_path).name)
    record = find_reel(project, reel_path)
    if record is None:
        record = project.add_reel(reel_path, info=info, sha256=sha256, fixity=False)
        project.save()
    settings.add_recent(project.folder, project_label(project))
    return project, record.id


def add_reel(window, path: Path) -> None:
    """File > Open with a project open: the reel joins the project's media bin and is shown.

    The reel is opened on a probe thread first; a file that is not media gives one dialog and
    leaves the open project and reel exactly as they were."""

    project = window.session.project
    existing = find_reel(project, path)
    if existing is not None:
        window.open_reel_of_project(project, existing.id)
        return
    window.statusBar().showMessage(f"Opening {path}…")
    probe = ReelWorker(str(path), "probe-reel", parent=window)

    def finish() -> None:
        probe.stop()
        probe.deleteLater()

    def done(summary) -> None:
        finish()
        if window.session.project is not project:
            return                       # another project was opened meanwhile
        try:
            record = project.add_reel(path, info=summary.info or {}, sha256=summary.sha256, fixity=False)
        except ReelwrightError as exc:
            window.show_error("Cannot add reel", str(exc))
            return
        window.statusBar().showMessage(f"{Path(path).name} added to {project_label(project)}", 6000)
        window.open_reel_of_project(project, record.id)

    def failed(message: str) -> None:
        finish()
        window.show_error("Cannot open", message)

    probe.submit("info", lambda reel: summarize(reel, str(path), True), done, failed)


def open_project(window, path: Path) -> None:
    project_cls, _f, _s = _project_api()
    try:
        if project_cls.has_recovery(path) and ask_recover(window, path, project_cls.load(path).name):
            project = project_cls.recover(path)
        else:
            project = project_cls.load(path)
    except ReelwrightError as exc:
        window.show_error("Cannot open project", str(exc))
        return
    if not project.reels:
        window.show_error("Cannot open project", f"{project.path}: the project has no reels")
        return
    settings.add_recent(project.folder, project_label(project))
    reel = project.reels[0]
    window.open_reel_of_project(project, reel.id)


def ask_recover(window, path: Path, name: str | None = None) -> bool:
    name = name or Path(path).name.removesuffix(".reelwright")
    answer = QMessageBox.question(
        window, f"Recover unsaved changes to '{name}'?",
        f"Reelwright stopped before the changes to '{name}' were saved ({path}). "
        "Recover unsaved changes?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def save(window) -> bool:
    project = window.session.project
    if project is None:
        return False
    if getattr(window, "_saving", False):
        background.wait_idle(60_000)   # a File > Save still writing (e.g. closing right after it)
    try:
        project.save()
    except ReelwrightError as exc:
        window.show_error("Cannot save project", str(exc))
        return False
    settings.add_recent(project.folder, project_label(project))
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
    settings.add_recent(moved.folder, project_label(moved))
    window.open_reel_of_project(moved, window.session.reel_id, keep_view=True)
    return True


def confirm_close(window) -> bool:
    """Ask to save a dirty project; False cancels closing."""
    project = window.session.project
    if project is None or not project.dirty or getattr(window, "headless", False):
        return True
    name = project_label(project)
    answer = QMessageBox.question(
        window, f"Save changes to '{name}'?",
        f"Save changes to '{name}' before closing?\n{project.folder}",
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
    if ask_recover(window, Path(last), settings.recent_name(Path(last).resolve())):
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
