"""``reelwright restore INPUT -o OUTPUT ...``: detect, repair and export one reel or range."""

from __future__ import annotations

import argparse
import sys
import time

from restoration_core.progress import Progress, RenderStats
from restoration_core.render.pipeline import render
from restoration_core.render.spec import ENGINES, PRESETS, JobSpec, parse_frame_list, parse_range


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "restore",
        help="detect and repair damage, export with a preset",
        description="Detect dust, dirt and scratches (unless --no-detect), repair them together with "
        "the masks in --masks, and export with a preset. With --cache DIR an interrupted run "
        "resumes where it stopped when the same command is run again.",
    )
    p.add_argument("input", help="video file or image sequence")
    p.add_argument("-o", "--output", required=True, help="output file (or folder for sequence presets)")
    p.add_argument("--preset", choices=PRESETS, default="master")
    p.add_argument("--masks", metavar="DIR", help="DIR/NNNNNN.png masks (0-based frame index, 255 = damage)")
    p.add_argument("--no-detect", action="store_true", help="repair only the masks given with --masks")
    p.add_argument("--motion-protection", type=float, metavar="P",
                   help="0..1 (default 0.5): how hard motion must fail to explain a speck before detection "
                   "calls it damage (higher protects moving hands, limbs and cloth more; 0 = off)")
    p.add_argument("--engine", choices=ENGINES, default="auto")
    p.add_argument("--model", metavar="PATH", help="diffusion model: a folder, a .safetensors file, a name registered with "
                        "`reelwright models add`, or a repo id in the local Hugging Face cache")
    p.add_argument("--steps", type=int, help="diffusion steps")
    p.add_argument("--seed", type=int, help="seed for generative fill (results repeat with the same seed)")
    p.add_argument("--stabilize", action="store_true",
                   help="take gate weave and jitter out (pans kept; every pixel of a corrected frame changes)")
    p.add_argument("--stabilize-smooth", type=int, metavar="FRAMES",
                   help="frames the camera path is smoothed over (default 24; more = steadier, slower moves kept)")
    p.add_argument("--stabilize-crop", action="store_true",
                   help="zoom each shot just enough that no border shows (default: fill it from neighbouring frames)")
    p.add_argument("--rebuild", metavar="FRAMES",
                   help="frames to rebuild from their neighbours, e.g. 12,40:43 (0-based, A:B end exclusive; "
                   "runs of up to 3)")
    p.add_argument("--repair-tears", action="store_true",
                   help="rebuild a large torn or burnt area of a frame from its neighbours (that area only)")
    p.add_argument("--cache", metavar="DIR", help="keep finished frames here; rerunning resumes")
    p.add_argument("--verify", action="store_true",
                   help="decode a lossless output back once written and compare every frame with what went in")
    p.add_argument("--report", metavar="FILE.json", help="intervention report (default: beside the output)")
    p.add_argument("--range", metavar="A:B", help="frames A (inclusive) to B (exclusive), 0-based")
    p.add_argument("--chunk", type=int, default=100, metavar="N",
                   help="frames restored per chunk; a resumed run redoes at most one chunk (default 100)")
    p.set_defaults(func=run)


def spec_from_args(args: argparse.Namespace) -> JobSpec:
    settings: dict = {"engine": args.engine}
    for key in ("model", "steps", "seed"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.stabilize or args.stabilize_smooth is not None or args.stabilize_crop:
        settings["stabilize"] = True
        if args.stabilize_smooth is not None:
            settings["stabilize_smooth"] = args.stabilize_smooth
        if args.stabilize_crop:
            settings["stabilize_crop"] = True
    if args.rebuild:
        settings["rebuild"] = parse_frame_list(args.rebuild)
    if args.repair_tears:
        settings["repair_tears"] = True
    detect_settings = {} if args.motion_protection is None else {"motion_protection": args.motion_protection}
    spec = JobSpec(
        input=args.input, output=args.output, preset=args.preset, frame_range=parse_range(args.range),
        masks=args.masks, detect=not args.no_detect, settings=settings, cache=args.cache, report=args.report,
        chunk=args.chunk, detect_settings=detect_settings, verify=args.verify,
    )
    spec.validate()
    return spec


def format_progress(p: Progress) -> str:
    stats = p.stats or RenderStats()
    eta = stats.eta_s
    left = "" if eta is None else f"  {int(eta) // 60}:{int(eta) % 60:02d} left"
    fps = stats.fps
    return f"{p.stage:8s} {100 * p.fraction:5.1f}%  frame {p.frame if p.frame is not None else '-'}  {fps:.1f}/s{left}"


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    task = render(spec)
    tty = sys.stderr.isatty()
    last = 0.0
    # auto checks a --model (a bad one fails before any work) but fills without it: no prior
    # measurably beat temporal + classical fill (README, Models); say so once the job is checked
    note = (f"note: --engine auto checks but does not fill with {args.model}; "
            "use --engine diffusion to fill with it") if args.model and args.engine == "auto" else None
    try:
        while True:
            p = next(task)
            if note:
                print(note, file=sys.stderr)
                note = None
            now = time.monotonic()
            if now - last >= 1.0 or p.stage == "report":
                last = now
                print(("\r" if tty else "") + format_progress(p), end="" if tty else "\n", file=sys.stderr)
    except StopIteration as stop:
        result = stop.value
    if tty:
        print(file=sys.stderr)
    print(
        f"{result.output}: {result.frames} frames ({result.computed} restored, {result.from_cache} from cache), "
        f"{result.interventions} interventions; report {result.report}"
    )
    return 0
