"""The Ray backend against a small local Ray instance started by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restoration_core.jobs.queue import DONE, FAILED, JobQueue
from restoration_core.jobs.spec import JobSpec
from tests.core.jobs import fakes

ray = pytest.importorskip("ray")
REPO = Path(__file__).resolve().parents[3]


@pytest.mark.cluster
@pytest.mark.timeout(240)
def test_jobs_run_as_ray_tasks_with_progress(tmp_path):
    from restoration_core.jobs.ray_backend import RayRunner

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        queue = JobQueue()
        jobs = []
        for n in range(2):
            clip = fakes.make_clip(tmp_path / f"c{n}.npy", frames=6, seed=n)
            jobs.append(queue.add(JobSpec(input=str(clip), output=str(tmp_path / f"o{n}.npy"))))
        gone = queue.add(JobSpec(input=str(tmp_path / "missing.npy"), output=str(tmp_path / "m.npy")))
        stages = set()
        queue.job_changed.connect(lambda job_id: stages.add(queue.get(job_id).stage))
        runner = RayRunner(queue, address=None, engines="tests.core.jobs.fakes")
        try:
            runner.run(timeout=180)
        finally:
            runner.shutdown()
        for job in jobs:
            assert queue.get(job.id).state == DONE
            assert np.load(job.spec.output).shape == (6, 48, 64, 3)
        assert queue.get(gone.id).state == FAILED and "does not exist" in queue.get(gone.id).error
        assert {"detect", "restore", "encode"} & stages, "progress streamed back"
    finally:
        ray.shutdown()
