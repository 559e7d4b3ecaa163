"""Media bin: the project's reels and their clips (with each clip's job state)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.theme import icon

JOB_ICONS = {None: "mdi6.circle-outline", "queued": "mdi6.clock-outline", "running": "mdi6.play-circle-outline",
             "done": "mdi6.check-circle-outline", "failed": "mdi6.alert-circle-outline",
             "cancelled": "mdi6.cancel"}


class MediaBin(QWidget):
    """A view over ``session.project``: reels, and under each its clips."""

    reel_activated = Signal(str)          # reel id
    clip_activated = Signal(str)          # clip id

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Name", "Frames", "Job"])
        header = self.tree.header()           # the name takes what the dock has; no side scrolling
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setRootIsDecorated(True)
        self.tree.itemActivated.connect(self._activated)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tree)
        self._project = None
        session.project_changed.connect(self._project_changed)
        session.closed.connect(self.refresh)

    def _project_changed(self) -> None:
        if self._project is not None:
            for sig in (self._project.events.reels_changed, self._project.events.clips_changed):
                sig.disconnect(self.refresh)
        self._project = self.session.project
        if self._project is not None:
            self._project.events.reels_changed.connect(self.refresh)
            self._project.events.clips_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        project = self.session.project
        if project is None:
            return
        for reel in project.reels:
            frames = reel.info.get("frames", "") if isinstance(reel.info, dict) else ""
            item = QTreeWidgetItem([reel.path.name, str(frames), ""])
            item.setIcon(0, icon("mdi6.filmstrip"))
            item.setToolTip(0, str(reel.path))
            item.setData(0, Qt.ItemDataRole.UserRole, ("reel", reel.id))
            if reel.id == self.session.reel_id:
                f = item.font(0)
                f.setBold(True)
                item.setFont(0, f)
            self.tree.addTopLevelItem(item)
            for clip in project.clips:
                if clip.reel_id != reel.id:
                    continue
                state = clip.job_state
                child = QTreeWidgetItem([clip.name, f"{clip.in_frame}–{clip.out_frame - 1}", state or ""])
                child.setIcon(0, icon("mdi6.content-cut"))
                child.setIcon(2, icon(JOB_ICONS.get(state, "mdi6.circle-outline")))
                child.setData(0, Qt.ItemDataRole.UserRole, ("clip", clip.id))
                item.addChild(child)
            item.setExpanded(True)

    def _activated(self, item: QTreeWidgetItem, _col: int) -> None:
        kind, ident = item.data(0, Qt.ItemDataRole.UserRole)
        (self.reel_activated if kind == "reel" else self.clip_activated).emit(ident)
