"""File > Export: clips or the marked range, one or several presets at once, named destinations.

A view over the engine's export plan (:mod:`restoration_core.render.naming`). With the job
pool present and "Render restored" on, every planned export becomes a job (restore with the
project's masks, then encode; the jobs panel shows progress and cancel). Otherwise the
plan runs here as a plain export in a superqt worker thread, with a progress bar and cancel.
A review render (before|after, timecode burnt in) can follow each clip's first output.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import create_worker

from app.project_io import output_folder
from restoration_core.errors import ReelwrightError
from restoration_core.progress import CancelToken
from restoration_core.render.naming import (
    DEFAULT_PATTERN,
    TOKENS,
    ExportItem,
    destination_name,
    job_specs,
    plan_exports,
)
from restoration_core.render.plan import run_plan

DEFAULT_PRESETS = ("master", "access")
PRESET_ORDER = ("master", "mezzanine", "access", "dpx", "tiff", "png")  # the master first: reviews compare with it


@dataclass
class ExportContext:
    """What the dialog can export and where jobs go (all optional)."""

    items: list[ExportItem]
    queue: Any = None               # restoration_core.jobs.JobQueue of the project
    start_runner: Any = None        # callable that starts the worker pool
    project: Any = None             # saved before jobs are queued (workers read it from disk)
    folder: str = ""


def _fps(value: Any) -> Fraction:
    try:
        return Fraction(str(value)) if value else Fraction(24)
    except (ValueError, ZeroDivisionError):
        return Fraction(str(float(value))).limit_denominator(1001)


def items_from_project(project: Any) -> list[ExportItem]:
    out = []
    for clip in project.clips:
        reel = project.reel(clip.reel_id)
        info = reel.info or {}
        out.append(ExportItem(str(reel.path), Path(reel.path).stem, clip.name, (clip.in_frame, clip.out_frame),
                              _fps(info.get("fps")), info.get("timecode"), clip.id, str(project.folder)))
    return out


def context_from_window(window: Any) -> ExportContext:
    """The project's clips plus the marked range of the open reel, and the window's job queue."""
    s = window.session
    items = items_from_project(s.project) if s.project is not None else []
    if s.reel is not None:
        a, b = window.transport.marked_range()
        items.append(ExportItem(str(s.reel.path), Path(s.reel.path).stem, f"range {a}-{b - 1}", (a, b),
                                _fps((s.reel.info or {}).get("fps") or s.reel.fps), s.reel.start_timecode))
    jobs = getattr(window, "jobs", None)
    folder = _exports_folder(s.project)
    return ExportContext(items, getattr(jobs, "queue", None), getattr(jobs, "start_runner", None), s.project, folder)


def _exports_folder(project) -> str:
    """The default destination: the project's own exports folder (an archive does not want
    deliverables beside its camera originals); the user's home without a project."""
    if project is None:
        return str(Path.home())

    try:
        return str(output_folder(project, "exports", [r.path for r in project.reels]))
    except ReelwrightError:
        return str(Path.home())


