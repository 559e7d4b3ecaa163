"""Benchmark frame rebuild and tear repair: damage clean clips, repair, compare with the truth.

Clips: ../shared/data/clean/car-detection.mp4 (moving cars, static camera; at its own 30 fps
and, with ``--car-steps 1 2``, every second frame too) and the ASL signing clips taken every
second frame (fast hands, like 15 fps film). Tuned on car and ASL again/bird; the default
``--asl help,learn,night`` were not looked at while tuning.

Rebuild: every ``--every``-th frame (not the first or last) is dropped, alone (run of 1) and,
with ``--runs 2 3``, with its next neighbours, and rebuilt with
``restoration_core.restore.rebuild`` as a render plans it (``plan_runs``: the good frames just
beyond the two neighbours bend the paths where they are not dropped themselves; with
``--two-frames``, from the two neighbours alone). Printed per clip and run length: PSNR and SSIM of the
rebuilt frame against the true frame, of a plain blend of the two neighbours and of repeating
the previous frame; the gain in dB over each (target >= 2 dB); seconds per rebuilt frame (wall
and CPU). With ``--bounds``, two diagnostics that use the true frame (no rebuild can know it):
both neighbours warped onto it by flows from the true frame (*true-flow bound*: what a perfect
two-frame motion estimate could reach), and the same with the motion forced to be linear
(*linear bound*: the true position seen from one side, mirrored to the other).

Tears (``--tears``): a frame gets a destroyed area (an irregular blob of 5-9% of the frame, a
burn's bright mottled emulsion); the frame scan must find it (``torn``), the render's repair
(``repair_region`` over the scan's mask, as ``--repair-tears`` does) fills it from the frames
either side; PSNR inside the true area against the truth, against filling it with the blend or
the previous frame, and whether every pixel outside the repaired area stayed bit-exact.

    OMP_NUM_THREADS=1 python scripts/bench/bench_rebuild.py [--frames 40] [--asl help,learn,night]
        [--runs 1 2 3] [--car-steps 1 2] [--bounds] [--tears] [--two-frames] [--png DIR]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.detect.flow import estimate_flow, to_luma  # noqa: E402
from restoration_core.detect.frames import classify, thumbnail  # noqa: E402
from restoration_core.metrics.quality import psnr, ssim  # noqa: E402
from restoration_core.render.frames import full_size  # noqa: E402
from restoration_core.restore.composite import composite, feather_alpha  # noqa: E402
from restoration_core.restore.rebuild import (  # noqa: E402
    grown_area,
    interpolate,
    plan_runs,
    rebuild_run,
    repair_region,
    tear_grow,
)

DATA = ROOT.parent / "shared" / "data"


def read_video(path: Path, count: int, step: int = 1) -> list[np.ndarray]:
    import av

    out = []
    with av.open(str(path)) as container:
        for k, frame in enumerate(container.decode(video=0)):
            if k % step == 0:
                out.append(frame.to_ndarray(format="rgb24"))
            if len(out) >= count:
                break
    return out


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(img, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def bounds(before: np.ndarray, truth: np.ndarray, after: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Diagnostics from the true frame: (true-flow bound, linear-motion bound) pictures."""
    i0, i1 = before.astype(np.float32) / 255.0, after.astype(np.float32) / 255.0
    lt = to_luma(truth)
    ft0, ft1 = estimate_flow(lt, to_luma(before)), estimate_flow(lt, to_luma(after))
    true_flow = (1 - t) * _warp(i0, ft0) + t * _warp(i1, ft1)
    from0 = (1 - t) * _warp(i0, ft0) + t * _warp(i1, -ft0 * (1 - t) / t)
    from1 = (1 - t) * _warp(i0, -ft1 * t / (1 - t)) + t * _warp(i1, ft1)
    return _u8(true_flow), _u8(0.5 * (from0 + from1))


