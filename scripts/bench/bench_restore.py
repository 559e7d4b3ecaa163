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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_detect import ASL_REPORT, ASL_TUNE, median3_detector, read_asl, read_sequence  # noqa: E402
from bench_detect import read_video as read_any  # noqa: E402

from restoration_core.media.frame import Frame  # noqa: E402
from restoration_core.metrics.damage import Damager, DamageSettings, load_artifacts  # noqa: E402
from restoration_core.metrics.quality import harm, psnr, ssim, warping_error  # noqa: E402
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


OUT_INTERVENTIONS: list[list] = []  # the interventions of the last run_ours, per frame


def run_ours(frames, masks, settings, fill_engine=None) -> tuple[list[np.ndarray], float]:
    reel = ArrayReel(frames)
    out: list[np.ndarray] = []
    OUT_INTERVENTIONS.clear()
    t0 = time.perf_counter()
    for p in restore_frames(reel, None, lambda i: masks[i], settings, fill_engine=fill_engine):
        if p.payload is not None:
            out.append(p.payload.data)
            OUT_INTERVENTIONS.append(p.payload.interventions)
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


def harm_per_frame(outs, damaged) -> tuple[float, list[int]]:
    """Mean number of regions per frame changed by > 12 levels farther than 8 px from any
    artifact pixel (alpha > 0.02), and the count per frame."""
    counts = [harm(o, d.data, d.artifact)[0] for o, d in zip(outs, damaged, strict=True)]
    return float(np.mean(counts)), counts


def pooled_psnr(outs, cleans, masks) -> float:
    """PSNR over the union of all frames' mask pixels (one MSE for the whole clip)."""
    err = n = 0.0
    for o, c, m in zip(outs, cleans, masks, strict=True):
        if m.any():
            d = o[m].astype(np.float64) - c[m].astype(np.float64)
            err += float(np.sum(d * d))
            n += d.size
    return float("inf") if err == 0 else 10 * np.log10(255.0**2 * n / err)


def safety_run(label: str, clean: list[np.ndarray], damager: Damager, rows: list) -> dict:
    """Exact-mask PSNR (all damage, line scratch), the automatic path's gains and harm, for
    ours and the baselines, on one clip."""
    damaged = [damager.apply(c, i) for i, c in enumerate(clean)]
    frames = [d.data for d in damaged]
    masks = [d.mask for d in damaged]
    lines = [d.scratch_mask for d in damaged]
    c0 = time.process_time()
    exact, _ = run_ours(frames, masks, RestoreSettings(exact_masks=True))
    cpu_exact = (time.process_time() - c0) / len(frames)
    tel, _ = run_telea(frames, masks)
    med, _ = run_median3(frames, masks)
    c0 = time.process_time()
    found, _ = detect_masks(frames)
    auto, _ = run_ours(frames, found, RestoreSettings())
    cpu_auto = (time.process_time() - c0) / len(frames)
    base_found, _ = median3_detector(frames)
    base_auto, _ = run_telea(frames, base_found)
    r = {
        "clip": label,
        "in_masks": {k: pooled_psnr(o, clean, masks) for k, o in (("ours", exact), ("telea", tel), ("median3", med))},
        "in_line": {k: pooled_psnr(o, clean, lines) for k, o in (("ours", exact), ("telea", tel))},
        "whole": {k: float(np.mean([psnr(o, c) for o, c in zip(v, clean, strict=True)]))
                  for k, v in (("input", frames), ("auto", auto), ("base", base_auto))},
        "in_damage": {k: pooled_psnr(v, clean, masks) for k, v in (("input", frames), ("auto", auto), ("base", base_auto))},
        "harm": {k: harm_per_frame(v, damaged) for k, v in (("auto", auto), ("base", base_auto),
                                                             ("exact", exact))},
        "cpu": (cpu_exact, cpu_auto),
    }
    m = r["in_masks"]
    h = r["harm"]
    print(f"{label:16s} {m['ours']:7.2f} {m['telea']:7.2f} {m['median3']:7.2f} "
          f"{r['in_line']['ours']:7.2f} {r['in_line']['telea']:7.2f} "
          f"{r['whole']['auto'] - r['whole']['input']:+7.2f} {r['in_damage']['auto'] - r['in_damage']['input']:+7.2f} "
          f"{h['auto'][0]:6.2f} {h['base'][0]:6.2f} {h['exact'][0]:5.2f} {1000 * r['cpu'][1]:6.0f}")
    rows.append((r, clean, damaged, auto, base_auto))
    return r


