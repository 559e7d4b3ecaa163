"""The archivist's loop end to end in the window: open -> detections -> paint -> preview -> queue."""

from __future__ import annotations

import numpy as np

from tests.app.conftest import open_reel


def test_open_review_paint_preview_and_queue_a_clip(qtbot, window, reel_file):
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
    clips = s.project.clips
    assert len(clips) == 1 and (clips[0].in_frame, clips[0].out_frame) == (2, 9)
    assert clips[0].job_state == "queued"
    jobs = window.jobs.queue.jobs if window.jobs.queue is not None else []
    assert len(jobs) == 1 and tuple(jobs[0].spec.frame_range) == (2, 9)
    assert jobs[0].spec.clip == clips[0].id and jobs[0].state == "queued"
