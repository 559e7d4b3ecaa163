"""Slow work runs off the GUI thread (superqt workers); brush strokes redraw at a bounded rate."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from app import background
from restoration_core.defects import Intervention
from tests.app.conftest import open_reel

ROOT = Path(__file__).resolve().parents[2]


def _off_gui(record: list):
    record.append(threading.current_thread() is not threading.main_thread())


def test_the_model_list_is_read_in_a_worker_the_first_time(qtbot, window, monkeypatch):
    from app import engine

    where: list[bool] = []

    def slow_list():
        _off_gui(where)
        time.sleep(0.2)
        return [{"name": "tiny", "path": "/models/tiny", "kind": "pixel", "present": True}]

    monkeypatch.setattr(background, "registry_loaded", lambda: False)
    monkeypatch.setattr(engine, "list_models", slow_list)
    insp = window.inspector
    t0 = time.perf_counter()
    with qtbot.waitSignal(insp.models_listed, timeout=5000):
        insp.refresh_models()
        assert time.perf_counter() - t0 < 0.15   # returned at once; the list fills in later
    assert where == [True]
    assert insp.model.findData("/models/tiny") > 0


def test_torch_is_never_imported_on_the_gui_thread(tmp_path):
    """In a fresh process (torch not yet loaded): the window lists models, torch arrives in a worker."""
    script = textwrap.dedent("""
        import os, sys, threading, importlib.abc
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        sys.path.insert(0, sys.argv[1])
        seen = []
        class Spy(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "torch":
                    seen.append(threading.current_thread() is threading.main_thread())
                return None
        sys.meta_path.insert(0, Spy())
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from app.main_window import MainWindow
        from app import background
        w = MainWindow()
        app.processEvents()
        before = "torch" in sys.modules            # the window alone does not load torch
        done = []
        w.inspector.models_listed.connect(lambda: done.append(1))
        w.inspector.model.showPopup()              # the model list is filled on first open
        import time
        end = time.monotonic() + 120
        while not done and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        w.shutdown()
        w.inspector.model.hidePopup()
        print("RESULT", before, bool(done), seen)
        sys.stdout.flush()
        os._exit(0)
    """)
    env = {"REELWRIGHT_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
           "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", script, str(ROOT)], capture_output=True, text=True,
                         timeout=180, env=env, cwd=tmp_path)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT")), out.stdout + out.stderr)
    assert line == "RESULT False True [False]", line  # listed; torch imported once, not on the GUI thread


def test_the_gpu_probe_runs_in_a_worker_before_the_pool_starts(qtbot, window, reel_file, monkeypatch):
    where: list[bool] = []

    def slow_probe():
        _off_gui(where)
        time.sleep(0.3)       # nvidia-smi may take up to its 10 s timeout
        return 0

    monkeypatch.setattr(background, "gpu_count", slow_probe)
    open_reel(qtbot, window, reel_file)
    host = window.jobs
    assert host.queue is not None
    host.auto_run = True
    t0 = time.perf_counter()
    host.start_runner()
    assert time.perf_counter() - t0 < 0.2 and host.runner is None
    qtbot.waitUntil(lambda: host.runner is not None, timeout=5000)
    assert where == [True] and host.gpus == 0
    assert not any(slot.gpu for slot in host.runner.slots)


def test_the_sample_reel_is_made_in_a_worker(qtbot, window, reel_file, monkeypatch):
    from app import engine

    where: list[bool] = []

    def make(folder, **kwargs):
        _off_gui(where)
        time.sleep(0.2)
        return reel_file

    monkeypatch.setattr(engine, "make_sample_reel", make)
    with qtbot.waitSignal(window.controller.opened, timeout=10000):
        window.open_sample()
        assert window.session.reel is None      # not opened yet: the sample is still being made
    assert where == [True] and window.session.reel.path == reel_file


def test_a_finished_render_is_recorded_from_a_worker(qtbot, window, reel_file, tmp_path, monkeypatch):
    open_reel(qtbot, window, reel_file)
    s = window.session
    p = s.project
    m = np.zeros((90, 160), bool)
    m[5:9, 5:9] = True
    p.masks.set(s.reel_id, 3, "painted", m)
    where: list[bool] = []
    real = p.mask_digests
    monkeypatch.setattr(p, "mask_digests", lambda *a: (_off_gui(where), real(*a))[1])
    report = tmp_path / "report.json"
    iv = Intervention(3, (5, 5, 4, 4), 16, "painted", "temporal", source_frames=(2, 4))
    report.write_text(json.dumps({"reel": s.reel_id, "clip": None, "frame_range": [0, 12],
                                  "created": "2026-12-01T00:00:00Z", "interventions": [iv.to_dict()]}))
    from app.jobs_dock import record_render

    told: list[str] = []
    record_render(window, p, str(report), lambda msg, ms=0: told.append(msg))
    assert p.history == []                               # nothing done on the GUI thread yet
    qtbot.waitUntil(lambda: len(p.history) == 1, timeout=5000)
    assert where == [True] and not told
    assert p.history[0].params["mask_digests"].keys() == {"3"}
    assert [taken for *_x, taken in p.repairs_in_frame(s.reel_id, 3)] == [False]


def test_file_save_writes_in_a_worker(qtbot, window, reel_file, monkeypatch):
    from app import project_io
    from restoration_core.project import Project
    from restoration_core.project.saving import SaveJob

    open_reel(qtbot, window, reel_file)
    s = window.session
    m = np.zeros((90, 160), bool)
    m[1, 1] = True
    window.painter.commit(s.project, s.reel_id, 0, m, "Dab")
    assert s.project.dirty
    where: list[bool] = []
    real_write = SaveJob.write
    monkeypatch.setattr(SaveJob, "write", lambda self: (_off_gui(where), real_write(self))[1])
    project_io.save_in_background(window)
    qtbot.waitUntil(lambda: not s.project.dirty, timeout=5000)
    assert where == [True]
    assert Project.load(s.project.folder).masks.get(s.reel_id, 0, "painted")[1, 1]


def _screen(window, x: float, y: float) -> QPoint:
    cv = window.viewer.canvas
    return cv.to_screen(QPointF(x, y), cv.panels()[0]).toPoint()


def test_a_fast_stroke_redraws_at_a_bounded_rate_and_loses_no_point(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    window.paint.tool = "brush"
    window.paint.size = 2
    window.paint.hardness = 1.0
    cv, painter = window.viewer.canvas, window.painter
    qtbot.mousePress(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 10.5, 20.5))
    xs = list(range(11, 150))
    for x in xs:                                          # 139 mouse events in one burst
        qtbot.mouseMove(cv, _screen(window, x + 0.5, 20.5))
    qtbot.mouseRelease(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 150.5, 20.5))
    assert painter.redraws < len(xs) // 4               # not one overlay rebuild per event
    mask = window.session.project.masks.get(window.session.reel_id, 0, "painted")
    assert mask[20, 10:151].all() and not mask[40:, :].any()   # every event was stamped
