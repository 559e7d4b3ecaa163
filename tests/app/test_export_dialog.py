"""Export dialog: several presets at once, naming preview, never overwrite, jobs or in-dialog export."""

from __future__ import annotations

import json
from fractions import Fraction

import cv2
import numpy as np
import pytest

from app.export_dialog import ExportContext, ExportDialog, open_export_dialog
from restoration_core.render.naming import ExportItem


def _scan(folder, frames=4, size=(48, 64)):
    folder.mkdir()
    rng = np.random.default_rng(5)
    pics = [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(frames)]
    for k, pic in enumerate(pics):
        cv2.imwrite(str(folder / f"f_{k:04d}.png"), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))
    return pics


def _item(tmp_path, frames=4, name="Clip A"):
    return ExportItem(str(tmp_path / "scan"), "scan", name, (0, frames), Fraction(24), "01:00:00:00")


def _dialog(qtbot, context):
    dlg = ExportDialog(context)
    qtbot.addWidget(dlg)
    return dlg


def test_exports_two_presets_in_a_worker(qtbot, tmp_path):
    from restoration_core.media import open_reel

    pics = _scan(tmp_path / "scan")
    out = tmp_path / "out"
    out.mkdir()
    dlg = _dialog(qtbot, ExportContext([_item(tmp_path)], folder=str(out)))
    assert not dlg.restored.isEnabled()  # no job pool: a plain export here
    dlg.set_checked(dlg.presets, ["master", "png"])
    assert "scan_Clip_A_01-00-00-00_master.mkv" in dlg.preview.text() and dlg.export_button.isEnabled()
    dlg.start()
    qtbot.waitUntil(lambda: dlg.worker is None, timeout=20000)
    assert dlg.result is not None and "Done: 2 outputs" in dlg.status.text()
    for path in (out / "scan_Clip_A_01-00-00-00_master.mkv", out / "scan_Clip_A_01-00-00-00_png"):
        with open_reel(path) as reel:
            assert all(np.array_equal(f.data, pics[f.index]) for f in reel.frames())
    assert (out / "scan_Clip_A_01-00-00-00_master.report.json").is_file()
    # the same export again: refused in the preview, until overwriting is allowed
    dlg._update_preview()
    assert "already exists" in dlg.preview.text() and not dlg.export_button.isEnabled()
    dlg.overwrite.setChecked(True)
    assert dlg.export_button.isEnabled()


def test_cancel_leaves_nothing(qtbot, tmp_path):
    _scan(tmp_path / "scan", frames=60)
    out = tmp_path / "out"
    out.mkdir()
    dlg = _dialog(qtbot, ExportContext([_item(tmp_path, 60)], folder=str(out)))
    dlg.set_checked(dlg.presets, ["master"])
    dlg.start()
    dlg.cancel()
    qtbot.waitUntil(lambda: dlg.worker is None, timeout=20000)
    assert "Cancelled" in dlg.status.text()
    assert not [p for p in out.iterdir() if p.suffix == ".mkv" or p.name.startswith(".")]


def test_restored_export_queues_one_job_per_preset(qtbot, tmp_path):
    from restoration_core.jobs.queue import JobQueue

    _scan(tmp_path / "scan")
    queue = JobQueue()
    started = []
    items = [_item(tmp_path), _item(tmp_path, 2, "Clip B")]
    dlg = _dialog(qtbot, ExportContext(items, queue, lambda: started.append(1), folder=str(tmp_path)))
    assert dlg.restored.isChecked() and not dlg.audio.isEnabled()
    dlg.set_checked(dlg.clips, [0, 1])
    dlg.set_checked(dlg.presets, ["master", "access"])
    dlg.pattern.setText("{clip}_{preset}")
    dlg.start()
    specs = [j.spec for j in queue.jobs]
    assert [(s.preset, s.frame_range) for s in specs] == [("master", (0, 4)), ("access", (0, 4)),
                                                          ("master", (0, 2)), ("access", (0, 2))]
    assert specs[1].output == str(tmp_path / "Clip_A_access.mp4") and all(s.detect for s in specs)
    assert started == [1] and dlg.result is None


def test_bad_pattern_disables_export(qtbot, tmp_path):
    _scan(tmp_path / "scan")
    dlg = _dialog(qtbot, ExportContext([_item(tmp_path)], folder=str(tmp_path)))
    dlg.pattern.setText("{reel}_{when}")
    assert "unknown token" in dlg.preview.text() and not dlg.export_button.isEnabled()
    dlg.set_checked(dlg.presets, [])
    dlg.pattern.setText("{reel}")
    assert "no export preset" in dlg.preview.text()


def test_opens_from_the_main_window(qtbot, window):
    dlg = open_export_dialog(window)
    qtbot.addWidget(dlg)
    assert dlg.clips.count() == 0 and not dlg.export_button.isEnabled()
    assert any(a.text() == "Export…" for a in window.findChildren(type(window.menuBar().actions()[0])))


@pytest.fixture(autouse=True)
def _no_dialog_threads_left():
    yield
    from superqt.utils._qthreading import WorkerBase

    WorkerBase.await_workers(msecs=10000)


def test_review_is_rendered_by_the_first_job_of_each_clip(qtbot, tmp_path):
    from restoration_core.jobs.queue import JobQueue
    from restoration_core.media import open_reel
    from restoration_core.render.pipeline import render
    from restoration_core.render.spec import JobSpec

    _scan(tmp_path / "scan")
    queue = JobQueue(tmp_path / "jobs.json")
    dlg = _dialog(qtbot, ExportContext([_item(tmp_path)], queue, folder=str(tmp_path)))
    dlg.set_checked(dlg.presets, ["master", "access"])
    dlg.review.setChecked(True)
    dlg.layout_combo.setCurrentIndex(1)  # split
    dlg.start()
    master, access = queue.jobs
    review = tmp_path / "scan_Clip_A_01-00-00-00_master_review.mp4"
    assert master.spec.review == {"layout": "split", "preset": "access", "overwrite": False, "output": str(review)}
    assert access.spec.review is None, "only the clip's first output (the master) is reviewed"
    saved = JobSpec.from_dict(json.loads((tmp_path / "jobs.json").read_text())["jobs"][0]["spec"])
    assert saved.review == master.spec.review, "the review is part of the queued job, saved with it"
    stages = []
    for p in render(master.spec):        # what the worker runs
        stages.append(p.stage)
    assert "review" in stages and review.exists()
    with open_reel(review) as reel:
        assert len(reel) == 4 and (reel.info.width, reel.info.height) == (64, 48)  # split: one picture wide


def test_window_context_offers_the_marked_range(qtbot, window, reel_file):
    from tests.app.conftest import open_reel

    open_reel(qtbot, window, reel_file)
    window.transport.seek(2)
    window.transport.set_in()
    window.transport.seek(5)
    window.transport.set_out()
    dlg = open_export_dialog(window)
    qtbot.addWidget(dlg)
    [item] = dlg.context.items
    assert item.frame_range == window.transport.marked_range() and item.source == str(reel_file)
    assert item.fps == Fraction(24)
    exports = (window.session.project.folder / "exports").resolve()    # the project's, never beside the scan
    assert dlg.context.folder == str(exports) and exports.is_dir() and exports != reel_file.parent.resolve()
    assert "reel_range_" in dlg.preview.text()
