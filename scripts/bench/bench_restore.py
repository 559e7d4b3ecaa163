"""Benchmark the restoration pipeline against baselines on synthetic damage with known truth.

Overlays real artifact shapes (../shared/data/artifacts) and a drifting line scratch on a
clean street clip (../shared/data/clean/car-detection.mp4, resized to 640x360) with
``restoration_core.metrics.damage``, then repairs it with

- ours: ``restore_frames`` (temporal fill, then classical fill, grain), given the true masks;
- ours on masks found by ``detect_reel`` (the fully automatic path);
- baselines in the same run: OpenCV Telea per frame, and a 3-frame temporal median (no
  motion compensation), both given the true masks;
- with ``--model PATH``: ours with that diffusion model (``restoration_core.diffusion``).

It prints PSNR and SSIM inside the damage masks, whole-frame PSNR, the warping error E_warp
(flow from the clean clip) and seconds per frame, and the peak traced memory of a 60- vs a
300-frame run (frames made on the fly, so only the pipeline's memory counts).

    python scripts/bench/bench_restore.py [--frames 60] [--no-detect] [--no-memory] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.media.frame import Frame  # noqa: E402
from restoration_core.metrics.damage import Damager, DamageSettings, load_artifacts  # noqa: E402
from restoration_core.metrics.quality import psnr, ssim, warping_error  # noqa: E402
from restoration_core.restore import RestoreSettings, restore_frames  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


class ArrayReel:
    """Frames held in memory, with the reel methods the pipeline uses."""

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


class OnTheFlyReel:
    """``count`` damaged frames made on demand from a few clean ones (nothing kept)."""

    def __init__(self, clean: list[np.ndarray], damager: Damager, count: int):
        self.clean, self.damager, self.count = clean, damager, count
        h, w = clean[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": count, "fps": 25.0})()

    def __len__(self) -> int:
        return self.count

    def _clean(self, i: int) -> np.ndarray:
        period = 2 * len(self.clean) - 2  # play forwards then backwards: motion stays smooth
        k = i % period
        return self.clean[k if k < len(self.clean) else period - k]

    def damaged(self, i: int):
        return self.damager.apply(self._clean(i), i)

    def read(self, index: int) -> Frame:
        return Frame(self.damaged(index).data, index)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, self.count if stop is None else stop):
            yield self.read(i)


def read_video(path: Path, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    import av

    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_AREA))
            if len(out) >= count:
                break
    return out


def run_ours(frames, masks, settings, fill_engine=None) -> tuple[list[np.ndarray], float]:
    reel = ArrayReel(frames)
    out: list[np.ndarray] = []
    t0 = time.perf_counter()
    for p in restore_frames(reel, None, lambda i: masks[i], settings, fill_engine=fill_engine):
        if p.payload is not None:
            out.append(p.payload.data)
    return out, (time.perf_counter() - t0) / len(frames)


def run_telea(frames, masks) -> tuple[list[np.ndarray], float]:
    t0 = time.perf_counter()
    out = [cv2.inpaint(f, m.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f, m in zip(frames, masks, strict=True)]
    return out, (time.perf_counter() - t0) / len(frames)


def run_median3(frames, masks) -> tuple[list[np.ndarray], float]:
    t0 = time.perf_counter()
    out = []
    n = len(frames)
    for i, (f, m) in enumerate(zip(frames, masks, strict=True)):
        stack = np.stack([frames[max(0, i - 1)], f, frames[min(n - 1, i + 1)]])
        med = np.median(stack, axis=0).astype(f.dtype)
        o = f.copy()
        o[m] = med[m]
        out.append(o)
    return out, (time.perf_counter() - t0) / len(frames)


def evaluate(name, out, clean, masks, spf, ewarp_clean) -> dict:
    sel = [k for k, m in enumerate(masks) if m.any()]
    inside = np.mean([psnr(out[k], clean[k], masks[k]) for k in sel])
    s_in = np.mean([ssim(out[k], clean[k], masks[k]) for k in sel])
    whole = np.mean([psnr(o, c) for o, c in zip(out, clean, strict=True)])
    ew = warping_error(out, reference=clean)
    row = {"name": name, "psnr_mask": inside, "ssim_mask": s_in, "psnr": whole, "ewarp": ew,
           "ewarp_ratio": ew / ewarp_clean, "spf": spf}
    print(f"{name:34s} {inside:8.2f} {s_in:8.4f} {whole:8.2f} {ew * 1e4:9.3f} {ew / ewarp_clean:7.3f} {spf:7.3f}")
    return row


def detect_masks(frames) -> tuple[list[np.ndarray], float]:
    from restoration_core.detect import DetectSettings, detect_reel

    t0 = time.perf_counter()
    masks = [p.payload.mask for p in detect_reel(ArrayReel(frames), DetectSettings()) if p.payload is not None]
    return masks, (time.perf_counter() - t0) / len(frames)


def peak_memory(clean, damager, count: int, settings: RestoreSettings) -> float:
    reel = OnTheFlyReel(clean, damager, count)
    tracemalloc.start()
    for p in restore_frames(reel, None, lambda i: reel.damaged(i).mask, settings):
        del p
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-detect", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--model", help="a diffusion model to run as well (restoration_core.diffusion)")
    ap.add_argument("--steps", type=int, default=None)
    args = ap.parse_args()
    clip = DATA / "clean" / "car-detection.mp4"
    if not clip.exists() or not (DATA / "artifacts").is_dir():
        print(f"skipped: {DATA} (clean clip and artifacts) is not present")
        return 0
    cv2.setNumThreads(2)
    clean = read_video(clip, args.frames, (640, 360))
    damager = Damager(DamageSettings(seed=args.seed), load_artifacts(DATA / "artifacts"))
    damaged = [damager.apply(c, i) for i, c in enumerate(clean)]
    frames = [d.data for d in damaged]
    masks = [d.mask for d in damaged]
    coverage = np.mean([m.mean() for m in masks]) * 100
    print(f"{len(frames)} frames 640x360, damage covers {coverage:.2f}% of pixels (seed {args.seed})")
    ew_clean = warping_error(clean)
    print(f"E_warp of the clean clip: {ew_clean * 1e4:.3f} e-4\n")
    print(f"{'method':34s} {'PSNR-in':>8s} {'SSIM-in':>8s} {'PSNR':>8s} {'Ewarp e4':>9s} {'xclean':>7s} {'s/frame':>7s}")
    evaluate("damaged input", frames, clean, masks, 0.0, ew_clean)
    oracle = [np.where(m[..., None], c, f) for f, c, m in zip(frames, clean, masks, strict=True)]
    evaluate("oracle: clean pixels in true masks", oracle, clean, masks, 0.0, ew_clean)
    rows = {}
    tel, t = run_telea(frames, masks)
    rows["telea"] = evaluate("baseline: OpenCV Telea", tel, clean, masks, t, ew_clean)
    med, t = run_median3(frames, masks)
    rows["median"] = evaluate("baseline: 3-frame median", med, clean, masks, t, ew_clean)
    out, t = run_ours(frames, masks, RestoreSettings())
    rows["ours"] = evaluate("ours (auto), true masks", out, clean, masks, t, ew_clean)
    out, t = run_ours(frames, masks, RestoreSettings(grain=False))
    evaluate("ours (auto, no grain), true masks", out, clean, masks, t, ew_clean)
    out, t = run_ours(frames, masks, RestoreSettings(engine="classical"))
    evaluate("ours (classical only), true masks", out, clean, masks, t, ew_clean)
    if args.model:
        from restoration_core.diffusion import load_fill_engine

        kwargs = {"steps": args.steps} if args.steps else {}
        engine = load_fill_engine(args.model, **kwargs)
        out, t = run_ours(frames, masks, RestoreSettings(), fill_engine=engine)
        evaluate(f"ours + {Path(args.model).name}", out, clean, masks, t, ew_clean)
    best = max(rows["telea"]["psnr_mask"], rows["median"]["psnr_mask"])
    print(f"\nours vs best baseline inside masks: {rows['ours']['psnr_mask'] - best:+.2f} dB (target >= +3)")
    if not args.no_detect:
        found, t_det = detect_masks(frames)
        out, t = run_ours(frames, found, RestoreSettings())
        auto = evaluate("ours, detected masks", out, clean, masks, t + t_det, ew_clean)
        base_whole = np.mean([psnr(f, c) for f, c in zip(frames, clean, strict=True)])
        base_in = np.mean([psnr(frames[k], clean[k], masks[k]) for k, m in enumerate(masks) if m.any()])
        print(f"automatic: whole-frame PSNR {auto['psnr'] - base_whole:+.2f} dB (target >= +3), "
              f"in-damage PSNR {auto['psnr_mask'] - base_in:+.2f} dB (target >= +10), "
              f"E_warp {auto['ewarp_ratio']:.3f}x clean (target <= 1.05)")
    if not args.no_memory:
        small = [cv2.resize(c, (320, 180), interpolation=cv2.INTER_AREA) for c in clean[:30]]
        s = RestoreSettings()
        m60 = peak_memory(small, damager, 60, s)
        m300 = peak_memory(small, damager, 300, s)
        print(f"\npeak traced memory (320x180): 60 frames {m60:.1f} MiB, 300 frames {m300:.1f} MiB, "
              f"ratio {m300 / m60:.3f} (target <= 1.15)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
