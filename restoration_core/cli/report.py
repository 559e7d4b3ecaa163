"""``reelwright report REPORT.json``: summarise an intervention report, or re-render its HTML page."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restoration_core.atomic import atomic_write_text
from restoration_core.errors import InputError
from restoration_core.media.container import not_a_regular_file
from restoration_core.report import html_path_for, read_report, render_report_html
from restoration_core.safety import Target, plan_outputs


def run(args: argparse.Namespace) -> int:
    if args.crops < 0:
        raise InputError(f"--crops must be 0 or more, got {args.crops}", args.report)
    odd = not_a_regular_file(Path(args.report))
    if odd:
        raise InputError(odd.replace("media file", "report"), args.report)
    try:
        data = read_report(args.report)
        summary = data.summary()
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
        raise InputError(f"report has a field of the wrong type ({exc})", args.report) from None
    if args.html is not None:
        target = Path(args.html) if args.html else html_path_for(args.report)
        # the page never replaces the report, the source or the restored output it describes
        with plan_outputs("report", [args.report, data.source.path, data.output.path], [Target(target, "HTML page")]):
            try:
                page = render_report_html(data, crops=args.crops)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise InputError(f"report has a field of the wrong type ({exc})", args.report) from None
            atomic_write_text(target, page)
        print(target)
    if args.json:
        print(json.dumps({"clip": data.clip, "reel": data.reel, "source": data.source.path,
                          "output": data.output.path, **summary}, indent=1))
    elif args.html is None:
        print(f"clip {data.clip or '-'}  reel {data.reel or '-'}  preset {data.preset or '-'}")
        print(f"source {data.source.path}  sha256 {data.source.sha256 or '-'}")
        print(f"output {data.output.path}  sha256 {data.output.sha256 or '-'}")
        print(f"{summary['frames']} frames, {summary['frames_repaired']} repaired, "
              f"{summary['interventions']} repairs, {summary['area']} px")
        for key in ("by_kind", "by_method"):
            print(f"{key.replace('_', ' ')}: " + (", ".join(f"{k} {v}" for k, v in summary[key].items()) or "none"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="summarise an intervention report or re-render its HTML page",
        description="Read a JSON intervention report (written beside every restore). Without options, "
        "print a summary. --html [FILE] rewrites the offline HTML page (default: beside the JSON, "
        "same name, .html), reading before/after crops from the source and output when they are there.",
    )
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("--html", nargs="?", const="", default=None, metavar="FILE.html",
                   help="write the HTML page (default path: beside the JSON)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--crops", type=int, default=6, help="number of before/after crops (default 6)")
    p.set_defaults(func=run)
