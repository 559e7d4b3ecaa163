"""The pipeline with a real (tiny, random) pixel-space diffusion engine loaded through the registry."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.restore import RestoreSettings, restore_frames
from restoration_core.restore.composite import distance_to
from restoration_core.restore.safety import REVIEW_FILL
from tests.core.restore.helpers import ScratchReel

pytest.importorskip("diffusers")
models = pytest.importorskip("restoration_core.diffusion")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from tests.core.tiny_models import build_pixel_unet  # needs diffusers: after the importorskip

    folder = build_pixel_unet(tmp_path_factory.mktemp("tiny") / "pixel")
    return models.load_fill_engine(folder, device="cpu", steps=2)


def test_diffusion_fill_is_bit_exact_outside_the_feather_and_deterministic(engine):
    # One 16-bit frame, twice: the tiny model is slow on a shared CPU (8-bit: test_pipeline).
    dtype = np.uint16
    reel = ScratchReel(n=1, h=32, w=40, x=14, width=12, dtype=dtype, value=1.0)
    # exact (painted) masks: the random model's noisy fill would be left as scanned on a detected one
    s = RestoreSettings(engine="diffusion", seed=3, exact_masks=True)
    runs = []
    for _ in range(2):
        runs.append([p.payload for p in restore_frames(reel, None, reel.mask, s, fill_engine=engine)
                     if p.payload is not None])
    far = distance_to(reel.mask(0)) > s.feather
    for a, b in zip(*runs, strict=True):
        src = reel.read(a.index).data
        assert a.data.dtype == dtype
        assert np.array_equal(a.data[far], src[far])
        assert np.array_equal(a.data, b.data)
        assert [v.method for v in a.interventions] == ["diffusion"]
        assert a.interventions[0].seed is not None


def test_a_random_models_fill_on_a_detected_mask_is_left_as_scanned_for_review(engine):
    reel = ScratchReel(n=1, h=32, w=40, x=14, width=12, value=1.0)
    out = [p.payload for p in restore_frames(reel, None, reel.mask, RestoreSettings(engine="diffusion", seed=3),
                                             fill_engine=engine) if p.payload is not None]
    assert np.array_equal(out[0].data, reel.read(0).data)
    assert [(v.method, v.review) for v in out[0].interventions] == [("none", REVIEW_FILL)]
