"""The render cache as a patch store: only the changed pixels are kept, pasting them over the
source gives the restored frame bit for bit, and a damaged entry reads as missing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.defects import Intervention
from restoration_core.errors import OutputError
from restoration_core.render import cache as cache_module
from restoration_core.render.cache import RenderCache, changed_patches, decode_patches, encode_patches, paste
from tests.core.fixtures_media import picture


def _repaired(source: np.ndarray, seed: int = 0) -> np.ndarray:
    """The source with a few specks and a thin line changed (about 0.5% of the pixels)."""
    out = source.copy()
    rng = np.random.default_rng(seed)
    h, w = source.shape[:2]
    for _ in range(6):
        y, x = int(rng.integers(0, h - 4)), int(rng.integers(0, w - 4))
        out[y:y + 3, x:x + 2] = rng.integers(0, 60000, (3, 2, 3)).astype(source.dtype)
    out[5:h - 5, w // 2, 1] += 1  # a scratch repair that changed one channel only
    return out


@pytest.mark.parametrize("bits", [8, 16])
def test_patches_round_trip_bit_exactly(bits):
    source = picture(0, 160, 90, bits=bits)
    data = _repaired(source)
    patches = changed_patches(data, source)
    assert len(patches) >= 2
    blob = encode_patches(patches, 3, data.dtype)
    back = decode_patches(blob, len(patches), data.shape, data.dtype)
    assert np.array_equal(paste(source, back), data)
    assert changed_patches(source, source) == []


def test_cache_keeps_only_what_changed_and_pastes_it_over_the_source(tmp_path):
    cache = RenderCache(tmp_path / "c", shape=(270, 480))
    raw = 0
    for i in range(4):
        source = picture(i, 480, 270, bits=16)
        data = _repaired(source, seed=i)
        cache.put_frame(i, data, [Intervention(i, (1, 2, 3, 4), 6, "dust", "temporal")], source=source)
        raw += data.nbytes
        assert np.array_equal(cache.frame(i, source), data)
    assert cache.nbytes() / raw < 0.05
    assert cache.interventions(2)[0].frame == 2
    with pytest.raises(ValueError, match="pass its source"):
        cache.frame(0)
    with pytest.raises(OutputError, match="the source is"):
        cache.frame(0, picture(0, 480, 270, bits=8))


def test_a_frame_stored_without_source_is_kept_whole(tmp_path):
    cache = RenderCache(tmp_path)
    data = picture(1, 40, 30, bits=8)
    cache.put_frame(0, data, [])
    assert np.array_equal(cache.frame(0), data)
    assert np.array_equal(cache.frame(0, np.zeros_like(data)), data)


def _damage_cases():
    def garbage_patch(folder):
        (folder / "frames" / "000001.patch").write_bytes(b"\x00garbage" * 10)

    def truncated_patch(folder):
        path = folder / "frames" / "000001.patch"
        path.write_bytes(path.read_bytes()[:-3])

    def garbage_sidecar(folder):
        (folder / "frames" / "000001.json").write_bytes(b"{not json\xff")

    def sidecar_not_a_dict(folder):
        (folder / "frames" / "000001.json").write_text("[1, 2]")

    def wrong_shape(folder):
        side = folder / "frames" / "000001.json"
        meta = json.loads(side.read_text())
        meta["shape"] = [30, 40, 3]
        side.write_text(json.dumps(meta))

    def missing_sidecar(folder):
        (folder / "frames" / "000001.json").unlink()

    return [garbage_patch, truncated_patch, garbage_sidecar, sidecar_not_a_dict, wrong_shape, missing_sidecar]


@pytest.mark.parametrize("damage", _damage_cases(), ids=lambda f: f.__name__)
def test_a_damaged_entry_is_missing_not_a_crash(tmp_path, damage):
    folder = tmp_path / "c"
    writer = RenderCache(folder, shape=(64, 96))
    for i in range(3):
        source = picture(i, 96, 64)
        writer.put_frame(i, _repaired(source, i), [], source=source)
    damage(folder)
    cache = RenderCache(folder, shape=(64, 96))  # a later run (nothing remembered)
    assert cache.has_frame(0) and not cache.has_frame(1) and cache.has_frame(2)
    assert cache.first_missing_frame(0, 3) == 1
    with pytest.raises(OutputError):
        cache.interventions(1)
    source = picture(1, 96, 64)
    cache.put_frame(1, _repaired(source, 1), [], source=source)  # recomputed
    assert np.array_equal(cache.frame(1, source), _repaired(source, 1))


def test_an_entry_for_another_frame_size_is_missing(tmp_path):
    source = picture(0, 96, 64)
    RenderCache(tmp_path).put_frame(0, _repaired(source), [], source=source)
    assert RenderCache(tmp_path, shape=(64, 96)).has_frame(0)
    assert not RenderCache(tmp_path, shape=(32, 48)).has_frame(0)


def test_detections_are_compressed_and_a_damaged_one_is_missing(tmp_path):
    cache = RenderCache(tmp_path, shape=(360, 640))
    mask = np.zeros((360, 640), bool)
    mask[10:14, 20:25] = True
    cache.put_detection(3, mask, [], (1.1, 0.0))
    got, defects, flicker = cache.detection(3)
    assert np.array_equal(got, mask) and flicker == (1.1, 0.0) and defects == []
    assert (tmp_path / "detect" / "000003.mask").stat().st_size < 1000
    (tmp_path / "detect" / "000003.mask").write_bytes(b"junk")
    assert not RenderCache(tmp_path, shape=(360, 640)).has_detection(3)


def test_only_the_latest_sidecars_stay_in_memory(tmp_path, monkeypatch):
    # a feature has ~130,000 frames: their interventions and defects must not all stay in memory
    monkeypatch.setattr(cache_module, "CHECKED_SIDECARS", 4)
    cache = RenderCache(tmp_path, shape=(48, 64))
    frames = {}
    for i in range(10):
        source = picture(i, 64, 48, bits=8)
        frames[i] = (source, _repaired(source, seed=i))
        cache.put_frame(i, frames[i][1], [Intervention(i, (1, 2, 3, 4), 6, "dust", "temporal")], source=source)
        cache.put_detection(i, np.zeros((48, 64), bool), [], None)
        assert cache.has_frame(i) and cache.has_detection(i)
    assert len(cache._checked) <= 4
    for i, (source, data) in frames.items():  # an entry that left memory is read and checked again
        assert np.array_equal(cache.frame(i, source), data)
        assert cache.interventions(i)[0].frame == i
    assert len(cache._checked) <= 4
