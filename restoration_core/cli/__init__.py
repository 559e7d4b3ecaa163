"""The ``reelwright`` command. With no arguments it starts the GUI.

Each subcommand lives in its own module under this package and exposes
``register(subparsers)``, which adds a parser whose ``func(args) -> int`` does the work.
Expected failures (:class:`~restoration_core.errors.ReelwrightError`) print one line on
stderr and exit with their code (2 for bad input); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from restoration_core import __version__
from restoration_core.errors import Cancelled, ReelwrightError

# Order is the order in --help.
SUBCOMMANDS = (
    "gui",
    "probe",
    "export",
    "detect",
    "restore",
    "batch",
    "train_prior",
    "models",
    "report",
    "otio",
    "sample",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelwright",
        description="Restore scanned film: find dust, dirt and scratches, repair them, "
        "keep every other pixel, the bit depth, frame rate, audio and timecode.",
    )
    parser.add_argument("--version", action="version", version=f"reelwright {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"restoration_core.cli.{name}")
        except ModuleNotFoundError as exc:
            # A subcommand whose module is not part of this build is simply absent.
            if exc.name == f"restoration_core.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not [a for a in argv if a not in ("--debug",)]:
        argv = [*argv, "gui"]
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except Cancelled as exc:
        print(f"reelwright: {exc}", file=sys.stderr)
        return exc.exit_code
    except ReelwrightError as exc:
        if args.debug:
            raise
        print(f"reelwright: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reelwright: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
