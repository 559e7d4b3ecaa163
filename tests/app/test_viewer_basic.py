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
