"""The soak in CI: a minute of playback in the real window while whole-reel detection runs.

A binding that leaks a reference per signal emit (PySide6 6.12.0) drained None's count by
about 4,400 a second during playback and aborted the workbench within a minute; the
10-minute run is ``python scripts/bench/bench_soak.py``. PyAV's one reference per plane buffer
taken is counted (restoration_core.media.buffers) and taken out: it grew with every rerun of
whole-reel detection, so a faster detection crossed the old limit. What is left must stay
within 500 in a minute: a per-emit leak makes hundreds of thousands, and the inspector's
lists, which leaked one per detection per frame shown (new Python-made items), about 2,000.
It runs in its own process, as the workbench does: its own QApplication, event loop and
threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_minute_of_playback_with_reel_detection_holds_refcounts_and_memory(tmp_path):
    out = tmp_path / "soak.json"
    env = dict(os.environ, OMP_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "bench_soak.py"), "--minutes", "1",
                          "--sample-frames", "24", "--sample-size", "320x180", "--json", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    r = json.loads(out.read_text())
    lines = run.stdout[-3000:]
    assert r["minutes"] >= 1.0
    assert r["frames_shown"] >= 24 * 60 // 4, f"playback kept going ({r['frames_shown']} frames shown)\n{lines}"
    assert r["loops"] >= 10, "the 24-frame sample looped"
    assert r["frames_detected"] > 1, "whole-reel detection ran during playback"
    assert all(abs(d) <= 500 for d in r["drift"].values()), (r["drift"], r["pyav_refs"], lines)
    growth = (r["rss_end_mb"] - r["rss_start_mb"]) / r["rss_start_mb"]
    assert growth <= 0.10, (r["rss_start_mb"], r["rss_end_mb"], lines)
    assert len(r["samples"]) >= 6
    assert run.returncode == 0 and r["ok"], lines
