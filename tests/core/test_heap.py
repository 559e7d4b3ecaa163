"""heap.trim(): what a render calls between chunks to give back what the last chunk no longer uses."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from restoration_core import heap


class _Holder:
    """Stands for a finished chunk's window: a big array and a reference back to itself."""

    def __init__(self):
        self.data = np.zeros((256, 256, 3), np.float32)
        self.callback = lambda: self.data  # a closure over self: the cycle the restore's window had


def test_trim_frees_a_finished_chunks_reference_cycles():
    was_enabled = gc.isenabled()
    gc.disable()  # as when a full collection has not come round yet
    try:
        holder = _Holder()
        gone = weakref.ref(holder)
        del holder
        assert gone() is not None  # only the cyclic collector can free it
        heap.trim()
        assert gone() is None
    finally:
        if was_enabled:
            gc.enable()
