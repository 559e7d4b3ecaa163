"""The Ray backend against a small local Ray instance started by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restoration_core.jobs.queue import DONE, FAILED, JobQueue
from restoration_core.render.spec import JobSpec
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


@pytest.mark.cluster
@pytest.mark.timeout(240)
def test_diffusion_jobs_take_a_whole_gpu_each(tmp_path):
    """With one (logical) GPU in the cluster, two diffusion jobs never run at the same time,
    while CPU jobs share the CPUs."""
    from restoration_core.jobs.ray_backend import RayRunner

    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        queue = JobQueue()
        model = tmp_path / "model.safetensors"
        model.write_bytes(b"weights")
        gpu = [queue.add(JobSpec(input=str(fakes.make_clip(tmp_path / f"g{n}.npy", frames=6, seed=n)),
                                 output=str(tmp_path / f"og{n}.npy"), detect=False,
                                 settings={"engine": "diffusion", "model": str(model), "delay": 0.15,
                                           "trace": str(tmp_path / f"trace{n}.txt")}))
               for n in range(2)]
        assert all(j.spec.needs_gpu for j in gpu)
        runner = RayRunner(queue, address=None, engines="tests.core.jobs.fakes")
        try:
            runner.run(timeout=180)
        finally:
            runner.shutdown()
        assert all(queue.get(j.id).state == DONE for j in gpu), [queue.get(j.id).error for j in gpu]
        spans = sorted((min(t), max(t)) for t in (
            [float(v) for v in (tmp_path / f"trace{n}.txt").read_text().split()] for n in range(2)))
        assert spans[1][0] > spans[0][1], f"the two diffusion jobs overlapped on one GPU: {spans}"
    finally:
        ray.shutdown()
