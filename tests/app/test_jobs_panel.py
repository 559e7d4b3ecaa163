"""The jobs panel: progress per job, cancel/retry, a failed job's log, and a GUI that keeps turning."""

from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QTimer  # noqa: E402

from app.jobs_panel import JobsPanel, format_time_left  # noqa: E402
from restoration_core.jobs.pool import WorkerPool  # noqa: E402
from restoration_core.jobs.queue import CANCELLED, DONE, FAILED, RUNNING, JobQueue  # noqa: E402
from restoration_core.render.spec import JobSpec  # noqa: E402
from tests.core.jobs import fakes  # noqa: E402


def _spec(tmp_path, name, frames=6, **kw):
    clip = fakes.make_clip(tmp_path / f"{name}.npy", frames=frames)
    return JobSpec(input=str(clip), output=str(tmp_path / f"{name}-out.npy"), name=name, **kw)


def test_event_loop_keeps_turning_while_jobs_run(qtbot, tmp_path):
    queue = JobQueue()
    slow = queue.add(_spec(tmp_path, "slow", frames=20, settings={"delay": 0.08}))
    ok = queue.add(_spec(tmp_path, "ok"))
    gone = _spec(tmp_path, "gone")
    os.remove(gone.input)
    gone = queue.add(gone)
    panel = JobsPanel(queue, WorkerPool(queue, workers=2, gpus=0, engines="tests.core.jobs.fakes"))
    qtbot.addWidget(panel)
    panel.show()

    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start()
    bars: list[int] = []
    try:
        def slow_running():
            job = queue.get(slow.id)
            if job.state == RUNNING and job.stage == "restore":
                bars.append(panel.progress_bar(slow.id).value())
            return queue.finished

        qtbot.waitUntil(slow_running, timeout=90_000)
    finally:
        heartbeat.stop()
        panel.shutdown()
    assert queue.get(slow.id).state == DONE and queue.get(ok.id).state == DONE
    assert queue.get(gone.id).state == FAILED
    assert len(ticks) > 20
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert max(gaps) < 1.0, f"the event loop stalled for {max(gaps):.2f} s"
    assert bars and 0 < min(bars) < 1000, "the bar showed intermediate progress"
    assert panel.progress_bar(slow.id).value() == 1000
    assert panel.selected_job_id() == gone.id, "a failed job is selected with its log shown"
    assert "input does not exist" in panel.log_view.toPlainText()
    assert panel.retry_button.isEnabled() and not panel.reveal_button.isEnabled()


def test_cancel_and_retry_buttons(qtbot, tmp_path):
    queue = JobQueue()
    job = queue.add(_spec(tmp_path, "clip", frames=20, settings={"delay": 0.05}, chunk=5))
    pool = WorkerPool(queue, workers=1, gpus=0, engines="tests.core.jobs.fakes")
    panel = JobsPanel(queue, pool)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: queue.get(job.id).stage == "restore" and queue.get(job.id).done >= 27,
                        timeout=60_000)
        panel.select(job.id)
        assert panel.cancel_button.isEnabled()
        assert format_time_left(queue.get(job.id)) != ""
        panel.cancel_button.click()
        qtbot.waitUntil(lambda: queue.get(job.id).state == CANCELLED, timeout=30_000)
        assert panel.table.item(0, 1).text() == CANCELLED
        assert panel.retry_button.isEnabled()
        panel.retry_button.click()
        qtbot.waitUntil(lambda: queue.get(job.id).state == DONE, timeout=60_000)
        assert queue.get(job.id).result["from_cache"] > 0, "the retry resumed from the render cache"
        assert panel.reveal_button.isEnabled()
        assert panel.output_folder(job.id) == tmp_path
    finally:
        panel.shutdown()
