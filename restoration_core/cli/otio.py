"""``reelwright otio export|import``: a project's clips out as OpenTimelineIO, editors' cut lists in."""

from __future__ import annotations

import argparse
from fractions import Fraction

from restoration_core.errors import InputError
from restoration_core.safety import Target, plan_outputs


def _export(args: argparse.Namespace) -> int:
    from restoration_core.interchange import export_otio
    from restoration_core.project import Project

    project = Project.load(args.project)
    clips = None
    if args.clip:
        try:
            clips = [project.clip(c) for c in args.clip]
        except KeyError as exc:
            raise InputError(str(exc).strip("'\""), project.path) from None
    inputs = [project.path, *(r.path for r in project.reels)]
    with plan_outputs("otio export", inputs, [Target(args.output, "timeline")]):
        print(export_otio(project, args.output, clips, overwrite=args.overwrite))
    return 0


def _import(args: argparse.Namespace) -> int:
    from restoration_core.interchange import import_cut_list
    from restoration_core.project import Project

    project = Project.load(args.project)
    try:
        fps = Fraction(args.fps) if args.fps else None
    except (ValueError, ZeroDivisionError):
        raise InputError(f"--fps {args.fps!r} is not a frame rate (e.g. 24 or 24000/1001)") from None
    clips = import_cut_list(project, args.cut_list, reel_id=args.reel, fps=fps)
    project.save()
    for c in clips:
        print(f"{c.id}\t{c.reel_id}\t{c.in_frame}:{c.out_frame}\t{c.name}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "otio",
        help="export the project's clips as OpenTimelineIO, or import an .otio / CMX 3600 EDL cut list",
        description="Editorial interchange. 'export' writes the clips (in/out, names, restoration notes "
        "as metadata) as a .otio timeline; 'import' creates one clip per video event of an .otio or "
        ".edl file (sources are matched to the project's reels by path, file name or EDL reel name).",
    )
    sub = p.add_subparsers(dest="otio_command", metavar="{export,import}", required=True)
    e = sub.add_parser("export", help="write the project's clips as FILE.otio")
    e.add_argument("project", metavar="PROJECT")
    e.add_argument("-o", "--output", required=True, metavar="FILE.otio")
    e.add_argument("--clip", action="append", metavar="ID", help="export only this clip (repeatable)")
    e.add_argument("--overwrite", action="store_true", help="replace an existing FILE.otio")
    e.set_defaults(func=_export)
    i = sub.add_parser("import", help="create clips from FILE.otio or FILE.edl")
    i.add_argument("project", metavar="PROJECT")
    i.add_argument("cut_list", metavar="FILE.otio|FILE.edl")
    i.add_argument("--reel", metavar="ID", help="the reel every event comes from (when names do not match)")
    i.add_argument("--fps", metavar="RATE", help="EDL timecode rate (default: the reel's)")
    i.set_defaults(func=_import)
