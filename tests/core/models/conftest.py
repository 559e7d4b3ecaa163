"""Tiny random models, built once per test session and shared by the models tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core import tiny_models


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "sd": tiny_models.build_sd_inpaint(root / "sd"),
        "pixel": tiny_models.build_pixel_unet(root / "pixel"),
        "concat": tiny_models.build_pixel_unet(root / "concat", concat=True),
    }
