"""Shared fixtures: every test runs with its own per-user folders and offline model hub."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the user's settings, layouts, recent files, autosaves or model registry."""
    home = tmp_path_factory.mktemp("reelwright-home")
    monkeypatch.setenv("REELWRIGHT_HOME", str(home))
    yield home
