"""Preview = render on real film: pixels a frame's preview differs from that frame of the clip render.

For each reel of ../shared/data/old-film the whole clip is rendered once (the pipeline,
lossless master); then frames are previewed two ways and compared with the render:
``own mask`` (the old preview: the frame restored alone with only its own repair mask) and
``pipeline`` (:func:`restoration_core.render.pipeline.preview_frame`: the neighbours' masks,
the restore call started where the render's is, so the same seeds). Wall and CPU time per
preview are printed too (a pipeline preview replays the frames since the last frame without
a mask, at most its chunk). Skipped with a message when the data folder is absent.

    OMP_NUM_THREADS=1 python scripts/bench/bench_preview.py [--frames 24] [--chunk 100] [--engine auto]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from restoration_core.media import open_reel  # noqa: E402
from restoration_core.progress import run_to_end  # noqa: E402
from restoration_core.render import pipeline as P  # noqa: E402
from restoration_core.render.engines import engines  # noqa: E402
from restoration_core.render.spec import JobSpec  # noqa: E402


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def bench(source: Path, frames: int, chunk: int, engine: str, out: Path) -> None:
    spec = JobSpec(input=str(source), output=str(out / f"{source.stem}.mkv"), preset="master",
                   frame_range=(0, frames), chunk=chunk, settings={"engine": engine, "grain": True})
    _, wall, cpu = _timed(lambda: run_to_end(P.render(spec)))
    print(f"{source.name}: render of {frames} frames {wall:.1f} s wall, {cpu:.1f} s CPU")
    with open_reel(spec.output) as r:
        rendered = [f.data for f in r.frames()]
    eng = engines()
    job = P.resolve(spec, eng)
    with open_reel(job.input_path) as reel:
        masks = P.clip_masks(job, reel, (0, frames))
        for i in (frames // 4, frames // 2, frames - 2):
            plan, pw, pc = _timed(lambda i=i: run_to_end(P.plan_preview(
                reel, i, masks, job.restore, eng, chunk=chunk, detect_settings=eng.detect_settings({}))))
            alone = P.PreviewPlan(i, i, {i: plan.masks[i]}, plan.flicker)
            old, ow, oc = _timed(lambda a=alone: run_to_end(P.restore_preview(reel, a, job.restore, eng)))
            new, nw, nc = _timed(lambda p=plan: run_to_end(P.restore_preview(reel, p, job.restore, eng)))
            h, w = rendered[i].shape[:2]
            diff_old = int(np.any(old.data != rendered[i], axis=-1).sum())
            diff_new = int(np.any(new.data != rendered[i], axis=-1).sum())
            print(f"  frame {i:3d}: own mask {diff_old:6d} of {h * w} px differ ({ow:.2f} s wall, {oc:.2f} s CPU); "
                  f"pipeline {diff_new} differ (plan {pw:.2f} s + restore {nw:.2f} s wall, {pc + nc:.2f} s CPU, "
                  f"replayed from frame {plan.start})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--engine", default="auto")
    args = ap.parse_args()
    sources = [p for p in (DATA / "old-film" / "reel-a", DATA / "old-film" / "reel-b.mkv") if p.exists()]
    if not sources:
        print(f"skipped: no reference film in {DATA} (see its README)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for source in sources:
            bench(source, args.frames, args.chunk, args.engine, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
