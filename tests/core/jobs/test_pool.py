"""WorkerPool: many jobs, cancel, crash isolation, resume after kill -9, a vanished input."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from restoration_core.jobs.pool import WorkerPool, describe_exit
from restoration_core.jobs.queue import CANCELLED, DONE, FAILED, QUEUED, JobQueue
from restoration_core.progress import run_to_end
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from tests.core.jobs import fakes

ENGINES = "tests.core.jobs.fakes"


def _spec(tmp_path, name, frames=8, **kw):
    clip = tmp_path / f"{name}.npy"
    if not clip.exists():
        fakes.make_clip(clip, frames=frames, seed=hash(name) % 1000)
    return JobSpec(input=str(clip), output=str(tmp_path / f"{name}-out.npy"), name=name, **kw)


def _wait(pool, cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not cond():
        pool.poll()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_twenty_jobs_complete_and_queue_persists(tmp_path):
    queue = JobQueue(tmp_path / "queue.json")
    changes = []
    queue.job_changed.connect(changes.append)
    specs = [_spec(tmp_path, f"clip{n:02d}", frames=6) for n in range(20)]
    for s in specs:
        queue.add(s)
    with WorkerPool(queue, workers=2, gpus=0, engines=ENGINES) as pool:
        pool.run(timeout=100)
    assert queue.counts()[DONE] == 20
    for s in specs:
        assert np.load(s.output).shape == (6, 48, 64, 3)
        assert queue.get(s.id).result["frames"] == 6
    assert changes, "the model emitted progress events"
    reloaded = JobQueue(tmp_path / "queue.json")
    assert [j.state for j in reloaded.jobs] == [DONE] * 20


def test_cancel_mid_way_vanished_input_and_a_segfaulting_worker(tmp_path):
    queue = JobQueue()
    slow = queue.add(_spec(tmp_path, "slow", frames=30, settings={"delay": 0.1}))
    gone = _spec(tmp_path, "gone")
    os.remove(gone.input)
    gone_job = queue.add(gone)
    ok = queue.add(_spec(tmp_path, "ok"))
    crash = queue.add(_spec(tmp_path, "crash", settings={"segfault_at": 2}))
    after = queue.add(_spec(tmp_path, "after"))
    with WorkerPool(queue, workers=2, gpus=0, engines=ENGINES) as pool:
        _wait(pool, lambda: queue.get(slow.id).stage == "restore" and queue.get(slow.id).done > 32)
        queue.cancel(slow.id)
        pool.run(timeout=60)
    assert queue.get(slow.id).state == CANCELLED
    assert not os.path.exists(slow.spec.output)
    assert queue.get(gone_job.id).state == FAILED
    assert "input does not exist" in queue.get(gone_job.id).error
    assert queue.get(ok.id).state == DONE
    assert queue.get(crash.id).state == FAILED and "SIGSEGV" in queue.get(crash.id).error
    assert queue.get(after.id).state == DONE, "a fresh worker replaced the crashed one"


def test_hard_kill_after_grace_period(tmp_path):
    queue = JobQueue()
    stuck = queue.add(_spec(tmp_path, "stuck", frames=3, detect=False, settings={"stall_at": 1}))
    with WorkerPool(queue, workers=1, gpus=0, engines=ENGINES, grace_s=0.3) as pool:
        _wait(pool, lambda: queue.get(stuck.id).stage == "restore")
        queue.cancel(stuck.id)
        _wait(pool, lambda: queue.get(stuck.id).state == CANCELLED, timeout=20)
        assert "grace period" in queue.get(stuck.id).log[-1]
        follow = queue.add(_spec(tmp_path, "follow", frames=3))
        pool.run(timeout=60)
    assert queue.get(follow.id).state == DONE, "a fresh worker took the slot"


def test_kill9_worker_then_retry_resumes_bit_identical(tmp_path, monkeypatch):
    counter = tmp_path / "count.txt"
    monkeypatch.setenv(fakes.COUNTER_ENV, str(counter))
    frames = 16
    ref = _spec(tmp_path, "clip", frames=frames, settings={"delay": 0.05}, chunk=4)
    ref.output = str(tmp_path / "reference.npy")
    run_to_end(render(ref, engines=fakes.engines()))
    counter.unlink()

    queue = JobQueue(tmp_path / "q.json")
    job = queue.add(_spec(tmp_path, "clip", frames=frames, settings={"delay": 0.05}, chunk=4))
    other = queue.add(_spec(tmp_path, "other", frames=4))
    with WorkerPool(queue, workers=2, gpus=0, engines=ENGINES) as pool:
        _wait(pool, lambda: queue.get(job.id).stage == "restore" and queue.get(job.id).done >= frames + 6)
        os.kill(pool.worker_pid(job.id), signal.SIGKILL)
        _wait(pool, lambda: queue.get(job.id).state == FAILED)
        assert "signal 9" in queue.get(job.id).error
        assert not os.path.exists(job.spec.output)
        queue.retry(job.id)
        assert queue.get(job.id).state == QUEUED
        pool.run(timeout=60)
    assert queue.get(other.id).state == DONE
    done = queue.get(job.id)
    assert done.state == DONE and done.attempts == 2
    assert 0 < done.result["computed"] < frames
    assert done.result["computed"] + done.result["from_cache"] == frames
    restored = [int(x) for x in counter.read_text().split()]
    assert len(restored) < 2 * frames, "the second attempt did not start over"
    with open(job.spec.output, "rb") as a, open(ref.output, "rb") as b:
        assert a.read() == b.read()


@pytest.mark.parametrize("code, text", [(-9, "signal 9 (SIGKILL: killed, or out of memory)"), (-11, "SIGSEGV"),
                                        (3, "code 3")])
def test_describe_exit(code, text):
    assert text in describe_exit(code)


def test_diffusion_jobs_go_to_the_gpu_worker(tmp_path, monkeypatch):
    from restoration_core.jobs.pool import gpu_count

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert gpu_count() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu_count() == 0
    queue = JobQueue()
    cpu_jobs = [queue.add(_spec(tmp_path, f"cpu{n}", frames=4, settings={"engine": "temporal"})) for n in range(2)]
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights")
    gpu_jobs = [queue.add(_spec(tmp_path, f"gpu{n}", frames=4, settings={"engine": "diffusion", "model": str(model)}))
                for n in range(2)]
    with WorkerPool(queue, workers=1, gpus=1, engines=ENGINES) as pool:
        assert [s.name for s in pool.slots] == ["gpu0", "cpu0"]
        pool.run(timeout=60)
    for job in gpu_jobs:
        assert queue.get(job.id).state == DONE
        assert "started on gpu0" in queue.get(job.id).log[0], "diffusion work only on the GPU worker"
    assert all(queue.get(j.id).state == DONE for j in cpu_jobs)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it counts as stopped)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_stop_when_the_pool_process_dies(tmp_path):
    import subprocess
    import sys
    import textwrap

    spec = _spec(tmp_path, "orphan", frames=60, settings={"delay": 0.1})
    script = textwrap.dedent(f"""
        import sys, time
        from restoration_core.jobs.pool import WorkerPool
        from restoration_core.jobs.queue import JobQueue
        from restoration_core.render.spec import JobSpec
        if __name__ == "__main__":
            queue = JobQueue()
            job = queue.add(JobSpec.from_dict({spec.to_dict()!r}))
            pool = WorkerPool(queue, workers=1, gpus=0, engines={ENGINES!r})
            while queue.get(job.id).stage != "restore":
                pool.poll()
                time.sleep(0.02)
            print(pool.worker_pid(job.id), flush=True)
            time.sleep(60)
    """)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=repo)
    try:
        worker = int(proc.stdout.readline())
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not _alive(worker):
                break
            time.sleep(0.1)
        else:
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the orphaned worker kept running")
    finally:
        proc.kill()
    assert not os.path.exists(spec.output)


def test_shutdown_requeues_running_jobs_and_a_new_pool_resumes_them(tmp_path):
    path = tmp_path / "queue.json"
    queue = JobQueue(path)
    job = queue.add(_spec(tmp_path, "long", frames=16, settings={"delay": 0.05}, chunk=4))
    pool = WorkerPool(queue, workers=1, gpus=0, engines=ENGINES)
    _wait(pool, lambda: queue.get(job.id).stage == "restore" and queue.get(job.id).done >= 16 + 6)
    pool.shutdown()
    assert queue.get(job.id).state == QUEUED and "pool shut down" in queue.get(job.id).log[-1]
    again = JobQueue(path)  # as the next session finds it
    with WorkerPool(again, workers=1, gpus=0, engines=ENGINES) as pool:
        pool.run(timeout=60)
    result = again.get(job.id).result
    assert again.get(job.id).state == DONE and result["from_cache"] >= 4 and result["computed"] < 16
