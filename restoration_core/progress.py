"""Progress reports and cooperative cancellation shared by every long-running task.

Long work in the engine is a generator that yields :class:`Progress` after each frame or
diffusion step. The caller (CLI, GUI worker, job process, Ray task) drives the generator,
shows progress, and stops it either by closing the generator or through a
:class:`CancelToken` the work checks between steps.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from restoration_core.errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class RenderStats:
    """How fast a render goes: frames per second, seconds left, frames restored and from the cache."""

    fps: float = 0.0
    eta_s: float | None = None
    computed: int = 0
    cached: int = 0


@dataclass(frozen=True)
class Progress:
    """One step of a long task: ``done`` of ``total`` units in ``stage``.

    ``payload`` carries the step's result where the consumer needs it (a detected frame,
    a restored frame); it is ``None`` for pure progress ticks. ``stats`` is a render's
    speed (:class:`RenderStats`), never mixed into ``payload``.
    """

    done: int
    total: int
    stage: str = ""
    frame: int | None = None
    message: str = ""
    payload: Any = None
    stats: RenderStats | None = None

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


class CancelToken:
    """A thread- and signal-safe flag that long work checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()


def run_to_end(task: Iterator[Progress] | Generator[Progress, None, T]) -> T | None:
    """Drive a progress generator to completion and return its return value (if any)."""
    try:
        while True:
            next(task)
    except StopIteration as stop:
        return stop.value
