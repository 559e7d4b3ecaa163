"""``reelwright sample OUT_DIR``: write the generated damaged sample reel with its ground-truth masks."""

from __future__ import annotations

import argparse
from pathlib import Path

from restoration_core.errors import InputError
from restoration_core.safety import Target, is_mask_png, plan_outputs
from restoration_core.sample import DESCRIPTION_NAME, MASKS_NAME, REEL_NAME


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 640x360, got {text!r}") from None
    return w, h


def run(args: argparse.Namespace) -> int:
    from restoration_core.sample import make_sample_reel

    if args.frames < 1 or min(args.size) < 16:
        raise InputError(
            f"need --frames >= 1 and a --size of at least 16x16 (got {args.frames}, "
            f"{args.size[0]}x{args.size[1]})"
        )
    folder = Path(args.out_dir)
    # the folder may hold other things; only an earlier sample's reel, description and masks go
    plan = plan_outputs("sample", [], [
        Target(folder, "output folder", folder=True, merge=True, parents=True),
        Target(folder / REEL_NAME, "sample reel", parents=True),
        Target(folder / DESCRIPTION_NAME, "sample description", parents=True),
        Target(folder / MASKS_NAME, "sample masks folder", folder=True, ours=is_mask_png, parents=True),
    ])
    with plan:
        reel = make_sample_reel(folder, frames=args.frames, size=args.size, seed=args.seed)
    print(reel)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sample",
        help="write a generated damaged sample reel (dust, scratch, flicker) with ground-truth masks",
        description="Write sample.mkv (FFV1, 24 fps), masks/NNNNNN.png (255 = damage) and sample.json "
        "into OUT_DIR. The same parameters always give the same reel.",
    )
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--frames", type=int, default=48, help="number of frames (default 48)")
    p.add_argument(
        "--size", type=_size, default=(640, 360), metavar="WxH", help="frame size (default 640x360)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)
