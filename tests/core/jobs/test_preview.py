"""Previews with a model are restored in a worker process that survives its own crashes."""

from __future__ import annotations

import os

import numpy as np
import pytest

from restoration_core.errors import InputError
from restoration_core.render.pipeline import PreviewPlan

pytest.importorskip("diffusers")


def _plan(index, mask):
    """The frame's own mask only (its neighbours have none): what plan_preview gives such a clip."""
    return PreviewPlan(index, index, {index: mask}, {})


def test_preview_worker_restores_in_another_process_and_recovers_from_a_crash(tmp_path):
    from restoration_core.jobs.preview import PreviewWorker
    from tests.core.fixtures_media import make_png_sequence
    from tests.core.tiny_models import build_pixel_unet

    make_png_sequence(tmp_path / "scan", frames=4, size=(64, 48), bits=8)
    model = build_pixel_unet(tmp_path / "px")
    mask = np.zeros((48, 64), bool)
    mask[20:26, 30:36] = True
    settings = {"engine": "diffusion", "seed": 2}
    worker = PreviewWorker()
    try:
        first = worker.restore(str(tmp_path / "scan"), _plan(1, mask), settings, str(model), steps=2)
        pid = worker._proc.pid
        assert pid != os.getpid() and first.shape == (48, 64, 3) and first.dtype == np.uint8
        again = worker.restore(str(tmp_path / "scan"), _plan(1, mask), settings, str(model), steps=2)
        assert worker._proc.pid == pid and np.array_equal(first, again), "model kept, seeded fill repeats"
        with pytest.raises(InputError, match="no such model"):
            worker.restore(str(tmp_path / "scan"), _plan(1, mask), settings, str(tmp_path / "nothing"), steps=2)
        worker._proc.kill()                      # died between requests: replaced
        worker._proc.join(5)
        after = worker.restore(str(tmp_path / "scan"), _plan(1, mask), settings, str(model), steps=2)
        assert worker._proc.pid != pid and np.array_equal(after, first)
        # the same pipeline step in this process gives the same pixels
        from restoration_core.diffusion import load_fill_engine
        from restoration_core.media import open_reel
        from restoration_core.progress import run_to_end
        from restoration_core.render.engines import engines
        from restoration_core.render.pipeline import restore_preview

        eng = engines()
        with open_reel(tmp_path / "scan") as reel:
            here = run_to_end(restore_preview(reel, _plan(1, mask), eng.restore_settings(settings), eng,
                                              fill_engine=load_fill_engine(str(model), steps=2)))
        assert np.array_equal(here.data, first)
    finally:
        worker.close()
    assert worker._proc is None


def test_a_crash_during_a_preview_is_an_error_and_the_next_preview_works(tmp_path):
    from restoration_core.jobs.preview import PreviewWorker
    from tests.core.fixtures_media import make_png_sequence
    from tests.core.tiny_models import build_pixel_unet

    class CrashOnce(PreviewWorker):
        crashed = False

        def _receive(self):
            if not self.crashed:              # the worker dies while it works on the request
                self.crashed = True
                self._proc.kill()
                self._proc.join(5)
            return super()._receive()

    make_png_sequence(tmp_path / "scan", frames=3, size=(64, 48), bits=8)
    model = build_pixel_unet(tmp_path / "px")
    mask = np.zeros((48, 64), bool)
    mask[10:14, 10:14] = True
    worker = CrashOnce()
    try:
        with pytest.raises(InputError, match="preview worker stopped") as err:
            worker.restore(str(tmp_path / "scan"), _plan(0, mask), {"engine": "diffusion"}, str(model), 2)
        assert "\n" not in str(err.value)
        out = worker.restore(str(tmp_path / "scan"), _plan(0, mask), {"engine": "diffusion"}, str(model), 2)
        assert out.shape == (48, 64, 3)
    finally:
        worker.close()


def test_preview_progress_is_reported_and_cancel_ends_it(tmp_path):
    import threading

    from restoration_core.errors import Cancelled
    from restoration_core.jobs.preview import PreviewWorker
    from tests.core.fixtures_media import make_png_sequence
    from tests.core.tiny_models import build_pixel_unet

    make_png_sequence(tmp_path / "scan", frames=3, size=(64, 48), bits=8)
    model = build_pixel_unet(tmp_path / "px")
    mask = np.zeros((48, 64), bool)
    mask[10:20, 10:20] = True
    settings = {"engine": "diffusion"}
    worker = PreviewWorker()
    try:
        seen = []
        worker.restore(str(tmp_path / "scan"), _plan(0, mask), settings, str(model), 2,
                       on_progress=lambda *p: seen.append(p))
        assert seen and seen[0][2] == "load", seen        # loading the model, then the steps
        stopped = []

        def cancel_on_first_progress(*p):
            if not stopped:
                stopped.append(p)
                threading.Thread(target=worker.cancel).start()   # as the GUI's Esc does

        with pytest.raises(Cancelled):
            worker.restore(str(tmp_path / "scan"), _plan(1, mask), settings, str(model), 50,
                           on_progress=cancel_on_first_progress)
        out = worker.restore(str(tmp_path / "scan"), _plan(0, mask), settings, str(model), 2)
        assert out.shape == (48, 64, 3)
    finally:
        worker.close()
