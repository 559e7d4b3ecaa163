"""SharedFrames: readers of one sliding window share one forward decode, within a bounded ring."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.media import open_reel
from restoration_core.media.container import ContainerSource
from restoration_core.media.shared import SharedFrames
from tests.core.fixtures_media import make_ffv1_mkv, make_png_sequence


@pytest.fixture
def clip(tmp_path):
    return make_ffv1_mkv(tmp_path / "clip.mkv", frames=20, pix_fmt="bgr0")


@pytest.fixture
def decodes(monkeypatch):
    """Counts the source's decoded pictures turned into arrays."""
    count = {"n": 0}
    real = ContainerSource.to_array

    def counted(self, frame):
        count["n"] += 1
        return real(self, frame)

    monkeypatch.setattr(ContainerSource, "to_array", counted)
    return count


def test_two_readers_close_together_decode_each_frame_once(clip, decodes):
    with open_reel(clip, cache_bytes=0) as plain:
        truth = [f.data for f in plain.frames()]
    decodes["n"] = 0
    shared = SharedFrames(open_reel(clip, cache_bytes=0), max_frames=6)
    try:
        lead, lag = shared.frames(0, None), shared.frames(0, None)
        got_lead, got_lag = [], []
        for k in range(20):
            got_lead.append(next(lead))
            if k >= 3:  # the second reader follows three frames behind
                got_lag.append(next(lag))
        got_lag += list(lag)
        assert [f.index for f in got_lead] == list(range(20)) == [f.index for f in got_lag]
        assert all(np.array_equal(f.data, truth[f.index]) for f in got_lead + got_lag)
        assert decodes["n"] == 20 and shared.stats["own_decoders"] == 0
        # each reader has its own copy: painting on one does not reach the other
        got_lead[5].data[:] = 0
        assert np.array_equal(got_lag[5].data, truth[5])
        assert len(shared._ring) <= 6
    finally:
        shared.close()


def test_a_reader_beyond_the_ring_reads_on_alone(clip, decodes):
    with open_reel(clip, cache_bytes=0) as plain:
        truth = [f.data for f in plain.frames()]
    decodes["n"] = 0
    with SharedFrames(open_reel(clip, cache_bytes=0), max_frames=4) as shared:
        lead = shared.frames(0, None)
        ahead = [next(lead) for _ in range(12)]  # still open: the shared decoder keeps its pace
        behind = list(shared.frames(2, 9))  # frames 2..7 left the ring long ago
        assert [f.index for f in behind] == list(range(2, 9))
        assert all(np.array_equal(f.data, truth[f.index]) for f in ahead + behind)
        # 12 shared + 7 alone, and at most the shared decoder's read-ahead (2 queued, 1 in hand)
        assert shared.stats["own_decoders"] == 1 and 12 + 7 <= decodes["n"] <= 12 + 7 + 3
        assert next(lead).index == 12 and shared.stats["own_decoders"] == 1
        lead.close()
        # alone, a reader takes the shared decoder back with it (a step back restarts it) ...
        assert [f.index for f in shared.frames(1, 4)] == [1, 2, 3] and shared.stats["own_decoders"] == 1
        # ... and a jump forward past the ring restarts it there
        assert [f.index for f in shared.frames(17, None)] == [17, 18, 19]
        assert shared.stats["own_decoders"] == 1


def test_the_ring_is_bounded_in_bytes(clip):
    frame_bytes = 96 * 64 * 3
    with SharedFrames(open_reel(clip, cache_bytes=0), max_frames=100, max_bytes=3 * frame_bytes) as shared:
        for _ in shared.frames(0, None):
            assert len(shared._ring) <= 3 and shared._bytes <= 3 * frame_bytes


def test_sequences_and_ranges(tmp_path):
    folder = tmp_path / "seq"
    make_png_sequence(folder, frames=6)
    with open_reel(folder) as plain:
        truth = [f.data for f in plain.frames()]
    with SharedFrames(open_reel(folder)) as shared:
        assert len(shared) == 6 and shared.info.frames == 6
        assert [f.index for f in shared.frames(4, 99)] == [4, 5]
        assert [f.index for f in shared.frames(1, 3)] == [1, 2]
        assert all(np.array_equal(f.data, truth[f.index]) for f in shared.frames(0, None))
        assert np.array_equal(shared.read(3).data, truth[3])  # everything else is the reel's
