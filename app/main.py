"""GUI entry point: ``main(argv)`` (used by ``reelwright gui`` and the reelwright-gui script)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCREENSHOT_SIZE = (1600, 1000)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="reelwright gui", description="Open the restoration workbench.")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", help="a reel (film file, image-sequence folder or pattern) or a project")
    p.add_argument("--sample", action="store_true", help="open the generated damaged sample reel")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the window at 1600x1000 once the first frame and its detection "
                        "are shown, save it and exit")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.theme import apply_dark_theme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "reelwright"])
    app.setApplicationName("Reelwright")
    app.setOrganizationName("Reelwright")
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    apply_dark_theme(app)
    from app.main_window import MainWindow

    window = MainWindow()
    if args.screenshot:
        return _screenshot(app, window, args)
    window.show()
    if args.sample:
        window.open_sample()
    elif args.input:
        window.open_path(args.input)
    else:
        from app.project_io import offer_recovery

        offer_recovery(window)
    return app.exec()


def _screenshot(app, window, args) -> int:
    """Open the input, wait for its first frame and that frame's detection, grab, save."""
    from PySide6.QtCore import QTimer

    from app.screenshot import capture

    window.headless = True
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    result = {"code": 1}
    target = Path(args.screenshot)

    def finish(code: int) -> None:
        result["code"] = code
        window.shutdown()
        window.close()
        app.quit()

    capturer = capture(window, target, SCREENSHOT_SIZE, finish)
    if args.sample:
        QTimer.singleShot(0, window.open_sample)
    elif args.input:
        QTimer.singleShot(0, lambda: window.open_path(args.input))
    else:
        QTimer.singleShot(300, capturer.now)
    app.exec()
    return result["code"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
