"""``reelwright export INPUT -o OUTPUT --preset NAME [--range A:B]``: an untouched copy through a preset."""

from __future__ import annotations

import argparse
import sys
import time

from restoration_core.cli.probe import fps_arg
from restoration_core.media import probe
from restoration_core.media.presets import PRESET_NAMES
from restoration_core.render.export import export
from restoration_core.render.spec import parse_range


def run(args: argparse.Namespace) -> int:
    info = probe(args.input, fps=args.fps)
    frame_range = parse_range(args.range, info.frames, info.path)
    task = export(args.input, args.output, args.preset, frame_range=frame_range, fps=args.fps,
                  verify=args.verify)
    started = last = time.monotonic()
    result = None
    try:
        while True:
            p = next(task)
            now = time.monotonic()
            if p.message:
                print(f"reelwright: note: {p.message}", file=sys.stderr)
            elif now - last >= 1.0 or p.done == p.total:
                fps = p.done / max(now - started, 1e-6)
                left = (p.total - p.done) / fps if fps > 0 else 0
                print(f"export: {p.done}/{p.total} frames, {fps:.1f} fps, {left:.0f} s left",
                      file=sys.stderr, flush=True)
                last = now
    except StopIteration as stop:
        result = stop.value
    print(result.path)
    print(f"fixity: {result.manifest_path} (per-frame MD5), {result.sha256_path} (SHA-256)", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="copy a reel (or a range) through an export preset, with audio, timecode and fixity",
        description="Export INPUT through a preset (restoration_core/resources/presets/NAME.toml): master (FFV1/MKV, "
        "lossless), mezzanine (ProRes/MOV), access (H.264/MP4), dpx, tiff, png (sequences: OUTPUT is "
        "a folder). Writes OUTPUT.framemd5 and OUTPUT.sha256 beside the output.",
    )
    p.add_argument("input", metavar="INPUT")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT")
    p.add_argument("--preset", required=True, choices=PRESET_NAMES)
    p.add_argument("--range", default=None, metavar="A:B", help="frame indices A..B-1 (end exclusive)")
    p.add_argument("--fps", type=fps_arg, default=None, help="frame rate of an image sequence (default 24)")
    p.add_argument("--verify", action="store_true",
                   help="decode a lossless output back once written and compare every frame with what went in "
                        "(its framemd5 is otherwise taken from the frames as they are encoded)")
    p.set_defaults(func=run)
