"""Latent inpainting with a Stable Diffusion inpainting pipeline (diffusers).

Windows are scaled to the model's native size (aspect kept, mirror-padded), batched, and
inpainted with an empty prompt and no classifier-free guidance (one UNet pass per step).
Each request has its own seeded generator. With ``init`` (the previous frame's warped
fill) the holes start from it and only ``init_strength`` of the schedule is run, so a
persistent defect is filled the same way from frame to frame. The pipeline changes every
pixel through the VAE; only the hole pixels are taken back, the rest is returned exact.

The pipeline call blocks, so it runs in a helper thread; its step callback feeds progress
to this generator and stops the run (raising ``Cancelled``) when asked to.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Sequence

import numpy as np
import torch

from restoration_core.diffusion.device import DeviceChoice, batched_with_oom_fallback
from restoration_core.diffusion.engines import windows
from restoration_core.errors import Cancelled
from restoration_core.progress import CancelToken, Progress
from restoration_core.restore.fill import FillRequest

PROMPT = ""


class LatentDiffusionFill:
    """A :class:`~restoration_core.restore.fill.GenerativeFill` over an SD inpainting pipeline."""

    name = "diffusion-latent"

    def __init__(self, pipe, choice: DeviceChoice, size: int, *, steps: int = 20, batch_size: int = 4,
                 init_strength: float = 0.6, prompt: str = PROMPT):
        self.pipe = pipe
        self.choice = choice
        self.device = choice.device
        self.size = int(size)
        self.steps = max(1, int(steps))
        self.batch_size = max(1, int(batch_size))
        self.init_strength = float(init_strength)
        self.prompt = prompt
        self._done = 0
        self._total = 0
        pipe.set_progress_bar_config(disable=True)

    def _to_cpu(self) -> None:
        self.device = torch.device("cpu")
        self.pipe.to("cpu", torch.float32)
        self.choice = DeviceChoice(self.device, torch.float32)

    def _steps_run(self, with_init: bool) -> int:
        return max(1, int(self.steps * self.init_strength)) if with_init else self.steps

    def _call(self, images: torch.Tensor, masks: torch.Tensor, seeds: list[int], strength: float,
              step: queue.Queue, stop: threading.Event, cancel: CancelToken | None) -> np.ndarray:
        def on_step(_pipe, i, _t, kwargs):
            if stop.is_set() or (cancel is not None and cancel.cancelled):
                raise Cancelled()
            step.put(("step", i))
            return kwargs

        gens = [torch.Generator("cpu").manual_seed(int(s) & 0xFFFF_FFFF_FFFF) for s in seeds]
        out = self.pipe(prompt=[self.prompt] * len(seeds), image=images, mask_image=masks,
                        height=self.size, width=self.size, strength=strength,
                        num_inference_steps=self.steps, guidance_scale=1.0, generator=gens,
                        output_type="np", callback_on_step_end=on_step)
        return np.asarray(out.images, dtype=np.float32)

    def _run_batch(self, chunk, device, cancel) -> Generator[Progress, None, list[np.ndarray]]:
        if cancel is not None:
            cancel.check()
        with_init = chunk[0][2] is not None
        canv = np.stack([c[2] if with_init else c[0] for c in chunk])
        images = torch.from_numpy(canv).permute(0, 3, 1, 2)
        masks = torch.from_numpy(np.stack([c[1] for c in chunk])).float()[:, None]
        seeds = [c[3].seed for c in chunk]
        strength = self.init_strength if with_init else 1.0
        steps: queue.Queue = queue.Queue()
        stop = threading.Event()
        box: dict = {}

        def work():
            try:
                with torch.inference_mode():
                    box["out"] = self._call(images, masks, seeds, strength, steps, stop, cancel)
            except BaseException as exc:  # noqa: BLE001 - handed to the generator's thread
                box["error"] = exc
            finally:
                steps.put(("end", None))

        thread = threading.Thread(target=work, name="reelwright-latent-fill", daemon=True)
        thread.start()
        try:
            while True:
                kind, i = steps.get()
                if kind == "end":
                    break
                self._done += 1
                self._total = max(self._total, self._done)
                yield Progress(self._done, self._total, stage="diffusion", frame=chunk[0][3].frame,
                               message=f"latent diffusion step {i + 1}")
        finally:
            stop.set()
            thread.join()
        if "error" in box:
            raise box["error"]
        return list(box["out"])

    def fill(self, requests: Sequence[FillRequest], cancel: CancelToken | None = None
             ) -> Generator[Progress, None, list[np.ndarray]]:
        """Fill the masked pixels of each window; known pixels come back unchanged."""
        prepared = []
        results: list[np.ndarray | None] = [None] * len(requests)
        for i, req in enumerate(requests):
            windows.validate(req.image, req.mask, req.init)
            if not req.mask.any():
                results[i] = np.array(req.image, dtype=np.float32, copy=True)
                continue
            canvas, hole, place = windows.fit(req.image, req.mask, self.size, upscale=True)
            init = None
            if req.init is not None:
                start = np.where(req.mask[..., None], req.init, req.image).astype(np.float32)
                init, _h, _p = windows.fit(start, np.zeros_like(req.mask), self.size, upscale=True)
            prepared.append((canvas, hole, init, req, place, i))
        groups = [[p for p in prepared if p[2] is None], [p for p in prepared if p[2] is not None]]
        self._done = 0
        self._total = sum(-(-len(g) // self.batch_size) * self._steps_run(g[0][2] is not None)
                          for g in groups if g)
        for group in groups:
            if not group:
                continue
            outs = yield from batched_with_oom_fallback(
                lambda chunk, dev: self._run_batch(chunk, dev, cancel),
                group, self.batch_size, self.device, self._to_cpu)
            for p, canvas in zip(group, outs, strict=True):
                gen = windows.unfit(canvas, p[4])
                results[p[5]] = windows.compose(p[3].image, p[3].mask, gen)
        return [r for r in results if r is not None]
