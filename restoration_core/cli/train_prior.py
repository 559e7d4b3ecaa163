"""``reelwright train-prior INPUT -o MODEL_DIR``: train a reel-adapted pixel-space inpainting prior."""

from __future__ import annotations

import argparse
import math
import sys
import time

from restoration_core.safety import Target, plan_outputs

SCRATCH_STEPS = 2000
FROM_STEPS = 100  # about 2 CPU minutes; the measured fine-tuning curve of the shipped prior (README, Models)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train-prior",
        help="train a small inpainting model on the reel's own undamaged patches",
        description="Train a concat-conditioned UNet2DModel on undamaged patches of INPUT with "
        "synthetic holes (strokes, blobs, stains, vertical lines) and save it as a diffusers folder, "
        "usable with `reelwright restore --model MODEL_DIR`. `--from default` fine-tunes the prior "
        "that ships with Reelwright on the reel (a few CPU minutes); from scratch it is slow on a "
        "CPU, fast on a GPU.",
    )
    p.add_argument("input", help="video file or image sequence")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="folder to create")
    p.add_argument("--from", dest="init_from", metavar="MODEL",
                   help="fine-tune this concat prior (e.g. `default`, the shipped one) instead of "
                   "training from random weights; its size and channels are kept")
    p.add_argument("--steps", type=int, help=f"optimizer steps (default {FROM_STEPS} with --from, "
                   f"{SCRATCH_STEPS} from scratch)")
    p.add_argument("--minutes", type=float, metavar="M",
                   help="stop after M minutes (before --steps if that comes later) and save what was learnt")
    p.add_argument("--size", type=int, default=64, help="patch size in pixels (default 64)")
    p.add_argument("--batch", type=int, help="patches per step (default 64 on a GPU, 8 on the CPU)")
    p.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", default="32,64,128", help="UNet widths per level (default 32,64,128)")
    p.add_argument("--frames", type=int, default=16, help="frames sampled from the reel (default 16)")
    p.add_argument("--device", choices=("cuda", "mps", "cpu"), help="default: the best present")
    p.add_argument("--no-detect", action="store_true",
                   help="do not run damage detection on the sampled frames (patches are then random)")
    p.add_argument("--register", metavar="NAME", help="add the trained model to the registry as NAME")
    p.set_defaults(func=run)


def _mask_for(reel, enabled: bool):
    if not enabled:
        return None
    try:
        from restoration_core.detect import detect_frame
    except ImportError:
        return None

    def mask_for(index: int):
        return detect_frame(reel, index).mask

    return mask_for


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from restoration_core.diffusion.train_prior import PRIOR_FILES, PriorSettings, train_prior
    from restoration_core.errors import InputError

    try:
        channels = tuple(int(c) for c in args.channels.split(","))
    except ValueError:
        raise InputError(f"--channels must be comma-separated integers, got {args.channels!r}") from None
    steps = args.steps if args.steps is not None else FROM_STEPS if args.init_from else SCRATCH_STEPS
    if args.minutes is not None and args.minutes <= 0:
        raise InputError("--minutes must be more than 0")
    if steps < 1 or (args.batch is not None and args.batch < 1):
        raise InputError("--steps and --batch must be at least 1")
    if args.frames < 1:
        raise InputError(f"--frames must be at least 1, got {args.frames}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise InputError(f"--lr must be a positive number, got {args.lr}")
    if not channels or min(channels) < 1 or any(c % min(32, min(channels)) for c in channels):
        raise InputError(f"--channels must be positive widths that are multiples of {min(32, max(1, min(channels or (1,))))} "
                         f"(the group-norm size), got {args.channels!r}")
    if not Path(args.input).exists():
        raise InputError("input does not exist", args.input)
    from restoration_core.media import open_reel

    # the folder is replaced only when it is empty or holds nothing but an earlier prior's files
    plan = plan_outputs("train-prior", [args.input], [
        Target(args.output, "prior folder", folder=True, ours=lambda entry: entry.name in PRIOR_FILES)])

    settings = PriorSettings(steps=steps, size=args.size, batch=args.batch, lr=args.lr, seed=args.seed,
                             channels=channels, frames=args.frames, device=args.device,
                             init_from=args.init_from,
                             max_seconds=None if args.minutes is None else 60 * args.minutes)
    with plan, open_reel(args.input) as reel:
        last = 0.0
        task = train_prior(reel, args.output, settings, mask_for=_mask_for(reel, not args.no_detect))
        try:
            while True:
                p = next(task)
                now = time.monotonic()
                if now - last > 1.0 or p.done == p.total:
                    print(f"train-prior {100 * p.fraction:5.1f}%  {p.message}", file=sys.stderr)
                    last = now
        except StopIteration as stop:
            out = stop.value
    print(f"saved {out}")
    if args.register:
        from restoration_core.diffusion import add_model

        name, info = add_model(out, name=args.register)
        print(f"registered {name}: {info.kind} sha256 {info.sha256}")
    return 0
