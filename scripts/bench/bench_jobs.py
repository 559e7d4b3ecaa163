"""Jobs throughput: the same clip jobs rendered with 1, 2 and N worker processes.

Baseline in the same run: the jobs rendered one after another in this process (no pool).
Clips come from ../shared/data (real scanned film and a clean clip); skipped with a
message when that folder or a needed engine part is absent.

    python scripts/bench/bench_jobs.py [--workers 1,2,4] [--copies 2] [--frames 24]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def clip_sources(frames: int) -> list[tuple[Path, tuple[int, int]]]:
    candidates = [DATA / "old-film" / "reel-b.mkv", DATA / "clean" / "car-detection.mp4", DATA / "old-film" / "reel-a"]
    return [(p, (0, frames)) for p in candidates if p.exists()]


def make_specs(sources, copies: int, out: Path, engine: str):
    from restoration_core.render.spec import JobSpec

    specs = []
    for c in range(copies):
        for n, (path, rng) in enumerate(sources):
            specs.append(JobSpec(input=str(path), output=str(out / f"job{c}-{n}.mov"), preset="access",
                                 frame_range=rng, settings={"engine": engine}, cache=str(out / f"cache{c}"),  # copies must not share frames
                                 name=f"{path.name}#{c}"))
    return specs


def run_inline(specs) -> float:
    from restoration_core.progress import run_to_end
    from restoration_core.render.pipeline import render

    t0 = time.perf_counter()
    for spec in specs:
        run_to_end(render(spec))
    return time.perf_counter() - t0


def run_pool(specs, workers: int) -> float:
    from restoration_core.jobs.pool import WorkerPool
    from restoration_core.jobs.queue import DONE, JobQueue

    queue = JobQueue()
    for spec in specs:
        queue.add(spec)
    t0 = time.perf_counter()
    with WorkerPool(queue, workers=workers, gpus=0) as pool:
        pool.run()
    elapsed = time.perf_counter() - t0
    failed = [j for j in queue.jobs if j.state != DONE]
    if failed:
        raise SystemExit(f"bench_jobs: {failed[0].spec.name} {failed[0].state}: {failed[0].error}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default=f"1,2,{os.cpu_count() or 2}")
    ap.add_argument("--copies", type=int, default=2, help="times each clip is queued")
    ap.add_argument("--frames", type=int, default=24, help="frames per job")
    ap.add_argument("--engine", default="temporal")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"bench_jobs: skipped, {DATA} is absent")
        return 0
    try:
        from restoration_core.media import open_reel, open_writer  # noqa: F401
        from restoration_core.restore import restore_frames  # noqa: F401
    except ImportError as exc:
        print(f"bench_jobs: skipped, the engine lacks a part the jobs need ({exc})")
        return 0
    sources = clip_sources(args.frames)
    if not sources:
        print(f"bench_jobs: skipped, no clips found in {DATA}")
        return 0
    counts = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    try:
        total_frames = args.copies * sum(b - a for _, (a, b) in sources)
        print(f"{len(sources) * args.copies} jobs, {total_frames} frames, engine {args.engine}, "
              f"{os.cpu_count()} CPU cores")
        out = tmp / "inline"
        out.mkdir()
        base = run_inline(make_specs(sources, args.copies, out, args.engine))
        print(f"{'in-process, sequential (baseline)':36s} {base:7.1f} s  {total_frames / base:6.2f} frames/s  1.00x")
        for w in counts:
            out = tmp / f"pool{w}"
            out.mkdir()
            elapsed = run_pool(make_specs(sources, args.copies, out, args.engine), w)
            print(f"{f'pool, {w} worker(s)':36s} {elapsed:7.1f} s  {total_frames / elapsed:6.2f} frames/s  "
                  f"{base / elapsed:.2f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
