"""``reelwright detect INPUT --masks-out DIR``: find damage, write one mask PNG per frame.

Masks are ``DIR/NNNNNN.png`` (0-based frame index within INPUT, six digits, 8-bit gray,
255 = damage, 0 = clean). ``--report FILE.json`` adds the defect list per frame and the
flicker curve. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from restoration_core.atomic import atomic_write_text, check_writable_folder, partial_name
from restoration_core.detect.frames import scan_frames
from restoration_core.errors import InputError, OutputError
from restoration_core.media.probe import check_frame_size
from restoration_core.progress import run_to_end
from restoration_core.render.engines import load_engines
from restoration_core.render.pipeline import detect
from restoration_core.render.spec import parse_range
from restoration_core.safety import Target, is_mask_png, plan_outputs


def _open_reel(path: str):
    """The reel to detect (the engine's reader; tests put an in-memory scene here)."""
    return load_engines().open_reel(path)


def _mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", mask.astype(np.uint8) * 255)
    if not ok:  # pragma: no cover - OpenCV always encodes a gray uint8 image
        raise OutputError("could not encode a mask as PNG")
    return buf.tobytes()


def _staging(out_dir: Path) -> tuple[Path, list[Path]]:
    """A hidden folder beside ``out_dir`` for this run's masks (and the parents it had to create)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("masks location is not a folder", out_dir)
    made: list[Path] = []
    parent = out_dir.absolute().parent
    for folder in reversed([parent, *parent.parents]):
        if not folder.exists():
            try:
                folder.mkdir()
            except OSError as exc:
                _remove_empty(made)
                raise OutputError(f"cannot create the masks folder ({exc.strerror or exc})", folder) from None
            made.append(folder)
    try:
        check_writable_folder(parent)
        if out_dir.exists():
            check_writable_folder(out_dir)
    except OutputError:
        _remove_empty(made)
        raise
    stage = partial_name(out_dir)
    stage.mkdir()
    return stage, made


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            pass


def _publish(stage: Path, out_dir: Path) -> None:
    """Move the finished masks into ``out_dir`` (the whole folder when it is new)."""
    if not out_dir.exists():
        os.replace(stage, out_dir)
        return
    for f in sorted(stage.iterdir()):
        os.replace(f, out_dir / f.name)
    stage.rmdir()


def run(args: argparse.Namespace) -> int:
    """The render pipeline's detect step alone, its masks written as PNGs."""
    if not 0.0 <= args.sensitivity <= 1.0:
        raise InputError(f"--sensitivity must be within 0..1, got {args.sensitivity}", args.input)
    if not 0.0 <= args.motion_protection <= 1.0:
        raise InputError(f"--motion-protection must be within 0..1, got {args.motion_protection}", args.input)
    eng = load_engines()
    settings = eng.detect_settings({"sensitivity": args.sensitivity, "dust": not args.no_dust,
                                    "scratches": not args.no_scratches, "flicker": not args.no_flicker,
                                    "motion_protection": args.motion_protection})
    out_dir = Path(args.masks_out)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("masks location is not a folder", out_dir)

    # everything is checked before anything is written; the masks are written to a hidden
    # folder and moved into DIR only when every frame is done, so a failed or interrupted
    # run leaves DIR as it was
    reel = _open_reel(args.input)
    stage: Path | None = None
    made: list[Path] = []
    plan = None
    try:
        n = len(reel)
        frame_range = parse_range(args.range, n, args.input)
        check_frame_size(reel.info, "detect")
        a, b = frame_range or (0, n)
        # masks replace only earlier masks (gray PNGs) of the frames in range, never the input
        plan = plan_outputs("detect", [args.input], [
            Target(args.masks_out, "masks folder", folder=True, merge=True, ours=is_mask_png,
                   replaces=[f"{i:06d}.png" for i in range(a, b)], parents=True),
            Target(args.report, "report") if args.report is not None else None,
        ])
        plan.acquire()
        if args.report is not None:
            check_writable_folder(Path(args.report).resolve().parent)
        stage, made = _staging(out_dir)
        frames_out: list[dict] = []
        kinds: Counter[str] = Counter()
        started = last_report = time.monotonic()
        for p in detect(reel, frame_range, settings, eng):
            fd = p.payload
            (stage / f"{fd.index:06d}.png").write_bytes(_mask_png(fd.mask))
            kinds.update(d.kind for d in fd.defects)
            frames_out.append(fd.to_dict())
            now = time.monotonic()
            if now - last_report >= 1.0 or p.done == p.total:
                fps = p.done / max(1e-6, now - started)
                print(f"detect: frame {p.done}/{p.total} ({fps:.1f} fps)", file=sys.stderr, flush=True)
                last_report = now
        frame_scan = None
        if args.report is not None:  # frame-level defects: rebuild candidates and splices (cuts)
            frame_scan = run_to_end(scan_frames(reel, (a, b)))
        _publish(stage, out_dir)
        stage = None
        if args.report is not None:
            report = _report(args, n, frame_range, settings, kinds, frames_out)
            report["frame_defects"] = frame_scan.to_dict() if frame_scan is not None else None
            atomic_write_text(Path(args.report), json.dumps(report, indent=1))
            if frame_scan is not None and frame_scan.defects:
                print(f"detect: rebuild candidates {frame_scan.rebuild_candidates()}, splices {frame_scan.cuts()}",
                      file=sys.stderr)
            for start, stop, kind in frame_scan.runs if frame_scan is not None else []:
                print(f"detect: frames {start}:{stop} are {kind} ({stop - start} in a row): searched as a dark "
                      "shot, fade or leader, not listed for rebuilding", file=sys.stderr)
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
            _remove_empty(made)
        if plan is not None:
            plan.release()
        close = getattr(reel, "close", None)
        if close is not None:
            close()
    total = sum(kinds.values())
    print(f"detect: {len(frames_out)} masks in {out_dir}, {total} defects", file=sys.stderr)
    return 0


def _report(args, n, frame_range, settings, kinds, frames_out) -> dict:
    return {
        "input": str(args.input),
        "frames": n,
        "range": list(frame_range) if frame_range else [0, n],
        "settings": asdict(settings),
        "summary": {"defects": sum(kinds.values()), "by_kind": dict(sorted(kinds.items()))},
        "flicker": [[f["frame"], *f["flicker"]] for f in frames_out if f["flicker"] is not None],
        "per_frame": frames_out,
    }


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "detect",
        help="find dust, dirt, line scratches and flicker; write mask PNGs",
        description="Detect damage in a film scan and write DIR/NNNNNN.png masks (255 = damage).",
    )
    p.add_argument("input", help="video file or image sequence")
    p.add_argument("--masks-out", required=True, metavar="DIR", help="folder for the mask PNGs (created; existing masks of other frames are kept)")
    p.add_argument("--report", metavar="FILE.json", help="write the defect list and flicker curve as JSON")
    p.add_argument(
        "--sensitivity",
        type=float,
        default=0.5,
        metavar="S",
        help="0..1 (default 0.5): higher finds fainter damage, with more false alarms",
    )
    p.add_argument("--motion-protection", type=float, default=0.5, metavar="P",
                   help="0..1 (default 0.5): how hard motion must fail to explain a speck before it is "
                   "damage (higher protects moving hands, limbs and cloth more; 0 = off)")
    p.add_argument("--range", metavar="A:B", help="only frames A..B-1 (0-based; neighbours still used)")
    p.add_argument("--no-dust", action="store_true", help="skip dust/dirt detection")
    p.add_argument("--no-scratches", action="store_true", help="skip line-scratch detection")
    p.add_argument("--no-flicker", action="store_true", help="skip the flicker measurement")
    p.set_defaults(func=run)
