from __future__ import annotations

import numpy as np
import pytest

from restoration_core.atomic import atomic_path, atomic_write_text
from restoration_core.detect.flow import estimate_flow, reliable, warp
from restoration_core.errors import OutputError


def _textured(h=120, w=160, seed=0):
    rng = np.random.default_rng(seed)
    import cv2

    base = rng.random((h // 4, w // 4)).astype(np.float32)
    return cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)


def test_flow_recovers_a_shift_and_warp_aligns():
    ref = _textured(seed=1)
    other = np.roll(ref, shift=(0, 3), axis=(0, 1))  # other[p + (3, 0)] == ref[p]
    fw = estimate_flow(ref, other)
    bw = estimate_flow(other, ref)
    inner = (slice(10, -10), slice(10, -10))
    assert np.median(fw[inner][..., 0]) == pytest.approx(3.0, abs=0.3)
    aligned = warp(other, fw)
    assert np.mean(np.abs(aligned[inner] - ref[inner])) < 0.02
    assert reliable(fw, bw)[inner].mean() > 0.9


def test_a_flow_does_not_depend_on_the_images_seen_before():
    """OpenCV's DIS lowers an instance's finest scale for good after a tiny image; the shared
    instance is reset, so a long-lived process (the workbench, a test run) gets the same flows
    as a fresh one."""
    ref = _textured(seed=3)
    other = np.roll(ref, shift=(1, 2), axis=(0, 1))
    before = estimate_flow(ref, other)
    tiny = _textured(24, 32, seed=4)
    estimate_flow(tiny, np.roll(tiny, 1, axis=0))
    assert np.array_equal(estimate_flow(ref, other), before)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    atomic_write_text(final, "whole")
    assert final.read_text() == "whole"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_refuses_unwritable_destination(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        with atomic_path(blocker / "out.txt"):
            pass
    with pytest.raises(OutputError, match="refusing to overwrite"):
        with atomic_path(blocker, overwrite=False):
            pass
