"""The frame scan keeps a few thumbnails, not the clip's: its memory does not grow with the reel."""

from __future__ import annotations

import numpy as np

from restoration_core.detect import frames as frames_module
from restoration_core.detect.frames import Classifier, scan_frames
from restoration_core.progress import run_to_end
from tests.core.detect.scenes import ArrayReel, texture


def test_scan_holds_at_most_four_thumbnails_and_still_finds_every_kind(monkeypatch):
    big = texture(120, 160 + 2 * 40, 3)
    data = [np.repeat((big[:, 2 * k: 2 * k + 160, None] * 255).astype(np.uint8), 3, axis=2) for k in range(40)]
    other = texture(120, 160, 9)
    for k in range(25, 40):  # a new shot from frame 25 on
        data[k] = np.repeat((np.roll(other, 2 * k, axis=1)[:, :, None] * 255).astype(np.uint8), 3, axis=2)
    data[8] = np.zeros_like(data[8])  # black
    data[15] = data[14].copy()  # duplicate
    held = []
    real_add = Classifier.add

    def add(self, thumb):
        real_add(self, thumb)
        held.append(len(self._thumbs))

    monkeypatch.setattr(frames_module.Classifier, "add", add)
    scan = run_to_end(scan_frames(ArrayReel(data)))
    assert len(held) == 40 and max(held) <= 4
    assert {d.frame: d.kind for d in scan.defects} == {8: "black", 15: "duplicate", 25: "splice"}
    assert scan.count == 40 and scan.cuts() == [25]
