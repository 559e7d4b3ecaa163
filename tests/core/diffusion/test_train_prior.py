"""train-prior: a few steps on an in-memory reel give a model the pixel engine loads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.diffusion import add_model, check_model, load_fill_engine
from restoration_core.diffusion.synthetic_masks import synthetic_mask
from restoration_core.diffusion.train_prior import PatchSampler, PriorSettings, train_prior
from restoration_core.errors import Cancelled, OutputError
from restoration_core.media.frame import Frame
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.restore.fill import FillRequest

TINY = PriorSettings(steps=3, size=32, batch=2, channels=(32, 64), frames=4, device="cpu")


class MemoryReel:
    """What train_prior needs of a reel: len(), read(i) -> Frame, .info."""

    def __init__(self, n: int = 4, h: int = 48, w: int = 64, dtype=np.uint16):
        rng = np.random.default_rng(0)
        top = 65535 if dtype == np.uint16 else 255
        self.data = [(rng.random((h, w, 3)) * top).astype(dtype) for _ in range(n)]
        self.info = type("Info", (), {"path": "memory://reel"})()

    def __len__(self) -> int:
        return len(self.data)

    def read(self, i: int) -> Frame:
        return Frame(self.data[i], i)


def test_train_prior_gives_a_loadable_pixel_model(tmp_path):
    out = tmp_path / "prior"
    ticks = []
    task = train_prior(MemoryReel(), out, TINY)
    try:
        while True:
            ticks.append(next(task))
    except StopIteration as stop:
        assert stop.value == out
    assert [t.done for t in ticks if t.done] == [1, 2, 3] and "loss" in ticks[-1].message
    info = json.loads((out / "reelwright.json").read_text())
    assert info["trained_on"] == "memory://reel" and info["settings"]["steps"] == 3
    assert check_model(out).kind == "pixel-unet-concat"
    name, _info = add_model(out, name="reel-prior")
    engine = load_fill_engine("reel-prior", device="cpu", steps=3)
    image = np.random.default_rng(1).random((40, 20, 3), dtype=np.float32)
    mask = np.zeros((40, 20), bool)
    mask[:, 9:11] = True
    filled = run_to_end(engine.fill([FillRequest(0, 0, image, mask, seed=5)]))[0]
    assert np.array_equal(filled[~mask], image[~mask])
    # training again replaces the earlier prior; a foreign folder is never overwritten
    run_to_end(train_prior(MemoryReel(dtype=np.uint8), out, TINY))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="refusing to overwrite"):
        run_to_end(train_prior(MemoryReel(), tmp_path / "other", TINY))
    assert (tmp_path / "other" / "notes.txt").read_text() == "keep me"


def test_train_prior_cancel_leaves_nothing(tmp_path):
    cancel = CancelToken()
    task = train_prior(MemoryReel(), tmp_path / "prior", PriorSettings(**{**TINY.__dict__, "steps": 50}),
                       cancel=cancel)
    next(task)
    next(task)
    cancel.cancel()
    with pytest.raises(Cancelled):
        run_to_end(task)
    assert list(tmp_path.iterdir()) == []


def test_patches_avoid_flagged_damage_and_masks_are_film_shaped():
    reel = MemoryReel(n=2, h=64, w=64)
    damage = np.zeros((64, 64), bool)
    damage[:, 20:44] = True  # only 20 columns on each side are clean
    for frame in reel.data:
        frame //= 2
        frame[damage] = 65535  # flagged pixels are white, clean ones below half
    sampler = PatchSampler(reel, 16, 2, np.random.default_rng(0), mask_for=lambda i: damage)
    assert all(sampler.patch().max() < 0.6 for _ in range(100))
    x, m = sampler.batch(4)
    assert x.shape == (4, 3, 16, 16) and m.shape == (4, 1, 16, 16)
    assert float(x.min()) >= -1 and float(x.max()) < 0.2
    rng = np.random.default_rng(3)
    masks = [synthetic_mask(rng, 32) for _ in range(50)]
    assert all(mk.any() and mk.mean() < 0.7 for mk in masks)


def test_train_prior_cli_on_an_image_sequence(tmp_path, capsys):
    cv2 = pytest.importorskip("cv2")
    from restoration_core.cli import main

    seq = tmp_path / "seq"
    seq.mkdir()
    rng = np.random.default_rng(2)
    for i in range(3):
        cv2.imwrite(str(seq / f"scan_{i:04d}.png"), (rng.random((40, 48, 3)) * 255).astype(np.uint8))
    out = tmp_path / "prior"
    argv = ["train-prior", str(seq), "-o", str(out), "--steps", "2", "--size", "32", "--batch", "2",
            "--channels", "32,64", "--no-detect", "--register", "reel"]
    assert main(argv) == 0
    text = capsys.readouterr()
    assert "registered reel: pixel-unet-concat" in text.out and "loss" in text.err
    assert check_model("reel").path == out.resolve()
    assert main(["train-prior", str(tmp_path / "missing"), "-o", str(out)]) == 2
    assert "input does not exist" in capsys.readouterr().err
    assert main([*argv[:-2], "--size", "33"]) == 2
    assert "--size must be a multiple of 2" in capsys.readouterr().err
