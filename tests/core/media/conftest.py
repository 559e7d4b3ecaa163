"""Media fixtures built once per test session (small: 96x64, 6-12 frames)."""

from __future__ import annotations

import pytest

from tests.core.fixtures_media import (
    make_dpx_sequence,
    make_ffv1_mkv,
    make_h264_aac,
    make_prores_10bit,
    make_tiff16_sequence,
)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def prores(media_dir):
    return make_prores_10bit(media_dir / "prores.mov", frames=12)


@pytest.fixture(scope="session")
def h264(media_dir):
    return make_h264_aac(media_dir / "h264.mp4", frames=12)


@pytest.fixture(scope="session")
def ffv1(media_dir):
    return make_ffv1_mkv(media_dir / "ffv1.mkv", frames=9)


@pytest.fixture(scope="session")
def tiff_seq(media_dir):
    make_tiff16_sequence(media_dir / "tiff", frames=6, with_gap=True)
    return media_dir / "tiff"


@pytest.fixture(scope="session")
def dpx_seq(media_dir):
    make_dpx_sequence(media_dir / "dpx", frames=6, with_gap=True)
    return media_dir / "dpx"
