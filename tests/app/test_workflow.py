"""The archivist's loop end to end in the window: open -> detections -> paint -> preview -> queue."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from app import background
from tests.app.conftest import open_reel, wait_frame


def test_open_review_paint_preview_and_queue_a_clip(qtbot, window, reel_file, tmp_path):
    with qtbot.waitSignal(window.controller.analysis_done, timeout=60_000,
                          check_params_cb=lambda i: i == 0):
        open_reel(qtbot, window, reel_file)
    s = window.session
    assert 0 in s.detections, "the shown frame was analysed in the background"

    # paint over the dark speck of frame 0 (rows 40..43, columns 60..63)
    mask = np.zeros((90, 160), bool)
    mask[38:46, 58:66] = True
    window.painter.commit(s.project, s.reel_id, 0, mask, "Test paint")
    assert s.project.repair_mask(s.reel_id, 0, (90, 160))[41, 61]

    window.compare.mode = "wipe"
    with qtbot.waitSignal(s.preview_ready, timeout=60_000):
        window.preview_frame()
    qtbot.waitUntil(lambda: window.viewer.after_data is not None, timeout=10_000)
    before, after = window.viewer.data, window.viewer.after_data
    assert after.shape == before.shape and after.dtype == before.dtype
    assert after[40:44, 60:64].mean() > before[40:44, 60:64].mean() + 40, "the speck was repaired"
    far = np.ones((90, 160), bool)
    far[38 - 8:46 + 8, 58 - 8:66 + 8] = False      # beyond the feather radius (at most 8 px)
    assert np.array_equal(after[far], before[far]), "pixels away from the repair are bit-exact"

    window.transport.mark_in, window.transport.mark_out = 2, 9
    window.queue_clip()
    # the project is saved off the GUI thread first; the job is queued when the save lands
    qtbot.waitUntil(lambda: window.jobs.queue is not None and len(window.jobs.queue.jobs) == 1, timeout=30_000)
    clips = s.project.clips
    assert len(clips) == 1 and (clips[0].in_frame, clips[0].out_frame) == (2, 9)
    assert clips[0].job_state == "queued"
    jobs = window.jobs.queue.jobs if window.jobs.queue is not None else []
    assert len(jobs) == 1 and tuple(jobs[0].spec.frame_range) == (2, 9)
    assert jobs[0].spec.clip == clips[0].id and jobs[0].state == "queued"

    # the job finishes (as the worker pool reports it): its interventions enter the history
    report = tmp_path / "render.json"
    report.write_text(json.dumps({
        "created": "2026-12-01T08:00:00+00:00", "reel": s.reel_id, "clip": clips[0].id, "frame_range": [2, 9],
        "output": str(tmp_path / "render.mov"), "settings": {"engine": "auto"},
        "interventions": [{"frame": 4, "bbox": [60, 40, 4, 4], "area": 16, "kind": "dust",
                           "method": "temporal", "source_frames": [3, 5]}]}))
    window.jobs.queue.mark_done(jobs[0].id, {"output": str(tmp_path / "render.mov"), "report": str(report)})
    # the report is read in a worker thread, recorded on the GUI thread: wait for both deliveries
    qtbot.waitUntil(lambda: background.wait_idle(0) and any(h.op == "restore" for h in s.project.history),
                    timeout=30_000)
    qtbot.wait(50)
    (rec,) = [h for h in s.project.history if h.op == "restore"]
    assert [i.frame for i in s.project.interventions(rec.id)] == [4] and clips[0].job_state == "done"

    # review the repairs of frame 4 and take one back: later renders leave it as scanned
    window.transport.seek(4)
    wait_frame(qtbot, window, 4)
    insp = window.inspector
    assert insp.repairs.count() == 1 and "dust, temporal from frames 3, 5" in insp.repairs.item(0).text()
    speck = np.zeros((90, 160), bool)
    speck[40:44, 60:64] = True
    window.painter.commit(s.project, s.reel_id, 4, speck, "Test paint")
    assert s.project.repair_mask(s.reel_id, 4, (90, 160))[41, 61]
    insp.repairs.setCurrentRow(0)
    insp.take_back.click()
    left = s.project.repair_mask(s.reel_id, 4, (90, 160))
    assert left is None or not left[40:44, 60:64].any()
    assert insp.repairs.item(0).text().startswith("[taken back]")
    window.undo_stack.undo()
    assert s.project.repair_mask(s.reel_id, 4, (90, 160))[41, 61]


def test_a_registered_model_is_chosen_in_the_inspector_for_preview_and_jobs(qtbot, window, tmp_path):
    pytest.importorskip("diffusers")
    from app import engine
    from tests.core.fixtures_media import make_png_sequence
    from tests.core.tiny_models import build_pixel_unet

    make_png_sequence(tmp_path / "scan", frames=6, size=(96, 64), bits=8)   # a real reel on disk:
    folder = build_pixel_unet(tmp_path / "tiny-pixel")                   # the preview process opens it
    engine.add_model(folder)                       # as `reelwright models add` would
    insp = window.inspector
    insp.refresh_models()
    i = insp.model.findData(str(folder.resolve()))
    assert i > 0, [insp.model.itemText(k) for k in range(insp.model.count())]
    insp.model.setCurrentIndex(i)
    insp.engine.setCurrentText("diffusion")
    insp.steps.setValue(2)
    open_reel(qtbot, window, tmp_path / "scan")
    s = window.session
    mask = np.zeros((64, 96), bool)
    mask[30:38, 40:48] = True
    window.painter.commit(s.project, s.reel_id, 0, mask, "Test paint")
    with qtbot.waitSignal(s.preview_ready, timeout=180_000):
        window.preview_frame()
    after, before = s.previews[0], window.viewer.data
    assert not np.array_equal(after[mask], before[mask]), "the model filled the painted region"
    far = np.ones((64, 96), bool)
    far[22:46, 32:56] = False
    assert np.array_equal(after[far], before[far])
    previewer = window.controller._previewer
    assert previewer is not None and previewer._proc.pid != os.getpid(), "the model ran in another process"
    window.queue_clip()
    qtbot.waitUntil(lambda: window.jobs.queue is not None and len(window.jobs.queue.jobs) == 1, timeout=30_000)
    spec = window.jobs.queue.jobs[0].spec
    assert spec.settings["engine"] == "diffusion"
    assert spec.settings["model"] == str(folder.resolve()) and spec.settings["steps"] == 2


def test_diffusion_without_a_model_is_refused_with_a_message(qtbot, window, reel_file, monkeypatch):
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, text: shown.append(text))
    open_reel(qtbot, window, reel_file)
    window.inspector.engine.setCurrentText("diffusion")
    window.preview_frame()
    assert shown and "needs a model" in shown[0]


def test_reopening_a_project_runs_its_queued_jobs_and_records_them(qtbot, window, tmp_path):
    from restoration_core.jobs.queue import JobQueue
    from restoration_core.project import Project
    from restoration_core.render.spec import JobSpec
    from tests.core.fixtures_media import make_png_sequence

    make_png_sequence(tmp_path / "scan", frames=5, size=(64, 48), bits=8)
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(tmp_path / "scan", fixity=False)
    clip = project.add_clip(reel.id, 1, 4, settings={"engine": "temporal"})
    m = np.zeros((48, 64), bool)
    m[20:24, 30:34] = True
    project.masks.set(reel.id, 2, "painted", m)
    project.save()
    (tmp_path / "out").mkdir()
    queue = JobQueue(project.folder / "jobs.json")   # left queued by an earlier session
    queue.add(JobSpec(project=str(project.folder), clip=clip.id, output=str(tmp_path / "out" / "clip"),
                      preset="png", detect=False, name="clip"))
    del queue
    window.jobs.auto_run = True
    window.open_path(str(project.folder))
    qtbot.waitUntil(lambda: window.session.project is not None and window.jobs.queue is not None, timeout=30_000)
    host = window.jobs
    qtbot.waitUntil(lambda: host.queue.jobs[0].state in ("done", "failed"), timeout=120_000)
    assert host.queue.jobs[0].state == "done", host.queue.jobs[0].error
    written = sorted(p.name for p in (tmp_path / "out" / "clip").iterdir())
    assert written == ["clip_000002.png", "clip_000003.png", "clip_000004.png"]   # the clip's frames 1..3
    qtbot.waitUntil(lambda: any(h.op == "restore" for h in window.session.project.history), timeout=30_000)
    (rec,) = [h for h in window.session.project.history if h.op == "restore"]
    assert [i.frame for i in window.session.project.interventions(rec.id)] == [2]
    assert window.session.project.clip(clip.id).job_state == "done"


def test_a_preview_with_a_model_that_went_missing_gives_one_dialog(qtbot, window, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    import shutil

    from PySide6.QtWidgets import QMessageBox

    from app import engine
    from tests.core.fixtures_media import make_png_sequence
    from tests.core.tiny_models import build_pixel_unet

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    make_png_sequence(tmp_path / "scan", frames=4, size=(64, 48), bits=8)
    folder = build_pixel_unet(tmp_path / "gone")
    engine.add_model(folder)
    window.inspector.refresh_models()
    window.inspector.model.setCurrentIndex(window.inspector.model.findData(str(folder.resolve())))
    window.inspector.engine.setCurrentText("diffusion")
    shutil.rmtree(folder)                                  # the drive with the model was unmounted
    open_reel(qtbot, window, tmp_path / "scan")
    s = window.session
    m = np.zeros((48, 64), bool)
    m[10:14, 10:14] = True
    window.painter.commit(s.project, s.reel_id, 0, m, "Test paint")
    with qtbot.waitSignal(window.controller.preview_failed, timeout=120_000):
        window.preview_frame()
    assert len(shown) == 1 and "gone" in shown[0] and "\n" not in shown[0], shown
    assert 0 not in s.previews


def test_esc_cancels_a_running_preview(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    s = window.session
    m = np.zeros((90, 160), bool)
    m[38:46, 58:66] = True
    window.painter.commit(s.project, s.reel_id, 0, m, "Test paint")
    messages = []
    window.controller.status.connect(messages.append)
    window.preview_frame()
    window.controller.cancel_preview()
    qtbot.waitUntil(lambda: any("cancelled" in t for t in messages), timeout=30_000)
    assert 0 not in s.previews
    window.preview_frame()                       # the next preview runs as usual
    qtbot.waitUntil(lambda: 0 in s.previews, timeout=60_000)
