"""The render and `reelwright restore` on the real media, detect and restore engines (small sample reel)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import InputError
from restoration_core.media.fixity import frame_md5, sha256_file
from restoration_core.progress import run_to_end
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec

pytest.importorskip("restoration_core.restore.pipeline")
from restoration_core.media import open_reel  # noqa: E402
from restoration_core.sample import make_sample_reel  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    return make_sample_reel(folder, frames=16, size=(64, 48))


def _frames(path):
    with open_reel(path) as reel:
        return np.stack([f.data for f in reel.frames()])


def test_restore_cli_masks_no_detect_range_report(sample, tmp_path, capsys):
    masks = sample.parent / "masks"
    out = tmp_path / "restored"
    rc = main(["restore", str(sample), "-o", str(out), "--preset", "png", "--masks", str(masks), "--no-detect",
               "--range", "2:14", "--report", str(tmp_path / "r.json"), "--engine", "temporal"])
    assert rc == 0, capsys.readouterr().err
    restored, source = _frames(out), _frames(sample)[2:14]
    assert restored.shape == source.shape
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["frame_range"] == [2, 14] and report["summary"]["frames"] == 12
    assert report["interventions"] and all(2 <= i["frame"] < 14 for i in report["interventions"])
    assert len(report["output"]["frame_md5"]) == 12 and (tmp_path / "r.html").exists()
    # the source frames' MD5s, taken as the encode read them, are those of the source decoded afresh
    assert report["source"]["frame_md5"] == [frame_md5(f) for f in source]
    for k in range(12):
        damage = cv2.imread(str(masks / f"{k + 2:06d}.png"), cv2.IMREAD_GRAYSCALE) > 127
        near = cv2.dilate(damage.astype(np.uint8), np.ones((19, 19), np.uint8)) > 0
        assert np.array_equal(restored[k][~near], source[k][~near]), "pixels away from masks are bit-exact"
        if damage.any():
            assert not np.array_equal(restored[k][damage], source[k][damage])


def test_interrupted_render_resumes_to_identical_output(sample, tmp_path):
    def spec(folder, preset="png"):
        folder.mkdir(exist_ok=True)
        return JobSpec(input=str(sample), output=str(folder / "out"), preset=preset,
                       cache=str(folder / "cache"), chunk=4)

    reference = run_to_end(render(spec(tmp_path / "ref")))
    job = spec(tmp_path / "run")
    task = render(job)
    for p in task:
        if p.stage == "restore" and p.frame == 9:
            break
    task.close()  # interrupted in chunk [8, 12)
    assert not (tmp_path / "run" / "out").exists()
    resumed = run_to_end(render(job))
    assert resumed.from_cache == 8 and resumed.computed == 8 < resumed.frames
    ref_files = sorted((tmp_path / "ref" / "out").iterdir())
    run_files = sorted((tmp_path / "run" / "out").iterdir())
    assert [f.name for f in ref_files] == [f.name for f in run_files]
    for a, b in zip(ref_files, run_files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert resumed.frame_md5 == reference.frame_md5


def test_restore_cli_killed_with_sigkill_resumes_byte_identical(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    sample = make_sample_reel(tmp_path / "src", frames=24, size=(96, 64))
    ref, run = tmp_path / "ref", tmp_path / "run"
    ref.mkdir()
    run.mkdir()

    def cmd(folder):
        return [sys.executable, "-m", "restoration_core", "restore", str(sample), "-o", str(folder / "out.mov"),
                "--preset", "mezzanine", "--cache", str(folder / "cache"), "--chunk", "6"]

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # the uninterrupted reference is the same command in a fresh process of its own, so nothing
    # a test before this one left in the test process (threads, caches) can tell the two apart
    first = subprocess.run(cmd(ref), env=env, capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    proc = subprocess.Popen(cmd(run), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((run / "cache").glob("*/frames/*.json"))) < 8:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert sorted(p.name for p in run.iterdir()) == ["cache"], "nothing but the cache is left behind"
    # the cache is a patch store: each finished frame is its changed pixels, not the whole picture
    patches = list((run / "cache").glob("*/frames/*.patch"))
    assert patches and not list((run / "cache").glob("*/frames/*.npy"))
    assert sum(p.stat().st_size for p in patches) < len(patches) * 96 * 64 * 3
    again = subprocess.run(cmd(run), env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    restored, cached = (int(x) for x in
                        again.stdout.split("frames (")[1].split(" from cache")[0].replace(" restored,", "").split())
    assert cached >= 6 and restored < 24 and restored + cached == 24
    # compared by digest: a failed comparison of two whole files would keep pytest's diff busy for minutes
    assert sha256_file(run / "out.mov") == sha256_file(ref / "out.mov"), "the resumed render differs"


def test_a_project_clip_rendered_by_batch_is_in_the_history_and_one_repair_can_be_taken_back(sample, tmp_path):
    from restoration_core.project import Project

    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(sample, fixity=False)
    clip = project.add_clip(reel.id, 2, 8, settings={"engine": "temporal"}, name="Opening")
    for i in range(2, 8):
        m = cv2.imread(str(sample.parent / "masks" / f"{i:06d}.png"), cv2.IMREAD_GRAYSCALE) > 127
        project.masks.set(reel.id, i, "painted", m)
    project.save()
    (tmp_path / "out").mkdir()
    (tmp_path / "jobs.toml").write_text(
        f'[[job]]\nproject = "film.reelwright"\nclip = "{clip.id}"\noutput = "out/opening"\n'
        'preset = "png"\ndetect = false\n')
    assert main(["batch", str(tmp_path / "jobs.toml"), "--workers", "1", "--queue", str(tmp_path / "q.json")]) == 0
    again = Project.load(tmp_path / "film.reelwright")
    (rec,) = [h for h in again.history if h.op == "restore"]
    done = again.interventions(rec.id)
    report = json.loads(open(rec.params["report"]["path"]).read())   # the job's report, beside its output
    assert len(done) == len(report["interventions"]) > 0 and rec.params["clip_id"] == clip.id
    item = done[0]
    x, y, w, h = item.bbox
    before = again.repair_mask(reel.id, item.frame, (48, 64))
    assert before[y:y + h, x:x + w].any()
    again.revoke_intervention(rec.id, 0)
    after = again.repair_mask(reel.id, item.frame, (48, 64))
    assert after is None or not after[y:y + h, x:x + w].any(), "the next render leaves that region as scanned"


def test_a_review_that_cannot_be_written_does_not_fail_the_render(sample, tmp_path):
    taken = tmp_path / "out_review.mp4"
    taken.write_bytes(b"someone else's review")
    spec = JobSpec(input=str(sample), output=str(tmp_path / "out.mkv"), preset="master", detect=False,
                   frame_range=(0, 4), review={"layout": "side", "output": str(taken)})
    result = run_to_end(render(spec))
    assert result.output.exists() and result.review is None
    assert "already exists" in result.review_error and taken.read_bytes() == b"someone else's review"
    with pytest.raises(InputError, match="unknown review layout"):
        JobSpec(input=str(sample), output=str(tmp_path / "o.mkv"), review={"layout": "diagonal"}).validate()
