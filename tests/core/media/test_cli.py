"""The probe and export subcommands."""

from __future__ import annotations

import json

from restoration_core.cli import main


def test_probe_json(prores, capsys):
    assert main(["probe", str(prores), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("path", "format", "frames", "fps", "width", "height", "bit_depth", "pix_fmt", "timecode",
                "gaps", "audio"):
        assert key in data
    assert data["fps"] == "24000/1001" and data["timecode"] == "01:00:00:00" and data["frames"] == 12
    assert data["audio"][0] == {"codec": "pcm_s16le", "sample_rate": 48000, "channels": 2,
                                "duration_s": data["audio"][0]["duration_s"], "index": 1}


def test_probe_text_sequence(tiff_seq, capsys):
    assert main(["probe", str(tiff_seq)]) == 0
    out = capsys.readouterr().out
    assert "gaps:      4" in out and "16-bit" in out


def test_export_range(prores, tmp_path, capsys):
    out = tmp_path / "m.mkv"
    assert main(["export", str(prores), "-o", str(out), "--preset", "master", "--range", "2:8"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert "export: 6/6 frames" in captured.err
    assert main(["probe", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["frames"] == 6 and data["timecode"] == "01:00:00:02" and data["fps"] == "24000/1001"
    assert (tmp_path / "m.mkv.framemd5").is_file() and (tmp_path / "m.mkv.sha256").is_file()


def test_export_access_says_audio_was_reencoded(prores, tmp_path, capsys):
    assert main(["export", str(prores), "-o", str(tmp_path / "a.mp4"), "--preset", "access"]) == 0
    assert "re-encoded to AAC" in capsys.readouterr().err
