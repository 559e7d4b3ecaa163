"""Benchmark: how fast an operator can go through a clip in the review pass.

Opens a reel in the real main window (offscreen), detects the whole reel, starts the review
pass (``V``) and plays an operator who decides every region with one key: ``Y`` (accept)
for detections scoring at least 0.5, ``X`` (reject) below. For every key it measures the
time from the key press until the next region is painted: its frame on the canvas, zoomed,
with the region's outline drawn (the outline widget's paint, so the repaint is included).
Steps within one frame and steps to a new frame are reported apart.

In a third run the operator looks at each region for 0.5 s before the key (the event loop
turning meanwhile), which lets the review read the next region's frame ahead.

Prints keystrokes per region, the step latency (median / p90 / max, wall and the process's
CPU time over the run) and the regions per minute the program allows, alone and with an
assumed look of 1 s per region. Runs twice: without and with the per-frame restore preview
(the "after" picture made in the background as each frame is reached). Target: the next
region shown within 100 ms.

Reels: the generated sample reel (48 frames, 640x360); with ``../shared/data`` present also
``old-film/reel-b.mkv`` (30 frames of real film, 640x480); it is skipped with a message when
absent.

    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen python scripts/bench/bench_review.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("REELWRIGHT_HOME", str(Path("/tmp") / f"reelwright-bench-review-{os.getpid()}"))
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from restoration_core.detect import DetectSettings, detect_reel  # noqa: E402
from restoration_core.media import open_reel  # noqa: E402
from restoration_core.sample import make_sample_reel  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "old-film" / "reel-b.mkv"
LOOK_S = 1.0   # assumed time an operator looks at a region before deciding


def pump(app, pred, timeout: float, what: str) -> None:
    end = time.perf_counter() + timeout
    while not pred():
        if time.perf_counter() > end:
            raise SystemExit(f"bench_review: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.0005)


def detections(path: Path) -> list:
    reel = open_reel(str(path))
    try:
        return [p.payload for p in detect_reel(reel, DetectSettings()) if p.payload is not None]
    finally:
        reel.close()


def run(app, path: Path, dets: list, preview: bool, limit: int, look: float = 0.0) -> dict:
    from app.main_window import MainWindow

    w = MainWindow()
    w.headless = True
    w.jobs.auto_run = False
    w.resize(1600, 1000)
    w.show()
    w.activateWindow()
    opened: list[bool] = []
    w.controller.opened.connect(lambda: opened.append(True))
    w.open_path(str(path))
    pump(app, lambda: bool(opened) and w.viewer.data is not None, 60, "the reel to open")
    for det in dets:
        w.session.add_detection(det)
    rp = w.review_pass
    rp.auto_preview = preview
    shown: list[tuple[int, float]] = []
    rp.outline.shown.connect(lambda f: shown.append((f, time.perf_counter())))
    canvas = w.viewer.canvas
    QTest.keyClick(canvas, Qt.Key.Key_V)
    total = rp.queue.counts()[1]
    pump(app, lambda: rp.current is not None and w.viewer.index == rp.current.frame and shown, 30, "the first region")
    same, new = [], []
    keys = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while rp.current is not None and rp.current.status == "unreviewed" and keys < limit:
        item = rp.current
        end = time.perf_counter() + look      # the operator looks; the event loop keeps turning
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)
        key = Qt.Key.Key_Y if (item.score is None or item.score >= 0.5) else Qt.Key.Key_X
        shown.clear()
        t0 = time.perf_counter()
        QTest.keyClick(canvas, key)
        keys += 1
        nxt = rp.current
        if nxt is None or nxt.status != "unreviewed" or (nxt.frame, nxt.key) == (item.frame, item.key):
            break   # everything is decided
        pump(app, lambda n=nxt: w.viewer.index == n.frame and any(f == n.frame for f, _t in shown), 30,
             "the next region")
        t1 = next(t for f, t in shown if f == nxt.frame)
        (same if nxt.frame == item.frame else new).append(t1 - t0)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = rp.queue.counts()[0]
    rp.stop()
    w.shutdown()
    w.session.project = None
    w.close()
    w.deleteLater()
    app.processEvents()
    steps = same + new
    return {"regions": total, "decided": done, "keys": keys, "same": same, "new": new, "steps": steps,
            "cpu": cpu, "wall": wall}


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    v = sorted(values)
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    return f"{statistics.median(v) * 1000:.0f} / {p90 * 1000:.0f} / {v[-1] * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=400, help="at most this many decisions per run")
    ap.add_argument("--look", type=float, default=0.5,
                    help="seconds the operator looks at each region in the third run (60 decisions)")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(["bench-review"])
    reels = [("sample reel (generated, 48 frames 640x360)", make_sample_reel(None))]
    if REAL.is_file():
        reels.append(("reel-b.mkv (real film, 30 frames 640x480)", REAL))
    else:
        print(f"bench_review: {REAL} not found: the real-film run is skipped")
    print(f"{'reel':44} {'preview':7} {'look':>5} {'regions':>7} {'keys/region':>11}  {'step, same frame':24} "
          f"{'step, new frame':24} {'all steps (median/p90/max)':27} {'CPU/wall':>9} {'regions/min':>12}")
    for name, path in reels:
        dets = detections(path)
        for preview, look, limit in ((False, 0.0, args.limit), (True, 0.0, args.limit), (True, args.look, 60)):
            r = run(app, path, dets, preview, limit, look)
            steps = r["steps"]
            med = statistics.median(steps) if steps else float("nan")
            per_min = 60.0 / med if steps else float("nan")
            with_look = 60.0 / (med + LOOK_S) if steps else float("nan")
            print(f"{name:44} {'on' if preview else 'off':7} {look:>4.1f}s {r['regions']:>7} "
                  f"{r['keys'] / max(1, r['decided']):>11.2f}  {ms(r['same']):24} {ms(r['new']):24} "
                  f"{ms(steps):27} {r['cpu'] / max(r['wall'], 1e-9):>8.0%} "
                  f"{per_min:>6.0f} ({with_look:.0f})")
    print(f"regions/min: the program's bound from the median step (in brackets: with {LOOK_S:.0f} s "
          "of looking per region); CPU/wall: this process's CPU time over the decision loop, looks included")
    sys.stdout.flush()
    os._exit(0)   # the windows' worker threads are done; skip the interpreter's Qt teardown


if __name__ == "__main__":
    sys.exit(main())
