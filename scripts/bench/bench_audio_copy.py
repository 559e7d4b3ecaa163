"""Benchmark: the export's audio copier alone on a long generated Matroska reel, against a baseline.

Generates a rawvideo + stereo 16-bit PCM MKV (``--seconds`` long, 48 kHz, 1024-sample packets,
Matroska's millisecond stamps) and times ``AudioCopier`` copying a range of ``--length`` seconds
at a few starts (early, middle, near the end) into a Matroska file, best of ``--repeat``, for the
working tree's copier and for the copier at git revision ``--baseline`` (default ``main``),
alternating, in the same run. Prints the times, their ratio, whether the two wrote the same PCM,
and the load average. The page cache is warm (the file was just written), so the numbers are the
demuxing work; from a cold disk reading from the start costs the whole file's read on top.

    python scripts/bench/bench_audio_copy.py [--seconds 90] [--repeat 3] [--baseline main]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402

from restoration_core.media import audio as current  # noqa: E402


def make_reel(path: Path, seconds: int, size: tuple[int, int] = (320, 240)) -> Path:
    """rawvideo (yuv420p) at 24 fps and PCM in Matroska, the audio a ramp so a shift shows."""
    rate, fps = 48000, 24
    with av.open(str(path), "w", format="matroska") as c:
        vs = c.add_stream("rawvideo", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        aus = c.add_stream("pcm_s16le", rate=rate)
        aus.layout = "stereo"
        img = np.zeros((size[1], size[0], 3), np.uint8)
        sample = 0
        for i in range(seconds * fps):
            img[:] = i % 251
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            for p in vs.encode(frame):
                c.mux(p)
            while sample < (i + 1) * rate // fps:
                s = np.arange(sample, sample + 1024)
                data = np.stack([s % 30011, (s * 7) % 30011]).astype(np.int16).T.reshape(1, -1)
                af = av.AudioFrame.from_ndarray(data, format="s16", layout="stereo")
                af.sample_rate, af.pts, af.time_base = rate, sample, Fraction(1, rate)
                for p in aus.encode(af):
                    c.mux(p)
                sample += 1024
        for p in vs.encode(None):
            c.mux(p)
        for p in aus.encode(None):
            c.mux(p)
    return path


def baseline_module(rev: str):
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:restoration_core/media/audio.py"],
                          capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "audio_baseline.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("audio_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy(module, src: Path, dst: Path, t0: Fraction, t1: Fraction) -> tuple[float, bytes]:
    t = time.perf_counter()
    with av.open(str(dst), "w", format="matroska") as out:
        copier = module.AudioCopier(src, out, t0, t1, None)
        copier.finish(out)
    elapsed = time.perf_counter() - t
    with av.open(str(dst)) as c:
        pcm = b"".join(bytes(p) for p in c.demux(audio=0) if p.size)
    return elapsed, pcm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--length", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default="main")
    args = ap.parse_args()
    try:
        old = baseline_module(args.baseline)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"skipped: no baseline copier at {args.baseline!r} ({exc})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        src = make_reel(tmp / "reel.mkv", args.seconds)
        print(f"reel: {args.seconds} s, {src.stat().st_size / 2**20:.0f} MiB, made in {time.perf_counter() - t:.1f} s")
        print(f"load before: {os.getloadavg()}")
        length = Fraction(args.length).limit_denominator(1000)
        rows = []
        for start in (Fraction(1, 2), Fraction(args.seconds, 2), args.seconds - length - Fraction(1, 2)):
            t0, t1 = start, start + length
            best = {"baseline": float("inf"), "current": float("inf")}
            pcm = {}
            for _ in range(args.repeat):
                for name, module in (("baseline", old), ("current", current)):
                    elapsed, pcm[name] = copy(module, src, tmp / f"{name}.mkv", t0, t1)
                    best[name] = min(best[name], elapsed)
            same = pcm["baseline"] == pcm["current"]
            rows.append((float(t0), best["baseline"], best["current"], same, len(pcm["current"]) // 4))
        print(f"{'t0 s':>6} {'baseline ms':>12} {'current ms':>11} {'ratio':>7}  same PCM  samples")
        for t0, b, c, same, n in rows:
            print(f"{t0:6.1f} {b * 1000:12.1f} {c * 1000:11.1f} {b / c:7.1f}  {same!s:8}  {n}")
        print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
