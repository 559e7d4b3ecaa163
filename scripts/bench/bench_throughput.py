"""Benchmark: what a whole automatic render costs per frame, against the floor of any
motion-compensated method and against a SpotLess-style temporal median.

The clip: the clean street clip ../shared/data/clean/car-detection.mp4 (resized) with
synthetic damage from ``restoration_core.metrics.damage`` (the real artifact shapes of
../shared/data/artifacts when present), so the truth is known; without ../shared/data a
generated moving picture with procedural damage is used instead (said so in the output).
The damaged frames are written to a lossless FFV1 source, then, in the same run, at
640x360 and at 1920x1080:

- ours: ``render`` (detect -> restore -> patch cache -> master encode), the real pipeline;
- floor: decode + two DIS flows per frame (to each neighbour, as detection computes them)
  + master encode of the same frames: what any motion-compensated method pays at least;
- SpotLess-style: decode, the same two flows, both neighbours warped onto the frame, the
  per-pixel median of the three written as the frame (as the VapourSynth SpotLess chain
  does with MVTools), master encode.

For each: CPU ms per frame (time.process_time, every thread of the process), wall fps (all
cores the process may use), and the quality: PSNR inside the damage, whole-frame PSNR and
"harm" (regions per frame changed by more than 12 levels farther than 8 px from any
artifact). Also: the DIS flows our render computed per frame, the render cache's bytes
against the raw frames' (damage tuned to about 0.5% of the pixels), and the peak memory
(VmHWM, each in a fresh process) of renders of 300, 520 and 800 frames of a damaged reel made
from the street clip played forward and back (320x180), and of 16 and 32 frames at 2048x1080 in
restore chunks of 8 frames (so the longer render crosses chunk boundaries as a feature's does),
with the largest RSS each step of the render reached.

    python scripts/bench/bench_throughput.py [--frames 24] [--frames-hd 8] [--long 300 520 800] [--long-2k 16 32]
        [--no-memory] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from restoration_core.detect import flow as flow_module  # noqa: E402
from restoration_core.detect.flow import estimate_flow, to_luma, warp  # noqa: E402
from restoration_core.media import open_reel, open_writer  # noqa: E402
from restoration_core.metrics.damage import Damager, DamageSettings, load_artifacts  # noqa: E402
from restoration_core.metrics.quality import harm, psnr  # noqa: E402
from restoration_core.progress import run_to_end  # noqa: E402
from restoration_core.render.pipeline import render  # noqa: E402
from restoration_core.render.spec import DEFAULT_CHUNK, JobSpec  # noqa: E402
from tests.core.fixtures_media import picture  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CAR = DATA / "clean" / "car-detection.mp4"
ARTIFACTS = DATA / "artifacts"


class FlowCounter:
    """Counts DIS flows: wraps the DIS objects ``restoration_core.detect.flow`` hands out."""

    def __init__(self):
        self.count = 0
        self._real = flow_module._dis

    def __enter__(self) -> FlowCounter:
        counter = self

        class Counted:
            def __init__(self, dis):
                self._dis = dis

            def calc(self, *args):
                counter.count += 1
                return self._dis.calc(*args)

        flow_module._dis = lambda preset: Counted(self._real(preset))
        return self

    def __exit__(self, *exc: object) -> None:
        flow_module._dis = self._real


def clean_frames(count: int, size: tuple[int, int]) -> tuple[list[np.ndarray], str]:
    """``count`` clean RGB frames at ``size`` (the car clip, else a generated moving picture)."""
    if CAR.is_file():
        out = []
        with av.open(str(CAR)) as container:
            for frame in container.decode(video=0):
                img = frame.to_ndarray(format="rgb24")
                interp = cv2.INTER_AREA if img.shape[1] > size[0] else cv2.INTER_CUBIC
                out.append(cv2.resize(img, size, interpolation=interp))
                if len(out) >= count:
                    break
        return out, f"{CAR.name} frames 0..{count - 1}"
    return [picture(i, size[0], size[1], bits=8) for i in range(count)], "generated (../shared/data is absent)"


def write_source(path: Path, frames: list[np.ndarray], fps: Fraction = Fraction(25)) -> Path:
    """The frames as a lossless FFV1 (bgr0) Matroska file: the render's input."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="matroska") as out:
        vs = out.add_stream("ffv1", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "bgr0"
        for i, data in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(data, format="rgb24").reformat(format="bgr0")
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
    return path


def damaged_clip(count: int, size: tuple[int, int], items: float, seed: int = 3):
    clean, what = clean_frames(count, size)
    artifacts = load_artifacts(ARTIFACTS) if ARTIFACTS.is_dir() else None
    damager = Damager(DamageSettings(items=items, seed=seed), artifacts)
    return clean, [damager.apply(c, i) for i, c in enumerate(clean)], what


def measured(fn) -> tuple[float, float, object]:
    w, c = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - w, time.process_time() - c, value


def two_flows(reel_frames):
    """(index, frame data, flow to the previous, flow to the next) per frame, each flow once."""
    frames = list(reel_frames)
    luma = [to_luma(f.data) for f in frames]
    n = len(frames)
    for i, f in enumerate(frames):
        prev = estimate_flow(luma[i], luma[max(0, i - 1)]) if i > 0 else None
        nxt = estimate_flow(luma[i], luma[min(n - 1, i + 1)]) if i < n - 1 else None
        yield f.index, f.data, prev, nxt


def run_floor(src: Path, out: Path) -> None:
    with open_reel(src, cache_bytes=0) as reel:
        writer = open_writer(out, "master", reel.info)
        for _, data, _, _ in two_flows(reel.frames()):
            writer.write(data)
        writer.commit()


def run_spotless(src: Path, out: Path) -> None:
    """Motion-compensated 3-frame temporal median of every pixel (SpotLess-style), same flows."""
    with open_reel(src, cache_bytes=0) as reel:
        frames = [f.data for f in reel.frames()]
        writer = open_writer(out, "master", reel.info)
        for i, data, prev, nxt in two_flows(open_reel(src, cache_bytes=0).frames()):
            a = warp(frames[i - 1], prev) if prev is not None else data
            b = warp(frames[i + 1], nxt) if nxt is not None else data
            writer.write(np.median(np.stack([a, data, b]), axis=0).astype(data.dtype))
        writer.commit()


# (label, function name as cProfile names it, file it is in): the render's steps for --profile
STEPS = [
    ("frame scan (splices)", "scan_frames", "detect/frames.py"),
    ("detection", "detect_reel", "detect/pipeline.py"),
    ("  its flows", "prefetch", "detect/pipeline.py"),
    ("  temporal outliers", "temporal_outliers", "detect/dust.py"),
    ("  motion protection", "protect", "detect/motion.py"),
    ("restore", "restore_frames", "restore/pipeline.py"),
    ("  temporal fill", "temporal_fill_checked", "restore/temporal.py"),
    ("    its DIS flows", "_calc", "detect/flow.py"),
    ("      of them: the flow pictures (inpainted luma)", "_picture", "detect/flow.py"),
    ("    flow smoothing", "smooth_over", "restore/temporal.py"),
    ("  line fill", "fill_lines", "restore/linefill.py"),
    ("  mismatch check", "_hold_mismatched", "restore/pipeline.py"),
    ("  generative fill + grain + composite", "_finish", "restore/pipeline.py"),
    ("patch store", "put_frame", "render/cache.py"),
    ("encode (source read again + paste + write)", "encode", "render/pipeline.py"),
    ("report", "write_report", "report/__init__.py"),
]


def run_ours(src: Path, out: Path, cache: Path, profile: bool = False) -> tuple[int, int]:
    """The automatic render, cache kept; (DIS flows computed, render cache bytes). ``profile``:
    prints the CPU ms per frame of the render's steps (cProfile with a CPU clock, so its own
    overhead is in the numbers; run it apart from the timed run)."""
    spec = JobSpec(input=str(src), output=str(out), preset="master", cache=str(cache), detect=True,
                   settings={"engine": "auto"})
    with FlowCounter() as counter:
        if profile:
            prof = cProfile.Profile(time.process_time)
            prof.runcall(run_to_end, render(spec))
            with open_reel(src, cache_bytes=0) as reel:
                frames = len(reel)
            stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
            print(f"where the CPU goes (cProfile, ms/frame of {frames} frames; nested lines are part of the line above):")
            for label, name, where in STEPS:
                ct = sum(v[3] for (file, _, fn), v in stats.items() if fn == name and file.endswith(where))
                print(f"  {label:44s} {1000 * ct / frames:7.1f}")
        else:
            run_to_end(render(spec))
    size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    return counter.count, size


def quality(out: Path, clean: list[np.ndarray], damaged) -> tuple[float, float, float]:
    """(PSNR in the damage, whole-frame PSNR, harm regions per frame) of an output file."""
    with open_reel(out) as reel:
        outs = [f.data for f in reel.frames()]
    err = n = 0.0
    for o, c, d in zip(outs, clean, damaged, strict=True):
        if d.mask.any():
            diff = o[d.mask].astype(np.float64) - c[d.mask].astype(np.float64)
            err += float(np.sum(diff * diff))
            n += diff.size
    inside = float("inf") if err == 0 else 10 * np.log10(255.0**2 * n / err)
    whole = float(np.mean([psnr(o, c) for o, c in zip(outs, clean, strict=True)]))
    harmed = float(np.mean([harm(o, d.data, d.artifact)[0] for o, d in zip(outs, damaged, strict=True)]))
    return inside, whole, harmed


def compare(size: tuple[int, int], count: int, items: float, tmp: Path, profile: bool = False) -> None:
    clean, damaged, what = damaged_clip(count, size, items)
    src = write_source(tmp / f"src{size[0]}.mkv", [d.data for d in damaged])
    fraction = float(np.mean([d.mask.mean() for d in damaged]))
    print(f"\n-- {size[0]}x{size[1]}, {count} frames of {what}; damage covers {100 * fraction:.2f}% of the pixels")
    rows = {}
    w, c, _ = measured(lambda: run_floor(src, tmp / "floor.mkv"))
    rows["floor: decode + 2 DIS + encode"] = (w, c, quality(tmp / "floor.mkv", clean, damaged))
    w, c, (flows, cache_bytes) = measured(lambda: run_ours(src, tmp / "ours.mkv", tmp / f"cache{size[0]}"))
    rows["ours: detect + restore + encode"] = (w, c, quality(tmp / "ours.mkv", clean, damaged))
    w, c, _ = measured(lambda: run_spotless(src, tmp / "spotless.mkv"))
    rows["SpotLess-style MC median"] = (w, c, quality(tmp / "spotless.mkv", clean, damaged))
    print(f"{'':34s} {'CPU ms/f':>9s} {'wall fps':>9s} {'PSNR dmg':>9s} {'PSNR':>7s} {'harm/f':>7s}")
    for name, (w, c, (inside, whole, harmed)) in rows.items():
        print(f"{name:34s} {1000 * c / count:9.0f} {count / w:9.2f} {inside:9.2f} {whole:7.2f} {harmed:7.2f}")
    floor = rows["floor: decode + 2 DIS + encode"][1]
    ours = rows["ours: detect + restore + encode"][1]
    spot = rows["SpotLess-style MC median"][1]
    print(f"ours / floor CPU: {ours / floor:.2f} (target <= 2.5); ours / SpotLess-style CPU: {ours / spot:.2f}")
    raw = count * size[0] * size[1] * 3
    print(f"DIS calls in our render: {flows} ({flows / count:.2f} per frame; a temporal-fill flow computed in "
          f"boxes around the damage counts once per box); render cache {cache_bytes / 1e6:.2f} MB "
          f"= {100 * cache_bytes / raw:.2f}% of the raw frames (target <= 5%)")
    if profile:
        run_ours(src, tmp / "profiled.mkv", tmp / f"cache{size[0]}p", profile=True)


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss, which Linux carries
    over from the forking parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """This process's resident memory now (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_child(src: str, frames: int, chunk: int) -> None:
    """Render frames [0, frames) of ``src`` (restore chunks of ``chunk`` frames); print the largest
    RSS seen in each step of the render (sampled at each Progress), then the peak RSS in MiB."""
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in render(JobSpec(input=src, output=str(Path(tmp) / "o.mkv"), preset="master", detect=True,
                                frame_range=(0, frames), settings={"engine": "auto"}, chunk=chunk)):
            steps[p.stage] = max(steps.get(p.stage, 0.0), rss_mib())
    print(", ".join(f"{stage} {mib:.0f}" for stage, mib in steps.items()))
    print(peak_rss_mib())


def long_clean(count: int, size: tuple[int, int]) -> tuple[list[np.ndarray], str]:
    """``count`` clean frames at ``size``: the street clip played forward, back, forward...
    (a real picture with real motion and no cut), else the generated picture."""
    if not CAR.is_file():
        return [picture(i % 97, size[0], size[1], bits=8, seed=i // 97) for i in range(count)], \
            "generated reel (../shared/data is absent)"
    frames, _ = clean_frames(count, size)
    n = len(frames)
    order = [k if (i // (n - 1)) % 2 == 0 else n - 1 - k for i in range(count) for k in [i % (n - 1)]]
    return [frames[k] for k in order], f"{CAR.name} played forward and back"


def memory(lengths: list[int], tmp: Path, size: tuple[int, int], chunk: int = DEFAULT_CHUNK) -> list[float]:
    """Peak RSS of fresh-process renders of the first ``lengths`` frames of one damaged reel."""
    clean, what = long_clean(max(lengths), size)
    artifacts = load_artifacts(ARTIFACTS) if ARTIFACTS.is_dir() else None
    damager = Damager(DamageSettings(items=1.0, seed=5), artifacts)
    src = write_source(tmp / f"long{size[0]}.mkv", [damager.apply(c, i).data for i, c in enumerate(clean)])
    del clean
    peaks = []
    for n in lengths:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--memory-child", str(src), str(n), str(chunk)],
                              capture_output=True, text=True, check=True)
        *_, steps, peak = done.stdout.strip().splitlines()
        peaks.append(float(peak))
        print(f"render of {n} frames ({size[0]}x{size[1]}, {what}, chunks of {chunk}): peak RSS {peaks[-1]:.0f} MiB "
              f"({time.perf_counter() - t:.0f} s); largest RSS per step (MiB): {steps}")
    for n, peak in zip(lengths[1:], peaks[1:], strict=True):
        print(f"peak memory {n} / {lengths[0]} frames at {size[0]}x{size[1]}: {peak / peaks[0]:.3f} (target <= 1.1)")
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24, help="frames at 640x360 (0: skip)")
    parser.add_argument("--frames-hd", type=int, default=8, help="frames at 1920x1080 (0: skip)")
    parser.add_argument("--items", type=float, default=1.0, help="artifact sheets per frame (damage amount)")
    parser.add_argument("--long", type=int, nargs="+", default=[300, 520, 800], help="reel lengths for peak memory")
    parser.add_argument("--long-size", type=int, nargs=2, default=[320, 180], metavar=("W", "H"),
                        help="frame size of the generated long reel")
    parser.add_argument("--long-2k", type=int, nargs="+", default=[16, 32],
                        help="reel lengths for peak memory at 2048x1080 (0: skip)")
    parser.add_argument("--long-2k-chunk", type=int, default=8,
                        help="restore chunk of the 2048x1080 memory renders (the render's default is 100)")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="after each size's timed runs, render it again under cProfile: CPU per step")
    parser.add_argument("--memory-child", nargs=3, metavar=("SRC", "FRAMES", "CHUNK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]), int(args.memory_child[2]))
        return 0
    if not CAR.is_file():
        print(f"{CAR} is absent: using a generated picture with procedural damage")
    print(f"cores: {len(__import__('os').sched_getaffinity(0))}, OpenCV threads: {cv2.getNumThreads()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.frames:
            compare((640, 360), args.frames, args.items, tmp, args.profile)
        if args.frames_hd:
            compare((1920, 1080), args.frames_hd, args.items, tmp, args.profile)
        if not args.no_memory:
            print()
            memory(sorted(args.long), tmp, tuple(args.long_size))
            if min(args.long_2k) > 0:
                memory(sorted(args.long_2k), tmp, (2048, 1080), args.long_2k_chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
