"""`reelwright restore`: arguments to a job, progress, one-line errors (engine faked)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.render import engines as engines_module
from tests.core.jobs import fakes


@pytest.fixture
def fake_engine(monkeypatch, tmp_path):
    monkeypatch.setattr(engines_module, "DEFAULT_ENGINES", "tests.core.jobs.fakes")
    counter = tmp_path / "count.txt"
    monkeypatch.setenv(fakes.COUNTER_ENV, str(counter))
    return counter


def test_restore_cli_masks_range_report_and_resume(tmp_path, fake_engine, capsys):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=12)
    masks = tmp_path / "masks"
    masks.mkdir()
    m = np.zeros((48, 64), np.uint8)
    m[5:9, 5:15] = 255
    cv2.imwrite(str(masks / "000004.png"), m)
    argv = ["restore", str(clip), "-o", str(tmp_path / "out.npy"), "--masks", str(masks), "--no-detect",
            "--range", "3:7", "--report", str(tmp_path / "rep.json"), "--cache", str(tmp_path / "cache"),
            "--seed", "7"]
    assert main(argv) == 0
    assert "4 frames (4 restored, 0 from cache)" in capsys.readouterr().out
    out = np.load(tmp_path / "out.npy")
    assert out.shape[0] == 4
    report = json.loads((tmp_path / "rep.json").read_text())
    assert [i["frame"] for i in report["interventions"]] == [4]
    assert report["settings"] == {"engine": "auto", "seed": 7}
    first = (tmp_path / "out.npy").read_bytes()
    assert main(argv) == 0, "a rerun with the same --cache reuses every frame"
    assert "(0 restored, 4 from cache)" in capsys.readouterr().out
    assert (tmp_path / "out.npy").read_bytes() == first
    assert fake_engine.read_text().split() == ["3", "4", "5", "6"]


def test_restore_cli_detects_by_default(tmp_path, fake_engine):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=6)
    assert main(["restore", str(clip), "-o", str(tmp_path / "o.npy")]) == 0
    assert not np.any(np.all(np.load(tmp_path / "o.npy") == 255, axis=3))
    assert (tmp_path / "o.report.json").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--range", "5:2"], "empty or negative"),
        (["--range", "0:99"], "outside the reel"),
        (["--masks", "/nonexistent/masks"], "mask folder does not exist"),
    ],
)
def test_restore_cli_errors_exit_2_one_line(tmp_path, fake_engine, capsys, extra, message):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=4)
    rc = main(["restore", str(clip), "-o", str(tmp_path / "o.npy"), *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith((".o", "o."))], "nothing half-written"


def test_restore_cli_missing_input_and_unwritable_output(tmp_path, fake_engine, capsys):
    assert main(["restore", str(tmp_path / "missing.mov"), "-o", str(tmp_path / "o.npy")]) == 2
    assert "input does not exist" in capsys.readouterr().err
    clip = fakes.make_clip(tmp_path / "in.npy", frames=4)
    (tmp_path / "file").write_text("x")
    assert main(["restore", str(clip), "-o", str(tmp_path / "file" / "o.npy")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
