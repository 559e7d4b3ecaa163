"""The ``reelwright`` command. With no arguments it starts the GUI.

Each subcommand lives in its own module under this package and exposes
``register(subparsers)``, which adds a parser whose ``func(args) -> int`` does the work.
Expected failures (:class:`~restoration_core.errors.ReelwrightError`) print one line on
stderr and exit with their code (2 for bad input); ``--debug`` shows the traceback.
Anything else (a bug, a library failing on odd input, a full disk) is also one line naming
the command and the file, plus the log file in the user log folder that holds the traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import os
import sys
import traceback
from pathlib import Path

from restoration_core import __version__
from restoration_core.errors import Cancelled, ReelwrightError
from restoration_core.media.container import accepting_truncated
from restoration_core.paths import log_dir

# Commands that read media and take --accept-truncated (one input-validation path for all).
READERS = ("probe", "export", "detect", "restore", "batch", "train-prior", "gui")

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
    for name in READERS:
        sub = subparsers.choices.get(name)
        if sub is not None:
            sub.add_argument("--accept-truncated", action="store_true",
                             help="read a file that holds fewer frames than its header announces as far as it "
                                  "goes (noted in the output and report); without it that is an error")
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
        with accepting_truncated(bool(getattr(args, "accept_truncated", False))):
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
    except OSError as exc:
        if args.debug:
            raise
        # the system refused a read or a write (disk full, permission, vanished file)
        where = exc.filename or _subject(args)
        reason = exc.strerror or str(exc)
        print(f"reelwright: error: {args.command}: {where}: {reason}" if where
              else f"reelwright: error: {args.command}: {reason}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback without --debug
        if args.debug:
            raise
        log = _write_log(args, argv)
        subject = _subject(args)
        where = f" ({subject})" if subject else ""
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        tail = f"; traceback in {log}" if log else ""
        print(f"reelwright: error: {args.command}{where}: unexpected {type(exc).__name__}: {text}{tail}",
              file=sys.stderr)
        return 1


# the argument that names what a command works on, in order of preference
_SUBJECT_ARGS = ("input", "report", "path", "jobfiles", "project", "file", "output")


def _subject(args: argparse.Namespace) -> str | None:
    for key in _SUBJECT_ARGS:
        value = getattr(args, key, None)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def _write_log(args: argparse.Namespace, argv: list[str]) -> Path | None:
    """The traceback of the exception being handled, in a new file of the user log folder."""
    try:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = log_dir() / f"{args.command}-{stamp}-{os.getpid()}.log"
        path.write_text(f"reelwright {__version__} {' '.join(argv)}\n\n{traceback.format_exc()}",
                        encoding="utf-8")
        return path
    except OSError:
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
