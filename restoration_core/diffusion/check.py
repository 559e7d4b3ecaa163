"""Validate a local model and say what it is, before anything heavy is loaded.

Kinds Reelwright can use:
- ``sd-inpaint``: a Stable Diffusion inpainting pipeline (diffusers folder with
  model_index.json + unet/vae/text_encoder/tokenizer/scheduler, UNet with 9 input
  channels), or a single original-format ``.safetensors`` checkpoint plus a local config.
- ``pixel-unet``: an unconditional pixel-space ``UNet2DModel`` (3 -> 3 channels).
- ``pixel-unet-concat``: a concat-conditioned ``UNet2DModel`` (7 = noisy 3 + masked image 3
  + mask 1 -> 3), as ``reelwright train-prior`` makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from restoration_core.atomic import atomic_write_text
from restoration_core.diffusion import inspect as mi
from restoration_core.diffusion import registry
from restoration_core.diffusion.device import DeviceChoice, dtype_bytes, free_memory, pick_device
from restoration_core.diffusion.registry import MARKER
from restoration_core.errors import ModelError
from restoration_core.paths import cache_dir

SD_COMPONENTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
DEFAULT_SD_CONFIG = "stable-diffusion-v1-5/stable-diffusion-inpainting"
PIXEL_PIPELINES = ("DDPMPipeline", "DDIMPipeline", "ScoreSdeVePipeline", "RePaintPipeline")
MEMORY_FACTOR = 1.5  # weights plus activations of a modest batch


@dataclass
class ModelInfo:
    """What a model is: ``kind``, where its weights are and their identity (sha256)."""

    kind: str
    path: Path
    sha256: str
    native_size: int
    channels: int
    params: int = 0
    pickle: bool = False
    config: Path | None = None
    unet_dir: Path | None = None
    weights: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("path", "config", "unet_dir"):
            d[key] = str(d[key]) if d[key] is not None else None
        d["weights"] = [str(p) for p in self.weights]
        return d


def resolve_model_path(spec: str | Path) -> Path:
    """A path on disk for a registered name, a path, or a repo id in the local HF cache."""
    text = str(spec)
    path = Path(text).expanduser()
    if path.exists():
        return path.resolve()
    entry = registry.lookup(text)
    if entry is not None:
        return Path(entry["path"])
    if text.count("/") == 1 and not text.startswith((".", "/", "~")):
        return _from_hf_cache(text)
    raise ModelError("no such model file or folder (and no registered model of that name)", text)


def _from_hf_cache(repo_id: str) -> Path:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(repo_id, local_files_only=True,
                                   cache_dir=os.environ.get("HF_HUB_CACHE") or None)
    except Exception:  # noqa: BLE001 - any hub failure means "not cached"
        raise ModelError("not a file or folder, and not in the local Hugging Face cache "
                         "(Reelwright never downloads models)", repo_id) from None
    return Path(folder)


def _hash_cache_file() -> Path:

    return cache_dir() / "model_hashes.json"


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    cache_path = _hash_cache_file()
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    cache[key] = h.hexdigest()
    try:

        atomic_write_text(cache_path, json.dumps(cache))
    except OSError:
        pass
    return cache[key]


def weights_sha256(files: list[Path], root: Path) -> str:
    """sha256 of a single weights file, or of the list of (relative path, sha256) of several."""
    if len(files) == 1:
        return _file_sha256(files[0])
    h = hashlib.sha256()
    for f in sorted(files):
        rel = f.relative_to(root) if f.is_relative_to(root) else f
        h.update(f"{rel.as_posix()}:{_file_sha256(f)}\n".encode())
    return h.hexdigest()


def _component_weights(folder: Path, name: str, allow_pickle: bool) -> tuple[list[Path], bool]:
    sub = folder / name
    if not sub.is_dir():
        raise ModelError(f"missing component '{name}' (expected a folder {name}/)", folder)
    if name == "tokenizer":
        if not any((sub / f).is_file() for f in ("tokenizer_config.json", "vocab.json", "tokenizer.json")):
            raise ModelError("missing component 'tokenizer' (no tokenizer files in tokenizer/)", folder)
        return [], False
    if name == "scheduler":
        if not (sub / "scheduler_config.json").is_file():
            raise ModelError("missing component 'scheduler' (no scheduler/scheduler_config.json)", folder)
        return [], False
    if not (sub / "config.json").is_file():
        raise ModelError(f"missing component '{name}' (no {name}/config.json)", folder)
    files = mi.weight_files(sub)
    if not files:
        raise ModelError(f"missing component '{name}' (no weights in {name}/)", folder)
    return files, mi.refuse_pickle(files, allow_pickle, folder)


def _check_sd_folder(folder: Path, index: dict, allow_pickle: bool) -> ModelInfo:
    cls = str(index.get("_class_name", ""))
    if "XL" in cls or "Flux" in cls or "StableDiffusion3" in cls:
        raise ModelError(f"wrong model type: {cls} is not supported; use a Stable Diffusion "
                         "1.x/2.x inpainting model or a pixel-space UNet2DModel", folder)
    files: list[Path] = []
    uses_pickle = False
    for name in SD_COMPONENTS:
        if index.get(name) in (None, [None, None]) and not (folder / name).is_dir():
            raise ModelError(f"missing component '{name}' (not in model_index.json)", folder)
        comp, pk = _component_weights(folder, name, allow_pickle)
        files += comp
        uses_pickle |= pk
    unet_cfg = mi.read_json(folder / "unet" / "config.json")
    if unet_cfg.get("_class_name") not in (None, "UNet2DConditionModel"):
        raise ModelError(f"wrong model type: unet is a {unet_cfg.get('_class_name')}", folder)
    ch = mi.int_field(unet_cfg, "in_channels", folder / "unet" / "config.json")
    if ch != 9:
        raise ModelError(f"not an inpainting model: its UNet takes {ch} input channels, an "
                         "inpainting UNet takes 9 (latents 4 + mask 1 + masked image 4)", folder)
    vae_cfg = mi.read_json(folder / "vae" / "config.json")
    scale = 2 ** (len(vae_cfg.get("block_out_channels", [0, 0, 0, 0])) - 1)
    native = int(unet_cfg.get("sample_size", 64)) * scale
    params = sum(mi.param_count(f)[0] for f in files)
    return ModelInfo("sd-inpaint", folder, weights_sha256(files, folder), native, ch, params,
                     uses_pickle, None, folder / "unet", files)


def _check_pixel_unet(folder: Path, cfg: dict, allow_pickle: bool, root: Path) -> ModelInfo:
    files = mi.weight_files(folder)
    if not files:
        raise ModelError("missing weights (no diffusion_pytorch_model.safetensors)", folder)
    uses_pickle = mi.refuse_pickle(files, allow_pickle, folder)
    cin, cout = mi.int_field(cfg, "in_channels", folder / "config.json"), mi.int_field(cfg, "out_channels", folder / "config.json")
    if cout != 3 or cin not in (3, 7):
        raise ModelError(f"unsupported pixel UNet: {cin} -> {cout} channels; Reelwright uses RGB "
                         "models with 3 (unconditional) or 7 (noisy 3 + masked image 3 + mask 1) "
                         "input channels and 3 output channels", folder)
    if cfg.get("class_embed_type") or cfg.get("num_class_embeds"):
        raise ModelError("unsupported pixel UNet: class-conditioned", folder)
    _check_pixel_schedule(folder, root)
    size = cfg.get("sample_size", 64)
    size = int(size[0] if isinstance(size, list | tuple) else size)
    kind = "pixel-unet-concat" if cin == 7 else "pixel-unet"
    params = sum(mi.param_count(f)[0] for f in files)
    return ModelInfo(kind, root, weights_sha256(files, root), size, cin, params, uses_pickle,
                     None, folder, files)


def _check_pixel_schedule(folder: Path, root: Path) -> None:
    """The pixel engine runs a DDIM loop on noise (epsilon) predictions over a DDPM-style
    (variance-preserving) schedule: refuse models trained otherwise rather than run them wrongly."""
    for cand in (folder / "scheduler_config.json", root / "scheduler" / "scheduler_config.json"):
        if cand.is_file():
            sched = mi.read_json(cand)
            cls = str(sched.get("_class_name", ""))
            if "ScoreSdeVe" in cls or "KarrasVe" in cls:
                raise ModelError(f"unsupported pixel model: a variance-exploding schedule ({cls}); "
                                 "the pixel engine needs a DDPM/DDIM-style one", root)
            pred = sched.get("prediction_type", "epsilon")
            if pred != "epsilon":
                raise ModelError(f"unsupported pixel model: it predicts '{pred}'; the pixel engine "
                                 "needs a noise ('epsilon') predicting UNet", root)
            return


def verify_card(folder: Path) -> None:
    """Refuse a Reelwright prior whose weights differ from the SHA-256 its card records."""
    card_path = folder / MARKER
    if not card_path.is_file():
        return
    card = mi.read_json(card_path)
    expected, name = card.get("sha256"), card.get("weights")
    if not expected or not name:
        return  # a prior trained before cards recorded the hash
    weights = folder / str(name)
    if not weights.is_file():
        raise ModelError(f"missing weights: {name} (named in {MARKER})", folder)
    h = hashlib.sha256()
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != expected:
        raise ModelError(f"{name} is corrupted or was modified: its SHA-256 {h.hexdigest()[:16]}... is not "
                         f"the {expected[:16]}... recorded in {MARKER} (reinstall Reelwright or retrain "
                         "the prior)", folder)


def _check_folder(folder: Path, allow_pickle: bool) -> ModelInfo:
    verify_card(folder)
    if (folder / "model_index.json").is_file():
        index = mi.read_json(folder / "model_index.json")
        cls = str(index.get("_class_name", ""))
        if cls in PIXEL_PIPELINES or (index.get("unet") and not index.get("vae")):
            if not (folder / "unet" / "config.json").is_file():
                raise ModelError("missing component 'unet' (no unet/config.json)", folder)
            cfg = mi.read_json(folder / "unet" / "config.json")
            if cfg.get("_class_name") not in (None, "UNet2DModel"):
                raise ModelError(f"wrong model type: unet is a {cfg.get('_class_name')}", folder)
            return _check_pixel_unet(folder / "unet", cfg, allow_pickle, folder)
        return _check_sd_folder(folder, index, allow_pickle)
    if (folder / "config.json").is_file():
        cfg = mi.read_json(folder / "config.json")
        cls = cfg.get("_class_name")
        if cls == "UNet2DModel":
            return _check_pixel_unet(folder, cfg, allow_pickle, folder)
        if cls == "UNet2DConditionModel":
            raise ModelError("wrong model type: a bare conditional UNet; give the whole inpainting "
                             "pipeline folder (model_index.json + unet, vae, text_encoder, "
                             "tokenizer, scheduler)", folder)
        what = cls or ",".join(cfg.get("architectures") or []) or cfg.get("model_type") or "unknown"
        raise ModelError(f"wrong model type: {what} is not an inpainting pipeline or a pixel-space "
                         "UNet2DModel", folder)
    if any((folder / c).is_dir() for c in SD_COMPONENTS):
        raise ModelError("missing component 'model_index.json' (not a diffusers pipeline folder)", folder)
    raise ModelError("not a model folder: no model_index.json or config.json", folder)


def _check_single_file(path: Path, allow_pickle: bool, config: str | Path | None) -> ModelInfo:
    if path.suffix in mi.PICKLE_SUFFIXES:
        mi.refuse_pickle([path], allow_pickle, path.parent)
        if path.suffix not in (".ckpt", ".pt", ".pth"):
            raise ModelError("a single pickle file is not a model Reelwright knows", path)
        import torch

        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a damaged file
            raise ModelError(f"cannot read the checkpoint ({' '.join(str(exc).split())[:200]})", path) from None
        if not isinstance(state, dict):
            raise ModelError("not a Stable Diffusion checkpoint (no tensor table)", path)
        state = state.get("state_dict", state)
        if not isinstance(state, dict):
            raise ModelError("not a Stable Diffusion checkpoint (no tensor table)", path)
        w = state.get("model.diffusion_model.input_blocks.0.0.weight")
        if w is None:
            raise ModelError("not a Stable Diffusion checkpoint", path)
        ch, params = int(w.shape[1]), sum(int(t.numel()) for t in state.values() if hasattr(t, "numel"))
    elif path.suffix == mi.SAFE_SUFFIX:
        ch = mi.sd_single_file_in_channels(path)
        params = mi.param_count(path)[0]
    else:
        raise ModelError("not a model file (expected a folder or a .safetensors checkpoint)", path)
    if ch != 9:
        raise ModelError(f"not an inpainting model: its UNet takes {ch} input channels, an "
                         "inpainting UNet takes 9", path)
    cfg_dir = resolve_model_path(config) if config else _default_sd_config(path)
    native = 512
    unet_cfg = cfg_dir / "unet" / "config.json"
    if unet_cfg.is_file():
        native = int(mi.read_json(unet_cfg).get("sample_size", 64)) * 8
    return ModelInfo("sd-inpaint", path, weights_sha256([path], path.parent), native, ch, params,
                     path.suffix != mi.SAFE_SUFFIX, cfg_dir, None, [path])


def _default_sd_config(path: Path) -> Path:
    try:
        return _from_hf_cache(DEFAULT_SD_CONFIG)
    except ModelError:
        raise ModelError("a single-file checkpoint needs a local config: pass --config DIR (a "
                         f"diffusers inpainting folder), or have {DEFAULT_SD_CONFIG} in the local "
                         "Hugging Face cache", path) from None


def check_model(spec: str | Path, *, allow_pickle: bool = False, device: DeviceChoice | None = None,
                config: str | Path | None = None) -> ModelInfo:
    """Validate a model (path, registered name or cached repo id) and describe it.

    Raises :class:`ModelError` naming the problem: missing component, wrong model type,
    pickle weights without ``allow_pickle``, or too large for the device's free memory.
    """
    entry = registry.registered(spec)
    if entry is not None:
        # what was consented to and given at `models add` holds wherever the model is used
        allow_pickle = allow_pickle or bool(entry.get("allow_pickle"))
        config = config or entry.get("config")
    path = resolve_model_path(spec)
    if path.is_dir():
        info = _check_folder(path, allow_pickle)
        if config:
            info.config = resolve_model_path(config)
    else:
        info = _check_single_file(path, allow_pickle, config)
    if device is None:

        device = pick_device()
    need = int(info.params * dtype_bytes(device.dtype) * MEMORY_FACTOR)
    free = free_memory(device.device)
    if need > free:
        raise ModelError(f"too large for {device.device.type}: needs about {need / 2**30:.1f} GiB, "
                         f"{free / 2**30:.1f} GiB free", path)
    return info


def add_model(spec: str | Path, *, name: str | None = None, allow_pickle: bool = False,
              config: str | Path | None = None) -> tuple[str, ModelInfo]:
    """Validate a model (:func:`check_model`) and register it under ``name`` (default: its folder or file name)."""
    if name == registry.BUILTIN:
        raise ModelError(f"the name '{registry.BUILTIN}' is the shipped prior's; choose another --name", spec)
    info = check_model(spec, allow_pickle=allow_pickle, config=config)
    name = name or (info.path.stem if info.path.is_file() else info.path.name)
    if name == registry.BUILTIN:
        raise ModelError(f"the name '{registry.BUILTIN}' is the shipped prior's; register it with --name", spec)
    entry = {
        "name": name,
        "path": str(info.path),
        "kind": info.kind,
        "sha256": info.sha256,
        "native_size": info.native_size,
        "channels": info.channels,
        "params": info.params,
        "config": str(info.config) if info.config else None,
        "allow_pickle": bool(info.pickle),
        "added": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    registry.register(entry)
    return name, info
