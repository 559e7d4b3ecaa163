"""Fixtures shared by the project tests."""

from __future__ import annotations

import pytest

from restoration_core.project import Project


def make_project(tmp_path, **info) -> Project:
    """A project with one reel (a stand-in file: these tests never decode it); ``info``: its
    width, height, frames where a test needs them."""
    project = Project.create(tmp_path / "p.reelwright")
    src = tmp_path / "reel.mkv"
    src.write_bytes(b"x")
    project.add_reel(src, info=info, fixity=False)
    return project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)
