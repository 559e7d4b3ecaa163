"""A render through the patch cache (real engines, a small sample reel): it keeps only what the
damage costs, a kept cache re-encodes to another preset without recomputing, and a damaged
entry is recomputed into the same bytes."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.media import open_reel, probe
from restoration_core.media.fixity import decoded_md5s, read_framemd5
from restoration_core.progress import run_to_end
from restoration_core.render.cache import RenderCache
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from restoration_core.sample import make_sample_reel


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_reel(tmp_path_factory.mktemp("sample"), frames=8, size=(160, 96))


def _spec(sample, folder, preset="master", name="out.mkv"):
    folder.mkdir(exist_ok=True)
    return JobSpec(input=str(sample), output=str(folder / name), preset=preset, cache=str(folder / "cache"),
                   chunk=4, detect=False, masks=str(sample.parent / "masks"), settings={"engine": "temporal"})


def _cache(folder):
    (key,) = (folder / "cache").iterdir()
    return key


def test_kept_cache_is_patches_and_reencodes_to_another_preset_without_recomputing(sample, tmp_path):
    first = run_to_end(render(_spec(sample, tmp_path)))
    assert first.computed == 8 and first.interventions > 0
    key = _cache(tmp_path)
    info = probe(sample)
    raw = 8 * info.width * info.height * 3 * (2 if info.bit_depth > 8 else 1)
    patches = sum(p.stat().st_size for p in key.glob("frames/*.patch"))
    assert list(key.glob("frames/*.patch")) and not list(key.glob("frames/*.npy"))
    assert patches < 0.25 * raw  # the sample reel is heavily damaged; the benchmark measures 0.5%
    again = run_to_end(render(_spec(sample, tmp_path, preset="mezzanine", name="out.mov")))
    assert again.computed == 0 and again.from_cache == 8
    assert probe(tmp_path / "out.mov").frames == 8


def test_a_damaged_entry_is_recomputed_into_the_same_bytes(sample, tmp_path):
    first = run_to_end(render(_spec(sample, tmp_path)))
    key = _cache(tmp_path)
    reference = (tmp_path / "out.mkv").read_bytes()
    (key / "frames" / "000005.patch").write_bytes(b"\x89garbage")
    (key / "frames" / "000002.json").write_text("{")
    (tmp_path / "out.mkv").unlink()
    again = run_to_end(render(_spec(sample, tmp_path)))
    assert again.computed == 8 and again.from_cache == 0  # both chunks had a damaged frame
    assert (tmp_path / "out.mkv").read_bytes() == reference
    assert again.frame_md5 == first.frame_md5
    cache = RenderCache(key, shape=(96, 160))
    assert cache.first_missing_frame(0, 8) is None
    with open_reel(sample) as src, open_reel(tmp_path / "out.mkv") as out:
        assert np.array_equal(cache.frame(5, src.read(5).data), out.read(5).data)


def test_restore_verify_decodes_the_master_back(sample, tmp_path):
    out = tmp_path / "v.mkv"
    assert main(["restore", str(sample), "-o", str(out), "--preset", "master", "--no-detect", "--masks",
                 str(sample.parent / "masks"), "--engine", "temporal", "--range", "0:4", "--verify"]) == 0
    assert JobSpec.from_dict(JobSpec(input="a", output="b", verify=True).to_dict()).verify
    assert read_framemd5(tmp_path / "v.mkv.framemd5") == [m for m, _ in decoded_md5s(out)]
