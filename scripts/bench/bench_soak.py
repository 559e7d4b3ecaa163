"""Soak: play a reel in the real workbench window for minutes while whole-reel detection runs.

Opens the reel (default: the generated sample reel) in a real MainWindow, plays it in a
loop (playback restarts at the last frame) and keeps Review > Detect whole reel running
(started again each time it finishes), then prints minutes played, frames shown, the drift
of ``sys.getrefcount`` of None/True/False (a binding that leaks a reference per signal
emit drains these until the interpreter aborts) and the resident memory at start and end.
PyAV's one extra reference to None per plane buffer taken (restoration_core.media.buffers)
is counted and taken out of None's drift (it is printed beside it): what is left is drift
from anything else, such as the Qt binding. Targets: no drift, RSS flat within 10%.

    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen python scripts/bench/bench_soak.py [--minutes 10] [--reel PATH]

The user folders (settings, untitled projects) go to a temporary folder unless
REELWRIGHT_HOME is set. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from restoration_core.media.buffers import planes_taken  # noqa: E402

WARMUP_S = 5.0            # caches fill during the first loop and the first whole-reel detection
WARMUP_MAX_S = 180.0      # (which stores every frame's result); the baseline is taken after both
DRIFT_LIMIT = 500         # a leaking emit drifts by thousands a second; live objects by a few tens
RSS_LIMIT = 0.10


@dataclass
class SoakResult:
    minutes: float
    frames_shown: int
    loops: int
    detections_run: int
    frames_detected: int
    drift: dict[str, int]          # None's without PyAV's references (pyav_refs)
    rss_start_mb: float
    rss_end_mb: float
    cpu_s: float
    pyav_refs: int = 0             # PyAV plane buffers taken in the measured time: None refs it kept
    samples: list[dict] = field(default_factory=list)   # one a minute: t, frames, drift, rss

    @property
    def rss_growth(self) -> float:
        return (self.rss_end_mb - self.rss_start_mb) / max(1e-9, self.rss_start_mb)

    def ok(self) -> bool:
        return all(abs(d) <= DRIFT_LIMIT for d in self.drift.values()) and self.rss_growth <= RSS_LIMIT


def _counts() -> dict[str, int]:
    """Reference counts of None (less PyAV's extra reference per plane buffer), True, False."""
    return {"None": sys.getrefcount(None) - planes_taken(), "True": sys.getrefcount(True),
            "False": sys.getrefcount(False)}


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def soak(minutes: float, reel: str | None = None, tell=print, theme: bool = True,
         sample: dict | None = None) -> SoakResult:
    """Run the soak in this process (a QApplication is made if there is none).

    ``sample``: keyword arguments for the generated sample reel (frames, size) when no
    ``reel`` is given. Measured from the end of the warm-up (first loop and first whole-reel
    detection done), so results stored once per frame are not counted as drift."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(["bench_soak"])
    if theme:
        apply_dark_theme(app)
    window = MainWindow()
    window.headless = True             # errors print instead of opening dialogs
    window.jobs.auto_run = False
    window.resize(1600, 1000)
    window.show()
    t, det = window.transport, window.reel_detection
    state = {"shown": 0, "loops": 0, "detections": 0, "base": None, "rss0": None, "t0": None,
             "cpu0": None, "samples": [], "error": None}

    def shown(_i: int) -> None:
        state["shown"] += 1

    def speed(v: int) -> None:           # at the last frame playback stops: start again
        if v == 0 and state["t0"] is not None and not state.get("ending"):
            state["loops"] += 1
            QTimer.singleShot(0, restart)

    def restart() -> None:
        t.seek(0)
        t.speed = 1

    def detection_ended(how: str) -> None:
        state["detections"] += 1
        if how == "failed":
            state["error"] = "whole-reel detection failed"
        if not state.get("ending"):
            QTimer.singleShot(100, det.start)

    def opened() -> None:
        state["t0"] = time.perf_counter()
        det.start()          # Review > Detect whole reel (the menu waits for the first frame)
        restart()
        QTimer.singleShot(int(WARMUP_S * 1000), baseline)

    def baseline() -> None:
        waited = time.perf_counter() - state["t0"]
        if state["detections"] < 1 and waited < WARMUP_MAX_S:
            QTimer.singleShot(500, baseline)     # the first whole-reel detection is still storing
            return
        tell(f"  warm-up {waited:.0f} s (first whole-reel detection {'done' if state['detections'] else 'not done'})")
        state["base"], state["rss0"], state["cpu0"] = _counts(), _rss_mb(), time.process_time()
        state["planes0"] = planes_taken()
        state["tb"], state["shown0"] = time.perf_counter(), state["shown"]
        ticker.start()
        QTimer.singleShot(int(minutes * 60_000), take_last)

    def take_last() -> None:
        # Qt makes a timer of 2 s or more a coarse one, which may fire up to 5% early: play on to the full time
        left = minutes * 60 - (time.perf_counter() - state["tb"])
        if left > 0:
            QTimer.singleShot(int(left * 1000) + 1, take_last)
            return
        state["last"] = True
        take_sample()

    def take_sample() -> None:
        el = time.perf_counter() - state["tb"]
        drift = {k: v - state["base"][k] for k, v in _counts().items()}
        row = {"t_min": round(el / 60, 2), "frames": state["shown"] - state["shown0"],
               "drift": drift, "rss_mb": round(_rss_mb(), 1)}
        state["samples"].append(row)
        tell(f"  {row['t_min']:6.2f} min  {row['frames']:7d} frames  drift {drift}  RSS {row['rss_mb']} MB")
        if state.get("last") and not state.get("ending"):
            finish()

    def finish() -> None:
        state["ending"] = True
        ticker.stop()
        state["cpu"] = time.process_time() - state["cpu0"]
        state["end"], state["rss1"] = _counts(), _rss_mb()
        state["planes"] = planes_taken() - state["planes0"]
        state["detected"] = len(window.session.detections)
        app.quit()

    failed = []
    window.controller.open_failed.connect(lambda m: (failed.append(m), app.quit()))
    window.controller.frame_shown.connect(shown)
    window.controller.opened.connect(opened)
    det.ended.connect(detection_ended)
    t.events.speed.connect(speed)
    ticker = QTimer(window)
    ticker.setInterval(int(min(60.0, max(5.0, minutes * 60 / 6)) * 1000))
    ticker.timeout.connect(take_sample)

    if reel is None:
        from app import engine
        from restoration_core.paths import data_dir

        reel = str(engine.make_sample_reel(data_dir() / "sample", **(sample or {})))
    tell(f"soak: playing {reel} for {minutes:g} min while whole-reel detection runs")
    QTimer.singleShot(0, lambda: window.open_path(reel))
    app.exec()
    try:
        if failed:
            raise RuntimeError(f"cannot open {reel}: {failed[0]}")
        if state["error"]:
            raise RuntimeError(state["error"])
        if "end" not in state:
            raise RuntimeError("the soak stopped before its end")
        drift = {k: state["end"][k] - state["base"][k] for k in state["base"]}
        return SoakResult(minutes=round((time.perf_counter() - state["tb"]) / 60, 2),
                          frames_shown=state["shown"] - state["shown0"], loops=state["loops"],
                          detections_run=state["detections"], frames_detected=state["detected"], drift=drift,
                          pyav_refs=state["planes"],
                          rss_start_mb=round(state["rss0"], 1), rss_end_mb=round(state["rss1"], 1),
                          cpu_s=round(state["cpu"], 1), samples=state["samples"])
    finally:
        window.shutdown()
        window.session.project = None      # nothing to ask about on close
        window.close()
        window.deleteLater()
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--reel", help="a reel to play (default: the generated sample reel)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--sample-frames", type=int, default=48, help="frames of the generated sample reel")
    ap.add_argument("--sample-size", default="640x360", help="size of the generated sample reel, WxH")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.sample_size.lower().split("x"))
    home = None
    if "REELWRIGHT_HOME" not in os.environ:
        home = tempfile.TemporaryDirectory(prefix="reelwright-soak-")
        os.environ["REELWRIGHT_HOME"] = home.name
    wall0 = time.perf_counter()
    r = soak(args.minutes, args.reel, sample={"frames": args.sample_frames, "size": (width, height)})
    wall = time.perf_counter() - wall0
    print(f"minutes played {r.minutes}, frames shown {r.frames_shown} ({r.frames_shown / max(1e-9, r.minutes * 60):.1f}/s), "
          f"loops {r.loops}, whole-reel detections finished {r.detections_run} ({r.frames_detected} frames detected)")
    print(f"refcount drift None {r.drift['None']:+d}, True {r.drift['True']:+d}, False {r.drift['False']:+d} "
          f"(limit {DRIFT_LIMIT}); None also gained {r.pyav_refs:+d} from PyAV's plane buffers, taken out")
    print(f"RSS start {r.rss_start_mb} MB, end {r.rss_end_mb} MB ({r.rss_growth:+.1%}; limit +{RSS_LIMIT:.0%})")
    print(f"CPU {r.cpu_s} s over the measured {r.minutes} min; wall {wall:.0f} s in all; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("targets: " + ("met" if r.ok() else "MISSED"))
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(asdict(r) | {"ok": r.ok()}, indent=1))
    if home is not None:
        home.cleanup()
    return 0 if r.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
