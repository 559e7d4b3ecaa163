"""The prior that ships with the program: listed, SHA-256 verified, loaded offline, fine-tunable."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.diffusion import add_model, check_model, list_models, load_fill_engine, remove_model
from restoration_core.diffusion.registry import builtin_prior_path
from restoration_core.diffusion.train_prior import PriorSettings, read_training_info, train_prior
from restoration_core.errors import ModelError
from restoration_core.progress import run_to_end
from restoration_core.restore.fill import FillRequest
from tests.core.diffusion.test_train_prior import MemoryReel


def test_the_shipped_prior_is_listed_and_its_card_matches_its_weights():
    folder = builtin_prior_path()
    card = json.loads((folder / "reelwright.json").read_text())
    entry = next(m for m in list_models() if m["name"] == "default")
    assert entry["builtin"] and entry["present"] and entry["path"] == str(folder)
    info = check_model("default")
    assert info.kind == "pixel-unet-concat" and info.sha256 == card["sha256"] == entry["sha256"]
    assert (folder / card["weights"]).stat().st_size < 20e6
    assert card["trained_on"] and card["held_out"] and card["loss_curve"] and card["steps"] > 0
    with pytest.raises(ModelError, match="shipped prior"):
        add_model(folder, name="default")
    with pytest.raises(ModelError, match="cannot be removed"):
        remove_model("default")


def test_the_shipped_prior_fills_a_hole_through_the_real_loader():
    engine = load_fill_engine("default", device="cpu", steps=4)
    assert engine.name == "diffusion-pixel" and engine.concat
    yy, xx = np.mgrid[0:48, 0:48].astype(np.float32) / 47
    image = np.stack([0.2 + 0.6 * xx, 0.3 + 0.4 * yy, 0.5 + 0.0 * xx], -1)
    mask = np.zeros((48, 48), bool)
    mask[18:30, 18:30] = True
    damaged = image.copy()
    damaged[mask] = 1.0
    filled = run_to_end(engine.fill([FillRequest(0, 0, damaged, mask, seed=3)]))[0]
    assert np.array_equal(filled[~mask], damaged[~mask])
    err = float(np.abs(filled[mask] - image[mask]).mean())
    assert err < 0.1, err  # a smooth ramp is continued, not left white or made noise
    grey = np.repeat(damaged.mean(axis=2, keepdims=True), 3, axis=2)  # black-and-white film
    out = run_to_end(engine.fill([FillRequest(0, 0, grey, mask, seed=3)]))[0]
    assert np.array_equal(out[..., 0], out[..., 2]) and not np.allclose(out[mask], 1.0)


def test_a_corrupted_prior_is_refused_in_one_line(tmp_path):
    copy = tmp_path / "prior"
    shutil.copytree(builtin_prior_path(), copy)
    weights = copy / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupted or was modified") as err:
        load_fill_engine(copy, device="cpu")
    assert "\n" not in str(err.value) and str(copy) in str(err.value)
    weights.unlink()
    with pytest.raises(ModelError, match="missing weights"):
        check_model(copy)


def test_fine_tuning_from_the_shipped_prior(tmp_path, capsys):
    out = tmp_path / "adapted"
    settings = PriorSettings(steps=2, batch=2, frames=2, device="cpu", init_from="default",
                             size=32, channels=(32, 64))  # ignored: the prior's shape is kept
    run_to_end(train_prior(MemoryReel(n=2, h=72, w=80), out, settings))
    info = read_training_info(out)
    assert info["fine_tuned_from"] == "default" and info["steps_done"] == 2
    assert info["settings"]["channels"] == [32, 64, 128] and info["settings"]["size"] == 64
    assert check_model(out).sha256 == info["sha256"] != check_model("default").sha256
    seq = tmp_path / "seq"
    seq.mkdir()
    rng = np.random.default_rng(4)
    for i in range(2):
        cv2.imwrite(str(seq / f"scan_{i:04d}.png"), (rng.random((72, 80, 3)) * 255).astype(np.uint8))
    assert main(["train-prior", str(seq), "-o", str(tmp_path / "cli"), "--from", "default", "--steps", "1",
                 "--batch", "2", "--no-detect"]) == 0
    assert read_training_info(tmp_path / "cli")["fine_tuned_from"] == "default"
    assert main(["train-prior", str(seq), "-o", str(tmp_path / "x"), "--from", str(seq)]) == 2
    assert "not a model folder" in capsys.readouterr().err
    assert main(["train-prior", str(seq), "-o", str(tmp_path / "x"), "--from", "default", "--minutes", "0"]) == 2
    assert "--minutes must be more than 0" in capsys.readouterr().err


def test_a_time_budget_stops_training_early_and_saves(tmp_path):
    out = tmp_path / "quick"
    settings = PriorSettings(steps=500, size=32, batch=2, channels=(32, 64), frames=2, device="cpu",
                             max_seconds=0.0)
    run_to_end(train_prior(MemoryReel(n=2), out, settings))
    assert read_training_info(out)["steps_done"] == 1 and check_model(out).kind == "pixel-unet-concat"
