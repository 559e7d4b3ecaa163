"""Benchmark: master export (FFV1/MKV) fps at 1080p next to a raw PyAV decode->encode loop.

Generates a 1080p 10-bit ProRes 422 HQ clip (48 frames, 24000/1001, PCM audio, timecode),
then times, in the same run and alternating, (a) ``restoration_core.media.export(..., "master")``
(which also copies the audio, hashes every frame and the file, and renames atomically) and
(b) a bare PyAV loop that decodes the same file and encodes FFV1 with the same pixel format
and options. Prints both rates and their ratio (target >= 0.9). With ../shared/data present
it also times a master export of the real reel-b.mkv; without it, that part is skipped.

    python scripts/bench/bench_media.py [--frames 48] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402

from restoration_core.media import export, load_preset, probe  # noqa: E402
from restoration_core.progress import run_to_end  # noqa: E402
from tests.core.fixtures_media import make_prores_10bit  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def raw_loop(src: Path, dst: Path) -> int:
    """Decode ``src`` and encode FFV1 (master preset options, source pix_fmt) into ``dst``."""
    options = load_preset("master").options_for(False)
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="matroska") as out:
        ivs = inp.streams.video[0]
        ivs.thread_type = "AUTO"
        ovs = out.add_stream("ffv1", rate=ivs.average_rate)
        ovs.width, ovs.height, ovs.pix_fmt = ivs.codec_context.width, ivs.codec_context.height, ivs.codec_context.pix_fmt
        ovs.options = options
        ovs.thread_type = "AUTO"
        n = 0
        for frame in inp.decode(ivs):
            frame.pts = n
            frame.time_base = 1 / ivs.average_rate
            for packet in ovs.encode(frame):
                out.mux(packet)
            n += 1
        for packet in ovs.encode(None):
            out.mux(packet)
    return n


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        src = make_prores_10bit(tmp / "clip1080.mov", frames=args.frames, size=(1920, 1080))
        info = probe(src)
        print(f"source: {info.width}x{info.height} {info.codec} {info.pix_fmt} {info.frames} frames "
              f"@ {info.fps}, audio {[a.codec for a in info.audio]}, tc {info.timecode} "
              f"(generated in {time.perf_counter() - t:.1f} s)")
        best_export = best_raw = float("inf")
        for k in range(args.repeat):
            out = tmp / f"master{k}.mkv"
            best_raw = min(best_raw, timed(lambda k=k: raw_loop(src, tmp / f"raw{k}.mkv")))
            best_export = min(best_export, timed(lambda out=out: run_to_end(export(src, out, "master"))))
            out.unlink()
            (tmp / f"raw{k}.mkv").unlink()
        n = info.frames
        fps_export, fps_raw = n / best_export, n / best_raw
        print(f"master export : {fps_export:7.2f} fps  (best of {args.repeat}; incl. audio copy, "
              f"per-frame MD5, SHA-256, atomic rename)")
        print(f"raw PyAV loop : {fps_raw:7.2f} fps  (decode -> FFV1 encode, same pix_fmt/options, video only)")
        print(f"ratio         : {fps_export / fps_raw:7.3f}  (target >= 0.9)")
    reel_b = DATA / "old-film" / "reel-b.mkv"
    if reel_b.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "reel-b.master.mkv"
            sec = timed(lambda: run_to_end(export(reel_b, out, "master")))
            print(f"reel-b.mkv master export: {probe(reel_b).frames / sec:.1f} fps")
    else:
        print(f"skipped the real-reel timing: {DATA} is absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
