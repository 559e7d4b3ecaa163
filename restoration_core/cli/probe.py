"""``reelwright probe INPUT [--json]``: what a reel is (rate, size, depth, timecode, gaps, audio)."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction


def fps_arg(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"frame rate must be a number or N/D, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"frame rate must be positive, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from restoration_core.media import probe

    info = probe(args.input, fps=args.fps)
    data = info.to_dict()
    if args.json:
        print(json.dumps(data, indent=1))
        return 0
    fps = info.fps
    rate = f"{fps.numerator}/{fps.denominator} ({float(fps):.3f} fps)" if fps.denominator != 1 else f"{fps} fps"
    lines = [
        f"path:      {info.path}",
        f"format:    {info.format} ({info.codec})",
        f"frames:    {info.frames} ({info.duration_s:.3f} s)",
        f"rate:      {rate}",
        f"size:      {info.width}x{info.height}",
        f"pixels:    {info.pix_fmt}, {info.bit_depth}-bit",
        f"timecode:  {info.timecode or 'none'}",
    ]
    if info.is_sequence:
        lines.append(f"numbers:   from {info.start_number}, step {info.step}")
        lines.append(f"gaps:      {', '.join(map(str, info.gaps)) if info.gaps else 'none'}")
    for a in info.audio:
        dur = f", {a.duration_s:.3f} s" if a.duration_s is not None else ""
        lines.append(f"audio #{a.index}:  {a.codec}, {a.sample_rate} Hz, {a.channels} ch{dur}")
    if not info.audio:
        lines.append("audio:     none")
    lines.extend(f"note:      {note}" for note in info.notes)
    print("\n".join(lines))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "probe",
        help="show a reel's exact frame rate, size, bit depth, timecode, gaps and audio",
        description="Probe a media file or an image sequence (a folder, a printf pattern such as "
        "scan/frame_%%06d.dpx, or one file of the sequence).",
    )
    p.add_argument("input", metavar="INPUT")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--fps", type=fps_arg, default=None, help="frame rate of an image sequence (default 24, or its DPX header)")
    p.set_defaults(func=run)
