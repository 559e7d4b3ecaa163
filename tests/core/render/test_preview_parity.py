"""Preview = render: a frame's preview is bit-identical to that frame of the whole-clip render."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.media import open_reel
from restoration_core.progress import run_to_end
from restoration_core.render.engines import engines
from restoration_core.render.pipeline import clip_masks, clip_range, preview_frame, render, resolve
from restoration_core.render.spec import JobSpec
from restoration_core.sample import make_sample_reel

FRAMES = (2, 7, 8, 13)  # first frame, the end of a chunk, the start of the next, the last


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_reel(tmp_path_factory.mktemp("sample"), frames=16, size=(64, 48))


def _decoded(path):
    with open_reel(path) as reel:
        return np.stack([f.data for f in reel.frames()])


def _previews(spec, frames):
    eng = engines()
    job = resolve(spec, eng)
    with open_reel(job.input_path) as reel:
        masks = clip_masks(job, reel, clip_range(reel, job.frame_range, job.input_path))
        detect = job.detect_settings if spec.detect else None
        return {i: run_to_end(preview_frame(reel, i, masks, job.settings, detect_settings=detect, chunk=spec.chunk,
                                            engines=eng)) for i in frames}


@pytest.mark.parametrize("engine", ["temporal", "classical"])
@pytest.mark.parametrize("detect", [True, False])
def test_preview_is_the_render(sample, tmp_path, engine, detect):
    spec = JobSpec(input=str(sample), output=str(tmp_path / "out.mkv"), preset="master", frame_range=(2, 14),
                   detect=detect, masks=None if detect else str(sample.parent / "masks"), chunk=6,
                   settings={"engine": engine, "grain": True, "deflicker": detect, "seed": 5})
    result = run_to_end(render(spec))
    assert result.interventions > 0
    out = _decoded(tmp_path / "out.mkv")
    for i, restored in _previews(spec, FRAMES).items():
        assert restored.index == i and restored.interventions, f"frame {i} has repairs"
        differ = int(np.count_nonzero(np.any(restored.data != out[i - 2], axis=-1)))
        assert differ == 0, f"{engine}, detect={detect}: {differ} pixels of frame {i} differ from the render"


def test_preview_is_the_render_with_frames_rebuilt(sample, tmp_path):
    spec = JobSpec(input=str(sample), output=str(tmp_path / "out.mkv"), preset="master", frame_range=(2, 14),
                   chunk=6, settings={"engine": "temporal", "rebuild": [9]})
    run_to_end(render(spec))
    out = _decoded(tmp_path / "out.mkv")
    for i, restored in _previews(spec, (8, 9, 10)).items():
        assert np.array_equal(restored.data, out[i - 2]), f"frame {i}"
