"""``reelwright models list|add|check|remove`` through the real dispatcher."""

from __future__ import annotations

import json
import shutil

from restoration_core.cli import main
from tests.core.fixtures_media import make_ffv1_mkv


def test_models_cli(tiny, tmp_path, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "no models registered" in out and "[built-in]" in out and out.split()[:2] == ["default", "pixel-unet-concat"]
    assert main(["models", "check", str(tiny["concat"])]) == 0
    assert "ok: pixel-unet-concat" in capsys.readouterr().out
    assert main(["models", "add", str(tiny["pixel"]), "--name", "grain"]) == 0
    assert "registered grain: pixel-unet" in capsys.readouterr().out
    assert main(["models", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["name"], m["kind"], m["present"]) for m in listed] == [
        ("default", "pixel-unet-concat", True), ("grain", "pixel-unet", True)]
    assert main(["models", "check", "grain", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "pixel-unet"
    broken = tmp_path / "broken"
    shutil.copytree(tiny["sd"], broken)
    shutil.rmtree(broken / "text_encoder")
    assert main(["models", "add", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "missing component 'text_encoder'" in err and err.count("\n") == 1
    assert main(["models", "remove", "grain"]) == 0
    assert main(["models", "remove", "grain"]) == 2


def test_restore_auto_with_a_model_says_it_fills_without_it(tiny, tmp_path, capsys):
    clip = make_ffv1_mkv(tmp_path / "reel.mkv", frames=3)
    out = tmp_path / "out.mkv"
    assert main(["restore", str(clip), "-o", str(out), "--no-detect", "--model", str(tiny["pixel"])]) == 0
    err = capsys.readouterr().err
    assert "note: --engine auto checks but does not fill with" in err and err.count("note:") == 1
    assert out.exists()
    assert main(["restore", str(clip), "-o", str(tmp_path / "plain.mkv"), "--no-detect"]) == 0
    assert "note:" not in capsys.readouterr().err
