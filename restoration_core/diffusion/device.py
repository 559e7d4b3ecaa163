"""Where diffusion runs: pick the device and dtype, measure free memory, survive CUDA OOM.

CUDA (bf16 where the GPU supports it, else fp16; diffusers' default SDPA attention),
then Apple MPS (fp16), else the CPU in float32. On a CUDA out-of-memory error the batch
is halved and retried; at batch 1 the work moves to the CPU with a clear message.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from restoration_core.errors import ModelError
from restoration_core.progress import Progress

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class DeviceChoice:
    """A torch device and the dtype model weights use on it."""

    device: torch.device
    dtype: torch.dtype

    @property
    def label(self) -> str:
        return f"{self.device.type} {str(self.dtype).removeprefix('torch.')}"


def pick_device(prefer: str | None = None) -> DeviceChoice:
    """The best device present (or ``prefer``: "cuda", "cuda:1", "mps", "cpu")."""
    name = prefer or os.environ.get("REELWRIGHT_DEVICE") or ""
    if not name:
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelError("CUDA was requested but no CUDA device is available")
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    elif device.type == "mps":
        dtype = torch.float16
    else:
        dtype = torch.float32
    return DeviceChoice(device, dtype)


def free_memory(device: torch.device) -> int:
    """Bytes available for weights and activations on ``device``."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def dtype_bytes(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _empty_cache() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def batched_with_oom_fallback(
    run_batch: Callable[[Sequence[T], torch.device], Generator[Progress, None, list[R]]],
    items: Sequence[T],
    batch_size: int,
    device: torch.device,
    to_cpu: Callable[[], Any] | None = None,
) -> Generator[Progress, None, list[R]]:
    """Run ``run_batch`` over ``items`` in batches, halving the batch on CUDA OOM.

    ``run_batch(chunk, device)`` is a progress generator returning one result per item.
    When a batch of one still does not fit, ``to_cpu()`` moves the model and the rest
    runs on the CPU; the switch is reported as a warning and a progress message.
    """
    results: list[R] = []
    size = max(1, int(batch_size))
    i = 0
    while i < len(items):
        chunk = items[i:i + size]
        try:
            out = yield from run_batch(chunk, device)
        except torch.cuda.OutOfMemoryError:
            _empty_cache()
            if size > 1:
                size = max(1, size // 2)
                log.warning("out of GPU memory: retrying with batches of %d", size)
                continue
            if device.type == "cpu":
                raise ModelError("out of memory even on the CPU with one window per batch") from None
            message = (f"out of {device.type.upper()} memory even with one window per batch: "
                       "continuing on the CPU (much slower)")
            warnings.warn(message, ResourceWarning, stacklevel=2)
            log.warning(message)
            yield Progress(i, len(items), stage="diffusion", message=message)
            device = torch.device("cpu")
            if to_cpu is not None:
                to_cpu()
            continue
        if len(out) != len(chunk):
            raise RuntimeError(f"batch returned {len(out)} results for {len(chunk)} items")
        results.extend(out)
        i += len(chunk)
    return results
