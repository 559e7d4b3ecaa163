"""Files appear whole or not at all: write to a temporary name beside the target, then rename."""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
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


def check_replaceable(final: Path, folder: bool | None = None) -> None:
    """Refuse to replace anything but a regular file or a folder (never a device, FIFO, socket).

    ``folder``: whether the new content is a folder (then ``final`` must not be a file, and the
    reverse); None when not known yet.
    """
    try:
        st = os.lstat(final)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot use this path ({exc.strerror})", final) from None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return  # the link itself is replaced, never what it points to
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise OutputError("is not a regular file or folder (a device, FIFO or socket is never replaced)", final)
    if folder is False and stat.S_ISDIR(mode):
        raise OutputError("is an existing folder; give a file name", final)
    if folder is True and stat.S_ISREG(mode):
        raise OutputError("is a file, not a folder", final)


@contextmanager
def atomic_path(final: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path (file or folder) beside ``final``; rename it into place on success.

    On any exception (including cancellation) the temporary is removed and ``final`` is
    left exactly as it was. With ``overwrite=False`` an existing ``final`` is an error.
    Only a regular file or a folder is ever replaced; a replaced folder is first renamed
    aside, so a failure between the two renames leaves a ``.partial`` the next run removes.
    """
    final = Path(final)
    check_writable_folder(final.parent if str(final.parent) else Path("."))
    check_replaceable(final)
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
        is_dir = tmp.is_dir()
        check_replaceable(final, folder=is_dir)
        if is_dir and final.is_dir() and not final.is_symlink():
            old = partial_name(final)
            os.replace(final, old)
            os.replace(tmp, final)
            _remove(old)
        else:
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


def publish_together(primary: AbstractContextManager, texts: dict[Path, str]) -> None:
    """Publish an entered :func:`atomic_path` ``primary`` with the small text files (manifests) of ``texts``.

    The texts are written to their temporaries first; only then is the output renamed into
    place, and the manifests right after it. A failure before the output's rename leaves the
    old output and its old manifests as they were; none of the temporaries stays behind.
    """
    with ExitStack() as stack:
        try:
            for path in texts:
                check_replaceable(Path(path), folder=False)
            for path, text in texts.items():
                tmp = stack.enter_context(atomic_path(path))
                with open(tmp, "wb") as fh:
                    fh.write(text.encode("utf-8"))
                    fh.flush()
                    os.fsync(fh.fileno())
        except BaseException as exc:
            primary.__exit__(type(exc), exc, exc.__traceback__)
            raise
        primary.__exit__(None, None, None)
