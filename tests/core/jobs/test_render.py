"""render(): detect -> restore -> cache -> encode -> report, resume from the render cache."""

from __future__ import annotations

import json
import sys

import cv2
import numpy as np
import pytest

from restoration_core import heap
from restoration_core.errors import Cancelled, InputError, OutputError
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.render.cache import RenderCache
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from tests.core.jobs import fakes


@pytest.fixture
def eng():
    return fakes.engines()


def test_render_writes_output_and_report(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=8)
    spec = JobSpec(input=str(clip), output=str(tmp_path / "out.npy"), cache=str(tmp_path / "c"))
    progress = _drive(render(spec, engines=eng))
    stages = [p.stage for p in progress]
    assert stages[0] == "detect" and "restore" in stages and "encode" in stages
    assert ("restore", "fill 1/1") in {(p.stage, p.message) for p in progress}, "steps are reported"
    assert progress[-1].stats.fps > 0 and progress[-2].stats.eta_s is not None
    assert all(p.payload is None or not isinstance(p.payload, dict) for p in progress), "speed is not a payload"
    out = np.load(tmp_path / "out.npy")
    src = np.load(clip)
    assert out.shape == src.shape
    assert not np.any(np.all(out == 255, axis=3)), "white specks were repaired"
    untouched = ~np.all(src == 255, axis=3)
    assert np.array_equal(out[untouched], src[untouched])
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["frame_range"] == [0, 8] and len(report["output"]["frame_md5"]) == 8
    assert report["interventions"] and report["interventions"][0]["method"] == "temporal"
    assert report["extra"]["frames_computed"] == 8


def _drive(gen):
    out = []
    try:
        while True:
            out.append(next(gen))
    except StopIteration as stop:
        out.append(stop.value)
    return [p for p in out[:-1]]


def test_interrupted_render_resumes_bit_identical(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=10)
    ref = JobSpec(input=str(clip), output=str(tmp_path / "ref.npy"), cache=str(tmp_path / "c1"), chunk=4)
    run_to_end(render(ref, engines=eng))

    spec = JobSpec(input=str(clip), output=str(tmp_path / "out.npy"), cache=str(tmp_path / "c2"), chunk=4)
    gen = render(spec, engines=eng)
    for p in gen:
        if p.stage == "restore" and p.frame == 4:
            break
    gen.close()  # interrupted mid-way: no output, frames 0..4 cached
    assert not (tmp_path / "out.npy").exists()
    result = run_to_end(render(spec, engines=eng))
    # chunk [4, 8) is redone from its start (frame 4 was cached), then [8, 10)
    assert result.computed == 6 and result.from_cache == 4
    assert (tmp_path / "out.npy").read_bytes() == (tmp_path / "ref.npy").read_bytes()


def test_range_masks_and_no_detect(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=10)
    masks = tmp_path / "masks"
    masks.mkdir()
    m = np.zeros((48, 64), np.uint8)
    m[10:14, 20:30] = 255
    cv2.imwrite(str(masks / "000003.png"), m)
    spec = JobSpec(input=str(clip), output=str(tmp_path / "out.npy"), frame_range=(2, 6),
                   masks=str(masks), detect=False, report=str(tmp_path / "r.json"))
    result = run_to_end(render(spec, engines=eng))
    assert result.frames == 4
    out, src = np.load(tmp_path / "out.npy"), np.load(clip)
    assert out.shape[0] == 4
    assert np.array_equal(out[0], src[2]), "no detection, no mask: untouched"
    assert not np.array_equal(out[1][10:14, 20:30], src[3][10:14, 20:30])
    report = json.loads((tmp_path / "r.json").read_text())
    assert [i["frame"] for i in report["interventions"]] == [3]


def test_cancel_leaves_no_output(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=6)
    token = CancelToken()
    spec = JobSpec(input=str(clip), output=str(tmp_path / "out.npy"))
    gen = render(spec, cancel=token, engines=eng)
    next(gen)
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(gen)
    assert not (tmp_path / "out.npy").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.npy"]


def test_errors_are_one_line(tmp_path, eng):
    with pytest.raises(InputError, match="does not exist"):
        run_to_end(render(JobSpec(input=str(tmp_path / "nope.npy"), output=str(tmp_path / "o.npy")), engines=eng))
    clip = fakes.make_clip(tmp_path / "in.npy", frames=4)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        run_to_end(render(JobSpec(input=str(clip), output=str(blocker / "o.npy")), engines=eng))
    with pytest.raises(InputError, match="outside the reel"):
        run_to_end(render(JobSpec(input=str(clip), output=str(tmp_path / "o.npy"), frame_range=(2, 9)),
                          engines=eng))


