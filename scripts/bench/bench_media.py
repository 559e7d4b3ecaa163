"""Benchmark: master export (FFV1/MKV) fps at 1080p next to a raw PyAV decode->encode loop.

Generates two 1080p sources (48 frames, 24000/1001): an 8-bit FFV1 RGB (bgr0) clip and a
10-bit ProRes 422 HQ clip with PCM audio and timecode. For each it times, in the same run
and alternating, (a) ``restoration_core.render.export(..., "master")`` (which also copies the
audio, hashes every frame and the file, and renames atomically) and (b) a bare PyAV loop that
decodes the same file and encodes FFV1 with the same pixel format and options, as a user
would write it from PyAV's documentation: one Python thread, the decoder as PyAV opens it (its
defaults: slice threads, FFmpeg's automatic count), the encoder with ``thread_type = "AUTO"`` and
the export's thread count (one per core the process may use), so both run the same codec work,
the encoder with the same threads, and write the same bitstream. A second loop, its decoder
with ``thread_type = "AUTO"`` as the export's (frame threads where the codec has them), is
timed and printed beside it. Prints the rates and the ratios (target >= 1.0 against the first
loop), by wall clock and by the process's CPU time, the load average, and what hashing the frames
(the export's framemd5) costs alone, the one piece of work the export has that the loop has not. With ../shared/data present it also times a
master export of the real reel-b.mkv; without it, that part is skipped.

    python scripts/bench/bench_media.py [--frames 48] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402

from restoration_core.media import load_preset, open_reel, open_writer, probe  # noqa: E402
from restoration_core.media.fixity import PAD_BYTE, frame_md5_and_size, sha256_file  # noqa: E402
from restoration_core.media.writer import available_cores  # noqa: E402
from restoration_core.progress import run_to_end  # noqa: E402
from restoration_core.render.export import export  # noqa: E402
from tests.core.fixtures_media import make_ffv1_mkv, make_prores_10bit  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def raw_loop(src: Path, dst: Path, decoder_auto: bool = False) -> int:
    """Decode ``src`` and encode FFV1 (master preset options, source pix_fmt) into ``dst``;
    ``decoder_auto``: the decoder with ``thread_type = "AUTO"`` instead of PyAV's default."""
    options = load_preset("master").options_for(False)
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="matroska") as out:
        ivs = inp.streams.video[0]
        if decoder_auto:
            ivs.thread_type = "AUTO"
        ovs = out.add_stream("ffv1", rate=ivs.average_rate)
        ovs.width, ovs.height, ovs.pix_fmt = ivs.codec_context.width, ivs.codec_context.height, ivs.codec_context.pix_fmt
        ovs.options = options
        ovs.thread_type = "AUTO"
        ovs.codec_context.thread_count = available_cores()  # as the export's encoder (FFmpeg's own: cores + 1)
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


