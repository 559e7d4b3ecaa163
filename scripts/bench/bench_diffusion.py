"""Benchmark: diffusion fill costs in proportion to the damage (only windows are denoised).

Restores the same frames of ../shared/data/clean/car-detection.mp4 (resized to 640x360)
twice through ``restore_frames(engine="diffusion")`` with one pixel-space model: once with
1% of the pixels damaged, once with 16% (dust-like discs and hair-like strokes, the damaged
pixels replaced by noise). Prints seconds per frame, the windows and canvas pixels the
engine denoised, and the cost ratio 1% / 16% (target <= 0.25).

The model is ``--model PATH`` (any pixel-space or SD inpainting model), else a randomly
initialised model of the default ``train-prior`` architecture (UNet 32-64-128, 64 px):
weights do not change the cost.

    python scripts/bench/bench_diffusion.py [--frames 6] [--steps 10] [--model PATH] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.diffusion import load_fill_engine  # noqa: E402
from restoration_core.media.frame import Frame  # noqa: E402
from restoration_core.progress import run_to_end  # noqa: E402
from restoration_core.restore import RestoreSettings, restore_frames  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CLIP = DATA / "clean" / "car-detection.mp4"


class ArrayReel:
    def __init__(self, frames: list[np.ndarray]):
        self._frames = frames
        h, w = frames[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": len(frames), "fps": 25.0})()

    def __len__(self) -> int:
        return len(self._frames)

    def read(self, index: int) -> Frame:
        return Frame(self._frames[index], index)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, len(self._frames) if stop is None else stop):
            yield Frame(self._frames[i], i)


class CountingFill:
    """Wraps an engine and counts the windows and canvas pixels it is asked to denoise."""

    def __init__(self, engine):
        self.engine, self.name = engine, engine.name
        self.windows = 0
        self.pixels = 0
        self.seconds = 0.0

    def fill(self, requests, cancel=None):
        self.windows += len(requests)
        self.pixels += sum(int(r.mask.size) for r in requests)
        start = time.perf_counter()
        out = yield from self.engine.fill(requests, cancel)
        self.seconds += time.perf_counter() - start
        return out


def read_clip(n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    while len(frames) < n:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(cv2.resize(bgr, (640, 360), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def damage_mask(shape: tuple[int, int], coverage: float, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    h, w = shape
    while mask.mean() < coverage:
        if rng.random() < 0.7:
            cv2.circle(mask, (int(rng.integers(w)), int(rng.integers(h))), int(rng.integers(2, 9)), 1, -1)
        else:
            pts = (np.cumsum(rng.normal(0, 12, (4, 2)), 0) + (rng.integers(w), rng.integers(h))).astype(np.int32)
            cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, int(rng.integers(1, 4)))
    return mask.astype(bool)


def run(frames: list[np.ndarray], coverage: float, engine, steps: int) -> dict:
    rng = np.random.default_rng(int(coverage * 1000))
    masks = [damage_mask(f.shape[:2], coverage, rng) for f in frames]
    damaged = []
    for f, m in zip(frames, masks, strict=True):
        d = f.copy()
        d[m] = rng.integers(0, 256, (int(m.sum()), 3), dtype=np.uint8)
        damaged.append(d)
    reel = ArrayReel(damaged)
    counting = CountingFill(engine)
    settings = RestoreSettings(engine="diffusion", steps=steps, grain=False)
    start = time.perf_counter()
    run_to_end(restore_frames(reel, None, lambda i: masks[i], settings, fill_engine=counting))
    seconds = time.perf_counter() - start
    return {"coverage": float(np.mean([m.mean() for m in masks])), "seconds": seconds,
            "per_frame": seconds / len(frames), "windows": counting.windows, "pixels": counting.pixels,
            "engine_seconds": counting.seconds}


def default_model(folder: Path) -> Path:
    from diffusers import DDIMScheduler

    from restoration_core.diffusion.train_prior import MARKER, PriorSettings, build_unet

    build_unet(PriorSettings()).save_pretrained(folder, safe_serialization=True)
    DDIMScheduler(num_train_timesteps=1000).save_pretrained(folder)
    (folder / MARKER).write_text('{"note": "random weights, for timing only"}')
    return folder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--model", help="model folder/file (default: random train-prior architecture)")
    ap.add_argument("--device", help="cuda, mps or cpu (default: the best present)")
    ap.add_argument("--threads", type=int, help="torch CPU threads (1 is faster on a busy machine)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if not CLIP.exists():
        print(f"skipped: {CLIP} is absent (the benchmark needs ../shared/data)")
        return 0
    frames = read_clip(args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or default_model(Path(tmp) / "prior")
        engine = load_fill_engine(model, device=args.device, steps=args.steps)
        label = args.model or "random train-prior architecture (32-64-128, 64 px)"
        print(f"model: {label}  engine {engine.name}  device {engine.device}  steps {args.steps}  "
              f"frames {len(frames)} at {frames[0].shape[1]}x{frames[0].shape[0]}")
        run(frames[:2], 0.01, engine, args.steps)  # warm-up
        low = run(frames, 0.01, engine, args.steps)
        high = run(frames, 0.16, engine, args.steps)
    for r in (low, high):
        print(f"damage {100 * r['coverage']:5.2f}%: {r['per_frame']:.3f} s/frame in restore_frames, "
              f"{r['engine_seconds']:.2f} s in the engine, {r['windows']} windows, "
              f"{r['pixels'] / 1e6:.2f} Mpx of windows")
    ratio = low["seconds"] / high["seconds"]
    print(f"cost ratio 1% / 16% = {ratio:.3f} (target <= 0.25) {'OK' if ratio <= 0.25 else 'MISSED'}; "
          f"engine only {low['engine_seconds'] / high['engine_seconds']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
