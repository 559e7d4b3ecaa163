from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.cli import detect as cli_detect
from restoration_core.cli import main
from restoration_core.errors import InputError
from tests.core.detect.scenes import make_scene


@pytest.fixture
def scene(monkeypatch):
    scene = make_scene(n=5, seed=11)
    monkeypatch.setattr(cli_detect, "_open_reel", lambda path: scene.reel())
    return scene


def test_cli_writes_one_mask_png_per_frame_and_the_report(tmp_path, scene, capsys):
    masks, report = tmp_path / "masks", tmp_path / "report.json"
    rc = main(["detect", "clip.mkv", "--masks-out", str(masks), "--report", str(report)])
    assert rc == 0
    assert sorted(p.name for p in masks.iterdir()) == [f"{i:06d}.png" for i in range(5)]
    png = cv2.imread(str(masks / "000002.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8 and png.shape == (120, 160)
    assert set(np.unique(png)) <= {0, 255}
    assert (png[scene.specks[2]] == 255).any()
    data = json.loads(report.read_text())
    assert data["range"] == [0, 5] and len(data["per_frame"]) == 5
    assert data["per_frame"][2]["frame"] == 2
    kinds = {d["kind"] for f in data["per_frame"] for d in f["defects"]}
    assert "scratch" in kinds and kinds & {"dust", "dirt", "blotch"}
    assert len(data["flicker"]) == 5 and len(data["flicker"][0]) == 3
    assert data["summary"]["defects"] == sum(len(f["defects"]) for f in data["per_frame"])
    assert "detect: frame 5/5" in capsys.readouterr().err


def test_cli_range_and_sensitivity(tmp_path, scene):
    masks = tmp_path / "m"
    assert main(["detect", "x", "--masks-out", str(masks), "--range", "1:3", "--sensitivity", "0.2"]) == 0
    assert sorted(p.name for p in masks.iterdir()) == ["000001.png", "000002.png"]


def test_cli_errors_are_one_line_exit_2(tmp_path, scene, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["detect", "x", "--masks-out", str(blocker / "masks")]) == 2
    assert main(["detect", "x", "--masks-out", str(tmp_path / "m"), "--range", "3:99"]) == 2
    assert main(["detect", "x", "--masks-out", str(tmp_path / "m"), "--sensitivity", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("reelwright: error:") for line in err)


def test_bad_arguments_name_the_input_and_leave_nothing_on_disk(tmp_path, scene, capsys):
    masks = tmp_path / "new" / "masks"
    for extra in (["--range", "5"], ["--range", "a:b"], ["--range", "4:2"], ["--range=-1:3"],
                  ["--range", "3:99"], ["--sensitivity", "3"],
                  ["--report", str(tmp_path / "missing-folder" / "r.json")]):
        assert main(["detect", "clip.mkv", "--masks-out", str(masks), *extra]) == 2, extra
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 7 and all(line.startswith("reelwright: error: ") for line in err)
    assert all("clip.mkv" in line for line in err[:6]), err
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no masks folder, no parents, no stray files"


def test_a_failed_run_leaves_an_existing_masks_folder_as_it_was(tmp_path, scene, monkeypatch):
    masks = tmp_path / "m"
    assert main(["detect", "x", "--masks-out", str(masks), "--range", "0:2"]) == 0
    before = {p.name: p.read_bytes() for p in masks.iterdir()}
    real = cli_detect._mask_png
    calls = []

    def failing(mask):
        calls.append(1)
        if len(calls) == 2:
            raise InputError("simulated failure on the second frame", "x")
        return real(mask)

    monkeypatch.setattr(cli_detect, "_mask_png", failing)
    assert main(["detect", "x", "--masks-out", str(masks), "--range", "2:5"]) == 2
    assert {p.name: p.read_bytes() for p in masks.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["m"], "the staging folder is gone"
    monkeypatch.setattr(cli_detect, "_mask_png", real)
    assert main(["detect", "x", "--masks-out", str(masks), "--range", "2:5"]) == 0
    assert sorted(p.name for p in masks.iterdir()) == [f"{i:06d}.png" for i in range(5)]


def test_cli_reads_a_real_image_sequence(tmp_path):
    pytest.importorskip("restoration_core.media")
    scene = make_scene(n=4, seed=12)
    seq = tmp_path / "seq"
    seq.mkdir()
    for i, rgb in enumerate(scene.frames):
        cv2.imwrite(str(seq / f"scan_{100 + i:04d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    masks = tmp_path / "masks"
    assert main(["detect", str(seq), "--masks-out", str(masks)]) == 0
    assert sorted(p.name for p in masks.iterdir()) == [f"{i:06d}.png" for i in range(4)]
    mid = cv2.imread(str(masks / "000001.png"), cv2.IMREAD_UNCHANGED) > 0
    assert (mid & scene.specks[1]).any()
