"""Render the README's workbench screenshots from the program's own generated sample reel.

Drives the real main window (offscreen unless a display is set): opens the sample reel,
detects the whole reel (damage strip and flicker curve), paints a mask over one spot,
previews the repair of the frame and saves the window at 1600x1000 in each compare mode;
then the review pass: a region zoomed with its outline, before and after.
With ``--reel PATH`` it does the same on any reel (for looking at real film; those images
are not for the repository).

    python scripts/screenshots.py [--out resources/screenshots] [--reel PATH] [--frame N]
    python scripts/screenshots.py --only motion | candidates   # the motion lane; rebuild candidates
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restoration_core.media import open_reel  # noqa: E402  (the engine: no Qt, fine before QApplication)
from restoration_core.motion import similarity, to_image  # noqa: E402
from restoration_core.render.pipeline import render  # noqa: E402
from restoration_core.render.spec import JobSpec  # noqa: E402

MODES = ("single", "wipe", "side", "diff")


def wait(app, pred, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shot(widget, target, note: str = "") -> None:
    """Save a grab of ``widget`` as the PNG ``target``, or stop with one line saying why."""
    if not widget.grab().save(str(target), "PNG"):
        raise SystemExit(f"screenshots: {target}: cannot write PNG")
    print(f"screenshot: {target}" + (f" {note}" if note else ""))


def review_shots(app, w, args) -> None:
    """The review pass: a few regions decided, then the largest unreviewed detection shown
    zoomed with its outline (before), and the same with the preview (after)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    s, rp = w.session, w.review_pass
    w.overlay.detected = w.overlay.boxes = True   # the pass shows outlines instead while it runs
    w.transport.mark_in = w.transport.mark_out = -1
    w.docks["review"].raise_()
    rp.auto_preview = True
    rp.start()
    for _ in range(5):                      # the first regions, decided with one key each
        QTest.keyClick(w.viewer.canvas, Qt.Key.Key_Y if (rp.current.score or 1) >= 0.5 else Qt.Key.Key_X)
    candidates = [i for i in rp.queue.items() if not i.reviewed and i.source == "detected"]
    item = max(candidates, key=lambda i: (i.kind in ("dirt", "blotch"), i.area))
    rp.show_item(item)
    wait(app, lambda: w.viewer.index == item.frame and item.frame in s.previews, 300,
         f"the preview of frame {item.frame}")
    for name, after in (("review", False), ("review-after", True)):
        w.compare.show_after = after
        settle(app, 0.4)
        shot(w, args.out / f"{args.prefix}-{name}.png")
    rp.stop()
    render_review_shot(app, w, args, item.frame)


def render_review_shot(app, w, args, frame: int) -> None:
    """After a render: a short clip around ``frame`` is rendered for real (in this process) and
    recorded in the project; the review pass then steps through its recorded repairs."""
    s, rp = w.session, w.review_pass
    project = s.project
    a, b = max(0, frame - 2), min(s.frames, frame + 3)
    clip = project.add_clip(s.reel_id, a, b, name="Screenshot clip")
    project.save()
    out = Path(tempfile.mkdtemp(prefix="reelwright-shots-")) / "clip.mov"
    spec = JobSpec(output=str(out), input=str(s.reel.path), frame_range=(a, b), settings={},
                   project=str(project.folder), clip=clip.id, name="screenshot clip")
    gen = render(spec)
    try:
        while True:
            next(gen)
            app.processEvents()
    except StopIteration as stop:
        result = stop.value
    project.record_render_report(result.report)
    rp.panel.render_btn.setChecked(True)
    rp.start()
    for _ in range(2):   # keep the first two repairs, take the third back
        rp.decide("accepted")
    rp.decide("rejected")
    rp.step(-1)
    repair = rp.repairs[rp.repair_pos]
    wait(app, lambda: w.viewer.index == repair.frame, 60, f"frame {repair.frame}")
    settle(app, 0.5)
    shot(w, args.out / f"{args.prefix}-review-render.png", f"({result.interventions} repairs recorded)")
    rp.stop()


