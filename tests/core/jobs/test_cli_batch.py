"""`reelwright batch`: job files run in worker processes; a failing job does not stop the rest."""

from __future__ import annotations

import json

import numpy as np

from restoration_core.cli import main
from restoration_core.render import engines as engines_module
from tests.core.jobs import fakes


def test_batch_runs_job_files_and_reports_failures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engines_module, "DEFAULT_ENGINES", "tests.core.jobs.fakes")
    for n in range(3):
        fakes.make_clip(tmp_path / f"c{n}.npy", frames=5, seed=n)
    (tmp_path / "a.toml").write_text(
        '[defaults]\nengine = "temporal"\n[[job]]\ninput = "c0.npy"\noutput = "o0.npy"\n'
        '[[job]]\ninput = "c1.npy"\noutput = "o1.npy"\nrange = "1:4"\n'
    )
    (tmp_path / "b.json").write_text(json.dumps({"jobs": [
        {"input": "c2.npy", "output": "o2.npy", "detect": False},
        {"input": "vanished.npy", "output": "o3.npy"},
    ]}))
    rc = main(["batch", str(tmp_path / "a.toml"), str(tmp_path / "b.json"), "--workers", "2",
               "--queue", str(tmp_path / "q.json")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "3 done, 1 failed, 0 cancelled" in out
    assert "failed: vanished.npy" in out and "input does not exist" in out
    assert np.load(tmp_path / "o1.npy").shape[0] == 3
    assert not (tmp_path / "o3.npy").exists()
    states = [j["state"] for j in json.loads((tmp_path / "q.json").read_text())["jobs"]]
    assert sorted(states) == ["done", "done", "done", "failed"]
    fakes.make_clip(tmp_path / "vanished.npy", frames=3)
    rc = main(["batch", str(tmp_path / "a.toml"), str(tmp_path / "b.json"), "--queue", str(tmp_path / "q.json")])
    assert rc == 0, "the same command with the same queue resumes: the failed job runs again"
    assert "4 done, 0 failed" in capsys.readouterr().out
    assert len(json.loads((tmp_path / "q.json").read_text())["jobs"]) == 4, "no job added twice"


def test_batch_bad_job_file_exits_2(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text("[[job]]\ninput = 'x'\n")
    assert main(["batch", str(tmp_path / "bad.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no output" in err and len(err.splitlines()) == 1
    (tmp_path / "dup.toml").write_text("[[job]]\ninput='a'\noutput='o'\n[[job]]\ninput='b'\noutput='o'\n")
    assert main(["batch", str(tmp_path / "dup.toml")]) == 2
    assert "same output" in capsys.readouterr().err


def test_an_unknown_setting_in_a_job_file_is_refused_by_name(tmp_path, capsys):
    (tmp_path / "typo.toml").write_text(
        "[[job]]\ninput = 'a.mov'\noutput = 'a.mkv'\n"
        "[[job]]\ninput = 'b.mov'\noutput = 'b.mkv'\n"
        "[[job]]\ninput = 'c.mov'\noutput = 'c.mkv'\nfeathr = 2\n")
    assert main(["batch", str(tmp_path / "typo.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert "job 3: unknown setting 'feathr'" in err and len(err.splitlines()) == 1
    (tmp_path / "typo2.toml").write_text("[[job]]\ninput = 'a.mov'\noutput = 'a.mkv'\n"
                                         "[job.settings]\ngrian = true\n")
    assert main(["batch", str(tmp_path / "typo2.toml")]) == 2
    assert "job 1: unknown setting 'grian'" in capsys.readouterr().err
    (tmp_path / "typo3.toml").write_text("[[job]]\ninput = 'a.mov'\noutput = 'a.mkv'\n"
                                         "[job.detect_settings]\nsensitivty = 0.3\n")
    assert main(["batch", str(tmp_path / "typo3.toml")]) == 2
    assert "job 1: unknown setting 'sensitivty'" in capsys.readouterr().err
