"""Open a generated reel in the workbench and scrub it."""

from __future__ import annotations

import numpy as np

from tests.app.conftest import open_reel, wait_frame


def test_open_and_scrub(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    assert window.session.frames == 12
    assert window.viewer.data.shape == (90, 160, 3)
    for f in (3, 7, 11, 5):
        window.transport.seek(f)
    wait_frame(qtbot, window, 5)
    assert window.viewer.data[0, 0, 0] == (0 + 5 * 3) % 256
    window.transport.step(1)
    wait_frame(qtbot, window, 6)
    assert np.array_equal(window.viewer.data, window.controller.frames.full(6))


def test_the_viewer_frame_cache_is_bounded_in_bytes(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    frames = window.controller.frames
    one = 90 * 160 * 3 + 90 * 160 * 4          # the frame's data and its RGB32 display image
    frames.cache_bytes = 3 * one
    for f in range(8):
        window.transport.seek(f)
        wait_frame(qtbot, window, f)
    assert len(frames.cache) == 3 and frames.cached_bytes <= 3 * one
    assert list(frames.cache) == [5, 6, 7], "the most recently shown frames are kept"
