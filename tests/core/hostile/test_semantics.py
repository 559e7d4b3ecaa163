"""What the corpus cannot see from exit codes: bit depth kept, the mask rule, locks, a full disk,
two exports racing for one output, a damaged render cache, a project folder with a symlink."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import OutputError
from restoration_core.media import open_reel
from restoration_core.render.masks import MaskFolder, damage_of
from restoration_core.safety import Target, plan_outputs
from tests.core.hostile.conftest import snapshot

ROOT = Path(__file__).resolve().parents[3]


def _frames16(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb48le") for f in c.decode(video=0)]


@pytest.mark.parametrize("folder", ["mixed", "mixed8first"])
def test_a_mixed_depth_sequence_is_read_and_written_at_16_bits(world, folder, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(world)
    with open_reel(folder) as reel:
        assert reel.info.bit_depth == 16 and reel.info.notes and "8-bit" in reel.info.notes[0]
        frames = [reel.read(i).data for i in range(len(reel))]
    assert all(f.dtype == np.uint16 for f in frames)
    import cv2

    files = sorted((world / folder).iterdir())
    for f, data in zip(files, frames, strict=True):
        raw = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)[:, :, ::-1]
        expected = raw.astype(np.uint16) * (257 if raw.dtype == np.uint8 else 1)
        assert np.array_equal(data, expected)  # 16-bit frames untouched, 8-bit ones x257
    out = tmp_path / "m.mkv"
    assert main(["export", folder, "-o", str(out), "--preset", "master"]) == 0
    assert "8-bit" in capsys.readouterr().err  # the note is shown
    decoded = _frames16(out)
    assert np.array_equal(decoded[0], frames[0]) and np.array_equal(decoded[-1], frames[-1])


def test_the_mask_rule_is_the_same_for_8_and_16_bit_pngs(world):
    shape = (24, 32)
    m8 = MaskFolder(world / "masks").get(1, shape)
    m16 = MaskFolder(world / "masks16").get(1, shape)
    assert m8 is not None and m8.any() and np.array_equal(m8, m16)
    assert damage_of(np.array([0, 1, 255, 65535], np.uint16)).tolist() == [False, True, True, True]


def test_a_16_bit_mask_holding_255_is_repaired_like_an_8_bit_one(world, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(world)
    outs = {}
    for name in ("masks", "masks16"):
        out = tmp_path / f"{name}.mkv"
        assert main(["restore", "reel.mkv", "-o", str(out), "--masks", name, "--no-detect"]) == 0
        text = capsys.readouterr().out
        assert "0 interventions" not in text, text
        outs[name] = hashlib.sha256(out.read_bytes()).hexdigest()
    assert outs["masks"] == outs["masks16"]


def test_a_locked_output_is_refused_at_once(world, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(world)
    out = tmp_path / "x.mkv"
    with plan_outputs("test", [], [Target(out)]):
        assert main(["export", "reel.mkv", "-o", str(out), "--preset", "master"]) == 2
    assert "another Reelwright run" in capsys.readouterr().err and not out.exists()
    assert main(["export", "reel.mkv", "-o", str(out), "--preset", "master"]) == 0  # released


def test_two_exports_racing_for_one_output_never_leave_a_mismatched_sha256(world, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for k in range(3):
        out = tmp_path / f"race{k}.mkv"
        cmd = [sys.executable, "-m", "restoration_core", "export", str(world / "long.mkv"), "-o", str(out),
               "--preset", "master"]
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        assert any(rc == 0 for rc, _ in results), results
        for rc, err in results:
            assert rc == 0 or "another Reelwright run" in err, err
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        assert out.with_name(out.name + ".sha256").read_text().split()[0] == digest
        assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_a_full_disk_while_writing_masks_leaves_the_folder_as_it_was(world, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(world)
    masks = tmp_path / "m"
    masks.mkdir()
    (masks / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    calls = {"n": 0}
    real = Path.write_bytes

    def full(self, data):
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    rc = main(["detect", "reel.mkv", "--masks-out", str(masks), "--report", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "No space left on device" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_a_full_disk_while_writing_an_html_page_keeps_the_old_page(world, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(world)
    out = tmp_path / "x.mkv"
    assert main(["report", "done.report.json", "--html", str(tmp_path / "r.html")]) == 0
    before = snapshot(tmp_path)
    import restoration_core.atomic as atomic

    def full(final, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(final))

    monkeypatch.setattr(atomic, "atomic_write_bytes", full)
    monkeypatch.setattr("restoration_core.cli.report.atomic_write_text", lambda p, t: full(p, t))
    capsys.readouterr()
    assert main(["report", "done.report.json", "--html", str(tmp_path / "r.html")]) == 2
    assert "No space left" in capsys.readouterr().err
    assert snapshot(tmp_path) == before and not out.exists()


def test_project_save_refuses_a_symlinked_masks_folder(tmp_path):
    from restoration_core.project import Project

    project = Project.create(tmp_path / "film.reelwright")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project.folder / "masks").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="outside"):
        project.save()
    assert list(outside.iterdir()) == []
    (project.folder / "masks").unlink()
    (project.folder / "masks").mkdir()
    (project.folder / "masks" / "r1").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="outside"):
        project.save()
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("damage", ["frames/000001.patch", "frames/000002.json", "detect/000001.mask",
                                    "detect/000002.json", "cache.json"])
def test_a_damaged_render_cache_entry_never_kills_the_run_after_the_output(world, tmp_path, monkeypatch, capsys,
                                                                           damage):
    monkeypatch.chdir(world)
    cache = tmp_path / "cache"
    assert main(["restore", "reel.mkv", "-o", str(tmp_path / "a.mkv"), "--cache", str(cache)]) == 0
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    (entry / damage).write_bytes(b"\x93NUMPY garbage")
    capsys.readouterr()
    rc = main(["restore", "reel.mkv", "-o", str(tmp_path / "b.mkv"), "--cache", str(cache)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if rc == 0:
        assert (tmp_path / "b.mkv").read_bytes() == (tmp_path / "a.mkv").read_bytes()
    else:
        assert rc == 2 and not (tmp_path / "b.mkv").exists()


def test_an_accepted_truncation_is_noted_in_the_report(world, tmp_path, monkeypatch, capsys):
    import json

    monkeypatch.chdir(world)
    out = tmp_path / "t.mkv"
    assert main(["restore", "trunc.mkv", "-o", str(out), "--accept-truncated"]) == 0
    notes = json.loads((tmp_path / "t.report.json").read_text())["extra"]["notes"]
    assert any("truncated" in n and "trunc.mkv" in n for n in notes), notes
