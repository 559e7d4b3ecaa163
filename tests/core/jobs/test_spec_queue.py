"""Job files, job specs and the persisted job queue."""

from __future__ import annotations

import json

import pytest

from restoration_core.errors import InputError
from restoration_core.jobs.queue import CANCELLED, FAILED, QUEUED, RUNNING, JobQueue
from restoration_core.render.spec import JobSpec, load_job_file, parse_range


def test_toml_job_file_with_defaults_and_relative_paths(tmp_path):
    (tmp_path / "jobs.toml").write_text(
        '[defaults]\npreset = "access"\nengine = "temporal"\n\n'
        '[[job]]\ninput = "a.mov"\noutput = "out/a.mov"\nrange = "10:20"\n\n'
        '[[job]]\ninput = "/abs/b"\noutput = "b.mov"\ndetect = false\nseed = 3\nmasks = "m"\n'
    )
    a, b = load_job_file(tmp_path / "jobs.toml")
    assert a.input == str(tmp_path / "a.mov") and a.output == str(tmp_path / "out/a.mov")
    assert a.frame_range == (10, 20) and a.preset == "access" and a.settings == {"engine": "temporal"}
    assert b.input == "/abs/b" and not b.detect and b.settings == {"engine": "temporal", "seed": 3}
    assert b.masks == str(tmp_path / "m")


def test_json_job_file_and_errors(tmp_path):
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"jobs": [{"input": "x.mkv", "output": "y.mov", "settings": {"engine": "classical"}}]}))
    (spec,) = load_job_file(path)
    assert spec.settings["engine"] == "classical" and not spec.needs_gpu
    for body, message in [
        ("{", "not a valid job file"),
        (json.dumps({"jobs": []}), "no jobs listed"),
        (json.dumps({"jobs": [{"input": "x", "output": "y", "colour": 1}]}), "job 1: unknown setting 'colour'"),
        (json.dumps({"jobs": [{"input": "x"}]}), "no output"),
        (json.dumps({"jobs": [{"input": "x", "output": "y", "preset": "gif"}]}), "unknown preset"),
        (json.dumps({"jobs": [{"input": "x", "output": "y", "engine": "diffusion"}]}), "needs a model"),
    ]:
        path.write_text(body)
        with pytest.raises(InputError, match=message):
            load_job_file(path)
    with pytest.raises(InputError, match="cannot read"):
        load_job_file(tmp_path / "absent.toml")


def test_spec_round_trip_gpu_and_cache_key(tmp_path):
    spec = JobSpec(input="a", output="b", frame_range=(1, 5), settings={"engine": "diffusion", "model": "m"})
    again = JobSpec.from_dict(spec.to_dict())
    assert again == spec and spec.needs_gpu
    assert not JobSpec(input="a", output="b", settings={"engine": "auto", "model": "m"}).needs_gpu
    assert again.cache_key() == spec.cache_key()
    other = JobSpec.from_dict({**spec.to_dict(), "settings": {"engine": "temporal"}})
    assert other.cache_key() != spec.cache_key(), "settings change the cached frames"
    same_pixels = JobSpec.from_dict({**spec.to_dict(), "preset": "access", "output": "c"})
    assert same_pixels.cache_key() == spec.cache_key(), "the preset does not"
    assert parse_range("3:") == (3, -1)
    with pytest.raises(InputError):
        parse_range("x")


def test_queue_states_persist_and_running_jobs_requeue(tmp_path):
    path = tmp_path / "queue.json"
    queue = JobQueue(path)
    added = []
    queue.job_added.connect(added.append)
    a = queue.add(JobSpec(input="a", output="oa"))
    b = queue.add(JobSpec(input="b", output="ob"))
    c = queue.add(JobSpec(input="c", output="oc"))
    assert added == [a.id, b.id, c.id]
    queue.mark_running(a.id, "cpu0")
    queue.update_progress(a.id, 5, 10, "restore", 2.0, 2.5, "generative 3/20")
    assert queue.get(a.id).step == "generative 3/20" and queue.get(a.id).fraction == 0.5
    queue.cancel(b.id)
    assert queue.get(b.id).state == CANCELLED
    queue.mark_running(c.id)
    queue.mark_failed(c.id, "worker process killed by signal 9 (SIGKILL)")
    reloaded = JobQueue(path)
    assert [j.state for j in reloaded.jobs] == [QUEUED, CANCELLED, FAILED]
    assert "interrupted" in reloaded.get(a.id).log[-1]
    reloaded.retry(c.id)
    assert reloaded.get(c.id).state == QUEUED and reloaded.get(c.id).error == ""
    reloaded.mark_running(a.id)
    reloaded.cancel(a.id)
    assert reloaded.get(a.id).state == RUNNING and reloaded.get(a.id).cancel_requested
    with pytest.raises(InputError):
        reloaded.remove(a.id)
    reloaded.remove(b.id)
    assert len(reloaded) == 2 and b.id not in reloaded
    path.write_text("{")
    with pytest.raises(InputError, match="job queue"):
        JobQueue(path)


def test_real_engine_settings_errors_are_input_errors():
    from restoration_core.render.engines import detect_settings, restore_settings

    assert detect_settings({"sensitivity": 0.7}).sensitivity == 0.7
    with pytest.raises(InputError, match="sensitivity"):
        detect_settings({"sensitivity": 3})
    with pytest.raises(InputError, match="unknown setting 'not_a_setting'"):
        detect_settings({"sensitivity": 0.7, "not_a_setting": 1})
    assert restore_settings({"feather": 2}).feather == 2
    with pytest.raises(InputError, match="unknown setting 'feathr'"):
        restore_settings({"feathr": 2})


@pytest.mark.parametrize("bad", [[0.5, 2], [True, 4], [3, 3], [5, 2], [-1, 4], [1], "1:4:5", None])
def test_job_file_frame_range_is_whole_frames_or_refused(bad):
    entry = {"input": "a.mkv", "output": "b.mkv", "frame_range": bad}
    if bad is None:  # no range: the whole reel
        assert JobSpec.from_dict(entry).frame_range is None
        return
    with pytest.raises(InputError, match="frame range|frame_range"):
        JobSpec.from_dict(entry)


def test_job_file_frame_range_keeps_whole_numbers_and_an_open_end():
    assert JobSpec.from_dict({"input": "a", "output": "b", "frame_range": [2, 9]}).frame_range == (2, 9)
    assert JobSpec.from_dict({"input": "a", "output": "b", "frame_range": "4:"}).frame_range == (4, -1)
