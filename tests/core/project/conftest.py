"""Fixtures shared by the project tests."""

from __future__ import annotations

import pytest

from restoration_core.project import Project


@pytest.fixture
def project(tmp_path):
    """A project with one reel (a stand-in file: these tests never decode it)."""
    project = Project.create(tmp_path / "p.reelwright")
    src = tmp_path / "reel.mkv"
    src.write_bytes(b"x")
    project.add_reel(src, info={}, fixity=False)
    return project
