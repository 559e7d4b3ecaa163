"""The soak in CI: a minute of playback in the real window while whole-reel detection runs.

A binding that leaks a reference per signal emit (PySide6 6.12.0) drained None's count by
about 4,400 a second during playback and aborted the workbench within a minute; the
10-minute run is ``python scripts/bench/bench_soak.py``. The limit (2,000 in a minute) catches
any per-emit leak (hundreds of thousands a minute) but not PyAV's one reference per decoded
frame, which test_signal_refcounts.py's strict xfail tracks.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_soak", ROOT / "scripts" / "bench" / "bench_soak.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_a_minute_of_playback_with_reel_detection_holds_refcounts_and_memory(qapp):
    bench = _bench()
    lines: list[str] = []
    r = bench.soak(1.0, tell=lines.append, theme=False, sample={"frames": 24, "size": (320, 180)})
    assert r.minutes >= 1.0
    assert r.frames_shown >= 24 * 60 // 3, f"playback kept going ({r.frames_shown} frames shown)"
    assert r.loops >= 10, "the 24-frame sample looped"
    assert r.frames_detected > 1, "whole-reel detection ran during playback"
    assert all(abs(d) <= bench.DRIFT_LIMIT for d in r.drift.values()), (r.drift, lines)
    assert r.rss_growth <= bench.RSS_LIMIT, (r.rss_start_mb, r.rss_end_mb, lines)
    assert len(r.samples) >= 6
