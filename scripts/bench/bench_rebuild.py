"""Benchmark frame rebuild: drop frames from clean clips, rebuild them, compare with the truth.

Clips: ../shared/data/clean/car-detection.mp4 (moving cars, static camera) and the ASL
signing clips taken every second frame (fast hands, like 15 fps film). Every ``--every``-th
frame (not the first or last) is dropped, alone (run of 1) and, with ``--runs 2 3``, with its
next neighbours, and rebuilt with ``restoration_core.restore.rebuild``. Printed per clip and
run length: PSNR and SSIM of the rebuilt frame against the true frame, of a plain blend of
the two neighbours, and of repeating the previous frame; the gain in dB over each (target
>= 2 dB); and seconds per rebuilt frame (wall and CPU).

    OMP_NUM_THREADS=1 python scripts/bench/bench_rebuild.py [--frames 40] [--clips 3] [--png DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.detect.flow import to_luma  # noqa: E402
from restoration_core.metrics.quality import psnr, ssim  # noqa: E402
from restoration_core.restore.rebuild import RebuildRun, rebuild_run  # noqa: E402

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


def evaluate(frames: list[np.ndarray], run_len: int, every: int) -> dict:
    rows: dict[str, list] = {"rebuild": [], "blend": [], "repeat": []}
    cpu = wall = 0.0
    count = 0
    sample = None
    for start in range(1, len(frames) - run_len, every):
        before, after = start - 1, start + run_len
        run = RebuildRun(start, start + run_len, before, after)
        t0, c0 = time.perf_counter(), time.process_time()
        built = rebuild_run(run, frames[before], frames[after])
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
            for name, img in (("rebuild", built[i]), ("blend", blend), ("repeat", frames[before])):
                rows[name].append((psnr(img, truth), ssim(img, truth),
                                   psnr(img, truth, moving) if moving.any() else np.nan))
            if sample is None and run_len == 1:
                sample = (truth, blend, built[i])
    out = {k: (float(np.mean([r[0] for r in v])), float(np.mean([r[1] for r in v])),
               float(np.nanmean([r[2] for r in v]))) for k, v in rows.items()}
    out.update(frames=count, wall=wall / max(1, count), cpu=cpu / max(1, count), sample=sample)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--clips", type=int, default=3, help="how many ASL clips besides the car clip")
    ap.add_argument("--every", type=int, default=3, help="a dropped run starts every N frames")
    ap.add_argument("--runs", type=int, nargs="+", default=[1])
    ap.add_argument("--skip", type=int, default=0, help="skip the first N ASL clips (the ones tuned on)")
    ap.add_argument("--png", type=Path, default=None, help="write truth | blend | rebuilt PNGs here")
    args = ap.parse_args()
    car = DATA / "clean" / "car-detection.mp4"
    if not car.exists():
        print(f"skipped: {DATA / 'clean'} is not there (the benchmark needs the shared clean clips)")
        return 0
    clips = [("car", read_video(car, args.frames))]
    for p in sorted((DATA / "clean" / "asl").glob("*.mkv"))[args.skip: args.skip + args.clips]:
        clips.append((p.stem + "/2", read_video(p, args.frames, step=2)))
    print("PSNR/SSIM over the whole frame; 'moving' = PSNR over the pixels where the neighbours differ")
    print(f"{'clip':10} {'run':>3} {'n':>3} {'PSNR rebuilt':>12} {'blend':>6} {'repeat':>6} {'+dB blend':>9} "
          f"{'+dB repeat':>10} {'SSIM rebuilt':>12} {'blend':>6} {'repeat':>6} {'moving rebuilt':>14} {'blend':>6} "
          f"{'repeat':>6} {'s/frame (cpu)':>14}")
    gains = []
    for name, frames in clips:
        for run_len in args.runs:
            r = evaluate(frames, run_len, max(args.every, run_len + 1))
            (pr, sr, mr), (pb, sb, mb), (pp, sp, mp) = r["rebuild"], r["blend"], r["repeat"]
            gains.append((pr - pb, pr - pp, mr - mb, mr - mp))
            print(f"{name:10} {run_len:3d} {r['frames']:3d} {pr:12.2f} {pb:6.2f} {pp:6.2f} {pr - pb:+9.2f} {pr - pp:+10.2f} "
                  f"{sr:12.4f} {sb:6.4f} {sp:6.4f} {mr:14.2f} {mb:6.2f} {mp:6.2f} {r['wall']:7.3f} ({r['cpu']:.3f})")
            if args.png is not None and r["sample"] is not None:
                args.png.mkdir(parents=True, exist_ok=True)
                strip = np.concatenate(r["sample"], axis=1)
                cv2.imwrite(str(args.png / f"rebuild_{name.replace('/', '_')}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    g = np.array(gains)
    print(f"mean gain over blend {g[:, 0].mean():+.2f} dB, over repeat {g[:, 1].mean():+.2f} dB; "
          f"worst {g[:, 0].min():+.2f} / {g[:, 1].min():+.2f} dB (target >= +2 dB); on the moving part: "
          f"mean {g[:, 2].mean():+.2f} / {g[:, 3].mean():+.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