def test_cache_ignores_entries_without_sidecar(tmp_path):
    cache = RenderCache(tmp_path)
    cache.put_frame(0, np.ones((4, 4, 3), np.uint16), [])
    (tmp_path / "frames" / "000001.npy").write_bytes(b"partial")
    assert cache.has_frame(0) and not cache.has_frame(1)
    assert cache.first_missing_frame(0, 3) == 1
    assert cache.frame(0).dtype == np.uint16
    mask = np.zeros((5, 7), bool)
    mask[1, 2] = True
    cache.put_detection(3, mask, [], (1.1, 0.0))
    got, defects, flicker = cache.detection(3)
    assert np.array_equal(got, mask) and flicker == (1.1, 0.0)


def test_project_clip_job_uses_clip_range_and_painted_masks(tmp_path, eng):
    from restoration_core.project import Project

    clip_path = fakes.make_clip(tmp_path / "reel.npy", frames=10)
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(clip_path, info={"frames": 10, "width": 64, "height": 48}, fixity=False)
    clip = project.add_clip(reel.id, 2, 6, settings={"engine": "temporal"})
    painted = np.zeros((48, 64), bool)
    painted[20:24, 30:40] = True
    project.masks.set(reel.id, 3, "painted", painted)
    project.save()
    spec = JobSpec(project=str(project.folder), clip=clip.id, output=str(tmp_path / "o.npy"), detect=False,
                   cache=str(tmp_path / "cache"))
    result = run_to_end(render(spec, engines=eng))
    assert result.frames == 4 and result.computed == 4
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert [i["frame"] for i in report["interventions"]] == [3]
    assert report["settings"] == {"engine": "temporal"}
    assert run_to_end(render(spec, engines=eng)).computed == 0
    project.masks.set(reel.id, 4, "painted", painted)
    project.save()
    assert run_to_end(render(spec, engines=eng)).computed == 4, "an edited mask invalidates the cache"
    with pytest.raises(InputError, match="no clip"):
        run_to_end(render(JobSpec(project=str(project.folder), clip="c9", output=str(tmp_path / "x.npy")),
                          engines=eng))


def test_model_is_loaded_once_and_pins_the_cache(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=4)
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights v1")
    spec = JobSpec(input=str(clip), output=str(tmp_path / "o.npy"), cache=str(tmp_path / "c"),
                   settings={"engine": "diffusion", "model": str(model), "steps": 5})
    assert run_to_end(render(spec, engines=eng)).computed == 4
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert report["model"]["sha256"] and {i["method"] for i in report["interventions"]} == {"diffusion"}
    assert run_to_end(render(spec, engines=eng)).computed == 0
    model.write_bytes(b"weights v2")
    assert run_to_end(render(spec, engines=eng)).computed == 4, "new weights, new frames"
    spec.settings = {"engine": "diffusion", "model": str(tmp_path / "absent")}
    with pytest.raises(InputError, match="no such model"):
        run_to_end(render(spec, engines=eng))


def test_a_job_that_must_not_overwrite_refuses_an_output_that_appeared_meanwhile(tmp_path, eng):
    clip = fakes.make_clip(tmp_path / "in.npy", frames=6)
    out = tmp_path / "out.npy"
    spec = JobSpec(input=str(clip), output=str(out), cache=str(tmp_path / "c"), overwrite=False, detect=False)
    task = render(spec, engines=eng)
    for p in task:
        if p.stage == "encode":
            out.write_bytes(b"another job's file")      # e.g. queued earlier to the same name
            break
    with pytest.raises(OutputError, match="refusing to overwrite"):
        for _ in task:
            pass
    assert out.read_bytes() == b"another job's file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary left"
    again = JobSpec.from_dict(spec.to_dict())
    assert again.overwrite is False
    with pytest.raises(OutputError, match="refusing to overwrite"):
        run_to_end(render(again, engines=eng))         # exists before the job starts: refused too


def test_freed_heap_goes_back_between_chunks(tmp_path, eng, monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "trim", lambda: calls.append(1) or True)
    clip = fakes.make_clip(tmp_path / "in.npy", frames=7)
    spec = JobSpec(input=str(clip), output=str(tmp_path / "out.npy"), chunk=3)  # chunks 0:3, 3:6, 6:7
    assert run_to_end(render(spec, engines=eng)).frames == 7
    assert len(calls) == 3  # before the second and the third chunk, and after the last (before the encode)


def test_heap_trim_works_on_this_system():
    assert heap.trim() is (sys.platform.startswith("linux") and heap._malloc_trim() is not None)
