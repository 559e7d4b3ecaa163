"""Device choice and the CUDA out-of-memory strategy (halve the batch, then the CPU)."""

from __future__ import annotations

import pytest
import torch

from restoration_core.diffusion.device import batched_with_oom_fallback, free_memory, pick_device
from restoration_core.errors import ModelError
from restoration_core.progress import Progress, run_to_end


def test_pick_device_cpu():
    choice = pick_device("cpu")
    assert choice.device.type == "cpu" and choice.dtype == torch.float32
    assert pick_device().device.type in ("cpu", "cuda", "mps")
    assert free_memory(torch.device("cpu")) > 0


def _fake(max_batch_on_gpu: int | None, calls: list):
    def run(chunk, device):
        calls.append((device.type, len(chunk)))
        if device.type == "cuda" and (max_batch_on_gpu is None or len(chunk) > max_batch_on_gpu):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (fake)")
        yield Progress(1, 1, stage="diffusion")
        return [x * 10 for x in chunk]
    return run


def test_oom_halves_the_batch_and_keeps_order():
    calls: list = []
    out = run_to_end(batched_with_oom_fallback(_fake(2, calls), list(range(7)), 8, torch.device("cuda")))
    assert out == [x * 10 for x in range(7)]
    assert calls[:3] == [("cuda", 7), ("cuda", 4), ("cuda", 2)]
    assert all(n <= 2 for d, n in calls[3:])


def test_oom_at_batch_one_falls_back_to_cpu_with_a_message():
    calls: list = []
    moved = []
    gen = batched_with_oom_fallback(_fake(None, calls), [1, 2, 3], 2, torch.device("cuda"),
                                    to_cpu=lambda: moved.append(True))
    messages = []
    with pytest.warns(ResourceWarning, match="continuing on the CPU"):
        try:
            while True:
                messages.append(next(gen).message)
        except StopIteration as stop:
            out = stop.value
    assert out == [10, 20, 30] and moved == [True]
    assert any("CPU" in m for m in messages)
    assert calls[:3] == [("cuda", 2), ("cuda", 1), ("cpu", 1)]


def test_oom_on_cpu_is_a_clear_error():
    def run(chunk, device):
        raise torch.cuda.OutOfMemoryError("fake")
        yield  # pragma: no cover

    with pytest.raises(ModelError, match="out of memory even on the CPU"):
        run_to_end(batched_with_oom_fallback(run, [1], 1, torch.device("cpu")))