def safety(args: argparse.Namespace, car: list[np.ndarray], artifacts: dict) -> list:
    print("\nDo no harm (exact masks: RestoreSettings(exact_masks=True); auto: detect_reel + restore_frames;"
          "\nbaselines: Telea / 3-frame median on the exact masks, median3 detection + Telea for auto).")
    print("PSNR pooled over each clip's mask pixels; harm = regions per frame changed > 12 levels "
          "farther than 8 px from any artifact (alpha > 0.02)")
    print(f"{'clip':16s} {'ours':>7s} {'telea':>7s} {'median3':>7s} {'line':>7s} {'lineTel':>7s} "
          f"{'auto dB':>7s} {'dmg dB':>7s} {'harm':>6s} {'h.base':>6s} {'h.ex':>5s} {'cpu ms':>6s}")
    rows: list = []
    safety_run(f"car 1:1 x{len(car)}", car, Damager(DamageSettings(seed=args.seed), artifacts), rows)
    names = {"tune": ASL_TUNE, "report": ASL_REPORT, "all": ASL_TUNE + ASL_REPORT, "none": ()}[args.asl]
    if args.asl_clips:
        names = tuple(args.asl_clips.split(","))
    for name in names:
        for step in (2, 3):
            clip = read_asl(name, step, args.asl_frames)
            safety_run(f"{name} 1:{step}", clip, Damager(DamageSettings(seed=args.seed), artifacts), rows)
    res = [r for r, *_ in rows]
    worst = max(res, key=lambda r: r["harm"]["auto"][0])
    gain = min(r["in_masks"]["ours"] - max(r["in_masks"]["telea"], r["in_masks"]["median3"]) for r in res)
    line = min(r["in_line"]["ours"] - r["in_line"]["telea"] for r in res)
    print(f"worst harm per frame {worst['harm']['auto'][0]:.3f} ({worst['clip']}; target <= 0.05 on every clip); "
          f"exact masks vs best baseline: at least {gain:+.2f} dB (target >= +3); line scratch vs Telea: "
          f"at least {line:+.2f} dB (target >= +1); automatic gains: whole frame at least "
          f"{min(r['whole']['auto'] - r['whole']['input'] for r in res):+.2f} dB (>= +3), in damage at least "
          f"{min(r['in_damage']['auto'] - r['in_damage']['input'] for r in res):+.2f} dB (>= +10)")
    return rows


def save_view(path: Path, rgb: np.ndarray) -> None:
    """A README picture kept small: gray levels in a 63-colour palette, magenta outlines exact."""
    from PIL import Image

    mag = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] > 200)
    gray = Image.fromarray(rgb.mean(axis=2).astype(np.uint8)).quantize(colors=63)
    idx = np.asarray(gray).copy()
    idx[mag] = 63
    out = Image.fromarray(idx.astype(np.uint8), mode="P")
    pal = gray.getpalette()[: 63 * 3] + [255, 0, 255]
    out.putpalette(pal + [0] * (768 - len(pal)))
    out.save(str(path), optimize=True)


