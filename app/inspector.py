"""Inspector: tool, overlay, detection-review and restoration settings for the current frame."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import background, engine
from app.lists import refill
from app.theme import icon
from restoration_core.errors import InputError
from restoration_core.render.spec import parse_frame_list

ENGINES = ("auto", "temporal", "classical", "diffusion")


def _with_button(field: QWidget, button: QWidget) -> QHBoxLayout:
    """A form row's field, stretched, with a button beside it."""
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row


class ModelCombo(QComboBox):
    """The model list, filled the first time it is opened: listing imports the registry and
    torch with it, which no workbench session should pay for (or wait on) until models matter."""

    about_to_show = Signal()

    def showPopup(self) -> None:  # noqa: N802 - Qt naming
        self.about_to_show.emit()
        super().showPopup()


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class Inspector(QScrollArea):
    models_listed = Signal()   # the model list was (re)filled
    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent)
        self.window = window
        self.setWidgetResizable(True)
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self._tools_box())
        lay.addWidget(self._overlay_box())
        lay.addWidget(self._review_box())
        lay.addWidget(self._restore_box())
        lay.addWidget(self._repairs_box())
        lay.addStretch(1)
        self.setWidget(body)
        window.session.masks_changed.connect(self._frame_changed)
        window.session.detection_ready.connect(self._frame_changed)
        window.controller.frame_shown.connect(self._frame_changed)
        self._watched = None
        window.session.project_changed.connect(self._watch_project)

    def _watch_project(self, *_args) -> None:
        """Recorded repairs change when a render finishes or one is taken back."""
        project = self.window.session.project
        if self._watched is not None:
            self._watched.events.history_changed.disconnect(self._refresh_repairs)
        self._watched = project
        if project is not None:
            project.events.history_changed.connect(self._refresh_repairs)
        self._refresh_repairs()

    # ---- boxes --------------------------------------------------------------------
    def _button(self, text: str, ic: str, fn, parent: QWidget) -> QPushButton:
        b = QPushButton(icon(ic), text, parent)
        b.clicked.connect(lambda _=False: fn())
        return b

    def _tools_box(self) -> QGroupBox:
        p = self.window.paint
        box = QGroupBox("Mask painting")
        form = QFormLayout(box)
        self.size = QSpinBox(box)
        self.size.setRange(1, 512)
        self.size.setSuffix(" px")
        self.size.setValue(p.size)
        self.size.valueChanged.connect(lambda v: setattr(p, "size", v))
        p.events.size.connect(lambda v: self.size.setValue(int(v)))
        form.addRow("Size  [ ]", self.size)
        self.hardness = _slider(0, 100, int(p.hardness * 100))
        self.hardness.valueChanged.connect(lambda v: setattr(p, "hardness", v / 100))
        form.addRow("Hardness", self.hardness)
        row = QHBoxLayout()
        self.hold_btn = self._button("Hold over in/out", "mdi6.arrow-expand-horizontal",
                                     self.window.hold_over_range, box)
        row.addWidget(self.hold_btn)
        self.track_frames = QSpinBox(box)
        self.track_frames.setRange(-999, 999)
        self.track_frames.setValue(12)
        self.track_frames.setToolTip("Frames to carry the mask (negative = backward)")
        row2 = QHBoxLayout()
        row2.addWidget(self._button("Track along motion", "mdi6.motion-outline",
                                    lambda: self.window.track_mask(self.track_frames.value() or 1), box))
        row2.addWidget(self.track_frames)
        form.addRow(row)
        form.addRow(row2)
        return box

    def _overlay_box(self) -> QGroupBox:
        o = self.window.overlay
        box = QGroupBox("Overlays")
        form = QFormLayout(box)
        for text, field in (("Detected damage (red)", "detected"), ("Painted / held (cyan)", "painted"),
                            ("Defect boxes", "boxes")):
            cb = QCheckBox(text, box)
            cb.setChecked(getattr(o, field))
            cb.toggled.connect(lambda on, f=field: setattr(o, f, on))
            getattr(o.events, field).connect(lambda on, *, c=cb: c.setChecked(on))  # c keyword-only: psygnal passes (new, old)
            form.addRow(cb)
        self.opacity = _slider(5, 100, int(o.opacity * 100))
        self.opacity.valueChanged.connect(lambda v: setattr(o, "opacity", v / 100))
        form.addRow("Opacity", self.opacity)
        return box

    def _review_box(self) -> QGroupBox:
        box = QGroupBox("Detections in this frame")
        lay = QVBoxLayout(box)
        form = QFormLayout()
        self.sensitivity = _slider(0, 100, 50)
        self.sensitivity.setToolTip("Detection sensitivity (applies to frames detected from now on)")
        self.sensitivity.valueChanged.connect(self._detect_settings_changed)
        form.addRow("Sensitivity", self.sensitivity)
        self.motion_protection = _slider(0, 100, 50)
        self.motion_protection.setToolTip("Motion protection: how hard motion must fail to explain a speck before "
                                          "it is damage (higher leaves moving hands, limbs and cloth alone)")
        self.motion_protection.valueChanged.connect(self._detect_settings_changed)
        form.addRow("Motion protection", self.motion_protection)
        lay.addLayout(form)
        self.defects = QListWidget(box)
        self.defects.setMinimumHeight(120)
        self.defects.setWordWrap(True)
        self.defects.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.defects.itemChanged.connect(self._defect_toggled)
        self.defects.setToolTip("Checked detections are repaired; uncheck to reject one")
        lay.addWidget(self.defects)
        row = QHBoxLayout()
        row.addWidget(self._button("Accept all", "mdi6.check-all", lambda: self.window.set_frame_rejected(False), box))
        row.addWidget(self._button("Reject all", "mdi6.close-circle-outline",
                                   lambda: self.window.set_frame_rejected(True), box))
        lay.addLayout(row)
        lay.addWidget(self._button("Detect whole reel", "mdi6.radar", self.window.detect_reel, box))
        return box

    def _restore_box(self) -> QGroupBox:
        box = QGroupBox("Restoration")
        form = QFormLayout(box)
        self.engine = QComboBox(box)
        self.engine.addItems(ENGINES)
        form.addRow("Fill engine", self.engine)
        self.model = ModelCombo(box)
        self.model.about_to_show.connect(self._models_wanted)
        self._models_listed = False
        # long model names must not widen the inspector
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(8)
        self.model.setToolTip("Diffusion model for what neighbouring frames cannot fill "
                              "(register one with Add… or `reelwright models add PATH`)")
        add = QToolButton(box)
        add.setIcon(icon("mdi6.folder-plus-outline"))
        add.setToolTip("Add a model: register a local diffusion model folder (validated first)")
        add.clicked.connect(lambda _=False: self.add_model())
        form.addRow("Model", _with_button(self.model, add))
        self.steps = QSpinBox(box)
        self.steps.setRange(1, 200)
        self.steps.setValue(20)
        self.steps.setToolTip("Denoising steps of the diffusion model")
        form.addRow("Steps", self.steps)
        self.model.addItem("(none: classical fill)", None)   # the registered models: on first open
        self.feather = QSpinBox(box)
        self.feather.setRange(0, 8)
        self.feather.setValue(2)
        self.feather.setSuffix(" px")
        form.addRow("Feather", self.feather)
        self.grain = QCheckBox("Match film grain", box)
        self.grain.setChecked(True)
        self.deflicker = QCheckBox("Deflicker", box)
        form.addRow(self.grain)
        form.addRow(self.deflicker)
        # whole-frame steps (restoration_core.render.frames), run by renders and previews alike
        self.stabilize = QCheckBox("Stabilize (gate weave, jitter)", box)
        self.stabilize.setToolTip("Take gate weave and jitter out and keep pans (measured over the clip); "
                                  "every pixel of a corrected frame changes")
        self.stabilize_smooth = QSpinBox(box)
        self.stabilize_smooth.setRange(2, 500)
        self.stabilize_smooth.setValue(24)
        self.stabilize_smooth.setSuffix(" frames")
        self.stabilize_smooth.setToolTip("Frames the camera path is smoothed over (more: steadier)")
        self.repair_tears = QCheckBox("Repair torn or burnt areas", box)
        self.repair_tears.setToolTip("Renders rebuild a large torn or burnt area of a frame from the frames "
                                     "either side (that area only)")
        form.addRow(self.stabilize)
        form.addRow("Smooth over", self.stabilize_smooth)
        form.addRow(self.repair_tears)
        self.rebuild = QLineEdit(box)
        self.rebuild.setPlaceholderText("e.g. 12,40:43")
        self.rebuild.setToolTip("Frames a render replaces by an interpolation of their neighbours (0-based, "
                                "A:B end exclusive, runs of up to 3): black, blank, burnt or duplicate frames")
        this_frame = QPushButton("This frame", box)
        this_frame.setToolTip("Rebuild this frame from its neighbours in renders (adds it to the list)")
        this_frame.clicked.connect(lambda _=False: self.rebuild_this_frame())
        form.addRow("Rebuild", _with_button(self.rebuild, this_frame))
        preview = self._button("Preview this frame  (P)", "mdi6.auto-fix", self.window.preview_frame, box)
        preview.setObjectName("primary")
        form.addRow(preview)
        form.addRow(self._button("Queue clip (in/out)", "mdi6.playlist-plus", self.window.queue_clip, box))
        return box

    def _repairs_box(self) -> QGroupBox:
        box = QGroupBox("Recorded repairs in this frame")
        lay = QVBoxLayout(box)
        self.repairs = QListWidget(box)
        self.repairs.setMinimumHeight(70)
        self.repairs.setWordWrap(True)
        self.repairs.setToolTip("What finished renders did to this frame (from the project's history)")
        lay.addWidget(self.repairs)
        self.take_back = self._button("Take back repair", "mdi6.undo-variant", self._take_back, box)
        self.take_back.setToolTip("Leave this region as scanned in later renders (undoable)")
        lay.addWidget(self.take_back)
        return box

    def _refresh_repairs(self) -> None:
        w, s = self.window, self.window.session
        rows: list[tuple[str, tuple]] = []
        if s.project is not None and s.reel_id is not None and w.viewer.index >= 0:
            for rec_id, k, iv, revoked in s.project.repairs_in_frame(s.reel_id, w.viewer.index):
                x, y, bw, bh = iv.bbox
                how = f"from frames {', '.join(map(str, iv.source_frames))}" if iv.source_frames else \
                    (f"seed {iv.seed}" if iv.seed is not None else "")
                rows.append((f"{'[taken back] ' if revoked else ''}{iv.kind}, {iv.method} {how}\n"
                             f"{bw}x{bh} at {x},{y}  (render {rec_id})", (rec_id, k, revoked)))
        for item, (text, key) in zip(refill(self.repairs, [t for t, _ in rows]), rows, strict=True):
            item.setData(Qt.ItemDataRole.ToolTipRole, text.replace("\n", ", "))
            item.setData(Qt.ItemDataRole.UserRole, key)
        self.take_back.setEnabled(self.repairs.count() > 0)

    def _take_back(self) -> None:
        item = self.repairs.currentItem() or (self.repairs.item(0) if self.repairs.count() == 1 else None)
        if item is None:
            self.window.statusBar().showMessage("Select a repair to take back", 4000)
            return
        rec_id, k, revoked = item.data(Qt.ItemDataRole.UserRole)
        if not revoked:
            self.window.revoke_repair(rec_id, k)

    # ---- settings -----------------------------------------------------------------
    def refresh_models(self, select: str | None = None) -> None:
        """Fill the model list from the registry: "(none)" first, missing models disabled.

        Done the first time the list is opened (or when asked). The first listing imports the
        registry, and torch with it, in a worker thread (the list fills in when it is done);
        later ones just read the small registry file."""
        current = select or self.model_path()
        if background.registry_loaded():
            try:
                models = engine.list_models()
            except Exception:  # noqa: BLE001 - an unreadable registry just lists nothing
                models = []
            self._fill_models(models, current)
        else:
            if self.model.count() <= 1:
                self.model.clear()
                self.model.addItem("(none: classical fill)", None)
                self.model.addItem("Listing the registered models…", None)
                self.model.model().item(1).setEnabled(False)
            background.list_models(self, lambda models: self._fill_models(models, current))

    def _models_wanted(self) -> None:
        if not self._models_listed:
            self.refresh_models()

    def _fill_models(self, models: list[dict], current: str | None) -> None:
        self._models_listed = True
        current = current or self.model_path()
        self.model.clear()
        self.model.addItem("(none: classical fill)", None)
        for m in models:
            self.model.addItem(f"{m['name']}  ({m.get('kind', '?')})", m["path"])
            if not m.get("present", True):
                item = self.model.model().item(self.model.count() - 1)
                item.setEnabled(False)
                item.setToolTip(f"{m['path']} is missing")
        i = self.model.findData(current) if current else -1
        self.model.setCurrentIndex(max(0, i))
        self.models_listed.emit()

    def model_path(self) -> str | None:
        return self.model.currentData() if hasattr(self, "model") else None

    def add_model(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Add a diffusion model folder")
        if not folder:
            return

        def added(name: str) -> None:
            entry = next((m for m in engine.list_models() if m["name"] == name), None)
            self.refresh_models(select=entry["path"] if entry else None)

        def failed(exc: BaseException) -> None:   # the registry's one-line reason goes to a dialog
            self.window.show_error("Cannot add model", str(exc).splitlines()[0] if str(exc) else folder)

        self.window.statusBar().showMessage(f"Checking the model in {folder}…")
        background.add_model(self, folder, added, failed)   # validation reads the weights

    def rebuild_frames(self) -> list[int]:
        """The frames listed to rebuild ([] for an empty field; InputError for a bad one)."""
        return parse_frame_list(self.rebuild.text().strip() or None)

    def rebuild_this_frame(self) -> None:
        """Add the viewer's frame to the frames to rebuild (written back as numbers and A:B runs);
        in the workbench one undoable step that lists it in the covering clips too."""
        index = self.window.viewer.index
        if index < 0:
            return
        candidates = getattr(self.window, "frame_candidates", None)
        if candidates is not None and self.window.session.project is not None:
            candidates.add_rebuild(index)
            return
        try:
            frames = set(self.rebuild_frames())
        except InputError as exc:
            self.window.show_error("Cannot add the frame", str(exc))
            return
        frames.add(index)
        self.rebuild.setText(format_frames(sorted(frames)))

    def settings_dict(self) -> dict:
        restore = {"engine": self.engine.currentText(), "feather": self.feather.value(),
                   "grain": self.grain.isChecked(), "deflicker": self.deflicker.isChecked()}
        if self.model_path():
            restore.update(model=self.model_path(), steps=self.steps.value())
        if self.stabilize.isChecked():
            restore.update(stabilize=True, stabilize_smooth=self.stabilize_smooth.value())
        if self.repair_tears.isChecked():
            restore["repair_tears"] = True
        try:
            frames = self.rebuild_frames()
        except InputError as exc:  # a bad list is named, and left out of the job
            self.window.statusBar().showMessage(f"Rebuild list ignored: {exc}", 6000)
            frames = []
        if frames:
            restore["rebuild"] = frames
        return {"restore": restore, "detect": {"sensitivity": self.sensitivity.value() / 100,
                                                   "motion_protection": self.motion_protection.value() / 100}}

    def restore_settings(self):
        """The engine's RestoreSettings from the fields above (fields it lacks are left out)."""
        wanted = self.settings_dict()["restore"]
        try:
            import dataclasses

            from restoration_core.restore import RestoreSettings
        except ImportError:
            return None
        names = {f.name for f in dataclasses.fields(RestoreSettings)}
        return RestoreSettings(**{k: v for k, v in wanted.items() if k in names})

    def _detect_settings_changed(self, value: int) -> None:
        if engine.available("restoration_core.detect", "DetectSettings"):
            self.window.controller.detect_settings = engine.detect_settings(
                sensitivity=self.sensitivity.value() / 100, motion_protection=self.motion_protection.value() / 100)

    # ---- defect list ----------------------------------------------------------------
    def _frame_changed(self, *_args) -> None:
        w = self.window
        s = w.session
        if w.transport.speed != 0:
            return   # not while playing: the list is rebuilt when playback stops on a frame
        self._refresh_repairs()
        self.defects.blockSignals(True)
        defects, rejected = [], set()
        if s.project is not None and s.reel_id is not None and w.viewer.index >= 0:
            f = w.viewer.index
            rejected = s.project.rejected(s.reel_id, f)
            defects = sorted(s.project.defects(s.reel_id, f), key=lambda d: -d.score)
        # two short lines: nothing cut in a narrow dock
        texts = [f"#{d.id} {d.kind} ({d.polarity})  score {d.score:.2f}\n{d.bbox[2]}x{d.bbox[3]} at "
                 f"{d.bbox[0]},{d.bbox[1]}" for d in defects]
        for item, d, text in zip(refill(self.defects, texts), defects, texts, strict=True):
            item.setData(Qt.ItemDataRole.ToolTipRole, text.replace("\n", ", "))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            # setData, not setCheckState: PySide6 6.11 leaks a reference to None when C++
            # calls a Python-made item's virtual setData (setCheckState, setText, setToolTip do)
            item.setData(Qt.ItemDataRole.CheckStateRole,
                         Qt.CheckState.Unchecked if d.id in rejected else Qt.CheckState.Checked)
            item.setData(Qt.ItemDataRole.UserRole, d.id)
        self.defects.blockSignals(False)

    def _defect_toggled(self, item: QListWidgetItem) -> None:
        did = item.data(Qt.ItemDataRole.UserRole)
        self.window.set_frame_rejected(item.checkState() == Qt.CheckState.Unchecked, [did])


def format_frames(frames: list[int]) -> str:
    """[12, 40, 41, 42] -> "12,40:43" (the form :func:`parse_frame_list` reads)."""
    parts, k = [], 0
    while k < len(frames):
        j = k
        while j + 1 < len(frames) and frames[j + 1] == frames[j] + 1:
            j += 1
        parts.append(str(frames[k]) if j == k else f"{frames[k]}:{frames[j] + 1}")
        k = j + 1
    return ",".join(parts)