def array_path(src: Path, dst: Path) -> None:
    """What the restore pipeline does: numpy frames through open_writer (16-bit RGB master)."""
    with open_reel(src, cache_bytes=0) as reel:
        writer = open_writer(dst, "master", reel.info, audio_source=src)
        for frame in reel.frames():
            writer.write(frame.data)
        writer.commit()


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measured(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def compare(src: Path, tmp: Path, repeat: int) -> None:
    """Time export(master) and the raw loop on ``src``, alternating, and print both and the ratio."""
    info = probe(src)
    runs: dict[str, list[tuple[float, float]]] = {"export": [], "raw": [], "auto": []}
    load = [os.getloadavg()[0]]
    for k in range(repeat):  # alternate the order so load changes hit all alike
        out, raw, auto = tmp / f"master{k}.mkv", tmp / f"raw{k}.mkv", tmp / f"auto{k}.mkv"
        jobs = [("raw", lambda raw=raw: raw_loop(src, raw)),
                ("export", lambda out=out: run_to_end(export(src, out, "master"))),
                ("auto", lambda auto=auto: raw_loop(src, auto, decoder_auto=True))]
        for name, fn in (jobs if k % 2 == 0 else jobs[::-1]):
            runs[name].append(measured(fn))
        load.append(os.getloadavg()[0])
        if k == repeat - 1:
            c = time.process_time()
            sha256_file(out)
            sha_ms = 1000 * (time.process_time() - c) / info.frames
        for path in (out, raw, auto):
            path.unlink()
    n = info.frames
    wall = {name: n / min(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: n / min(c for _, c in r) for name, r in runs.items()}
    print(f"source: {info.width}x{info.height} {info.codec} {info.pix_fmt} {n} frames @ {info.fps}, "
          f"audio {[a.codec for a in info.audio]}")
    print(f"{'':14s}   wall fps   CPU-time fps   (best of {repeat})")
    print(f"master export : {wall['export']:9.2f} {cpu['export']:14.2f}   incl. audio copy, per-frame MD5, "
          "SHA-256, atomic rename")
    print(f"raw PyAV loop : {wall['raw']:9.2f} {cpu['raw']:14.2f}   decode (PyAV defaults) -> FFV1 encode, same "
          "pix_fmt/options/encoder threads, video only")
    print(f"loop, dec AUTO: {wall['auto']:9.2f} {cpu['auto']:14.2f}   the same with the decoder's thread_type AUTO")
    print(f"ratio         : {wall['export'] / wall['raw']:9.3f} {cpu['export'] / cpu['raw']:14.3f}   (target >= 1.0)")
    print(f"ratio, AUTO   : {wall['export'] / wall['auto']:9.3f} {cpu['export'] / cpu['auto']:14.3f}   "
          f"(load average {min(load):.1f}-{max(load):.1f})")
    extra = 1000 * (1 / cpu["export"] - 1 / cpu["raw"])
    md5_ms = hash_ms(src)
    print(f"export CPU - loop CPU: {extra:.1f} ms/frame; the hashes alone: framemd5 {md5_ms:.1f} + the output's "
          f"SHA-256 {sha_ms:.1f} = {md5_ms + sha_ms:.1f} ms/frame ({100 * (md5_ms + sha_ms) * cpu['raw'] / 1000:.1f}% "
          "of the loop's CPU)")


def hash_ms(src: Path) -> float:
    """CPU ms per frame of the framemd5 hashes of ``src``'s decoded frames (one thread, decode not counted)."""
    with av.open(str(src)) as container:
        frames = list(container.decode(video=0))
    c = time.process_time()
    for frame in frames:
        frame_md5_and_size(frame, frame.format.name in PAD_BYTE)  # bgr0's pad byte zeroed, as the export
    return 1000 * (time.process_time() - c) / len(frames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sources", type=Path, default=None,
                        help="folder for the generated sources, reused when they are there (generating takes minutes)")
    args = parser.parse_args()
    print(f"cores: {available_cores()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        where = args.sources or tmp
        where.mkdir(parents=True, exist_ok=True)
        rgb8, src = where / f"clip1080_8bit_{args.frames}.mkv", where / f"clip1080_{args.frames}.mov"
        if not rgb8.is_file():
            make_ffv1_mkv(rgb8, frames=args.frames, pix_fmt="bgr0", size=(1920, 1080))
        if not src.is_file():
            make_prores_10bit(src, frames=args.frames, size=(1920, 1080))
        print(f"(sources generated in {time.perf_counter() - t:.1f} s)")
        print("-- 8-bit")
        compare(rgb8, tmp, args.repeat)
        print("-- 10-bit")
        compare(src, tmp, args.repeat)
        n = probe(src).frames
        sec = timed(lambda: array_path(src, tmp / "arrays.mkv"))
        print(f"array path    : {n / sec:9.2f} fps  (Reel.frames -> uint16 arrays -> open_writer master, "
              f"gbrp16le: how restored frames are written; once)")
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