def evaluate(frames: list[np.ndarray], run_len: int, every: int, with_bounds: bool, use_beyond: bool = True) -> dict:
    names = ["rebuild", "blend", "repeat"] + (["true-flow", "linear"] if with_bounds else [])
    rows: dict[str, list] = {k: [] for k in names}
    cpu = wall = 0.0
    count = 0
    sample = None
    dropped = [s + k for s in range(1, len(frames) - run_len, every) for k in range(run_len)]
    for run in plan_runs(dropped, len(frames)):  # as a render plans them: the frames beyond, where not dropped
        before, after = run.before, run.after
        assert before is not None and after is not None
        outer = tuple(None if k is None or not use_beyond else frames[k] for k in (run.outer_before, run.outer_after))
        t0, c0 = time.perf_counter(), time.process_time()
        built = rebuild_run(run, frames[before], frames[after], None, outer)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        count += run_len
        # the moving part of the picture: where the two neighbours differ (grown a little)
        moving = np.abs(to_luma(frames[before]) - to_luma(frames[after])) > 0.05
        moving = cv2.dilate(moving.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        for i in range(run.start, run.stop):
            t = run.moment(i)
            blend = np.clip((1 - t) * frames[before].astype(np.float32) + t * frames[after].astype(np.float32) + 0.5,
                            0, 255).astype(np.uint8)
            truth = frames[i]
            pictures = {"rebuild": built[i], "blend": blend, "repeat": frames[before]}
            if with_bounds:
                pictures["true-flow"], pictures["linear"] = bounds(frames[before], truth, frames[after], t)
            for name, img in pictures.items():
                rows[name].append((psnr(img, truth), ssim(img, truth),
                                   psnr(img, truth, moving) if moving.any() else np.nan))
            if sample is None and run_len == 1:
                sample = (truth, blend, built[i])
    out = {k: (float(np.mean([r[0] for r in v])), float(np.mean([r[1] for r in v])),
               float(np.nanmean([r[2] for r in v]))) for k, v in rows.items()}
    out.update(frames=count, wall=wall / max(1, count), cpu=cpu / max(1, count), sample=sample)
    return out


def burn(shape: tuple[int, int], rng: np.random.Generator, share: float) -> tuple[np.ndarray, np.ndarray]:
    """An irregular blob covering about ``share`` of the frame and a bright mottled texture for it."""
    h, w = shape
    for _ in range(50):
        cx, cy = rng.uniform(0.25 * w, 0.75 * w), rng.uniform(0.25 * h, 0.75 * h)
        r0 = np.sqrt(share * h * w / np.pi)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 14))
        rad = r0 * rng.uniform(0.6, 1.4, ang.size)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).astype(np.int32)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [pts], 1)
        if 0.6 * share <= mask.mean() <= 1.5 * share:
            break
    noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 4.0)
    texture = np.clip(0.85 + 0.6 * noise, 0.5, 1.0)
    return mask.astype(bool), np.repeat(texture[..., None], 3, 2)


