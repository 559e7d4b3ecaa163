"""Tiny random models, built once per test session and shared by the models tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.core import tiny_models

# Two intra-op threads on a shared 2-core machine thrash (up to 10x slower); tiny models
# gain nothing from them.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "sd": tiny_models.build_sd_inpaint(root / "sd"),
        "pixel": tiny_models.build_pixel_unet(root / "pixel"),
        "concat": tiny_models.build_pixel_unet(root / "concat", concat=True),
    }
