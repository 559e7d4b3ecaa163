from __future__ import annotations

import numpy as np
import pytest

from restoration_core.atomic import atomic_path, atomic_write_text
from restoration_core.detect.flow import FlowStore, estimate_flow, reliable, warp
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


def _moving(n: int, step: int, h: int = 120, w: int = 160) -> list[np.ndarray]:
    base = _textured(h, w + n * step, seed=5)
    return [np.ascontiguousarray(base[:, k * step: k * step + w]) for k in range(n)]


def test_flow_store_computes_each_flow_once_and_scales_it():
    frames = _moving(3, 2)  # frame k+1 is frame k moved 2 px left: flow k -> k+1 is -2 in x
    store = FlowStore()
    for k, f in enumerate(frames):
        store.add(k, f)
    inner = (slice(12, -12), slice(24, -12))
    near = store.flow(0, 1, (160, 120))
    assert np.median(near[inner][..., 0]) == pytest.approx(-2.0, abs=0.3)
    assert store.flow(0, 1, (160, 120)) is near and store.computed == 1  # held, not computed again
    two = store.flow(0, 2, (160, 120))
    assert store.computed == 2 and np.median(two[inner][..., 0]) == pytest.approx(-4.0, abs=0.5)
    half = store.flow(0, 1, (80, 60))  # scaled to a smaller picture, in its pixels
    assert half.shape == (60, 80, 2) and np.median(half[6:-6, 12:-6, 0]) == pytest.approx(-1.0, abs=0.2)
    low = FlowStore(max_side=80)  # computed on pictures at most 80 px wide, scaled back up
    low.add(0, frames[0])
    low.add(1, frames[1])
    assert low.native(0, 1).shape == (60, 80, 2)
    assert np.median(low.flow(0, 1, (160, 120))[inner][..., 0]) == pytest.approx(-2.0, abs=0.4)


def test_flow_store_bounded_and_a_flow_computed_again_is_the_same():
    frames = _moving(6, 1)
    mask = np.zeros((120, 160), bool)
    mask[50:60, 70:80] = True
    small = FlowStore(keep=2, pictures=2)
    whole = FlowStore()
    for k, f in enumerate(frames):
        whole.add(k, f, mask if k == 3 else None)
    got = []
    for k in range(5):
        small.add(k, frames[k], mask if k == 3 else None)
        small.add(k + 1, frames[k + 1], mask if k + 1 == 3 else None)
        got.append(small.flow(k, k + 1, (160, 120)))
        assert len(small._flows) <= 2 and len(small._pictures) <= 2
    for k in range(5):
        assert np.array_equal(got[k], whole.flow(k, k + 1, (160, 120)))
    with pytest.raises(KeyError, match="frame 0"):
        small.flow(0, 1, (160, 120))  # its pictures have left the store
    with pytest.raises(ValueError, match="80x60"):
        small.add(9, np.zeros((60, 80), np.float32))


def test_flow_store_with_a_margin_computes_flows_only_around_either_frames_damage():
    frames = _moving(3, 2, h=240, w=320)
    first, second = np.zeros((240, 320), bool), np.zeros((240, 320), bool)
    first[40:50, 40:48] = True  # frame 0's damage, top left
    second[180:190, 250:260] = True  # frame 1's, bottom right
    store = FlowStore(margin=16)
    store.add(0, frames[0], first)
    store.add(1, frames[1], second)
    store.add(2, frames[2])
    boxes = store.boxes(0, 1)
    assert boxes == store.boxes(1, 0) and len(boxes) == 2  # one box around each frame's damage
    assert boxes[0] == (24, 66, 24, 64) and boxes[1] == (164, 206, 234, 276)
    assert store.boxes(1, 2) == [boxes[1]]  # frame 2 has no damage: frame 1's box alone
    flow = store.flow(0, 1, (320, 240))
    inside = np.zeros((240, 320), bool)
    for y0, y1, x0, x1 in boxes:
        inside[y0:y1, x0:x1] = True
        assert np.median(flow[y0 + 4:y1 - 4, x0 + 4:x1 - 4, 0]) == pytest.approx(-2.0, abs=0.3)
    assert not flow[~inside].any()  # nothing computed (zero) away from the damage
    half = store.flow(0, 1, (160, 120))  # scaled with its boxes, in the smaller picture's pixels
    assert store.frame_boxes(0, 1, (160, 120))[0] == (12, 33, 12, 32)
    assert np.median(half[14:31, 14:30, 0]) == pytest.approx(-1.0, abs=0.2) and not half[60:, :100].any()
    whole = FlowStore(margin=16)  # damage all over: one flow of the whole picture
    spread = np.zeros((240, 320), bool)
    spread[::40, ::40] = True
    whole.add(0, frames[0], spread)
    whole.add(1, frames[1])
    assert whole.boxes(0, 1) == [(0, 240, 0, 320)]


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
