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


def add_recent(path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    items = [path] + [p for p in recent_files() if p != path]
    items = items[:MAX_RECENT]
    s = settings()
    s.setValue("recent/files", items)
    s.sync()
    return items


def clear_recent() -> None:
    s = settings()
    s.remove("recent/files")
    s.sync()
