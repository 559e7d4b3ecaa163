"""Benchmark: how long the workbench takes to show a frame while scrubbing a 1080p reel.

Generates two 1920x1080 clips (10-bit ProRes 422 HQ, all intra; 8-bit H.264 with a
24-frame GOP, where a random frame costs a decode from its keyframe), opens each in the
real main window (offscreen), and measures from ``transport.seek(i)`` until frame ``i`` is
painted on the canvas (a synchronous repaint is part of the time):

- uncached: frames not seen before, in a shuffled order;
- cached: frames shown a moment ago (inside the viewer's frame cache);
- a burst: 12 seeks in one event-loop turn (a fast drag), then the time until the last one
  is shown and how many of the 12 frames reached the window (stale requests are dropped).

Baseline in the same run: ``reel.read(i)`` alone on the same file and frames (the engine's
random access without the GUI). Targets: median under 100 ms cached, under 250 ms uncached.

    QT_QPA_PLATFORM=offscreen python scripts/bench/bench_viewer.py [--frames 72] [--samples 16]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.media import open_reel  # noqa: E402
from tests.core.fixtures_media import _video_file  # noqa: E402

SIZE = (1920, 1080)


def make_clips(folder: Path, frames: int) -> dict[str, Path]:
    fps = Fraction(24000, 1001)
    prores = _video_file(folder / "scrub-prores.mov", "mov", "prores_ks", "yuv422p10le", frames, fps, SIZE,
                         "01:00:00:00", None, {"profile": "3"})
    h264 = _video_file(folder / "scrub-h264.mp4", "mp4", "libx264", "yuv420p", frames, fps, SIZE, None, None,
                       {"g": "24", "bf": "2", "crf": "20", "preset": "veryfast"}, bits=8)
    return {"ProRes 422 HQ 10-bit": prores, "H.264 8-bit, GOP 24": h264}


class Scrubber:
    """Drives one MainWindow: seek, wait until the frame is on the canvas, time it."""

    def __init__(self, app, window):
        self.app, self.window = app, window
        self.shown: list[int] = []
        window.controller.frame_shown.connect(self.shown.append)
        self.decoded = 0
        window.controller.frame_ready.connect(lambda *a: self._count())   # every frame delivered

    def _count(self) -> None:
        self.decoded += 1

    def _wait(self, pred, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while not pred():
            if time.perf_counter() > end:
                raise TimeoutError("the frame was not shown in time")
            self.app.processEvents()
            time.sleep(0.0005)

    def show(self, index: int) -> float:
        """Seconds from the seek until ``index`` is painted."""
        w = self.window
        self.shown.clear()
        t0 = time.perf_counter()
        w.transport.seek(index)
        self._wait(lambda: index in self.shown)
        w.viewer.canvas.repaint()
        return time.perf_counter() - t0

    def burst(self, targets: list[int]) -> tuple[float, int]:
        w = self.window
        self.shown.clear()
        self.decoded = 0
        t0 = time.perf_counter()
        for i in targets:
            w.transport.seek(i)
        self._wait(lambda: targets[-1] in self.shown)
        w.viewer.canvas.repaint()
        return time.perf_counter() - t0, self.decoded

    def settle(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.app.processEvents()
            time.sleep(0.005)


def bench_clip(app, name: str, path: Path, frames: int, samples: int, rng: random.Random) -> dict:
    from app.main_window import MainWindow

    window = MainWindow()
    window.headless = True
    window.jobs.auto_run = False
    window.resize(1600, 1000)
    window.show()
    scrub = Scrubber(app, window)
    opened: list[bool] = []
    window.controller.opened.connect(lambda: opened.append(True))
    window.open_path(str(path))
    scrub._wait(lambda: bool(opened), timeout=120)
    scrub._wait(lambda: 0 in scrub.shown or window.viewer.index == 0, timeout=60)
    scrub.settle(1.0)   # the first frame's detection has run
    order = list(range(1, frames))
    rng.shuffle(order)
    fresh = order[:samples]
    uncached = []
    for i in fresh:
        uncached.append(scrub.show(i))
        scrub.settle(0.05)
    cached = []
    recent = fresh[-min(len(fresh), window.controller.frames.cache_frames // 2):]
    for i in recent * 2:
        cached.append(scrub.show(i))
    burst_targets = order[samples:samples + 12]
    burst_s, decoded = scrub.burst(burst_targets) if len(burst_targets) == 12 else (float("nan"), 0)
    window.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()

    with open_reel(path, cache_bytes=0) as reel:
        reel.read(0)
        base = []
        for i in fresh:
            t0 = time.perf_counter()
            reel.read(i)
            base.append(time.perf_counter() - t0)
    return {"name": name, "uncached": uncached, "cached": cached, "baseline": base,
            "burst": burst_s, "decoded": decoded}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=72)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from app.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(["bench_viewer"])
    apply_dark_theme(app)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as tmp:
        t0 = time.perf_counter()
        clips = make_clips(Path(tmp), args.frames)
        print(f"generated {len(clips)} clips of {args.frames} frames at {SIZE[0]}x{SIZE[1]} "
              f"in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f}")
        results = [bench_clip(app, name, path, args.frames, args.samples, rng) for name, path in clips.items()]
    ms = lambda xs: 1000 * statistics.median(xs)  # noqa: E731
    p90 = lambda xs: 1000 * sorted(xs)[int(0.9 * (len(xs) - 1))]  # noqa: E731
    print(f"{'clip':24} {'uncached med/p90 ms':>20} {'read() alone ms':>16} {'GUI/read':>9} "
          f"{'cached med/p90 ms':>18} {'burst of 12':>18}")
    ok = True
    for r in results:
        unc, cac, base = ms(r["uncached"]), ms(r["cached"]), ms(r["baseline"])
        ok &= unc < 250 and cac < 100
        print(f"{r['name']:24} {unc:9.1f} / {p90(r['uncached']):6.1f} {base:16.1f} {unc / base:9.2f} "
              f"{cac:9.1f} / {p90(r['cached']):6.1f} {1000 * r['burst']:8.0f} ms, {r['decoded']:2d} delivered")
    print(f"targets: median < 100 ms cached, < 250 ms uncached: {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