def motion_shot(app, w, args) -> None:
    """The motion lane: the open reel given a known weave (1-2 px jitter, 0.1 degree; the sample pans on its own),
    written as a PNG sequence beside the sample, opened, and its motion curve measured and shown."""
    source = open_reel(str(w.session.reel.path))
    try:
        frames = [f.data for f in source.frames()]
    finally:
        source.close()
    folder = Path(tempfile.mkdtemp(prefix="reelwright-woven-")) if args.woven is None else args.woven
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    for k, data in enumerate(frames):
        h, wd = data.shape[:2]
        m = similarity(rng.normal(0, 1.2), rng.normal(0, 1.0), rng.normal(0, 0.08))
        img = cv2.warpAffine(data.astype(np.float32), to_image(m, (h, wd))[:2], (wd, h),
                             flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
        top = 65535.0 if data.dtype == np.uint16 else 255.0
        img = np.clip(img + 0.5, 0, top).astype(data.dtype)[..., ::-1]
        cv2.imwrite(str(folder / f"woven_{k:06d}.png"), img)
    opened: list[bool] = []
    w.controller.opened.connect(lambda: opened.append(True))
    w.open_path(str(folder / "woven_%06d.png"))
    wait(app, lambda: bool(opened) and w.viewer.data is not None, 120, "the woven reel to open")
    w.inspector.stabilize_smooth.setValue(12)
    w.motion_curve.set_visible(True)
    wait(app, lambda: w.motion_curve.model.measured, 300, "the motion curve")
    w.transport.seek(len(frames) // 2)
    settle(app, 0.6)
    shot(w.timeline, args.out / f"{args.prefix}-motion.png")  # the timeline dock: its lanes legible


def candidates_shot(app, w, args) -> None:
    """Rebuild candidates and a splice on the timeline: the open reel's first 32 frames written
    as a PNG sequence with frame 5 black, frame 12 a duplicate of 11, a burnt hole in frame 19
    and a splice before frame 24 (the rest of the reel mirrored, tape at the frame line); opened,
    detected (its frame scan gives the candidates and the cut), frame 5 accepted, the duplicate
    dismissed; then the review pass before a render on the black frame."""
    source = open_reel(str(w.session.reel.path))
    try:
        frames = [f.data.copy() for f in source.frames(0, min(32, len(source)))]
    finally:
        source.close()
    n = len(frames)
    top = 65535 if frames[0].dtype == np.uint16 else 255
    frames[5][:] = top // 80
    frames[12] = frames[11].copy()
    h, wd = frames[0].shape[:2]
    yy, xx = np.mgrid[0:h, 0:wd]
    burn = ((yy - h * 0.45) / (h * 0.22)) ** 2 + ((xx - wd * 0.6) / (wd * 0.16)) ** 2 < 1
    frames[19][burn] = int(top * 0.92)
    for k in range(24, n):
        frames[k] = np.ascontiguousarray(frames[k][::-1, ::-1])
    frames[24][: max(4, h // 40)] = top
    folder = Path(tempfile.mkdtemp(prefix="reelwright-candidates-"))
    for k, data in enumerate(frames):
        cv2.imwrite(str(folder / f"spliced_{k:06d}.png"), data[..., ::-1])
    opened: list[bool] = []
    w.controller.opened.connect(lambda: opened.append(True))
    w.open_path(str(folder / "spliced_%06d.png"))
    wait(app, lambda: bool(opened) and w.viewer.data is not None, 120, "the spliced reel to open")
    s, fc = w.session, w.frame_candidates
    w.detect_reel()
    wait(app, lambda: fc.model.scanned and len(s.detections) >= s.frames, 900, "detection and the frame scan")
    print(f"candidates: {[(c.frame, c.kind) for c in fc.model.items()]}, splices {fc.model.splices()}")
    fc.accept(5)
    if fc.model.at(12) is not None:
        fc.dismiss(12)
    w.transport.seek(19)
    settle(app, 1.0)
    shot(w.timeline, args.out / f"{args.prefix}-candidates.png")
    rp = w.review_pass
    rp.auto_preview = False
    w.docks["review"].raise_()
    rp.start()
    while rp.current is not None and not (rp.current.source == "rebuild" and rp.current.frame == 5):
        rp.step(1, unreviewed=False)
    wait(app, lambda: w.viewer.index == 5, 60, "frame 5")
    settle(app, 0.6)
    shot(w, args.out / f"{args.prefix}-review-rebuild.png")
    rp.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    ap.add_argument("--reel", help="a reel to open instead of the generated sample")
    ap.add_argument("--frame", type=int, default=6)
    ap.add_argument("--prefix", default="gui")
    ap.add_argument("--only", choices=("motion", "candidates"), help="make only this screenshot (of the sample reel)")
    ap.add_argument("--woven", type=Path, help="folder for the woven copy the motion shot opens")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication  # Qt and the app: after the platform is chosen above

    from app.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(["reelwright-screenshots"])
    apply_dark_theme(app)
    from app.main_window import MainWindow

    w = MainWindow()
    w.headless = True
    w.jobs.auto_run = False
    w.resize(1600, 1000)
    w.show()
    opened: list[bool] = []
    w.controller.opened.connect(lambda: opened.append(True))
    w.open_path(args.reel) if args.reel else w.open_sample()
    wait(app, lambda: bool(opened) and w.viewer.data is not None, 120, "the reel to open")
    s = w.session
    if args.only:
        args.out.mkdir(parents=True, exist_ok=True)
        (motion_shot if args.only == "motion" else candidates_shot)(app, w, args)
        leave(w)
    w.detect_reel()
    wait(app, lambda: len(s.detections) >= s.frames, 600, "whole-reel detection")
    frame = min(args.frame, s.frames - 1)
    w.transport.seek(frame)
    wait(app, lambda: w.viewer.index == frame and frame in s.detections, 60, f"frame {frame}")

    h, wd = w.viewer.data.shape[:2]
    mask = np.zeros((h, wd), bool)          # a hand-painted patch, as an archivist adds one
    y0, x0 = int(h * 0.18), int(wd * 0.12)
    mask[y0:y0 + max(6, h // 40), x0:x0 + max(10, wd // 25)] = True
    w.painter.commit(s.project, s.reel_id, frame, mask, "Screenshot paint")
    w.preview_frame()
    wait(app, lambda: frame in s.previews and w.viewer.after_data is not None, 300, "the preview")
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in MODES:
        w.compare.mode = mode
        if mode == "wipe":
            w.compare.wipe_pos = 0.3   # the blotch and specks before, the scratch after
        w.overlay.detected = w.overlay.boxes = mode == "single"
        settle(app, 0.4)
        w.viewer.canvas.fit()
        settle(app, 0.2)
        shot(w, args.out / f"{args.prefix}-{mode}.png")
    review_shots(app, w, args)
    leave(w)


def leave(w) -> None:
    """Close the window and exit at once. PySide6 6.12 can crash in the garbage collector at
    interpreter exit after a window ran worker threads; every file is written by now, so leave
    without the teardown."""
    w.shutdown()
    w.session.project = None
    w.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
