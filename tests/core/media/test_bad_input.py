"""Bad input and unwritable output: one clear error naming the file, exit 2, nothing half-written."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import InputError, OutputError
from restoration_core.media import open_reel, probe
from tests.core.fixtures_media import make_png_sequence, make_tiff16_sequence


def _cli_fails(capsys, argv, path):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    return err


def test_zero_byte_file(tmp_path, capsys):
    path = tmp_path / "empty.mov"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        probe(path)
    _cli_fails(capsys, ["probe", str(path)], path)


def test_text_file_named_mp4(tmp_path, capsys):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    with pytest.raises(InputError, match="cannot read as media"):
        probe(path)
    _cli_fails(capsys, ["export", str(path), "-o", str(tmp_path / "out.mkv"), "--preset", "master"], path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


def test_truncated_mov(prores, tmp_path, capsys):
    path = tmp_path / "cut.mov"
    path.write_bytes(prores.read_bytes()[: prores.stat().st_size // 3])
    with pytest.raises(InputError) as exc:
        with open_reel(path) as reel:
            for _ in reel.frames():
                pass
    assert str(path) in str(exc.value)
    _cli_fails(capsys, ["export", str(path), "-o", str(tmp_path / "out.mkv"), "--preset", "master"], path)
    assert not (tmp_path / "out.mkv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mov"]


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nowhere.mov"
    with pytest.raises(InputError, match="no such file"):
        probe(path)
    _cli_fails(capsys, ["probe", "--json", str(path)], path)


def test_sequence_frame_of_another_size(tmp_path, capsys):
    files = make_png_sequence(tmp_path / "seq", frames=5)
    cv2.imwrite(str(files[3]), np.zeros((20, 30, 3), np.uint16))
    with pytest.raises(InputError, match="30x20") as exc:
        probe(tmp_path / "seq")
    assert str(files[3]) in str(exc.value)
    _cli_fails(capsys, ["probe", str(tmp_path / "seq")], files[3])


def test_output_folder_cannot_be_written(prores, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, not a folder")
    out = blocker / "out.mkv"
    from restoration_core.progress import run_to_end
    from restoration_core.render.export import export

    with pytest.raises(OutputError):
        run_to_end(export(prores, out, "master"))
    _cli_fails(capsys, ["export", str(prores), "-o", str(out), "--preset", "master"], blocker)
    _cli_fails(capsys, ["export", str(prores), "-o", str(blocker / "seq"), "--preset", "dpx"], blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_bad_range(prores, tmp_path, capsys):
    err = _cli_fails(capsys, ["export", str(prores), "-o", str(tmp_path / "o.mkv"), "--preset", "master",
                              "--range", "5:99"], prores)
    assert "range" in err


def test_export_onto_the_source_is_refused(ffv1, tmp_path, capsys):
    import shutil

    src = tmp_path / "reel.mkv"
    shutil.copy(ffv1, src)
    before = src.read_bytes()
    _cli_fails(capsys, ["export", str(src), "-o", str(src), "--preset", "master"], src)
    assert src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["reel.mkv"]


def test_tiff_sequence_frame_of_another_size_found_by_probe(tmp_path):
    files = make_tiff16_sequence(tmp_path / "seq", frames=4, with_gap=False)
    cv2.imwrite(str(files[2]), np.zeros((20, 30, 3), np.uint16))
    with pytest.raises(InputError, match="30x20") as exc:
        probe(tmp_path / "seq")
    assert str(files[2]) in str(exc.value)
