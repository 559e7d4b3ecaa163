"""The empty workbench: what to open when nothing is open yet."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.settings import recent_name
from app.theme import icon


class WelcomePage(QWidget):
    open_reel = Signal()
    open_project = Signal()
    open_sample = Signal()
    open_recent = Signal(str)

    def __init__(self, recent: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        title = QLabel("Reelwright", self)
        title.setStyleSheet("font-size: 30px; font-weight: bold; color: #e0a030;")
        sub = QLabel("Film restoration workbench: find dust, dirt and scratches, repair them, "
                     "keep every other pixel.", self)
        sub.setStyleSheet("color: #9a9ea6;")
        for w in (title, sub):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(w)
        lay.addSpacing(24)
        for text, ic, sig in (("Open reel…", "mdi6.filmstrip", self.open_reel),
                              ("Open project…", "mdi6.folder-open-outline", self.open_project),
                              ("Open sample reel", "mdi6.movie-open-star-outline", self.open_sample)):
            b = QPushButton(icon(ic), text, self)
            b.setIconSize(QSize(22, 22))
            b.setMinimumSize(260, 40)
            b.clicked.connect(sig.emit)
            if sig is self.open_sample:
                b.setObjectName("primary")
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignHCenter)
        self.recent = QListWidget(self)
        self.recent.setMaximumSize(520, 140)
        for path in recent:
            item = QListWidgetItem(recent_name(path))
            item.setData(Qt.ItemDataRole.ToolTipRole, path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)
        self.recent.itemActivated.connect(lambda it: self.open_recent.emit(it.data(Qt.ItemDataRole.UserRole)))
        if recent:
            lab = QLabel("Recent", self)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addSpacing(16)
            lay.addWidget(lab)
            lay.addWidget(self.recent, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            self.recent.hide()
        lay.addStretch(3)
        hint = QLabel("Drop a film file or an image-sequence folder anywhere in this window.", self)
        hint.setStyleSheet("color: #707479;")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hint)
