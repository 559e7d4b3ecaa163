"""GUI settings (window layout, recent files) stored under the per-user config folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from restoration_core.paths import config_dir

MAX_RECENT = 10


def settings() -> QSettings:
    """An INI QSettings at ``config_dir()/gui.ini`` (never the working folder or registry)."""
    return QSettings(str(config_dir() / "gui.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[str]:
    value = settings().value("recent/files", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in (value or []) if v]


def _names() -> dict[str, str]:
    paths, names = settings().value("recent/name_paths", []), settings().value("recent/names", [])
    paths = [paths] if isinstance(paths, str) else list(paths or [])
    names = [names] if isinstance(names, str) else list(names or [])
    return dict(zip(paths, names, strict=False))


def recent_name(path: str | Path) -> str:
    """What the recent lists show for ``path``: the project's name when it was recorded."""
    return _names().get(str(path)) or Path(path).name.removesuffix(".reelwright") or str(path)


def add_recent(path: str | Path, name: str | None = None) -> list[str]:
    path = str(Path(path).resolve())
    items = [path] + [p for p in recent_files() if p != path]
    items = items[:MAX_RECENT]
    names = _names()
    if name:
        names[path] = name
    names = {p: names[p] for p in items if p in names}
    s = settings()
    s.setValue("recent/files", items)
    s.setValue("recent/name_paths", list(names))
    s.setValue("recent/names", list(names.values()))
    s.sync()
    return items


def clear_recent() -> None:
    s = settings()
    for key in ("recent/files", "recent/name_paths", "recent/names"):
        s.remove(key)
    s.sync()


def last_folder() -> str:
    """Where the Open dialogs start: the folder last opened from, else the user's home (never
    the working folder the program happened to start in)."""
    value = settings().value("dialogs/last_folder", "")
    return value if isinstance(value, str) and value and Path(value).is_dir() else str(Path.home())


def remember_folder(path: str | Path) -> None:
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    s = settings()
    s.setValue("dialogs/last_folder", str(folder))
    s.sync()
