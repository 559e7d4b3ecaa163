"""Dark theme for grading rooms and qtawesome icons."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from restoration_core.paths import resources_dir

ICON_COLOUR = "#c8ccd4"
ACCENT = "#e0a030"


ICON_SIZES = (16, 18, 24, 32)
_ICONS: dict[tuple[str, str], QIcon] = {}


def icon(name: str, colour: str = ICON_COLOUR) -> QIcon:
    """A qtawesome icon baked into pixmaps once per name; an empty icon if the name is unknown
    (icons never break the UI).

    qtawesome draws through a Python QIconEngine, and with PySide6 6.11 every time Qt asks it
    for a pixmap one reference to None leaks (six per icon drawn): toolbars and transport
    buttons repaint during playback, so the live engine would drain None until the
    interpreter aborts. Pixmaps made once (a bounded cost) are drawn by Qt alone."""
    key = (name, colour)
    cached = _ICONS.get(key)
    if cached is not None:
        return cached
    import qtawesome as qta

    try:
        live = qta.icon(name, color=colour, color_active=ACCENT)
    except Exception:  # noqa: BLE001 - a missing glyph must not stop the program
        return QIcon()
    baked = QIcon()
    for size in ICON_SIZES:
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled, QIcon.Mode.Active):
            baked.addPixmap(live.pixmap(QSize(size, size), mode, QIcon.State.Off), mode, QIcon.State.Off)
    _ICONS[key] = baked
    return baked


def apply_dark_theme(app: QApplication) -> None:
    """Neutral dark palette (no colour cast next to the picture) plus restoration_core/resources/style/dark.qss."""
    app.setStyle("Fusion")
    pal = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(38, 39, 43), QColor(214, 216, 220)
    for role, colour in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor(44, 45, 50)),
        (QPalette.ColorRole.ToolTipBase, QColor(20, 20, 22)), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, QColor(48, 49, 54)),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.Highlight, QColor(ACCENT)),
        (QPalette.ColorRole.HighlightedText, QColor(20, 20, 20)),
        (QPalette.ColorRole.PlaceholderText, QColor(120, 122, 128)),
    ):
        pal.setColor(role, colour)
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(110, 110, 115))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(110, 110, 115))
    app.setPalette(pal)
    qss = resources_dir() / "style" / "dark.qss"
    if qss.is_file():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