def tears(frames: list[np.ndarray], every: int, rng: np.random.Generator) -> dict:
    """Burn a blob into every ``every``-th frame, scan, repair as --repair-tears does, score."""
    damaged = [f.copy() for f in frames]
    truth_masks = {}
    for i in range(2, len(frames) - 2, every):
        mask, tex = burn(frames[i].shape[:2], rng, rng.uniform(0.05, 0.09))
        damaged[i][mask] = _u8(tex)[mask]
        truth_masks[i] = mask
    shape = frames[0].shape[:2]
    scan = classify([thumbnail(f) for f in damaged], 0, shape=shape)
    found = {d.frame for d in scan.defects if d.kind == "torn"}
    rows: dict[str, list] = {f"{k} {m}": [] for m in ("scan", "true") for k in ("repair", "blend", "repeat")}
    cover, exact, cpu = [], [], 0.0
    sample = None
    for i, truth_mask in truth_masks.items():
        if i not in found:
            continue
        area = full_size(scan.torn_masks[i], shape)
        cover.append(float((area & truth_mask).sum() / truth_mask.sum()))
        g = tear_grow(shape)
        c0 = time.process_time()
        fixed = repair_region(damaged[i - 1], damaged[i], damaged[i + 1], area, grow=g)
        cpu += time.process_time() - c0
        reach = cv2.dilate(area.astype(np.uint8), np.ones((2 * g + 9, 2 * g + 9), np.uint8)).astype(bool)
        exact.append(bool(np.array_equal(fixed[~reach], damaged[i][~reach])))  # beyond growth + 3 px feather
        # the area the repair replaced, for the other fills to be put in over the same pixels
        area = grown_area(area, damaged[i], interpolate(damaged[i - 1], damaged[i + 1], 0.5), g)
        cover[-1] = float((area & truth_mask).sum() / truth_mask.sum())
        if sample is None:
            sample = (damaged[i], fixed, frames[i])
        blend = ((damaged[i - 1].astype(np.uint16) + damaged[i + 1]) // 2).astype(np.uint8)
        for m, where in (("scan", area), ("true", truth_mask)):
            alpha = feather_alpha(where, 3, 1)   # the same feathered composite for every fill
            rows[f"repair {m}"].append(psnr(fixed if m == "scan" else repair_region(
                damaged[i - 1], damaged[i], damaged[i + 1], where), frames[i], truth_mask))
            for name, fill in (("blend", blend), ("repeat", damaged[i - 1])):
                rows[f"{name} {m}"].append(psnr(composite(damaged[i], fill / 255.0, alpha), frames[i], truth_mask))
    false = sorted(found - set(truth_masks))
    return {"burnt": len(truth_masks), "found": len(found & set(truth_masks)), "false": false,
            "cover": float(np.mean(cover)) if cover else float("nan"), "exact": all(exact) if exact else None,
            "cpu": cpu / max(1, len(cover)), "sample": sample, **{k: float(np.mean(v)) if v else float("nan") for k, v in rows.items()}}


def render_cost(frames: list[np.ndarray], rebuild: str) -> tuple[float, float]:
    """CPU seconds per frame of ``reelwright restore`` (temporal engine, detection on) over
    ``frames`` written as PNGs, as it is and with ``--rebuild`` (child processes' CPU time)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "in").mkdir()
        for k, f in enumerate(frames):
            cv2.imwrite(f"{tmp}/in/f{k:04d}.png", cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        for extra in ([], ["--rebuild", rebuild]):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cmd = [sys.executable, "-c", "import sys; from restoration_core.cli import main; sys.exit(main())",
                   "restore", f"{tmp}/in/f%04d.png", "-o", f"{tmp}/out{len(out)}.mov", "--engine", "temporal", *extra]
            p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if p.returncode:
                raise SystemExit(f"reelwright restore failed: {p.stderr.strip().splitlines()[-1:]}")
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / len(frames))
    return out[0], out[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--asl", default="help,learn,night", help="ASL clips (names in clean/asl), every 2nd frame")
    ap.add_argument("--car-steps", type=int, nargs="*", default=[1, 2], help="car clip at every Nth frame")
    ap.add_argument("--every", type=int, default=3, help="a dropped run starts every N frames")
    ap.add_argument("--runs", type=int, nargs="+", default=[1])
    ap.add_argument("--bounds", action="store_true", help="also the true-flow and linear-motion bounds")
    ap.add_argument("--two-frames", action="store_true",
                    help="rebuild from the two neighbours alone (steady motion), not the frames beyond them")
    ap.add_argument("--tears", action="store_true", help="also the tear repair rows")
    ap.add_argument("--render", type=int, default=0, metavar="N",
                    help="also time a whole restore of the first N frames of the first clip, with and "
                         "without rebuilding every 6th frame")
    ap.add_argument("--png", type=Path, default=None,
                    help="write truth | blend | rebuilt (and burnt | repaired | truth) PNGs here")
    args = ap.parse_args()
    car = DATA / "clean" / "car-detection.mp4"
    if not car.exists():
        print(f"skipped: {DATA / 'clean'} is not there (the benchmark needs the shared clean clips)")
        return 0
    clips = [("car" if step == 1 else f"car/{step}", read_video(car, args.frames, step)) for step in args.car_steps]
    for name in [n for n in args.asl.split(",") if n]:
        p = DATA / "clean" / "asl" / f"{name}.mkv"
        if not p.exists():
            print(f"{p}: no such clip")
            return 1
        clips.append((name + "/2", read_video(p, args.frames, step=2)))
    print("PSNR/SSIM over the whole frame; 'moving' = PSNR over the pixels where the neighbours differ")
    print(f"{'clip':10} {'run':>3} {'n':>3} {'PSNR rebuilt':>12} {'blend':>6} {'repeat':>6} {'+dB blend':>9} "
          f"{'+dB repeat':>10} {'SSIM rebuilt':>12} {'blend':>6} {'repeat':>6} {'moving rebuilt':>14} {'blend':>6} "
          f"{'repeat':>6} {'s/frame (cpu)':>14}" + (f" {'true-flow':>9} {'linear':>7}" if args.bounds else ""))
    gains = []
    for name, frames in clips:
        for run_len in args.runs:
            r = evaluate(frames, run_len, max(args.every, run_len + 1), args.bounds, not args.two_frames)
            (pr, sr, mr), (pb, sb, mb), (pp, sp, mp) = r["rebuild"], r["blend"], r["repeat"]
            gains.append((pr - pb, pr - pp, mr - mb, mr - mp))
            extra = f" {r['true-flow'][0] - pb:+9.2f} {r['linear'][0] - pb:+7.2f}" if args.bounds else ""
            print(f"{name:10} {run_len:3d} {r['frames']:3d} {pr:12.2f} {pb:6.2f} {pp:6.2f} {pr - pb:+9.2f} {pr - pp:+10.2f} "
                  f"{sr:12.4f} {sb:6.4f} {sp:6.4f} {mr:14.2f} {mb:6.2f} {mp:6.2f} {r['wall']:7.3f} ({r['cpu']:.3f})"
                  + extra, flush=True)
            if args.png is not None and r["sample"] is not None:
                args.png.mkdir(parents=True, exist_ok=True)
                strip = np.concatenate(r["sample"], axis=1)
                cv2.imwrite(str(args.png / f"rebuild_{name.replace('/', '_')}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    g = np.array(gains)
    print(f"mean gain over blend {g[:, 0].mean():+.2f} dB, over repeat {g[:, 1].mean():+.2f} dB; "
          f"worst {g[:, 0].min():+.2f} / {g[:, 1].min():+.2f} dB (target >= +2 dB); on the moving part: "
          f"mean {g[:, 2].mean():+.2f} / {g[:, 3].mean():+.2f} dB" + ("; bounds: dB over the blend" if args.bounds else ""))
    if args.render:
        name, frames = clips[0]
        listed = list(range(5, min(args.render, len(frames)) - 1, 6))
        plain, rebuilt = render_cost(frames[: args.render], ",".join(map(str, listed)))
        extra = (rebuilt - plain) * args.render / max(1, len(listed))
        print(f"\nrestore of {name}, {args.render} frames (temporal, detection on): {plain:.3f} CPU s/frame; "
              f"with {len(listed)} frames rebuilt {rebuilt:.3f} s/frame, i.e. {extra:.3f} s per rebuilt frame "
              "(the frame scan included)", flush=True)
    if args.tears:
        print("\ntears: PSNR inside the true destroyed area, each fill put in over the scan's area (as "
              "--repair-tears does) and over the true area; cover = share of the true area the scan found")
        print(f"{'clip':10} {'burnt':>5} {'found':>5} {'false':>6} {'cover':>6} {'scan: repair':>12} {'blend':>6} "
              f"{'repeat':>6} {'true: repair':>12} {'blend':>6} {'repeat':>6} {'rest bit-exact':>14} {'cpu s/frame':>11}")
        rng = np.random.default_rng(15)
        for name, frames in clips:
            r = tears(frames, 4, rng)
            print(f"{name:10} {r['burnt']:5d} {r['found']:5d} {len(r['false']):6d} {r['cover']:6.3f} "
                  f"{r['repair scan']:12.2f} {r['blend scan']:6.2f} {r['repeat scan']:6.2f} {r['repair true']:12.2f} "
                  f"{r['blend true']:6.2f} {r['repeat true']:6.2f} {str(r['exact']):>14} {r['cpu']:11.3f}", flush=True)
            if args.png is not None and r["sample"] is not None:
                args.png.mkdir(parents=True, exist_ok=True)
                strip = np.concatenate(r["sample"], axis=1)
                cv2.imwrite(str(args.png / f"tear_{name.replace('/', '_')}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
