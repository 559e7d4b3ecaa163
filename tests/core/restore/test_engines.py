"""Classical fill, grain matching and deflicker."""

from __future__ import annotations

import numpy as np

from restoration_core.restore import ClassicalFill, FillRequest, RestoreSettings, restore_frames
from restoration_core.restore import deflicker as dfl
from restoration_core.restore.grain import estimate_grain, highpass, synth_grain
from tests.core.restore.helpers import PanReel, ScratchReel, scene


def frames_of(task):
    return [p.payload for p in task if p.payload is not None]


def test_classical_fill_repairs_a_persistent_scratch():
    reel = ScratchReel(n=4, value=1.0)
    out = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(grain=False)))
    m = reel.mask(0)
    for f in out:
        clean = reel.clean(f.index).astype(int)
        err = np.abs(f.data.astype(int) - clean)[m]
        before = np.abs(reel.read(f.index).data.astype(int) - clean)[m]
        assert before.mean() > 60 and err.mean() < 0.25 * before.mean()
        assert [v.method for v in f.interventions] == ["classical"]


def test_classical_fill_keeps_known_pixels_and_16bit_precision():
    img = scene(32, 32, seed=3)
    mask = np.zeros((32, 32), bool)
    mask[10:14, 8:20] = True
    out = ClassicalFill("ns").fill_one(FillRequest(0, 1, img, mask, 0))
    assert out.dtype == np.float32
    assert np.array_equal(out[~mask], img[~mask])
    assert np.abs(out[mask] - img[mask]).mean() < 0.08


def _flat_grainy(std: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + rng.normal(0, std, (64, 64, 3)), 0, 1).astype(np.float32)


def test_grain_statistics_and_synthesis_match():
    img = _flat_grainy(0.03)
    known = np.ones((64, 64), bool)
    stats = estimate_grain(img, known)
    assert stats is not None
    measured = np.array(stats.std)
    ref = highpass(img).reshape(-1, 3).std(axis=0)
    assert np.allclose(measured, ref, rtol=0.15)
    assert stats.sigma <= 0.5 and stats.rho < 0.2  # white, independent channels
    g = synth_grain((64, 64), stats, 7)
    assert np.allclose(highpass(g).reshape(-1, 3).std(axis=0), measured, rtol=0.05)
    assert np.array_equal(g, synth_grain((64, 64), stats, 7))


def test_restore_adds_grain_with_the_right_std():
    class Grainy(PanReel):
        def clean(self, i):
            return np.clip(_flat_grainy(0.03, i) * 65535 + 0.5, 0, 65535).astype(np.uint16)

    class Blob(ScratchReel, Grainy):
        pass

    reel = Blob(n=3, dtype=np.uint16, x=20, width=12, h=64, w=64)  # wider than a line scratch (linefill.MAX_WIDTH)
    m = reel.mask(0)
    inner = np.zeros_like(m)
    inner[4:-4, 22:30] = True
    for grain, lo, hi in ((True, 0.8, 1.25), (False, 0.0, 0.4)):
        f = frames_of(restore_frames(reel, (1, 2), reel.mask, RestoreSettings(grain=grain)))[0]
        hp = highpass(f.data.astype(np.float32) / 65535)
        ratio = hp[inner].std() / hp[~m].std()
        assert lo < ratio < hi, (grain, ratio)


class TwoShots(PanReel):
    """Shot A (frames 0..9) flickers; shot B (10..19) is another, darker scene, steady."""

    def __init__(self):
        super().__init__(n=20, h=48, w=64, dx=1, seed=1)
        self.b = scene(48, 64 + 40, seed=9) * 0.5
        self.flick = [1.0 + (0.15 if i % 2 else -0.1) for i in range(10)]

    def clean(self, i):
        if i < 10:
            img = np.clip(self.big[:, i : i + 64] * self.flick[i], 0, 1)
        else:
            img = self.b[:, i : i + 64]
        return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def test_deflicker_flattens_flicker_and_respects_a_cut():
    reel = TwoShots()
    out = frames_of(restore_frames(reel, None, lambda i: None, RestoreSettings(deflicker=True)))
    before = np.array([reel.clean(i).mean() for i in range(20)])
    after = np.array([f.data.mean() for f in out])
    assert np.std(after[:10]) < np.std(before[:10]) / 3
    # Shot B is steady and much darker: the cut keeps it from being pulled towards shot A.
    assert np.abs(after[10:] - before[10:]).max() < 1.5
    stats = [dfl.frame_stats(reel.clean(i)) for i in range(20)]
    assert dfl.find_cuts(stats, 0.4) == [10]


def test_deflicker_uses_a_given_curve_away_from_cuts():
    reel = TwoShots()
    given = {i: (1.0, 0.02) for i in range(20)}
    out = frames_of(restore_frames(reel, None, lambda i: None, RestoreSettings(deflicker=True, deflicker_radius=2),
                                   flicker=given))
    f = out[5].data.astype(float)
    assert abs((f - reel.clean(5)).mean() - 0.02 * 255) < 0.6
    assert not np.array_equal(out[9].data.astype(float) - reel.clean(9), np.full(f.shape, 0.02 * 255))


def test_without_deflicker_clean_frames_come_back_identical():
    reel = TwoShots()
    out = frames_of(restore_frames(reel, (0, 4), lambda i: None, RestoreSettings()))
    assert all(np.array_equal(f.data, reel.clean(f.index)) for f in out)


def test_deflicker_is_the_same_whole_in_chunks_and_for_one_frame():
    from restoration_core.restore import restore_single

    reel = TwoShots()
    s = RestoreSettings(deflicker=True, deflicker_radius=3)
    whole = frames_of(restore_frames(reel, None, lambda i: None, s))
    chunks = frames_of(restore_frames(reel, (0, 8), lambda i: None, s)) + frames_of(
        restore_frames(reel, (8, 20), lambda i: None, s))
    assert all(np.array_equal(x.data, y.data) for x, y in zip(whole, chunks, strict=True))
    assert np.array_equal(restore_single(reel, 9, lambda i: None, s).data, whole[9].data)