class ExportDialog(QDialog):
    """Choose what to export, how and where; then queue jobs or run the export here."""

    def __init__(self, context: ExportContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.context = context
        self.worker = None
        self.token: CancelToken | None = None
        self.result = None
        self.queued: list[str] = []
        self._build()
        self._update_preview()

    # ---- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        from restoration_core.media.presets import available_presets, load_preset

        self.clips = QListWidget(self)
        for k, it in enumerate(self.context.items):
            row = QListWidgetItem(f"{it.clip}   [{it.reel} {it.frame_range[0]}–{it.frame_range[1] - 1}]")
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked if k == 0 else Qt.CheckState.Unchecked)
            row.setData(Qt.ItemDataRole.UserRole, k)
            self.clips.addItem(row)
        self.presets = QListWidget(self)
        order = {n: k for k, n in enumerate(PRESET_ORDER)}
        for name in sorted(available_presets(), key=lambda n: (order.get(n, len(order)), n)):
            row = QListWidgetItem(f"{name} – {load_preset(name).description}")
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked if name in DEFAULT_PRESETS else Qt.CheckState.Unchecked)
            row.setData(Qt.ItemDataRole.UserRole, name)
            self.presets.addItem(row)
        self.folder = QLineEdit(self.context.folder, self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.pattern = QLineEdit(DEFAULT_PATTERN, self)
        self.pattern.setToolTip("Tokens: " + " ".join(f"{{{t}}}" for t in TOKENS))
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.overwrite = QCheckBox("Replace existing files", self)
        self.audio = QCheckBox("Copy the source's audio", self)
        self.audio.setChecked(True)
        self.restored = QCheckBox("Render restored (job pool: the project's masks, then encode)", self)
        has_jobs = self.context.queue is not None
        self.restored.setEnabled(has_jobs)
        self.restored.setChecked(has_jobs)
        self.detect = QCheckBox("Detect damage during the render", self)
        self.review = QCheckBox("Review render (before | after, timecode burnt in)", self)
        self.layout_combo = QComboBox(self)
        self.layout_combo.addItem("Side by side", "side")
        self.layout_combo.addItem("Split", "split")
        review_row = QHBoxLayout()
        review_row.addWidget(self.review, 1)
        review_row.addWidget(self.layout_combo)

        form = QFormLayout()
        form.addRow("Clips and ranges", self.clips)
        form.addRow("Presets", self.presets)
        form.addRow("Destination", folder_row)
        form.addRow("Name pattern", self.pattern)
        form.addRow("", self.preview)
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        box = QVBoxLayout(self)
        box.addLayout(form)
        for w in (self.overwrite, self.audio, self.restored, self.detect):
            box.addWidget(w)
        box.addLayout(review_row)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        for signal in (self.folder.textChanged, self.pattern.textChanged, self.clips.itemChanged,
                       self.presets.itemChanged, self.overwrite.toggled):
            signal.connect(self._update_preview)
        self.restored.toggled.connect(self._update_preview)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    # ---- state --------------------------------------------------------------------------
    def _checked(self, widget: QListWidget) -> list[Any]:
        return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]

    def selected_items(self) -> list[ExportItem]:
        return [self.context.items[k] for k in self._checked(self.clips)]

    def selected_presets(self) -> list[str]:
        return self._checked(self.presets)

    def set_checked(self, widget: QListWidget, values: list[Any]) -> None:
        for i in range(widget.count()):
            item = widget.item(i)
            state = item.data(Qt.ItemDataRole.UserRole) in values
            item.setCheckState(Qt.CheckState.Checked if state else Qt.CheckState.Unchecked)

    def plan(self):
        """The export plan for the current choices (raises ReelwrightError with the reason)."""
        return plan_exports(self.selected_items(), self.selected_presets(), self.folder.text().strip() or ".",
                            self.pattern.text().strip(), overwrite=self.overwrite.isChecked())

    def _update_preview(self, *_args: Any) -> None:
        self.audio.setEnabled(not self.restored.isChecked())  # job renders always carry the audio
        self.detect.setEnabled(self.restored.isChecked())
        items, presets = self.selected_items(), self.selected_presets()
        try:
            names = [destination_name(i, p, self.pattern.text().strip()) for i in items[:1] for p in presets]
            self.plan()
        except ReelwrightError as exc:
            self.preview.setText(f"<span style='color:#d33'>{exc}</span>")
            self.export_button.setEnabled(False)
            return
        count = len(items) * len(presets)
        self.preview.setText("<br>".join(names) + (f"<br>… {count} outputs in all" if count > len(names) else ""))
        self.export_button.setEnabled(self.worker is None)

    # ---- running ------------------------------------------------------------------------
    def review_options(self) -> dict | None:
        if not self.review.isChecked():
            return None
        return {"layout": self.layout_combo.currentData(), "preset": "access", "overwrite": self.overwrite.isChecked()}

    def start(self) -> None:
        try:
            plan = self.plan()
        except ReelwrightError as exc:
            self.status.setText(str(exc))
            return
        if self.restored.isChecked() and self.context.queue is not None:
            self._queue_jobs(plan)
        else:
            self._run_here(plan)

    def _queue_jobs(self, plan: list) -> None:
        if self.context.project is not None:
            self.context.project.save()  # workers load the project from disk
        try:
            specs = job_specs(plan, detect=self.detect.isChecked(), overwrite=self.overwrite.isChecked(),
                              review=self.review_options())
            for spec, planned in zip(specs, plan, strict=True):
                if planned.item.clip_id is None:
                    spec.detect = True  # a bare range has no reviewed masks: find the damage now
                self.context.queue.add(spec)
                self.queued.append(spec.id)
        except ReelwrightError as exc:
            self.status.setText(str(exc))
            return
        if self.context.start_runner is not None:
            self.context.start_runner()
        self.status.setText(f"Queued {len(specs)} jobs; the jobs panel shows their progress.")
        self.accept()

    def _run_here(self, plan: list) -> None:

        self.token = CancelToken()
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.export_button.setEnabled(False)
        self.worker = create_worker(
            run_plan, plan, self.token, audio=self.audio.isChecked(), review=self.review_options(),
            _start_thread=False,
            _connect={"yielded": self._on_progress, "returned": self._on_done, "errored": self._on_error,
                      "finished": self._on_finished},
        )
        self.status.setText("Exporting…")
        self.worker.start()

    def _on_progress(self, p: Any) -> None:
        self.progress.setRange(0, max(1, p.total))
        self.progress.setValue(p.done)
        self.status.setText(f"{p.stage}: {p.done} of {p.total}  {p.message}")

    def _on_done(self, result: Any) -> None:
        self.result = result
        n = len(result.exports) + len(result.reviews)
        self.status.setText(f"Done: {n} outputs written" + (f" to {result.exports[0].path.parent}" if n else ""))

    def _on_error(self, exc: Exception) -> None:
        self.status.setText("Cancelled: nothing was left half-written." if self.token and self.token.cancelled
                            else f"Export failed: {exc}")

    def _on_finished(self) -> None:
        self.worker = None
        self.progress.setVisible(False)
        self.cancel_button.setText("Close")
        self._update_preview()

    def cancel(self) -> None:
        """Stop a running export (the writer removes its partial file), or close the dialog."""
        if self.worker is not None and self.token is not None:
            self.token.cancel()
            self.status.setText("Cancelling…")
            return
        super().reject()

    def reject(self) -> None:
        self._stop()
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802
        self._stop()
        super().closeEvent(event)

    def _stop(self) -> None:
        """Cancel a running export and wait for its thread (the writer cleans up on the way out)."""
        worker = self.worker
        if worker is not None and self.token is not None:
            self.token.cancel()
            worker.await_workers(msecs=10000)


def open_export_dialog(window: Any) -> ExportDialog:
    """The dialog for the main window's File > Export (the caller runs ``exec()``)."""
    return ExportDialog(context_from_window(window), window)
