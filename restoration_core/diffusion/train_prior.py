"""Train a reel-adapted inpainting prior: a small concat-conditioned UNet2DModel.

SR3/Palette style: the UNet sees [noisy patch (3), patch with holes at 0 (3), hole mask (1)]
and predicts the noise. Patches come from the reel itself (avoiding pixels flagged as
damage when a ``mask_for`` is given), holes from :mod:`synthetic_masks`, so the fill it
makes carries the film's own grain and tonality. The result is a diffusers folder
(config.json + diffusion_pytorch_model.safetensors + scheduler_config.json + reelwright.json)
that the pixel-space engine loads through the registry.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from restoration_core.atomic import check_writable_folder, partial_name
from restoration_core.diffusion.check import MARKER, check_model, verify_card
from restoration_core.diffusion.device import pick_device
from restoration_core.diffusion.synthetic_masks import synthetic_mask
from restoration_core.errors import InputError, OutputError
from restoration_core.progress import CancelToken, Progress


@dataclass
class PriorSettings:
    steps: int = 2000
    size: int = 64
    batch: int | None = None  # default: 64 on a GPU, 8 on the CPU
    lr: float = 2e-4
    seed: int = 0
    channels: tuple[int, ...] = (32, 64, 128)
    layers_per_block: int = 1
    frames: int = 16  # frames sampled from the reel
    device: str | None = None
    init_from: str | None = None  # a concat prior (path or registered name) to fine-tune
    max_seconds: float | None = None  # stop earlier than ``steps`` after this long and save


def _to_float(data: np.ndarray) -> np.ndarray:
    scale = 65535.0 if data.dtype == np.uint16 else 255.0 if data.dtype == np.uint8 else 1.0
    return np.ascontiguousarray(data[..., :3], dtype=np.float32) / scale


class PatchSampler:
    """Random patches of a few frames of the reel, away from known damage.

    Frames stay in their own dtype (a 4K uint16 frame is 50 MB); clean patch positions
    are precomputed on a 4-pixel grid from an integral image of the dilated damage mask.
    """

    GRID = 4

    def __init__(self, reel: Any, size: int, frames: int, rng: np.random.Generator,
                 mask_for: Callable[[int], np.ndarray | None] | None = None):
        n = len(reel)
        if n == 0:
            raise InputError("the reel has no frames")
        picks = sorted(set(np.linspace(0, n - 1, min(n, frames)).round().astype(int).tolist()))
        self.frames: list[np.ndarray] = []
        self.clean: list[np.ndarray] = []
        for i in picks:
            data = np.asarray(reel.read(i).data)
            h, w = data.shape[:2]
            if min(h, w) < size:
                raise InputError(f"frames are {w}x{h}, smaller than the {size}px training "
                                 "patches (use a smaller --size)")
            self.frames.append(data)
            m = mask_for(i) if mask_for is not None else None
            g = self.GRID
            ys, xs = np.arange(0, h - size + 1, g), np.arange(0, w - size + 1, g)
            if m is None or not np.any(m):
                ok = np.ones((len(ys), len(xs)), bool)
            else:
                bad = cv2.dilate(np.asarray(m, np.uint8), np.ones((7, 7), np.uint8))
                ii = cv2.integral(bad)
                y0, x0 = ys[:, None], xs[None, :]
                box = ii[y0 + size, x0 + size] - ii[y0, x0 + size] - ii[y0 + size, x0] + ii[y0, x0]
                ok = box == 0
            self.clean.append(np.flatnonzero(ok).astype(np.int32) if ok.any() else
                              np.arange(ok.size, dtype=np.int32))
            self.clean[-1] = np.stack([self.clean[-1] // ok.shape[1], self.clean[-1] % ok.shape[1]], 1) * g
        self.indices = picks
        self.size = size
        self.rng = rng

    def patch(self) -> np.ndarray:
        s, rng = self.size, self.rng
        k = int(rng.integers(len(self.frames)))
        y, x = (int(v) for v in self.clean[k][int(rng.integers(len(self.clean[k])))])
        p = _to_float(self.frames[k][y:y + s, x:x + s])
        return p[:, ::-1] if rng.random() < 0.5 else p

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = np.stack([self.patch() for _ in range(n)]) * 2 - 1
        m = np.stack([synthetic_mask(self.rng, self.size) for _ in range(n)])
        return (torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float(),
                torch.from_numpy(m)[:, None].float())


def build_unet(settings: PriorSettings):
    """A fresh UNet of ``settings``' shape, or the prior ``settings.init_from`` (its own shape)."""
    from diffusers import UNet2DModel

    if settings.init_from:
        return load_init(settings.init_from)

    n = len(settings.channels)
    return UNet2DModel(
        sample_size=settings.size, in_channels=7, out_channels=3,
        block_out_channels=tuple(settings.channels), layers_per_block=settings.layers_per_block,
        down_block_types=("DownBlock2D",) * (n - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (n - 1),
        norm_num_groups=min(32, min(settings.channels)),
    )


def load_init(spec: str) -> Any:
    """The float32 UNet of a concat-conditioned prior to fine-tune (checked, SHA-256 verified)."""
    from diffusers import UNet2DModel


    info = check_model(spec)
    if info.kind != "pixel-unet-concat":
        raise InputError(f"--from needs a concat-conditioned pixel prior (pixel-unet-concat), "
                         f"{spec} is a {info.kind}")
    folder = info.unet_dir or info.path
    try:
        return UNet2DModel.from_pretrained(folder, local_files_only=True, torch_dtype=torch.float32)
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"{folder}: cannot load the prior to fine-tune ({exc})") from None


