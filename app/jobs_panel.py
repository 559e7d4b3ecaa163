"""The jobs panel: a view over a Qt-free :class:`JobQueue` and the runner that works it off.

One row per job (name, state, a progress bar, time left); Cancel, Retry and Reveal act on
the selected job, and the log pane shows the selected job's log (a failed job is selected
with its reason in the log). A QTimer drains the runner (:class:`WorkerPool` or
:class:`RayRunner`) with its non-blocking ``poll()``: all model work happens in worker
processes, the GUI thread only copies progress into widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restoration_core.jobs.queue import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobQueue

COLUMNS = ("Job", "State", "Progress", "Time left")


def format_time_left(job: Job) -> str:
    if job.state == DONE:
        return "done"
    if job.state != RUNNING or job.eta_s is None:
        return ""
    seconds = int(round(job.eta_s))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _Bridge(QObject):
    """Re-emits the queue's psygnal events as Qt signals (queued to the GUI thread if needed)."""

    changed = Signal(str)
    added = Signal(str)
    removed = Signal(str)


class JobsPanel(QWidget):
    """Progress, cancel, retry, reveal output and logs of the jobs in ``queue``."""

    POLL_MS = 100

    def __init__(self, queue: JobQueue, runner: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.queue = queue
        self.runner = runner
        self._rows: dict[str, int] = {}
        self._bridge = _Bridge(self)
        self._bridge.changed.connect(self._update_row)
        self._bridge.added.connect(self._add_row)
        self._bridge.removed.connect(self._job_removed)
        self._links = ((queue.job_changed, self._bridge.changed.emit), (queue.job_added, self._bridge.added.emit),
                       (queue.job_removed, self._bridge.removed.emit))
        for signal, slot in self._links:
            signal.connect(slot)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 3):      # State and Time left always show whole ("cancelled", "1:02:03")
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 120)
        header.setMinimumSectionSize(60)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.cancel_button = QPushButton("Cancel", self)
        self.retry_button = QPushButton("Retry", self)
        self.reveal_button = QPushButton("Reveal output", self)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.summary = QLabel(self)
        self.log_view = QPlainTextEdit(self)
        self.log_view.setReadOnly(True)
        self.log_view.setPlaceholderText("Select a job to see its log")
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)   # a reason is never cut
        self.log_view.setMinimumHeight(7 * self.log_view.fontMetrics().lineSpacing())

        buttons = QHBoxLayout()
        for w in (self.cancel_button, self.retry_button, self.reveal_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(self.log_view)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        splitter.setSizes([200, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self.timer = QTimer(self)
        self.timer.setInterval(self.POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._rebuild()
        if runner is not None:
            self.timer.start()

    # ---- runner ----------------------------------------------------------------------
    def set_runner(self, runner: Any) -> None:
        """Work the queue off with ``runner`` (anything with non-blocking ``poll()``)."""
        self.runner = runner
        self.timer.start()

    def poll(self) -> None:
        if self.runner is not None:
            self.runner.poll()

    def shutdown(self) -> None:
        """Stop polling, the runner's workers (running jobs go back to the queue, caches kept)
        and listening to the queue (the panel is done)."""
        self.timer.stop()
        if self.runner is not None:
            self.runner.shutdown()
            self.runner = None
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = ()

    # ---- rows ------------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.table.setRowCount(0)
        self._rows.clear()
        for job in self.queue.jobs:
            self._add_row(job.id)

    def _add_row(self, job_id: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._rows[job_id] = row
        name = QTableWidgetItem()
        name.setData(Qt.ItemDataRole.UserRole, job_id)
        self.table.setItem(row, 0, name)
        self.table.setItem(row, 1, QTableWidgetItem())
        bar = QProgressBar(self.table)
        bar.setRange(0, 1000)
        bar.setTextVisible(True)
        self.table.setCellWidget(row, 2, bar)
        self.table.setItem(row, 3, QTableWidgetItem())
        self._update_row(job_id)

    def _job_removed(self, _job_id: str) -> None:
        self._rebuild()

    def progress_bar(self, job_id: str) -> QProgressBar:
        return self.table.cellWidget(self._rows[job_id], 2)  # type: ignore[return-value]

    def _update_row(self, job_id: str) -> None:
        if job_id not in self._rows or job_id not in self.queue:
            return
        job = self.queue.get(job_id)
        row = self._rows[job_id]
        self.table.item(row, 0).setText(job.spec.name)
        self.table.item(row, 0).setToolTip(f"{job.spec.input or job.spec.clip} -> {job.spec.output}")
        stage = ": ".join(t for t in (job.stage, job.step) if t)
        self.table.item(row, 1).setText(job.state)           # the stage is in the tooltip and log
        self.table.item(row, 1).setToolTip(job.error or (f"{job.state}: {stage}" if stage else job.state))
        bar = self.progress_bar(job_id)
        bar.setValue(int(1000 * job.fraction))
        bar.setFormat(f"{100 * job.fraction:.0f}%" + (f"  {job.fps:.1f}/s" if job.state == RUNNING else ""))
        self.table.item(row, 3).setText(format_time_left(job))
        c = self.queue.counts()
        self.summary.setText(f"{c[RUNNING]} running, {c[QUEUED]} queued, {c[DONE]} done, {c[FAILED]} failed")
        if job_id == self.selected_job_id():
            self._show_log(job)
            self._update_buttons(job)
        elif job.state == FAILED and self.selected_job_id() is None:
            self.select(job_id)

    # ---- selection and actions -------------------------------------------------------
    def selected_job_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def select(self, job_id: str) -> None:
        self.table.selectRow(self._rows[job_id])

    def _selection_changed(self) -> None:
        job_id = self.selected_job_id()
        if job_id is None or job_id not in self.queue:
            self.log_view.clear()
            self._update_buttons(None)
            return
        job = self.queue.get(job_id)
        self._show_log(job)
        self._update_buttons(job)

    def _show_log(self, job: Job) -> None:
        text = "\n".join(job.log)
        if job.state == FAILED and job.error and job.error not in text:
            text += ("\n" if text else "") + f"failed: {job.error}"
        if self.log_view.toPlainText() != text:
            self.log_view.setPlainText(text)

    def _update_buttons(self, job: Job | None) -> None:
        self.cancel_button.setEnabled(job is not None and job.state in (QUEUED, RUNNING))
        self.retry_button.setEnabled(job is not None and job.state in (FAILED, CANCELLED))
        self.reveal_button.setEnabled(job is not None and job.state == DONE)

    def cancel_selected(self) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            self.queue.cancel(job_id)

    def retry_selected(self) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            self.queue.retry(job_id)

    def output_folder(self, job_id: str) -> Path:
        output = Path(self.queue.get(job_id).result.get("output") or self.queue.get(job_id).spec.output)
        return output if output.is_dir() else output.parent

    def reveal_selected(self) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.output_folder(job_id))))
