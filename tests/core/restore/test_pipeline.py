"""restore_frames: bit-exact outside the feather ring, determinism, cancel, streaming, interventions."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from restoration_core.defects import Defect
from restoration_core.errors import Cancelled, InputError
from restoration_core.progress import CancelToken, Progress
from restoration_core.restore import (
    FillRequest,
    RestoredFrame,
    RestoreSettings,
    restore_frames,
    restore_single,
)
from restoration_core.restore.composite import distance_to
from tests.core.restore.helpers import DamagedReel, PanReel, ScratchReel

SPECKS = {2: [(20, 20, 3), (45, 30, 2)], 3: [(12, 33, 4)], 4: [(30, 10, 2)], 5: [(50, 24, 3)]}


def frames_of(task) -> list[RestoredFrame]:
    return [p.payload for p in task if p.payload is not None]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("engine", ["auto", "classical"])
def test_pixels_beyond_the_feather_are_bit_exact(dtype, engine):
    reel = DamagedReel(SPECKS, value=1.0, n=7, dtype=dtype, grain=0.02)
    s = RestoreSettings(engine=engine, feather=3)
    out = frames_of(restore_frames(reel, None, reel.mask, s))
    assert [f.index for f in out] == list(range(7))
    for f in out:
        src = reel.read(f.index).data
        assert f.data.dtype == dtype and f.data.shape == src.shape
        m = reel.mask(f.index)
        if m is None:
            assert np.array_equal(f.data, src)
            continue
        far = distance_to(m) > s.feather
        assert np.array_equal(f.data[far], src[far])
        assert not np.array_equal(f.data[m], src[m])  # the specks were repaired


def test_temporal_fill_recovers_a_speck_on_a_panning_scene():
    reel = DamagedReel({4: [(30, 24, 4), (10, 10, 2)]}, value=0.0, n=9, dx=3, grain=0.01)
    out = frames_of(restore_frames(reel, (3, 6), reel.mask, RestoreSettings()))
    f = out[1]
    m = reel.mask(4)
    err = np.abs(f.data.astype(int) - reel.clean(4).astype(int))[m]
    assert err.mean() < 2.0 and err.max() <= 10
    assert [i.method for i in f.interventions] == ["temporal", "temporal"]
    assert all(i.source_frames and set(i.source_frames) <= {1, 2, 3, 5, 6, 7} for i in f.interventions)


def test_interventions_one_per_region_with_kinds():
    reel = DamagedReel({2: [(10, 10, 2), (30, 30, 3), (52, 12, 5)]}, n=4)
    defects = [Defect(2, (48, 8, 10, 10), 70, "dirt", "dark", 0.9)]
    out = frames_of(restore_frames(reel, (2, 3), reel.mask, RestoreSettings(),
                                   kinds_for=lambda i: defects))
    iv = sorted(out[0].interventions, key=lambda v: v.bbox)
    assert [v.bbox for v in iv] == [(8, 8, 5, 5), (27, 27, 7, 7), (47, 7, 11, 11)]
    assert [v.area for v in iv] == [int(reel.mask(2)[6:15, 6:15].sum()), int(reel.mask(2)[25:36, 25:36].sum()),
                                    int(reel.mask(2)[5:20, 45:60].sum())]
    assert iv[2].kind == "dirt"
    assert iv[0].kind == "dust"  # small and unclassified
    assert all(v.frame == 2 for v in iv)


def test_determinism_with_a_seed():
    reel = ScratchReel(n=5, grain=0.03, width=12)  # persistent, too wide for the line repair: classical + grain
    a = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(seed=5)))
    b = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(seed=5)))
    c = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(seed=6)))
    assert all(np.array_equal(x.data, y.data) for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(x.data, y.data) for x, y in zip(a, c, strict=True))
    assert all(v.method == "classical" and v.seed is not None for f in a for v in f.interventions)


def test_cancel_mid_clip_stops_with_cancelled():
    reel = DamagedReel(SPECKS, n=7)
    token = CancelToken()
    seen = []
    with pytest.raises(Cancelled):
        for p in restore_frames(reel, None, reel.mask, RestoreSettings(), cancel=token):
            if p.payload is not None:
                seen.append(p.payload.index)
                if len(seen) == 2:
                    token.cancel()
    assert seen == [0, 1]


def test_closing_the_generator_stops_reading():
    reel = DamagedReel(SPECKS, n=7)
    task = restore_frames(reel, None, reel.mask, RestoreSettings())
    for p in task:
        if p.payload is not None:
            break
    reads = reel.reads
    task.close()
    assert reel.reads == reads < 7


class CountingReel(PanReel):
    """Remembers weak references to every frame array it hands out."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.refs: list[weakref.ref] = []
        self.max_alive = 0

    def read(self, i):
        f = super().read(i)
        self.refs.append(weakref.ref(f.data))
        alive = sum(r() is not None for r in self.refs)
        self.max_alive = max(self.max_alive, alive)
        return f