def harm_crops(rows: list, folder: Path, count: int = 3) -> None:
    """Before | after crops (with the changed pixels outlined) of the worst harm cases."""
    cases = []
    for r, _clean, damaged, auto, _base in rows:
        for i, (o, d) in enumerate(zip(auto, damaged, strict=True)):
            n, bad = harm(o, d.data, d.artifact)
            if n:
                cases.append((int(bad.sum()), r["clip"], i, bad, d.data, o))
    cases.sort(key=lambda c: -c[0])
    folder.mkdir(parents=True, exist_ok=True)
    for k, (_, clip, i, bad, before, after) in enumerate(cases[:count]):
        ys, xs = np.nonzero(bad)
        cy, cx = int(np.median(ys)), int(np.median(xs))
        h, w = bad.shape
        y0, x0 = max(0, min(h - 96, cy - 48)), max(0, min(w - 128, cx - 64))
        win = (slice(y0, y0 + 96), slice(x0, x0 + 128))
        edge = cv2.morphologyEx(bad.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        marked = after.copy()
        marked[edge] = (255, 0, 255)
        img = np.hstack([before[win], np.full((96, 4, 3), 255, np.uint8), marked[win]])
        img = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        name = folder / f"restore-harm-{k + 1}.png"
        save_view(name, img)
        print(f"harm crop {name}: {clip} frame {i}, {int(bad.sum())} px changed far from damage")


def old_film_views(folder: Path, frames: int = 12) -> None:
    """Real old film, detect + restore: before | after | what changed (magenta), one frame per
    reel, and how much of each frame changed; for looking, not for scoring."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = {
        "reel-a": lambda: read_sequence(DATA / "old-film" / "reel-a", frames),
        "reel-b": lambda: read_any(DATA / "old-film" / "reel-b.mkv", frames, None),
    }
    for name, load in sources.items():
        clip = load()
        found, _ = detect_masks(clip)
        out, _ = run_ours(clip, found, RestoreSettings())
        changed = [np.abs(o.astype(int) - c).max(axis=2) > 0 for o, c in zip(out, clip, strict=True)]
        share = 100 * float(np.mean([m.mean() for m in changed]))
        left = sum(1 for rf in OUT_INTERVENTIONS for iv in rf if iv.method == "none")
        i = len(clip) // 2
        marked = out[i].copy()
        edge = cv2.morphologyEx(changed[i].astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        marked[edge] = (255, 0, 255)
        gap = np.full((clip[i].shape[0], 4, 3), 255, np.uint8)
        img = np.hstack([clip[i], gap, marked])
        img = cv2.resize(img, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
        path = folder / f"restore-old-film-{name}.png"
        save_view(path, img)
        print(f"{name}: {len(clip)} frames, {share:.3f}% of pixels changed on average, {left} regions left "
              f"as scanned for review; frame {i} -> {path}")


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
    ap.add_argument("--asl", choices=("tune", "report", "all", "none"), default="report",
                    help="signing clips for the do-no-harm table (tune: those the thresholds were tuned on)")
    ap.add_argument("--asl-frames", type=int, default=12)
    ap.add_argument("--asl-clips", default=None, help="comma-separated clip names instead of a whole set")
    ap.add_argument("--car-frames", type=int, default=30, help="street-clip frames in the do-no-harm table")
    ap.add_argument("--safety-only", action="store_true", help="only the do-no-harm table")
    ap.add_argument("--crops", type=Path, default=None, help="write before/after crops of the worst harm here")
    ap.add_argument("--old-film", type=Path, default=None, help="restore the real old film, write views here")
    args = ap.parse_args()
    if args.old_film is not None:
        old_film_views(args.old_film)
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
    if args.safety_only:
        rows = safety(args, clean[: min(len(clean), args.car_frames)], load_artifacts(DATA / "artifacts"))
        if args.crops is not None:
            harm_crops(rows, args.crops)
        return 0
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
    rows = safety(args, clean[: min(len(clean), args.car_frames)], load_artifacts(DATA / "artifacts"))
    if args.crops is not None:
        harm_crops(rows, args.crops)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
