"""``reelwright detect INPUT --masks-out DIR``: find damage, write one mask PNG per frame.

Masks are ``DIR/NNNNNN.png`` (0-based frame index within INPUT, six digits, 8-bit gray,
255 = damage, 0 = clean). ``--report FILE.json`` adds the defect list per frame and the
flicker curve. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from restoration_core.atomic import atomic_write_bytes, atomic_write_text, check_writable_folder
from restoration_core.errors import InputError, OutputError


def parse_range(text: str | None) -> tuple[int, int | None] | None:
    """``"A:B"`` (B exclusive), ``"A:"`` (to the end) -> (A, B|None); ``None`` -> ``None``."""
    if text is None:
        return None
    head, sep, tail = text.partition(":")
    try:
        if not sep:
            raise ValueError
        a = int(head) if head.strip() else 0
        b = int(tail) if tail.strip() else None
    except ValueError:
        raise InputError(f"--range must look like A:B (frame indices, B exclusive), got {text!r}") from None
    if a < 0 or (b is not None and b <= a):
        raise InputError(f"--range {text!r} is empty or negative")
    return a, b


def _open_reel(path: str):
    from restoration_core.media import open_reel

    return open_reel(path)


def _mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", mask.astype(np.uint8) * 255)
    if not ok:  # pragma: no cover - OpenCV always encodes a gray uint8 image
        raise OutputError("could not encode a mask as PNG")
    return buf.tobytes()


def _prepare_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the masks folder ({exc.strerror or exc})", folder) from None
    check_writable_folder(folder)


def run(args: argparse.Namespace) -> int:
    from restoration_core.detect import DetectSettings, detect_reel

    if not 0.0 <= args.sensitivity <= 1.0:
        raise InputError(f"--sensitivity must be within 0..1, got {args.sensitivity}")
    settings = DetectSettings(
        sensitivity=args.sensitivity,
        dust=not args.no_dust,
        scratches=not args.no_scratches,
        flicker=not args.no_flicker,
    )
    wanted = parse_range(args.range)
    out_dir = Path(args.masks_out)
    _prepare_folder(out_dir)
    if args.report is not None:
        check_writable_folder(Path(args.report).resolve().parent)

    reel = _open_reel(args.input)
    try:
        n = len(reel)
        frame_range = None
        if wanted is not None:
            a, b = wanted[0], n if wanted[1] is None else wanted[1]
            if b > n or a >= n:
                raise InputError(f"--range {args.range} is outside the input's 0:{n}", args.input)
            frame_range = (a, b)
        frames_out: list[dict] = []
        kinds: Counter[str] = Counter()
        started = last_report = time.monotonic()
        for p in detect_reel(reel, settings, frame_range=frame_range):
            fd = p.payload
            atomic_write_bytes(out_dir / f"{fd.index:06d}.png", _mask_png(fd.mask))
            kinds.update(d.kind for d in fd.defects)
            frames_out.append(fd.to_dict())
            now = time.monotonic()
            if now - last_report >= 1.0 or p.done == p.total:
                fps = p.done / max(1e-6, now - started)
                print(f"detect: frame {p.done}/{p.total} ({fps:.1f} fps)", file=sys.stderr, flush=True)
                last_report = now
    finally:
        close = getattr(reel, "close", None)
        if close is not None:
            close()

    if args.report is not None:
        report = {
            "input": str(args.input),
            "frames": n,
            "range": list(frame_range) if frame_range else [0, n],
            "settings": asdict(settings),
            "summary": {"defects": sum(kinds.values()), "by_kind": dict(sorted(kinds.items()))},
            "flicker": [[f["frame"], *f["flicker"]] for f in frames_out if f["flicker"] is not None],
            "per_frame": frames_out,
        }
        atomic_write_text(Path(args.report), json.dumps(report, indent=1))
    total = sum(kinds.values())
    print(f"detect: {len(frames_out)} masks in {out_dir}, {total} defects", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "detect",
        help="find dust, dirt, line scratches and flicker; write mask PNGs",
        description="Detect damage in a film scan and write DIR/NNNNNN.png masks (255 = damage).",
    )
    p.add_argument("input", help="video file or image sequence")
    p.add_argument("--masks-out", required=True, metavar="DIR", help="folder for the mask PNGs (created)")
    p.add_argument("--report", metavar="FILE.json", help="write the defect list and flicker curve as JSON")
    p.add_argument(
        "--sensitivity",
        type=float,
        default=0.5,
        metavar="S",
        help="0..1 (default 0.5): higher finds fainter damage, with more false alarms",
    )
    p.add_argument("--range", metavar="A:B", help="only frames A..B-1 (0-based; neighbours still used)")
    p.add_argument("--no-dust", action="store_true", help="skip dust/dirt detection")
    p.add_argument("--no-scratches", action="store_true", help="skip line-scratch detection")
    p.add_argument("--no-flicker", action="store_true", help="skip the flicker measurement")
    p.set_defaults(func=run)
