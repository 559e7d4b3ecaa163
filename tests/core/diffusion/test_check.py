"""check_model, the registry and model resolution, on tiny models and broken folders."""

from __future__ import annotations

import json
import shutil
import struct
import warnings

import pytest
import torch

from restoration_core.diffusion import add_model, check_model, list_models, load_fill_engine, remove_model
from restoration_core.diffusion import check as check_mod
from restoration_core.diffusion.device import DeviceChoice
from restoration_core.errors import ModelError
from tests.core import tiny_models


def test_kinds_of_tiny_models(tiny):
    sd = check_model(tiny["sd"])
    assert (sd.kind, sd.channels, sd.native_size) == ("sd-inpaint", 9, 32)
    assert len(sd.sha256) == 64 and sd.params > 0
    px = check_model(tiny["pixel"])
    assert (px.kind, px.channels, px.native_size) == ("pixel-unet", 3, 32)
    assert check_model(tiny["concat"]).kind == "pixel-unet-concat"
    assert check_model(tiny["pixel"]).sha256 == px.sha256 != check_model(tiny["concat"]).sha256


def test_missing_component_is_named(tiny, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny["sd"], broken)
    shutil.rmtree(broken / "unet")
    with pytest.raises(ModelError, match="missing component 'unet'"):
        check_model(broken)
    shutil.copytree(tiny["sd"], tmp_path / "novae")
    (tmp_path / "novae" / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(ModelError, match="missing component 'vae'"):
        check_model(tmp_path / "novae")


def test_wrong_model_types(tiny, tmp_path):
    with pytest.raises(ModelError, match="wrong model type: CLIPTextModel"):
        check_model(tiny_models.build_text_model(tmp_path / "text"))
    plain = tmp_path / "plain"
    shutil.copytree(tiny["sd"], plain)
    cfg = json.loads((plain / "unet" / "config.json").read_text())
    cfg["in_channels"] = 4
    (plain / "unet" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="not an inpainting model.*4 input channels"):
        check_model(plain)
    with pytest.raises(ModelError, match="not a model folder"):
        check_model(tmp_path)
    with pytest.raises(ModelError, match="no such model"):
        check_model(tmp_path / "nothing-here")


def _fake_sd_single_file(path, channels):
    header = {"model.diffusion_model.input_blocks.0.0.weight":
              {"dtype": "F32", "shape": [32, channels, 3, 3], "data_offsets": [0, 32 * channels * 9 * 4]}}
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(32 * channels * 9 * 4))
    return path


def test_single_file_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ModelError, match="not an inpainting model.*4 input"):
        check_model(_fake_sd_single_file(tmp_path / "sd15.safetensors", 4))
    with pytest.raises(ModelError, match="needs a local config: pass --config"):
        check_model(_fake_sd_single_file(tmp_path / "sd15-inpaint.safetensors", 9))


def test_pickle_refused_unless_allowed(tmp_path):
    folder = tiny_models.build_pixel_unet(tmp_path / "pickled", safe=False)
    assert (folder / "diffusion_pytorch_model.bin").exists()
    with pytest.raises(ModelError, match="pickle checkpoint.*refused"):
        check_model(folder)
    with pytest.raises(ModelError, match="pickle"):
        load_fill_engine(folder, device="cpu")
    (tmp_path / "model.ckpt").write_bytes(b"not even read")
    with pytest.raises(ModelError, match="pickle checkpoint.*refused"):
        check_model(tmp_path / "model.ckpt")
    assert check_model(folder, allow_pickle=True).pickle
    with pytest.warns(UserWarning, match="pickle"):
        engine = load_fill_engine(folder, device="cpu", allow_pickle=True)
    assert engine.name == "diffusion-pixel"


def test_pickle_consent_given_at_registration_holds_by_name_and_path(tmp_path):
    folder = tiny_models.build_pixel_unet(tmp_path / "pickled", safe=False)
    with pytest.raises(ModelError, match="models add PATH --allow-pickle"):
        add_model(folder, name="old")                    # no consent: not registered
    assert [m["name"] for m in list_models()] == ["default"]  # only the shipped prior
    add_model(folder, name="old", allow_pickle=True)
    assert check_model("old").pickle                     # the restore CLI / GUI / jobs path
    assert check_model(folder).pickle                    # the GUI's picker passes the path
    with pytest.warns(UserWarning, match="pickle"):
        assert load_fill_engine("old", device="cpu").name == "diffusion-pixel"
    other = tiny_models.build_pixel_unet(tmp_path / "unregistered", safe=False)
    with pytest.raises(ModelError, match="refused"):
        check_model(other)                               # consent is per model, not global


def test_pixel_models_the_engine_cannot_run_are_refused(tmp_path):
    v = tiny_models.build_pixel_unet(tmp_path / "v-pred")
    cfg = json.loads((v / "scheduler_config.json").read_text())
    (v / "scheduler_config.json").write_text(json.dumps({**cfg, "prediction_type": "v_prediction"}))
    with pytest.raises(ModelError, match="predicts 'v_prediction'"):
        check_model(v)
    ve = tiny_models.build_pixel_unet(tmp_path / "score-sde", with_scheduler=False)
    (ve / "scheduler_config.json").write_text(json.dumps({"_class_name": "ScoreSdeVeScheduler"}))
    with pytest.raises(ModelError, match="variance-exploding"):
        check_model(ve)


def test_too_large_for_device(tiny, monkeypatch):
    monkeypatch.setattr(check_mod, "free_memory", lambda device: 1000)
    with pytest.raises(ModelError, match="too large for cpu"):
        check_model(tiny["pixel"], device=DeviceChoice(torch.device("cpu"), torch.float32))


def test_registry_add_list_remove(tiny, tmp_path):
    assert [(m["name"], m["builtin"]) for m in list_models()] == [("default", True)]
    name, info = add_model(tiny["pixel"], name="px")
    add_model(tiny["sd"])
    models = {m["name"]: m for m in list_models()}
    assert set(models) == {"default", "px", tiny["sd"].name}
    assert models["px"]["kind"] == "pixel-unet" and models["px"]["present"]
    assert models["px"]["sha256"] == info.sha256
    assert check_model("px").path == tiny["pixel"].resolve()
    with pytest.raises(ModelError, match="missing component"):
        broken = tmp_path / "b"
        shutil.copytree(tiny["sd"], broken)
        shutil.rmtree(broken / "scheduler")
        add_model(broken)
    assert len(list_models()) == 3
    remove_model("px")
    assert [m["name"] for m in list_models()] == ["default", tiny["sd"].name]


def test_huggingface_cache_offline(tiny, tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    repo = hub / "models--someone--tiny-pixel"
    commit = "0" * 40
    shutil.copytree(tiny["pixel"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = check_model("someone/tiny-pixel")
    assert info.kind == "pixel-unet" and info.path.name == commit
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        check_model("someone/absent-model")
