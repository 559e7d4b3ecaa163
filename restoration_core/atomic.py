"""Files appear whole or not at all: write to a temporary name beside the target, then rename."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from restoration_core.errors import OutputError


def check_writable_folder(folder: Path) -> None:
    """Raise :class:`OutputError` naming ``folder`` if files cannot be created in it."""
    folder = Path(folder)
    if not folder.exists():
        raise OutputError("output folder does not exist", folder)
    if not folder.is_dir():
        raise OutputError("output location is not a folder", folder)
    probe = folder / f".reelwright-write-test-{uuid.uuid4().hex[:8]}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"output folder is not writable ({exc.strerror or exc})", folder) from None


def partial_name(final: Path) -> Path:
    """A hidden temporary sibling of ``final`` that keeps its extension (encoders look at it)."""
    final = Path(final)
    return final.with_name(f".{final.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{final.suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def atomic_path(final: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path (file or folder) beside ``final``; rename it into place on success.

    On any exception (including cancellation) the temporary is removed and ``final`` is
    left exactly as it was. With ``overwrite=False`` an existing ``final`` is an error.
    """
    final = Path(final)
    check_writable_folder(final.parent if str(final.parent) else Path("."))
    if final.exists() and not overwrite:
        raise OutputError("already exists (refusing to overwrite)", final)
    tmp = partial_name(final)
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError("nothing was written", final)
        if not overwrite and (final.exists() or final.is_symlink()):
            # another job (or program) made it while this one was being written
            raise OutputError("appeared while this output was being written (refusing to overwrite)", final)
        if tmp.is_dir() and final.exists():
            _remove(final)
        os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise


def atomic_write_bytes(final: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``final`` atomically (fsynced before the rename)."""
    final = Path(final)
    with atomic_path(final) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return final


def atomic_write_text(final: str | Path, text: str) -> Path:
    return atomic_write_bytes(final, text.encode("utf-8"))
