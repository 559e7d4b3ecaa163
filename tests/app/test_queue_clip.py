"""Queue clip (Ctrl+Return) end to end: the real job runs in the real worker pool (no fake)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.app.conftest import open_reel


def test_a_queued_clip_renders_for_real_with_report_and_history(qtbot, window, tmp_path):
    from restoration_core.media import open_reel as open_media
    from tests.core.fixtures_media import make_png_sequence

    scan = tmp_path / "scan"
    make_png_sequence(scan, frames=6, size=(64, 48), bits=8)
    window.jobs.auto_run = True                     # the real WorkerPool, as a user gets it
    open_reel(qtbot, window, scan)
    s = window.session
    project = s.project
    assert not (project.folder / "renders").exists()
    mask = np.zeros((48, 64), bool)
    mask[20:24, 30:34] = True
    window.painter.commit(project, s.reel_id, 2, mask, "Test paint")
    window.transport.mark_in, window.transport.mark_out = 1, 5
    window.act_queue.trigger()                      # Restore > Queue clip (Ctrl+Return)

    host = window.jobs
    # the project is saved off the GUI thread, then the job is queued
    qtbot.waitUntil(lambda: host.queue is not None and len(host.queue.jobs) == 1, timeout=30_000)
    job = host.queue.jobs[0]
    qtbot.waitUntil(lambda: host.queue.get(job.id).state in ("done", "failed"), timeout=240_000)
    job = host.queue.get(job.id)
    assert job.state == "done", job.error

    out = Path(job.result["output"])
    assert out.parent == (project.folder / "renders").resolve(), "renders go to the project's folder"
    assert out.parent != scan.resolve() and out.parent != scan.parent.resolve(), "never beside the scan"
    assert out.is_file() and out.stat().st_size > 0
    rendered = open_media(str(out))
    try:
        assert len(rendered) == 4 and rendered.read(0).data.shape[:2] == (48, 64)
    finally:
        rendered.close()

    report = json.loads(Path(job.result["report"]).read_text())
    assert report["frame_range"] == [1, 5] and report["clip"] == project.clips[0].id
    assert any(iv["frame"] == 2 for iv in report["interventions"]), report["interventions"]

    qtbot.waitUntil(lambda: any(h.op == "restore" for h in s.project.history), timeout=30_000)
    (rec,) = [h for h in s.project.history if h.op == "restore"]
    assert 2 in [i.frame for i in s.project.interventions(rec.id)]
    assert s.project.clip(project.clips[0].id).job_state == "done"


def test_queue_clip_refuses_an_output_folder_that_holds_the_camera_original(tmp_path):
    from app.project_io import output_folder
    from restoration_core.errors import OutputError
    from restoration_core.project import Project

    project = Project.create(tmp_path / "film.reelwright")
    original = project.folder / "renders" / "camera.mov"      # a scan kept in the renders folder
    original.parent.mkdir()
    original.write_bytes(b"scan")
    with pytest.raises(OutputError, match="camera original camera.mov"):
        output_folder(project, "renders", [original])
    made = output_folder(project, "exports", [original])
    assert made.is_dir() and made == (project.folder / "exports").resolve()
