"""Frame rebuild: runs, motion-compensated interpolation, bit-exact pass-through, tear repair."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.errors import InputError
from restoration_core.media.frame import Frame
from restoration_core.metrics.quality import psnr
from restoration_core.restore.rebuild import (
    RebuiltReel,
    choose,
    extrapolations,
    interpolate,
    plan_runs,
    rebuild_run,
    repair_region,
    steps_beyond,
)


def moving_square(n: int = 8, dtype=np.uint16, speed: int = 4, positions=None) -> list[np.ndarray]:
    """A bright textured square moving ``speed`` px per frame (or through ``positions``) over a
    textured still background."""
    rng = np.random.default_rng(0)
    bg = np.clip(0.3 + 0.1 * rng.standard_normal((64, 96, 1)).repeat(3, 2), 0, 1).astype(np.float32)
    bg = cv2.GaussianBlur(bg, (0, 0), 1.0)
    patch = np.clip(0.8 + 0.1 * rng.standard_normal((16, 16, 3)), 0, 1).astype(np.float32)
    top = 65535.0 if dtype == np.uint16 else 255.0
    out = []
    for k in range(n):
        img = bg.copy()
        x = 10 + speed * k if positions is None else positions[k]
        img[24:40, x:x + 16] = patch
        out.append(np.clip(img * top + 0.5, 0, top).astype(dtype))
    return out


class ListReel:
    def __init__(self, frames):
        self._frames = frames
        h, w = frames[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": len(frames)})()

    def __len__(self):
        return len(self._frames)

    def frames(self, start=0, stop=None):
        for i in range(start, len(self._frames) if stop is None else stop):
            yield Frame(self._frames[i], i, f"tc{i}")

    def close(self):
        pass


def test_plan_runs_groups_frames_and_refuses_long_runs():
    runs = plan_runs([12, 40, 41, 42], 100)
    assert [(r.start, r.stop, r.before, r.after) for r in runs] == [(12, 13, 11, 13), (40, 43, 39, 43)]
    assert runs[1].moment(41) == pytest.approx(0.5)
    assert plan_runs([0], 5)[0].method == "repeat"
    with pytest.raises(InputError):
        plan_runs([3, 4, 5, 6], 10)
    with pytest.raises(InputError):
        plan_runs([10], 10)
    # the good frames beyond the neighbours, where they are not listed themselves
    assert [(r.outer_before, r.outer_after) for r in plan_runs([3, 5, 9], 10)] == [(1, None), (None, 7), (7, None)]
    assert [(r.outer_before, r.outer_after) for r in plan_runs([1, 5], 8)] == [(None, 3), (3, 7)]


def test_interpolation_beats_blending_on_motion():
    frames = moving_square(3, np.uint8)
    mid = interpolate(frames[0], frames[2], 0.5)
    rebuilt = np.clip(mid * 255 + 0.5, 0, 255).astype(np.uint8)
    blend = ((frames[0].astype(np.float32) + frames[2]) / 2 + 0.5).astype(np.uint8)
    assert psnr(rebuilt, frames[1]) > psnr(blend, frames[1]) + 3.0


def test_rebuilt_reel_replaces_only_listed_frames_at_full_bit_depth():
    frames = moving_square(8)
    frames[3] = np.zeros_like(frames[3])  # a black frame
    reel = RebuiltReel(ListReel(frames), [3, 6])
    out = list(reel.frames())
    assert [f.index for f in out] == list(range(8))
    for f in out:
        if f.index not in (3, 6):
            assert f.data is frames[f.index]  # untouched frames are passed through as read
    assert out[3].data.dtype == np.uint16 and out[3].data.mean() > 10000
    assert out[3].timecode == "tc3"
    truth = moving_square(8)[3]
    assert psnr(out[3].data, truth) > 30
    assert [f.index for f in reel.frames(3, 4)] == [3]
    assert [f.index for f in reel.frames(4, 6)] == [4, 5] and reel.read(4).data is frames[4]
    assert np.array_equal(reel.read(3).data, out[3].data)
    entries = reel.interventions()
    assert [(e.frame, e.source_frames, e.kind) for e in entries] == [(3, (2, 4), "rebuild"), (6, (5, 7), "rebuild")]


def test_repair_region_changes_only_the_region_and_its_feather():
    frames = moving_square(3)
    torn = frames[1].copy()
    mask = np.zeros(torn.shape[:2], bool)
    mask[20:44, 20:50] = True
    torn[mask] = 65535
    fixed = repair_region(frames[0], torn, frames[2], mask, feather=2)
    far = np.ones(mask.shape, bool)
    far[17:47, 17:53] = False
    assert np.array_equal(fixed[far], torn[far])
    assert psnr(fixed, frames[1]) > psnr(torn, frames[1]) + 10
    with pytest.raises(InputError):
        repair_region(frames[0], torn, frames[2], mask[:10])


def test_rebuilt_reel_repairs_a_tear_area_only():
    frames = moving_square(6)
    truth = [f.copy() for f in frames]
    mask = np.zeros(frames[0].shape[:2], bool)
    mask[30:60, 50:90] = True
    frames[2] = frames[2].copy()
    frames[2][mask] = 0  # a burnt hole
    reel = RebuiltReel(ListReel(frames), [4], tears={2: mask, 3: mask, 5: mask})
    out = {f.index: f.data for f in reel.frames()}
    assert [(r.start, r.region is not None) for r in reel.runs] == [(2, True), (4, False)]
    far = np.ones(mask.shape, bool)
    far[25:65, 45:95] = False
    assert np.array_equal(out[2][far], frames[2][far])
    assert psnr(out[2], truth[2]) > psnr(frames[2], truth[2]) + 10
    assert out[3] is frames[3] and out[5] is frames[5]  # next to a rebuilt frame or at the end: left alone
    tear = [e for e in reel.interventions() if e.kind == "tear"]
    assert [(e.frame, e.bbox, e.source_frames) for e in tear] == [(2, (48, 28, 44, 34), (1, 3))]  # grown 2 px


def test_rebuilt_frames_are_computed_once_for_every_reader(monkeypatch):
    from restoration_core.restore import rebuild

    calls = []
    real = rebuild.rebuild_run
    monkeypatch.setattr(rebuild, "rebuild_run", lambda *a: calls.append(a[0].start) or real(*a))
    frames = moving_square(6)
    built = rebuild.BuiltFrames()
    first = [f.data for f in RebuiltReel(ListReel(frames), [2], built=built).frames()]
    again = RebuiltReel(ListReel(frames), [2], built=built).read(2).data
    assert calls == [2] and np.array_equal(first[2], again)
    small = rebuild.BuiltFrames(max_bytes=10)  # nothing fits: computed each time, same pixels
    RebuiltReel(ListReel(frames), [2], built=small).read(2)
    RebuiltReel(ListReel(frames), [2], built=small).read(2)
    assert calls == [2, 2, 2]


def test_a_tear_mask_short_of_the_damage_grows_into_it():
    """The scan knows a tear's edge only to a thumbnail pixel: the repair takes in the damaged
    pixels next to the mask (up to ``grow`` px) and leaves everything farther bit-exact."""
    frames = moving_square(3)
    torn = frames[1].copy()
    damage = np.zeros(torn.shape[:2], bool)
    damage[20:44, 20:50] = True
    torn[damage] = 65535
    short = np.zeros_like(damage)
    short[23:41, 23:47] = True        # 3 px short on every side
    plain = repair_region(frames[0], torn, frames[2], short)
    grown = repair_region(frames[0], torn, frames[2], short, grow=4)
    assert psnr(grown, frames[1], damage) > psnr(plain, frames[1], damage) + 10
    far = np.ones(damage.shape, bool)
    far[23 - 7:41 + 7, 23 - 7:47 + 7] = False      # beyond grow + feather
    assert np.array_equal(grown[far], torn[far])


def test_a_gray_frame_is_rebuilt_and_repaired_in_gray():
    frames = [f[..., 0].copy() for f in moving_square(3)]   # HxW uint16
    torn = frames[1].copy()
    mask = np.zeros(torn.shape, bool)
    mask[20:44, 20:50] = True
    torn[mask] = 65535
    fixed = repair_region(frames[0], torn, frames[2], mask, grow=2)
    assert fixed.shape == torn.shape and fixed.dtype == np.uint16
    assert psnr(fixed, frames[1]) > psnr(torn, frames[1]) + 10
    assert interpolate(frames[0], frames[2], 0.5).shape == torn.shape


def test_the_frames_beyond_bend_the_path_of_a_speeding_square():
    """A square that speeds up (10, 12, 18, 28, 42 px) is not midway at the missing frame: the
    frames beyond the two neighbours bend its path towards where it is (two-frame: at 20)."""
    frames = moving_square(5, np.uint8, positions=[10, 12, 18, 28, 42])
    run = plan_runs([2], 5)[0]
    assert (run.outer_before, run.outer_after) == (0, 4)
    steady = rebuild_run(run, frames[1], frames[3])[2]
    bent = rebuild_run(run, frames[1], frames[3], None, (frames[0], frames[4]))[2]
    assert psnr(bent, frames[2]) > psnr(steady, frames[2]) + 1.0
    again = rebuild_run(run, frames[1], frames[3], None, (frames[0], frames[4]))[2]
    assert np.array_equal(bent, again)  # the same bytes every time
    # a frame beyond from another shot (here: flat black) bends nothing
    black = np.zeros_like(frames[0])
    assert np.array_equal(rebuild_run(run, frames[1], frames[3], None, (black, black))[2], steady)


def test_each_pixel_takes_the_picture_nearest_to_the_frames_beyond_extrapolated():
    """The frames beyond, extrapolated one step, land the square where it is; the choice takes,
    region by region, the candidate picture nearest to them."""
    frames = moving_square(5, np.uint8)  # 4 px per frame
    i0, i1 = (f.astype(np.float32) / 255.0 for f in (frames[1], frames[3]))
    guides = extrapolations(i0, i1, 0.5, steps_beyond(frames[1], frames[3], (frames[0], frames[4])), 2)
    assert len(guides) == 2
    for g in guides:
        assert psnr(np.clip(g * 255 + 0.5, 0, 255).astype(np.uint8), frames[2]) > psnr(frames[1], frames[2]) + 3
    left, right = np.zeros((40, 80, 3), np.float32), np.ones((40, 80, 3), np.float32)
    guide = np.zeros_like(left)
    guide[:, 40:] = 0.97
    out = choose([left, right], [guide])
    assert out[:, :20].max() < 0.01 and out[:, 60:].min() > 0.99


def test_rebuilt_reel_reads_the_frames_beyond_and_keeps_frame_order():
    truth = moving_square(9, positions=[10, 12, 16, 22, 30, 40, 52, 66, 74])
    frames = [f.copy() for f in truth]
    frames[4] = np.zeros_like(frames[4])
    reel = RebuiltReel(ListReel(frames), [4])
    out = list(reel.frames())
    assert [f.index for f in out] == list(range(9))
    assert all(f.data is frames[f.index] for f in out if f.index != 4)
    steady = rebuild_run(plan_runs([4], 9)[0], frames[3], frames[5])[4]
    assert psnr(out[4].data, truth[4]) > psnr(steady, truth[4]) + 1.0
    # any window that holds the frame reads it the same (a preview of one frame, a chunk)
    assert np.array_equal(reel.read(4).data, out[4].data)
    assert [f.index for f in reel.frames(4, 6)] == [4, 5] and [f.index for f in reel.frames(2, 5)] == [2, 3, 4]
    assert np.array_equal(list(reel.frames(3, 5))[1].data, out[4].data)
