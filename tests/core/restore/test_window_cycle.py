"""The restore's sliding window is freed as soon as it is dropped, not at the next gc pass.

Its flow cache once held a lambda back to the window: every chunk's frames, float pictures
and flows waited for a full collection, and a render's peak memory grew with its length."""

from __future__ import annotations

import gc
import types
import weakref

import numpy as np

from restoration_core.restore.pipeline import _Window


class _Reel:
    def frames(self, lo: int, hi: int):
        for j in range(lo, hi):
            data = np.full((36, 64, 3), 100, np.uint8)
            data[10:14, 10 + j:14 + j] = 200
            yield types.SimpleNamespace(data=data, timecode=None)


def _mask(_j: int) -> np.ndarray:
    m = np.zeros((36, 64), bool)
    m[20:23, 30:33] = True
    return m


def test_a_dropped_window_is_freed_without_the_cycle_collector():
    gc.disable()
    try:
        window = _Window(_Reel(), 0, 6, 2, _mask)
        window.advance(2)
        assert window.flows is not None and window.masks
        ref = weakref.ref(window)
        del window
        assert ref() is None, "something in the window refers back to it (a reference cycle)"
    finally:
        gc.enable()
