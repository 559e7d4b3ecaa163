"""Pixel-space inpainting with a UNet2DModel: our own short DDIM loop.

Each step predicts x0, then replaces its known part by the known pixels (DDNM range/null
space consistency: the known region is exact at every step) and steps DDIM (eta = 0).
During the first half of the steps each step is redone ``resample`` extra times after
re-noising back (RePaint's jumps), which harmonizes the fill with its surroundings.
Concat-conditioned models (7 input channels) also see the masked image and the mask:
input = [x_t (3), known image with holes at 0 (3), hole mask (1)], all in [-1, 1] / {0, 1}.
Every request draws its noise from its own seeded generator, so a window's fill does not
depend on what else is in its batch. ``init`` (the previous frame's warped fill) is
noised to an intermediate step and denoised from there. A window whose known pixels are
grey (black-and-white film) gets a grey fill (the channels' mean).

Windows stay at 1:1 scale (a reel-trained prior knows the film's grain at that scale):
smaller ones are mirror-padded to the model's size, larger ones are covered by
overlapping tiles, and only tiles touching the hole are denoised; the tiles' x0
predictions are averaged where they overlap at every step (as MultiDiffusion does), so
the tiles of one window agree and the cost follows the damaged area.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from restoration_core.diffusion.device import DeviceChoice, batched_with_oom_fallback
from restoration_core.diffusion.engines import windows
from restoration_core.progress import CancelToken, Progress
from restoration_core.restore.fill import FillRequest


def _neutral(image: np.ndarray, hole: np.ndarray) -> bool:
    """True when the known pixels of a window are grey (R = G = B within one 8-bit level)."""
    known = image[~hole]
    return known.size > 0 and float(np.ptp(known, axis=1).max()) <= 1.0 / 255


@dataclass
class _Prepared:
    index: int
    request: FillRequest
    canvas: np.ndarray  # H'xW'x3 in [0, 1], window mirror-padded to at least the model size
    hole: np.ndarray
    init: np.ndarray | None
    place: windows.Placement
    tiles: list[tuple[int, int]]


class PixelDiffusionFill:
    """A :class:`~restoration_core.restore.fill.GenerativeFill` over a pixel-space UNet."""

    name = "diffusion-pixel"

    def __init__(self, unet, alphas_cumprod: torch.Tensor, choice: DeviceChoice, *, steps: int = 20,
                 resample: int = 1, batch_size: int = 8, init_strength: float = 0.5,
                 concat: bool | None = None):
        self.unet = unet.eval().requires_grad_(False)
        self.alphas = alphas_cumprod.double().cpu()
        self.choice = choice
        self.device = choice.device
        self.steps = max(1, int(steps))
        self.resample = max(0, int(resample))
        self.batch_size = max(1, int(batch_size))
        self.init_strength = float(init_strength)
        self.concat = unet.config.in_channels == 7 if concat is None else concat
        size = unet.config.sample_size
        self.size = int(size[0] if isinstance(size, list | tuple) else size)
        self.overlap = self.size // 4
        self._done = 0
        self._total = 0

    # -- schedule ---------------------------------------------------------------------
    def timesteps(self, with_init: bool) -> list[int]:
        n_train = len(self.alphas)
        ts = np.linspace(n_train - 1, 0, self.steps).round().astype(int).tolist()
        if with_init:
            keep = max(1, int(math.ceil(self.steps * self.init_strength)))
            ts = ts[-keep:]
        return ts

    def _repeats(self, k: int, n: int) -> int:
        return 1 + (self.resample if k < n // 2 else 0)

    def evals_per_batch(self, with_init: bool) -> int:
        n = len(self.timesteps(with_init))
        return sum(self._repeats(k, n) for k in range(n))

    def _to_cpu(self) -> None:
        self.device = torch.device("cpu")
        self.unet.to(self.device, torch.float32)
        self.choice = DeviceChoice(self.device, torch.float32)

    # -- the loop ---------------------------------------------------------------------
    def _noise(self, gens: list[torch.Generator], counts: list[int]) -> torch.Tensor:
        S = self.size
        return torch.cat([torch.randn((c, 3, S, S), generator=g) for g, c in zip(gens, counts, strict=True)]
                         ).to(self.device)

    def _eps(self, x: torch.Tensor, t: int, cond: torch.Tensor | None) -> torch.Tensor:
        inp = x if cond is None else torch.cat([x, cond], dim=1)
        tt = torch.full((x.shape[0],), t, device=self.device, dtype=torch.long)
        out = self.unet(inp.to(self.choice.dtype), tt).sample
        return out.float()

    def _tiles(self, images: list[np.ndarray], chunk: Sequence[_Prepared]) -> torch.Tensor:
        S = self.size
        out = [img[y:y + S, x:x + S] for img, p in zip(images, chunk, strict=True) for (y, x) in p.tiles]
        return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).to(self.device)

    def _agree(self, x0: torch.Tensor, chunk: Sequence[_Prepared]) -> torch.Tensor:
        """Average the x0 predictions of overlapping tiles of the same window."""
        S, k = self.size, 0
        for p in chunk:
            n = len(p.tiles)
            if n > 1:
                H, W = p.hole.shape
                acc = torch.zeros((3, H, W), device=x0.device)
                cnt = torch.zeros((1, H, W), device=x0.device)
                for j, (y, x) in enumerate(p.tiles):
                    acc[:, y:y + S, x:x + S] += x0[k + j]
                    cnt[:, y:y + S, x:x + S] += 1
                acc = acc / cnt.clamp(min=1)
                for j, (y, x) in enumerate(p.tiles):
                    x0[k + j] = acc[:, y:y + S, x:x + S]
            k += n
        return x0

    def _stitch(self, x0: torch.Tensor, chunk: Sequence[_Prepared]) -> list[np.ndarray]:
        S, k, out = self.size, 0, []
        tiles = ((x0.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).float().cpu().numpy()
        for p in chunk:
            canvas = p.canvas.copy()
            for j, (y, x) in enumerate(p.tiles):
                canvas[y:y + S, x:x + S] = tiles[k + j]
            k += len(p.tiles)
            out.append(canvas)
        return out

    def _run_batch(self, chunk: Sequence[_Prepared], device: torch.device,
                   cancel: CancelToken | None) -> Generator[Progress, None, list[np.ndarray]]:
        with_init = chunk[0].init is not None
        ts = self.timesteps(with_init)
        known = self._tiles([p.canvas for p in chunk], chunk) * 2 - 1
        hole = self._tiles([p.hole[..., None].astype(np.float32) for p in chunk], chunk)
        cond = torch.cat([known * (1 - hole), hole], dim=1) if self.concat else None
        gens = [torch.Generator("cpu").manual_seed(int(p.request.seed) & 0xFFFF_FFFF_FFFF) for p in chunk]
        counts = [len(p.tiles) for p in chunk]
        a = self.alphas
        x = self._noise(gens, counts)
        if with_init:
            start = self._tiles([p.init for p in chunk], chunk) * 2 - 1
            x0_init = known * (1 - hole) + start * hole
            at = float(a[ts[0]])
            x = math.sqrt(at) * x0_init + math.sqrt(1 - at) * x
        n = len(ts)
        frame = chunk[0].request.frame
        with torch.inference_mode():
            for k, t in enumerate(ts):
                a_t = float(a[t])
                a_prev = float(a[ts[k + 1]]) if k + 1 < n else 1.0
                reps = self._repeats(k, n)
                for r in range(reps):
                    if cancel is not None:
                        cancel.check()
                    eps = self._eps(x, t, cond)
                    x0 = ((x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)).clamp(-1, 1)
                    x0 = self._agree(known * (1 - hole) + x0 * hole, chunk)
                    eps_hat = (x - math.sqrt(a_t) * x0) / math.sqrt(max(1 - a_t, 1e-12))
                    x_prev = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps_hat
                    self._done += 1
                    self._total = max(self._total, self._done)
                    yield Progress(self._done, self._total, stage="diffusion", frame=frame,
                                   message=f"pixel diffusion step {k + 1}/{n}")
                    if r + 1 < reps:
                        ratio = a_t / a_prev
                        x = math.sqrt(ratio) * x_prev + math.sqrt(1 - ratio) * self._noise(gens, counts)
                x = x_prev
        return self._stitch(x, chunk)

    def fill(self, requests: Sequence[FillRequest], cancel: CancelToken | None = None
             ) -> Generator[Progress, None, list[np.ndarray]]:
        """Fill the masked pixels of each window; known pixels come back unchanged."""
        prepared: list[_Prepared] = []
        for i, req in enumerate(requests):
            windows.validate(req.image, req.mask, req.init)
            canvas, hole, place, tiles = windows.fit_tiled(req.image, req.mask, self.size, self.overlap)
            init = None
            if req.init is not None:
                init = windows.fit_tiled(np.where(req.mask[..., None], req.init, req.image),
                                         np.zeros_like(req.mask), self.size, self.overlap)[0]
            prepared.append(_Prepared(i, req, canvas, hole, init, place, tiles))
        results: list[np.ndarray | None] = [None] * len(requests)
        todo = [p for p in prepared if p.request.mask.any()]
        for p in prepared:
            if not p.request.mask.any():
                results[p.index] = np.array(p.request.image, dtype=np.float32, copy=True)
        groups = [[p for p in todo if p.init is None], [p for p in todo if p.init is not None]]
        self._done = 0
        self._total = sum(math.ceil(len(g) / self.batch_size) * self.evals_per_batch(g[0].init is not None)
                          for g in groups if g)
        for group in groups:
            if not group:
                continue
            outs = yield from batched_with_oom_fallback(
                lambda chunk, dev: self._run_batch(chunk, dev, cancel),
                group, self.batch_size, self.device, self._to_cpu)
            for p, canvas in zip(group, outs, strict=True):
                gen = windows.unfit(canvas, p.place)
                if _neutral(p.request.image, p.request.mask):  # black-and-white film stays neutral
                    gen = np.repeat(gen.mean(axis=2, keepdims=True), 3, axis=2)
                results[p.index] = windows.compose(p.request.image, p.request.mask, gen)
        return [r for r in results if r is not None]