def _peak(n: int) -> int:
    reel = CountingReel(n=n, h=24, w=32, dx=1)
    mask = np.zeros((24, 32), bool)
    mask[10:13, 10:13] = True
    tracemalloc.start()
    for p in restore_frames(reel, None, lambda i: mask, RestoreSettings(radius=2)):
        if p.payload is not None:
            del p
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    gc.collect()
    assert reel.max_alive <= 2 * 2 + 1 + 2
    return peak


def test_a_long_clip_streams():
    short, long = _peak(20), _peak(100)
    assert long < short * 1.3


def test_restore_single_matches_the_clip_run():
    reel = DamagedReel(SPECKS, n=7)
    whole = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings()))
    one = restore_single(reel, 3, reel.mask, RestoreSettings())
    assert np.array_equal(one.data, whole[3].data)
    assert one.interventions == whole[3].interventions


def test_progress_stages_and_frame_payloads():
    reel = ScratchReel(n=7, width=12)  # too wide for the line repair: the generative engine
    stages = set()
    for p in restore_frames(reel, (1, 6), reel.mask, RestoreSettings()):
        assert isinstance(p, Progress) and p.total == 5
        stages.add(p.stage)
    assert {"frame", "generative", "grain", "composite"} <= stages


class FakeDiffusion:
    """A GenerativeFill stand-in: fills masked pixels with the mean of the known ones."""

    name = "fake"

    def __init__(self):
        self.requests: list[FillRequest] = []

    def fill(self, requests, cancel=None):
        self.requests.extend(requests)
        out = []
        for k, r in enumerate(requests):
            img = r.image.copy()
            img[r.mask] = img[~r.mask].mean(axis=0)
            out.append(img)
            yield Progress(k + 1, len(requests), "diffusion", r.frame)
        return out


def test_fill_engine_gets_batched_requests_fixed_seeds_and_init():
    reel = ScratchReel(n=6, width=12)  # too wide for the line repair: the generative engine
    engine = FakeDiffusion()
    out = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(), fill_engine=engine))
    assert not engine.requests and all(v.method != "diffusion" for f in out for v in f.interventions)  # auto
    out = frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(engine="diffusion"), fill_engine=engine))
    assert len(out) == 6 and all(v.method == "diffusion" for f in out for v in f.interventions)
    seeds = {r.seed for r in engine.requests}
    assert len(seeds) == 1  # one persistent region, one seed
    assert engine.requests[0].init is None and all(r.init is not None for r in engine.requests[1:])
    engine2 = FakeDiffusion()
    frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(engine="diffusion", batch_frames=3),
                             fill_engine=engine2))
    assert len(engine2.requests) == 6


def test_diffusion_without_an_engine_is_an_input_error():
    reel = DamagedReel(SPECKS, n=3)
    with pytest.raises(InputError, match="model"):
        frames_of(restore_frames(reel, None, reel.mask, RestoreSettings(engine="diffusion")))
    with pytest.raises(InputError, match="feather"):
        RestoreSettings(feather=9)


def test_feather_zero_touches_only_masked_pixels():
    reel = DamagedReel(SPECKS, value=1.0, n=7)
    s = RestoreSettings(feather=0)
    assert s.grow == 0
    for f in frames_of(restore_frames(reel, None, reel.mask, s)):
        m = reel.mask(f.index)
        if m is not None:
            src = reel.read(f.index).data
            assert np.array_equal(f.data[~m], src[~m])


def test_a_reel_that_ends_early_is_an_input_error():
    class Short(DamagedReel):
        def frames(self, start=0, stop=None):
            yield from super().frames(start, min(stop or self.n, 3))

    reel = Short(SPECKS, n=7)
    with pytest.raises(InputError, match="ended before frame 3"):
        frames_of(restore_frames(reel, None, reel.mask, RestoreSettings()))


def test_temporal_fill_removes_a_neighbours_flicker():
    gains = [1.0 if i % 2 == 0 else 1.12 for i in range(9)]
    reel = DamagedReel({4: [(30, 24, 5)]}, value=0.0, n=9, dx=2, gains=gains)
    f = frames_of(restore_frames(reel, (4, 5), reel.mask, RestoreSettings()))[0]
    m = reel.mask(4)
    err = f.data.astype(int)[m] - reel.clean(4).astype(int)[m]
    assert abs(err.mean()) < 2.0 and np.abs(err).mean() < 3.0
    assert f.interventions[0].method == "temporal"
