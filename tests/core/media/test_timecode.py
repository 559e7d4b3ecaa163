"""Timecode arithmetic, drop-frame included."""

from fractions import Fraction

import pytest

from restoration_core.media.timecode import frames_to_timecode, timecode_to_frames

NTSC = Fraction(30000, 1001)


def test_non_drop():
    assert frames_to_timecode(0, Fraction(24000, 1001)) == "01:00:00:00"
    assert frames_to_timecode(24, Fraction(24000, 1001)) == "01:00:01:00"
    assert frames_to_timecode(25 * 3600 + 1, Fraction(25), "00:00:00:00") == "01:00:00:01"


def test_drop_frame_skips_labels_at_minutes():
    assert frames_to_timecode(1800, NTSC, "00:00:00;00") == "00:01:00;02"
    assert frames_to_timecode(1799, NTSC, "00:00:00;00") == "00:00:59;29"
    assert frames_to_timecode(17982, NTSC, "00:00:00;00") == "00:10:00;00"
    assert timecode_to_frames("00:01:00;02", NTSC) == 1800
    assert frames_to_timecode(3600, Fraction(60000, 1001), "00:00:00;00") == "00:01:00;04"


def test_round_trip_drop_frame():
    for n in range(0, 200000, 997):
        assert timecode_to_frames(frames_to_timecode(n, NTSC, "00:00:00;00"), NTSC) == n


def test_bad_timecode():
    with pytest.raises(ValueError):
        timecode_to_frames("25:00:00:00", Fraction(24))
    with pytest.raises(ValueError):
        timecode_to_frames("01:00:00:24", Fraction(24))
