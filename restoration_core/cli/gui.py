"""``reelwright gui [INPUT] [--sample] [--screenshot FILE.png]``: the workbench.

The GUI package is imported only when this command runs, so the engine stays Qt-free.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restoration_core.media import probe
from restoration_core.project import PROJECT_FILE, SUFFIX, Project
from restoration_core.safety import Target, plan_outputs


def register(subparsers) -> None:
    p = subparsers.add_parser("gui", help="open the restoration workbench (the default command)",
                              description="Open the restoration workbench on a reel, a project, "
                              "or the generated sample reel.")
    p.add_argument("input", nargs="?", help="a reel (film file, image-sequence folder or pattern) or a project")
    p.add_argument("--sample", action="store_true", help="open the generated damaged sample reel")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the window at 1600x1000 once the first frame and its detection are "
                        "shown, save the PNG and exit (works with QT_QPA_PLATFORM=offscreen)")
    p.set_defaults(func=_run)


def check_screenshot_input(args: argparse.Namespace) -> None:
    """A headless screenshot run fails here, once, before any window exists: the input must open
    (a project of a newer schema, a text file named .mkv are InputErrors) and the PNG be writable."""
    plan_outputs("gui --screenshot", [args.input], [Target(args.screenshot, "screenshot", parents=True)])
    if not args.input:
        return
    path = Path(args.input)
    if path.name == PROJECT_FILE or (path.is_dir() and ((path / PROJECT_FILE).is_file() or path.suffix == SUFFIX)):
        Project.load(path)
    else:
        probe(path)


def _run(args: argparse.Namespace) -> int:
    import importlib

    if args.screenshot:
        check_screenshot_input(args)
    gui = importlib.import_module("app.main")
    return int(gui.run(args) or 0)
