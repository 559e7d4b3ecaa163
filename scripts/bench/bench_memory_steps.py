"""Diagnostic: where a render's memory grows with the clip's length, step by step.

Renders the first N frames of the bench's damaged street reel (320x180, the clip played forward
and back, as ``bench_throughput.py``'s memory mode) for two or more N, each in a fresh process,
and at the start of each step of the render (frames, detect, restore, encode, report) and at its
end records: RSS, glibc's heap in use (``mallinfo2().uordblks``: every arena, what ``malloc``
handed out and not freed; Python's small objects live in pymalloc's own mmap'd arenas and are not
in it), Python's pymalloc blocks (``sys.getallocatedblocks``), the gc-tracked objects by type,
and with ``--tracemalloc`` a snapshot whose difference between the shortest and longest render is
printed by traceback. What grows per frame between the two lengths is printed per step.

    python scripts/bench/bench_memory_steps.py [--lengths 150 450] [--chunk 100] [--tracemalloc]

Linux with glibc only (mallinfo2, glibc 2.33+).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_throughput as bt  # noqa: E402

from restoration_core.render.pipeline import render  # noqa: E402
from restoration_core.render.spec import DEFAULT_CHUNK, JobSpec  # noqa: E402


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mallinfo2():
    fn = ctypes.CDLL("libc.so.6").mallinfo2
    fn.restype = _Mallinfo2
    return fn


def sample(tag: str, mallinfo) -> dict:
    mi = mallinfo()
    objs = gc.get_objects()
    return {"tag": tag, "rss": bt.rss_mib(), "heap": mi.uordblks / 2**20, "mmapped": mi.hblkhd / 2**20,
            "objects": len(objs), "blocks": sys.getallocatedblocks(),
            "types": dict(collections.Counter(type(o).__name__ for o in objs))}


def child(src: str, frames: int, chunk: int, out: Path, traced: bool) -> None:
    """One render of frames [0, frames); the samples to ``out`` (JSON), snapshots beside it."""
    mallinfo = _mallinfo2()
    if traced:
        tracemalloc.start(10)
    rows, last, peaks = [], None, {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in render(JobSpec(input=src, output=str(Path(tmp) / "o.mkv"), preset="master", detect=True,
                                frame_range=(0, frames), settings={"engine": "auto"}, chunk=chunk)):
            peaks[p.stage] = max(peaks.get(p.stage, 0.0), bt.rss_mib())
            if p.stage != last:
                rows.append(sample(p.stage, mallinfo))
                if traced:
                    tracemalloc.take_snapshot().dump(f"{out}.{p.stage}.snap")
                last = p.stage
    rows.append(sample("end", mallinfo))
    if traced:
        tracemalloc.take_snapshot().dump(f"{out}.end.snap")
    out.write_text(json.dumps({"rows": rows, "peaks": peaks, "hwm": bt.peak_rss_mib()}))


def compare(a: dict, b: dict, n: int, traced: tuple[Path, Path] | None) -> None:
    """What the longer render (``b``) holds more than the shorter (``a``) per extra frame (``n``)."""
    print(f"{'at the start of':16s} {'RSS MiB':>13s} {'heap MiB':>13s} {'heap B/frame':>12s} "
          f"{'pymalloc blocks/frame':>21s} {'gc objects/frame':>16s}")
    for ra, rb in zip(a["rows"], b["rows"], strict=True):
        print(f"{ra['tag']:16s} {ra['rss']:6.0f}/{rb['rss']:<6.0f} {ra['heap']:6.1f}/{rb['heap']:<6.1f} "
              f"{(rb['heap'] - ra['heap']) * 2**20 / n:12.0f} {(rb['blocks'] - ra['blocks']) / n:21.1f} "
              f"{(rb['objects'] - ra['objects']) / n:16.2f}")
        kinds = set(ra["types"]) | set(rb["types"])
        grown = sorted(((rb["types"].get(k, 0) - ra["types"].get(k, 0), k) for k in kinds), reverse=True)
        grown = [f"{k} {d / n:+.2f}" for d, k in grown[:5] if d / n >= 0.5]
        if grown:
            print(f"{'':16s} gc objects per frame: {', '.join(grown)}")
        if traced is not None and Path(f"{traced[0]}.{ra['tag']}.snap").is_file():
            sa = tracemalloc.Snapshot.load(f"{traced[0]}.{ra['tag']}.snap")
            sb = tracemalloc.Snapshot.load(f"{traced[1]}.{ra['tag']}.snap")
            total = [sum(s.size for s in x.statistics("filename")) for x in (sa, sb)]
            print(f"{'':16s} traced {total[0] / 2**20:.1f}/{total[1] / 2**20:.1f} MiB "
                  f"({(total[1] - total[0]) / n:.0f} B/frame); largest differences:")
            for st in sb.compare_to(sa, "traceback")[:4]:
                where = next((f for f in reversed(st.traceback) if str(ROOT) in f.filename), st.traceback[-1])
                print(f"{'':18s} {st.size_diff / n:7.0f} B/frame {st.count_diff / n:+6.2f} blocks/frame  "
                      f"{Path(where.filename).name}:{where.lineno} (innermost {Path(st.traceback[-1].filename).name}:"
                      f"{st.traceback[-1].lineno})")
    print("peak RSS per step (MiB):", "; ".join(f"{k} {a['peaks'][k]:.0f}/{b['peaks'].get(k, 0):.0f}"
                                                for k in a["peaks"]), f"| VmHWM {a['hwm']:.0f}/{b['hwm']:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[150, 450])
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="restore chunk (frames)")
    parser.add_argument("--tracemalloc", action="store_true", help="also tracemalloc snapshots (slow: ~3x)")
    parser.add_argument("--child", nargs=4, metavar=("SRC", "FRAMES", "CHUNK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]), Path(args.child[3]), args.tracemalloc)
        return 0
    lengths = sorted(args.lengths)
    if len(lengths) < 2:
        parser.error("give two lengths or more")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clean, what = bt.long_clean(lengths[-1], (320, 180))
        artifacts = bt.load_artifacts(bt.ARTIFACTS) if bt.ARTIFACTS.is_dir() else None
        damager = bt.Damager(bt.DamageSettings(items=1.0, seed=5), artifacts)
        src = bt.write_source(tmp / "long320.mkv", [damager.apply(c, i).data for i, c in enumerate(clean)])
        del clean
        print(f"320x180, {what}, restore chunks of {args.chunk}; renders of {lengths} frames side by side")
        outs = [tmp / f"steps{n}.json" for n in lengths]
        procs = [subprocess.Popen([sys.executable, __file__, "--child", str(src), str(n), str(args.chunk), str(o)]
                                  + (["--tracemalloc"] if args.tracemalloc else [])) for n, o in zip(lengths, outs, strict=True)]
        if any([p.wait() for p in procs]):  # every child waited for
            print("a render failed", file=sys.stderr)
            return 1
        runs = [json.loads(o.read_text()) for o in outs]
        done = list(zip(lengths, runs, outs, strict=True))
        for (na, ra, oa), (nb, rb, ob) in zip(done, done[1:], strict=False):
            print(f"\n-- {na} vs {nb} frames (per frame: the difference / {nb - na})")
            compare(ra, rb, nb - na, (oa, ob) if args.tracemalloc else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
