"""The output-safety policy (restoration_core.safety) and the atomic writes it relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from restoration_core.atomic import atomic_path, atomic_write_text, partial_name, publish_together
from restoration_core.errors import OutputError
from restoration_core.paths import cache_dir
from restoration_core.safety import (
    Target,
    is_mask_png,
    listed_in_manifest,
    manifest_targets,
    plan_outputs,
    prune_locks,
    remove_leftovers,
)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    f = tmp_path / "in.mkv"
    f.write_bytes(b"source")
    return f


def _refused(inputs, targets, match: str) -> OutputError:
    with pytest.raises(OutputError, match=match) as info:
        plan_outputs("test", inputs, targets)
    return info.value


def test_a_plain_output_beside_the_input_is_planned(src):
    out = src.with_name("out.mkv")
    plan = plan_outputs("test", [src], [Target(out), *manifest_targets(out)])
    assert plan.paths[0] == Path(os.path.realpath(out))
    with plan:
        atomic_write_text(out, "x")
    assert out.read_text() == "x"


def test_output_equal_to_input_directly_via_symlink_and_via_hard_link_is_refused(src, tmp_path):
    _refused([src], [Target(src)], "is the input")
    link = tmp_path / "link.mkv"
    link.symlink_to(src)
    _refused([src], [Target(link)], "is the input")  # resolved before comparing
    hard = tmp_path / "hard.mkv"
    os.link(src, hard)
    _refused([src], [Target(hard)], "is the input")
    rel = Path(os.path.relpath(src))
    _refused([src], [Target(rel)], "is the input")


def test_an_output_inside_an_input_sequence_folder_or_holding_the_input_is_refused(tmp_path):
    seq = tmp_path / "scan"
    seq.mkdir()
    (seq / "000000.png").write_bytes(b"x")
    _refused([seq], [Target(seq, "masks folder", folder=True, merge=True)], "is the input")
    _refused([seq / "000000.png"], [Target(seq / "report.json")], "inside the input folder")
    _refused([seq / "frame_%06d.png"], [Target(seq / "x.mkv")], "inside the input folder")
    _refused([seq / "000000.png"], [Target(tmp_path, "output", folder=True)], "holds the input")


def test_a_hard_link_to_a_frame_of_an_input_sequence_is_refused(tmp_path):
    seq = tmp_path / "scan"
    seq.mkdir()
    (seq / "000001.png").write_bytes(b"frame")
    os.link(seq / "000001.png", tmp_path / "out.png")
    _refused([seq], [Target(tmp_path / "out.png")], "hard link")


def test_two_outputs_of_one_command_may_not_collide_or_nest(src, tmp_path):
    out = tmp_path / "out.mkv"
    _refused([src], [Target(out), Target(out, "report")], "same path")
    folder = tmp_path / "seq"
    _refused([src], [Target(folder, folder=True), Target(folder / "r.json", "report")], "inside the output folder")


@pytest.mark.parametrize("make, match", [
    (lambda p: os.mkfifo(p), "FIFO"),
    (lambda p: p.mkdir(), "existing folder"),
    (lambda p: (p.write_text("x"), p.chmod(0o444)), "read-only"),
    (lambda p: p.symlink_to(p.with_name("elsewhere")), "symbolic link"),
])
def test_only_regular_writable_files_are_replaced(tmp_path, src, make, match):
    out = tmp_path / "out.mkv"
    make(out)
    _refused([src], [Target(out)], match)


def test_a_character_device_is_never_replaced(tmp_path, src):
    _refused([src], [Target(Path("/dev/null"))], "character device")


def test_folders_are_replaced_only_when_everything_in_them_is_ours(tmp_path, src):
    folder = tmp_path / "seq"
    folder.mkdir()
    plan_outputs("test", [src], [Target(folder, folder=True)])  # empty: fine
    (folder / "seq_000000.png").write_bytes(b"a")
    (folder.with_name("seq.sha256")).write_text("abc  seq/seq_000000.png\n")
    plan_outputs("test", [src], [Target(folder, folder=True, ours=listed_in_manifest(folder))])
    (folder / "notes.txt").write_text("mine")
    _refused([src], [Target(folder, folder=True, ours=listed_in_manifest(folder))], "not empty.*did not write.*notes.txt")


def test_a_merge_folder_replaces_only_its_own_masks(tmp_path, src):
    import cv2
    import numpy as np

    masks = tmp_path / "masks"
    masks.mkdir()
    cv2.imwrite(str(masks / "000000.png"), np.zeros((4, 4), np.uint8))
    cv2.imwrite(str(masks / "000001.png"), np.zeros((4, 4, 3), np.uint8))
    (masks / "keep.txt").write_text("other")
    assert is_mask_png(masks / "000000.png") and not is_mask_png(masks / "000001.png")
    ok = Target(masks, "masks folder", folder=True, merge=True, ours=is_mask_png, replaces=["000000.png", "000005.png"])
    plan_outputs("test", [src], [ok])
    bad = Target(masks, "masks folder", folder=True, merge=True, ours=is_mask_png, replaces=["000001.png"])
    _refused([src], [bad], "did not write.*000001.png")


def test_missing_and_read_only_parent_folders(tmp_path, src):
    _refused([src], [Target(tmp_path / "nope" / "out.mkv")], "does not exist")
    plan_outputs("test", [src], [Target(tmp_path / "new" / "deeper", "masks folder", folder=True, parents=True)])
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        _refused([src], [Target(ro / "out.mkv")], "read-only")
    finally:
        ro.chmod(0o755)


def test_empty_and_working_folder_paths(tmp_path, src, monkeypatch):
    _refused([src], [Target("")], "path is empty")
    _refused([src], [Target(".", folder=True)], "names no file")
    monkeypatch.chdir(tmp_path)
    _refused([src], [Target(tmp_path, folder=True)], "working folder|holds the input")


def test_the_lock_refuses_a_second_writer_and_is_released(tmp_path, src):
    out = tmp_path / "out.mkv"
    with plan_outputs("test", [src], [Target(out)]):
        with pytest.raises(OutputError, match="another Reelwright run"):
            plan_outputs("test", [src], [Target(out)]).acquire()
    with plan_outputs("test", [src], [Target(out)]):
        pass


def test_long_unused_lock_files_are_pruned_but_held_and_recent_ones_kept(tmp_path, src):
    folder = cache_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    old, held, recent = (folder / f"{name}.lock" for name in ("old", "held", "recent"))
    for f in (old, held, recent):
        f.touch()
    month_ago = os.path.getmtime(recent) - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    os.utime(held, (month_ago, month_ago))
    other = FileLock(str(held))
    other.acquire(timeout=0)  # another run's write in progress
    try:
        with plan_outputs("test", [src], [Target(tmp_path / "out.mkv")]):
            pass
    finally:
        other.release()
    assert not old.exists() and held.exists() and recent.exists()
    assert len(list(folder.glob("*.lock"))) == 3  # the run's own lock, just used, stays
    assert prune_locks(folder, max_age_s=0) and not list(folder.glob("*.lock"))


def test_leftovers_of_a_killed_run_are_removed_by_the_next_run(tmp_path, src):
    out = tmp_path / "out.mkv"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".out.partial-{pid}-0123abcd.mkv"
    stale.write_bytes(b"half")
    stale_dir = tmp_path / f".out.mkv.partial-{pid}-0123abcd.framemd5"
    stale_dir.write_text("half")
    live = partial_name(out)  # this process's own: kept
    live.write_bytes(b"mine")
    other = tmp_path / f".other.partial-{pid}-0123abcd.mkv"
    other.write_bytes(b"not this output's")
    with plan_outputs("test", [src], [Target(out), *manifest_targets(out)]):
        pass
    assert not stale.exists() and not stale_dir.exists()
    assert live.exists() and other.exists()
    assert remove_leftovers(tmp_path / "none.mkv") == []


def test_atomic_path_never_replaces_a_fifo_and_renames_a_folder_aside(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        atomic_write_text(fifo, "x")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    with atomic_path(folder) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pipe"]
    with pytest.raises(OutputError, match="existing folder"):
        atomic_write_text(folder, "x")


def test_publish_together_writes_the_manifests_before_the_output_is_renamed(tmp_path):
    out = tmp_path / "out.bin"
    out.write_text("old")
    (tmp_path / "out.bin.sha256").mkdir()  # cannot be replaced: nothing may be published
    cm = atomic_path(out)
    tmp = cm.__enter__()
    tmp.write_text("new")
    with pytest.raises(OutputError):
        publish_together(cm, {tmp_path / "out.bin.framemd5": "m", tmp_path / "out.bin.sha256": "s"})
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin", "out.bin.sha256"]
    (tmp_path / "out.bin.sha256").rmdir()
    cm = atomic_path(out)
    cm.__enter__().write_text("new")
    publish_together(cm, {tmp_path / "out.bin.sha256": "s"})
    assert out.read_text() == "new" and (tmp_path / "out.bin.sha256").read_text() == "s"


def test_an_output_named_like_the_manifest_of_an_existing_file_is_refused(tmp_path, src):
    (tmp_path / "master.mkv").write_bytes(b"m")
    _refused([src], [Target(tmp_path / "master.mkv.sha256", "report")], "fixity manifest of master.mkv")
    _refused([src], [Target(tmp_path / "in.mkv.framemd5")], "fixity manifest of in.mkv")
    out = tmp_path / "master.mkv"
    plan_outputs("test", [src], [Target(out), *manifest_targets(out)])  # its own manifests: fine
