"""Load a checked model into a fill engine. Local files only; nothing reaches a network."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from restoration_core.diffusion.check import ModelInfo, check_model
from restoration_core.diffusion.device import DeviceChoice, pick_device
from restoration_core.errors import ModelError

log = logging.getLogger(__name__)
DEFAULT_STEPS = 20


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    dlog.disable_progress_bar()
    tlog.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*torch_dtype.*is deprecated", category=FutureWarning)


def _warn_pickle(info: ModelInfo) -> None:
    message = (f"{info.path}: loading a pickle checkpoint; pickle can run arbitrary code, "
               "only do this for files from a source you trust")
    warnings.warn(message, UserWarning, stacklevel=3)
    log.warning(message)


def _choice(device: str | DeviceChoice | None) -> DeviceChoice:
    return device if isinstance(device, DeviceChoice) else pick_device(device)


def load_pixel_unet(info: ModelInfo, choice: DeviceChoice):
    """(UNet2DModel on the device, alphas_cumprod) of a pixel-space model."""
    _offline()
    import torch
    from diffusers import DDIMScheduler, UNet2DModel

    folder = info.unet_dir or info.path
    try:
        unet = UNet2DModel.from_pretrained(folder, local_files_only=True, use_safetensors=not info.pickle,
                                           torch_dtype=choice.dtype)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot load the UNet ({exc})", folder) from None
    for cand in (folder / "scheduler_config.json", info.path / "scheduler" / "scheduler_config.json"):
        if cand.is_file():
            scheduler = DDIMScheduler.from_pretrained(cand.parent, local_files_only=True)
            break
    else:
        scheduler = DDIMScheduler(num_train_timesteps=1000)
    return unet.to(choice.device), torch.as_tensor(scheduler.alphas_cumprod)


def load_sd_pipeline(info: ModelInfo, choice: DeviceChoice):
    """A StableDiffusionInpaintPipeline on the device, from a folder or a single file."""
    _offline()
    from diffusers import StableDiffusionInpaintPipeline

    common = dict(torch_dtype=choice.dtype, safety_checker=None, requires_safety_checker=False)
    try:
        if info.path.is_dir():
            pipe = StableDiffusionInpaintPipeline.from_pretrained(
                info.path, local_files_only=True, use_safetensors=not info.pickle, **common)
        else:
            pipe = StableDiffusionInpaintPipeline.from_single_file(
                str(info.path), config=str(info.config), local_files_only=True, **common)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot load the inpainting pipeline ({str(exc).splitlines()[0]})",
                         info.path) from None
    return pipe.to(choice.device)


def load_fill_engine(path: str | Path, device: str | DeviceChoice | None = None, steps: int | None = None,
                     allow_pickle: bool = False, *, config: str | Path | None = None,
                     batch_size: int | None = None, resample: int = 1, init_strength: float | None = None):
    """A GenerativeFill for the model at ``path`` (a folder, file, registered name or cached repo id).

    ``device``: "cuda", "mps", "cpu" or None for the best present. ``steps``: denoising
    steps (default 20). Raises :class:`ModelError` for anything unusable.
    """
    choice = _choice(device)
    info = check_model(path, allow_pickle=allow_pickle, device=choice, config=config)
    if info.pickle:
        _warn_pickle(info)
    steps = int(steps or DEFAULT_STEPS)
    if info.kind == "sd-inpaint":
        from restoration_core.diffusion.engines.latent import LatentDiffusionFill

        pipe = load_sd_pipeline(info, choice)
        kwargs = {} if init_strength is None else {"init_strength": init_strength}
        return LatentDiffusionFill(pipe, choice, info.native_size, steps=steps,
                                   batch_size=batch_size or (8 if choice.device.type == "cuda" else 2),
                                   **kwargs)
    from restoration_core.diffusion.engines.pixel import PixelDiffusionFill

    unet, alphas = load_pixel_unet(info, choice)
    kwargs = {} if init_strength is None else {"init_strength": init_strength}
    return PixelDiffusionFill(unet, alphas, choice, steps=steps, resample=resample,
                              batch_size=batch_size or (32 if choice.device.type == "cuda" else 8),
                              **kwargs)
