"""The viewer panel: canvas, compare-mode bar and a full-bit-depth pixel readout."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models.state import CompareState, OverlayState, ViewTransform
from app.theme import icon
from app.viewer.canvas import ViewerCanvas
from app.viewer.display import DETECTED_RGBA, PAINTED_RGBA, difference, mask_overlay, qimage_rgb, to_display

MODES = (("single", "Single", "mdi6.image-outline", "Before/after toggle (\\)"),
         ("wipe", "Wipe", "mdi6.compare-horizontal", "Split wipe with a draggable divider"),
         ("side", "Side by side", "mdi6.view-split-vertical", "Before and after side by side"),
         ("diff", "Difference", "mdi6.select-compare", "|after - before| with gain"))


class ViewerWidget(QWidget):
    """Shows the current frame with compare modes and mask/defect overlays."""

    def __init__(self, compare: CompareState | None = None, overlay: OverlayState | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.compare = compare or CompareState()
        self.overlay = overlay or OverlayState()
        self.view = ViewTransform()
        self.canvas = ViewerCanvas(self.compare, self.overlay, self.view, self)
        self.data: np.ndarray | None = None       # full-bit-depth source frame
        self.after_data: np.ndarray | None = None  # restored preview of the same frame
        self._before_image: QImage | None = None   # display image of ``data``
        self.index = -1
        self.timecode: str | None = None
        self.detected: np.ndarray | None = None
        self.painted: np.ndarray | None = None
        self.defects: list = []
        self.rejected: set[int] = set()
        self.readout = QLabel("", self)
        self.readout.setObjectName("readout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._build_bar()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.bar)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.readout)
        self.canvas.hovered.connect(self._readout)
        self.canvas.left.connect(self.readout.clear)
        self.overlay.events.connect(lambda *_a: self.readout.clear())   # its [detected] tag is stale
        self.compare.events.connect(self._compare_changed)
        self.overlay.events.connect(self._rebuild_overlay)

    def _build_bar(self) -> None:
        self.bar = QWidget(self)
        self.bar.setObjectName("viewerBar")
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(6, 3, 6, 3)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QToolButton] = {}
        for name, label, ic, tip in MODES:
            b = QToolButton(self.bar)
            b.setText(label)
            b.setIcon(icon(ic))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setCheckable(True)
            b.setToolTip(tip)
            b.setChecked(name == self.compare.mode)
            b.clicked.connect(lambda _=False, n=name: setattr(self.compare, "mode", n))
            self.mode_group.addButton(b)
            self.mode_buttons[name] = b
            row.addWidget(b)
        self.orient = QToolButton(self.bar)
        self.orient.setIcon(icon("mdi6.rotate-left-variant"))
        self.orient.setToolTip("Wipe direction: vertical / horizontal divider")
        self.orient.clicked.connect(lambda: setattr(self.compare, "wipe_vertical",
                                                    not self.compare.wipe_vertical))
        row.addWidget(self.orient)
        row.addSpacing(10)
        row.addWidget(QLabel("Gain", self.bar))
        self.gain = QDoubleSpinBox(self.bar)
        self.gain.setRange(1.0, 64.0)
        self.gain.setValue(self.compare.diff_gain)
        self.gain.setToolTip("Difference gain")
        self.gain.valueChanged.connect(lambda v: setattr(self.compare, "diff_gain", float(v)))
        row.addWidget(self.gain)
        row.addStretch(1)
        for ic, tip, fn in (("mdi6.fit-to-screen-outline", "Fit (F)", self.canvas.fit),
                            ("mdi6.numeric-1-box-outline", "1:1 (1)", self.canvas.one_to_one)):
            b = QToolButton(self.bar)
            b.setIcon(icon(ic))
            b.setToolTip(tip)
            b.clicked.connect(fn)
            row.addWidget(b)

    # ---- content ------------------------------------------------------------------
    def show_frame(self, index: int, data: np.ndarray, timecode: str | None, image: QImage | None = None) -> None:
        """Show ``data``; ``image``, when given, is its display image made off the GUI thread."""
        same = index == self.index
        self.index, self.data, self.timecode = index, data, timecode
        self._before_image = image
        if not same:
            self.after_data = None
            self.detected, self.defects, self.painted = None, [], None
        self._rebuild_images()
        self._rebuild_overlay()

    def set_after(self, data: np.ndarray | None) -> None:
        self.after_data = data
        self._rebuild_images()

    def set_masks(self, detected: np.ndarray | None, painted: np.ndarray | None,
                  defects: list | None = None, rejected: set[int] | None = None) -> None:
        self.detected, self.painted = detected, painted
        self.defects = list(defects or [])
        self.rejected = set(rejected or ())
        self._rebuild_overlay()

    def clear(self, message: str = "") -> None:
        self.data = self.after_data = self._before_image = None
        self.index = -1
        self.canvas.message = message
        self.canvas.set_images(None)

    def _after_matches(self) -> bool:
        return self.after_data is not None and self.data is not None and \
            self.after_data.shape == self.data.shape

    def _rebuild_images(self) -> None:
        if self.data is None:
            return
        before = self._before_image
        if before is None:
            before = self._before_image = qimage_rgb(to_display(self.data))
        after = diff = None
        if self._after_matches():
            after = qimage_rgb(to_display(self.after_data))
            if self.compare.mode == "diff":
                diff = qimage_rgb(difference(self.data, self.after_data, self.compare.diff_gain))
        self.canvas.set_images(before, after, diff)
        tc = f"  TC {self.timecode}" if self.timecode else ""
        bits = 16 if self.data.dtype == np.uint16 else 8
        self.canvas.hud_text = f"F {self.index:>5}{tc}  {self.data.shape[1]}x{self.data.shape[0]} {bits}-bit"

    def _rebuild_overlay(self, *_args) -> None:
        if self.data is None:
            return
        h, w = self.data.shape[:2]
        detected = self.detected
        if detected is not None and self.rejected and self.defects:
            detected = detected.copy()
            for d in self.defects:
                if d.id in self.rejected:
                    x, y, bw, bh = d.bbox
                    detected[y:y + bh, x:x + bw] = False
        layers = []
        if self.overlay.detected:
            layers.append((detected, DETECTED_RGBA))
        if self.overlay.painted:
            layers.append((self.painted, PAINTED_RGBA))
        self.canvas.overlay_image = mask_overlay(layers, (h, w), self.overlay.opacity)
        self.canvas.boxes = [
            (QRectF(*d.bbox), f"{d.kind} ({d.polarity})  score {d.score:.2f}  area {d.area}px"
             f"{'  — rejected' if d.id in self.rejected else ''}", d.id in self.rejected)
            for d in self.defects
        ]
        self.canvas.update()

    def _compare_changed(self, info=None) -> None:
        b = self.mode_buttons.get(self.compare.mode)
        if b is not None and not b.isChecked():
            b.setChecked(True)
        if self.compare.mode == "diff":
            self._rebuild_images()
        self.canvas.update()

    def _readout(self, x: float, y: float) -> None:
        if self.data is None:
            return
        h, w = self.data.shape[:2]
        ix, iy = int(np.floor(x)), int(np.floor(y))
        if not (0 <= ix < w and 0 <= iy < h):
            self.readout.setText("")
            return
        r, g, b = (int(v) for v in self.data[iy, ix, :3])
        text = f"x {ix}  y {iy}   R {r}  G {g}  B {b}"
        if self._after_matches():
            ar, ag, ab = (int(v) for v in self.after_data[iy, ix, :3])
            text += f"   after R {ar}  G {ag}  B {ab}"
        for mask, name in ((self.detected if self.overlay.detected else None, "detected"),
                           (self.painted if self.overlay.painted else None, "painted")):
            if mask is not None and mask[iy, ix]:
                text += f"   [{name}]"
        self.readout.setText(text)
