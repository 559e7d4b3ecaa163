"""Dark theme for grading rooms and qtawesome icons."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from restoration_core.paths import resources_dir

ICON_COLOUR = "#c8ccd4"
ACCENT = "#e0a030"


def icon(name: str, colour: str = ICON_COLOUR) -> QIcon:
    """A qtawesome icon; an empty icon if the name is unknown (icons never break the UI)."""
    import qtawesome as qta

    try:
        return qta.icon(name, color=colour, color_active=ACCENT)
    except Exception:  # noqa: BLE001 - a missing glyph must not stop the program
        return QIcon()


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