# what a prior folder holds: these and nothing else, so a folder holding anything more is not ours
PRIOR_FILES = frozenset({"config.json", "diffusion_pytorch_model.safetensors", "scheduler_config.json", MARKER})


def replaceable_prior(out_dir: Path) -> bool:
    """Whether ``out_dir`` may be replaced: empty, or an earlier prior with nothing else in it."""
    if not out_dir.is_dir() or out_dir.is_symlink():
        return False
    names = {p.name for p in out_dir.iterdir()}
    return not names or (MARKER in names and names <= PRIOR_FILES)


def _install(tmp: Path, out_dir: Path) -> None:
    """Move the finished folder into place; replace only an earlier Reelwright prior."""
    if out_dir.exists():
        if replaceable_prior(out_dir):
            old = partial_name(out_dir)  # removed below, or by the next run if this one is killed
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
            return
        raise OutputError("exists and is not a Reelwright prior; refusing to overwrite it", out_dir)
    tmp.rename(out_dir)


def train_prior(reel: Any, out_dir: str | Path, settings: PriorSettings | None = None, *,
                mask_for: Callable[[int], np.ndarray | None] | None = None,
                cancel: CancelToken | None = None) -> Generator[Progress, None, Path]:
    """Train on ``reel`` (len(), read(i) -> Frame) and save the model to ``out_dir``.

    Yields progress per optimizer step (the smoothed loss in ``message``, the step's raw loss
    as ``payload``); returns ``out_dir``. ``settings.init_from`` fine-tunes that prior instead
    of starting from random weights (its architecture wins over ``size``/``channels``).
    """
    from diffusers import DDIMScheduler, DDPMScheduler

    st = settings or PriorSettings()
    out_dir = Path(out_dir)
    unet = build_unet(st) if st.init_from else None
    if unet is not None:  # fine-tuning keeps the prior's shape
        size = unet.config.sample_size
        st = PriorSettings(**{**asdict(st), "size": int(size[0] if isinstance(size, list | tuple) else size),
                              "channels": tuple(unet.config.block_out_channels),
                              "layers_per_block": int(unet.config.layers_per_block)})
    if st.size % 2 ** (len(st.channels) - 1) or st.size < 8:
        raise InputError(f"--size must be a multiple of {2 ** (len(st.channels) - 1)} and at least 8")
    if out_dir.exists() and not replaceable_prior(out_dir):
        raise OutputError("exists and is not only a Reelwright prior (it holds other files); refusing to "
                          "overwrite it", out_dir)
    check_writable_folder(out_dir.parent)
    choice = pick_device(st.device)
    dev = choice.device
    batch = int(st.batch or (64 if dev.type == "cuda" else 8))
    rng = np.random.default_rng(st.seed)
    torch.manual_seed(st.seed)
    yield Progress(0, st.steps, stage="train-prior", message="reading patches from the reel")
    sampler = PatchSampler(reel, st.size, st.frames, rng, mask_for)
    unet = (unet if unet is not None else build_unet(st)).to(dev)
    amp = dev.type == "cuda"
    if amp:  # bf16 autocast on channels-last tensors: the fast path of tensor cores
        unet = unet.to(memory_format=torch.channels_last)
    ema = copy.deepcopy(unet).requires_grad_(False)
    sched = DDPMScheduler(num_train_timesteps=1000)
    alphas = sched.alphas_cumprod.to(dev)
    opt = torch.optim.AdamW(unet.parameters(), lr=st.lr, weight_decay=0.0)
    started, loss_avg, done = time.monotonic(), None, 0
    unet.train()
    for step in range(st.steps):
        if cancel is not None:
            cancel.check()
        if st.max_seconds is not None and step and time.monotonic() - started > st.max_seconds:
            break
        x0, m = (t.to(dev, non_blocking=True) for t in sampler.batch(batch))
        noise = torch.randn_like(x0)
        t = torch.randint(0, len(alphas), (batch,), device=dev)
        a = alphas[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        inp = torch.cat([xt, x0 * (1 - m), m], dim=1)
        if amp:
            inp = inp.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            pred = unet(inp, t).sample
        loss = ((pred.float() - noise) ** 2 * (1 + 3 * m)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), unet.parameters(), strict=True):
                pe.lerp_(pm, 1 - decay)
        value = float(loss.detach())
        done = step + 1
        loss_avg = value if loss_avg is None else 0.95 * loss_avg + 0.05 * value
        yield Progress(step + 1, st.steps, stage="train-prior",
                       message=f"step {step + 1}/{st.steps} loss {loss_avg:.4f}", payload=value)
    tmp = partial_name(out_dir)  # a killed run's leftover is removed by the next run (safety)
    try:
        ema.to("cpu", memory_format=torch.contiguous_format).save_pretrained(tmp, safe_serialization=True)
        DDIMScheduler.from_config(sched.config).save_pretrained(tmp)
        weights = tmp / "diffusion_pytorch_model.safetensors"
        info = {
            "kind": "pixel-unet-concat",
            "conditioning": "input = [x_t, image * (1 - mask), mask]; image in [-1, 1], mask 1 = hole",
            "trained_on": str(getattr(getattr(reel, "info", None), "path", "") or ""),
            "fine_tuned_from": st.init_from,
            "frames_sampled": sampler.indices,
            "settings": {**asdict(st), "batch": batch, "channels": list(st.channels)},
            "steps_done": done,
            "device": choice.label,
            "final_loss": loss_avg,
            "seconds": round(time.monotonic() - started, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "weights": weights.name,
            "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        }
        (tmp / MARKER).write_text(json.dumps(info, indent=1))
        verify_card(tmp)
        _install(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def read_training_info(folder: str | Path) -> dict | None:
    path = Path(folder) / MARKER
    return json.loads(path.read_text()) if path.is_file() else None
