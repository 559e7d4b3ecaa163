"""The output-safety policy: every path a command will write is checked before anything is written.

A command (or the workbench) states its inputs and every path it will write (outputs, fixity
manifests, reports, HTML pages, masks, caches, priors, review renders) and calls
:func:`plan_outputs`. Each path is resolved (symbolic links included) and refused when

- it is an input, is inside an input's sequence or mask folder, holds an input, or is the
  same file as an input through a hard link;
- it is the same path as another output of the command, or inside another output's folder;
- it exists and is not a regular file or a folder (a device, FIFO or socket is never replaced),
  is a symbolic link, is read-only, or is a folder holding files Reelwright did not write;
- its folder is missing, not a folder, or read-only (a folder without write bits is honoured
  even for root: archives mark their shelves that way).

The plan then locks every output for the duration of the write (:mod:`filelock`, lock files in
the user cache folder, never beside the output), so a second run writing the same output
stops at once with a clear message instead of racing the first; and it removes the hidden
``.NAME.partial-*`` leftovers that a killed run of the same output left beside it.

Publishing an output together with its manifests is done by the writers inside the lock
(:func:`restoration_core.atomic.atomic_path` entries renamed one after the other), so a
concurrent run can never pair one run's file with another run's ``.sha256``.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from restoration_core.errors import OutputError
from restoration_core.paths import cache_dir

_PRINTF = re.compile(r"%0?\d*d")
_IMAGE_EXTENSIONS = (".dpx", ".tif", ".tiff", ".png", ".exr")
_PARTIAL = re.compile(r"\.partial-(?P<pid>\d+)-[0-9a-f]{8}")
_OLD = re.compile(r"\.old-[0-9a-f]{8}$")


@dataclass(frozen=True)
class Target:
    """One path a command will write.

    ``folder``: the output is a folder (an image sequence, a prior, a masks folder).
    ``merge``: files are added into the folder and only those named in ``replaces`` may be
    replaced (masks: other frames' masks are kept). ``ours(entry)`` says whether an existing
    entry of a replaced folder (or a file ``merge`` replaces) is Reelwright's own and may go.
    ``parents``: missing parent folders may be created. ``manifest``: this is the fixity
    manifest (``.framemd5``/``.sha256``) of another target; any other target named like a
    manifest of an existing file is refused (it would orphan that file's fixity).
    """

    path: str | Path
    what: str = "output"
    folder: bool = False
    merge: bool = False
    ours: Callable[[Path], bool] | None = None
    replaces: Sequence[str] = ()
    parents: bool = False
    manifest: bool = False


def manifest_targets(output: str | Path, what: str = "output") -> list[Target]:
    """The fixity manifests written beside ``output``: ``OUTPUT.framemd5`` and ``OUTPUT.sha256``."""
    out = Path(output)
    return [Target(out.with_name(out.name + ".framemd5"), f"{what}'s .framemd5 manifest", manifest=True),
            Target(out.with_name(out.name + ".sha256"), f"{what}'s .sha256 manifest", manifest=True)]


def export_targets(output: str | Path, sequence: bool, what: str = "output") -> list[Target]:
    """An export's output (a file, or the folder of a sequence) and its two manifests."""
    out = Path(output)
    if not str(output).strip() or out.name in ("", ".", ".."):
        return [Target(output, what, folder=sequence)]  # refused by plan_outputs with a clear line
    if sequence:
        folder = out.parent if _PRINTF.search(out.name) else out
        if _PRINTF.search(out.name) and not str(out.parent).strip(".") :
            raise OutputError(f"{what}: a sequence pattern needs its own folder (e.g. out/{out.name})", out)
        return [Target(folder, f"{what} folder", folder=True, ours=listed_in_manifest(folder)),
                *manifest_targets(folder, what)]
    return [Target(out, what), *manifest_targets(out, what)]


def render_targets(output: str | Path, sequence: bool, report: str | Path, html: str | Path,
                   review: str | Path | None = None, cache: str | Path | None = None) -> list[Target]:
    """Everything a restore writes: the output and its manifests, the report and its HTML page,
    the review render (with its manifests) and the render-cache folder (files added to it)."""
    targets = [*export_targets(output, sequence), Target(report, "report"), Target(html, "report's HTML page")]
    if review is not None:
        targets += export_targets(review, False, "review render")
    if cache is not None:
        targets.append(Target(cache, "render cache", folder=True, merge=True, parents=True))
    return targets


def listed_in_manifest(folder: str | Path) -> Callable[[Path], bool]:
    """Entries of a sequence folder that its own ``FOLDER.sha256`` (written by us) lists."""
    folder = Path(folder)
    manifest = folder.with_name(folder.name + ".sha256")
    names: set[str] = set()
    try:
        for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("  ", 1)
            if len(parts) == 2 and "/" in parts[1]:
                names.add(parts[1].split("/", 1)[1].strip())
    except OSError:
        pass
    return lambda entry: entry.name in names


def is_mask_png(path: Path) -> bool:
    """Whether ``path`` looks like a mask Reelwright writes: a single-channel (gray) PNG."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(26)
    except OSError:
        return False
    return len(head) >= 26 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[25] == 0  # colour type 0: gray


def sequence_folder(path: str | Path) -> Path | None:
    """The folder whose files make up an input given as a folder, printf pattern or image file."""
    p = Path(path)
    if p.is_dir():
        return p
    if _PRINTF.search(p.name) or p.suffix.lower() in _IMAGE_EXTENSIONS:
        return p.parent if str(p.parent) else Path(".")
    return None


def _folder(what: str) -> str:
    return what if what.endswith("folder") else f"{what} folder"


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(child: Path, folder: Path) -> bool:
    return child != folder and folder in child.parents


def file_kind(mode: int) -> str:
    """Words for a file that is not a regular file or folder (a device, FIFO, socket)."""
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_only(st: os.stat_result) -> bool:
    return not st.st_mode & 0o222


@dataclass(frozen=True)
class _Input:
    given: Path
    real: Path
    folder: Path | None  # its sequence / mask folder (real), if the input is a set of files


class OutputPlan:
    """The checked outputs of one command; ``with plan:`` locks them and cleans old leftovers."""

    def __init__(self, command: str, targets: list[tuple[Target, Path]]):
        self.command = command
        self.targets = targets
        self._locks: list[FileLock] = []

    @property
    def paths(self) -> list[Path]:
        return [real for _, real in self.targets]

    def __enter__(self) -> OutputPlan:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Lock every output (fails at once if another run holds one), then clean its leftovers."""
        folder = cache_dir() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            for real in sorted({r for _, r in self.targets}):
                lock = FileLock(folder / (hashlib.sha256(str(real).encode()).hexdigest()[:32] + ".lock"))
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    raise OutputError("is being written by another Reelwright run; "
                                      "run this again when that one has finished", real) from None
                self._locks.append(lock)
                os.utime(lock.lock_file)  # in use: prune_locks leaves it for another LOCK_MAX_AGE_S
        except BaseException:
            self.release()
            raise
        prune_locks(folder)
        for _, real in self.targets:
            remove_leftovers(real)

    def release(self) -> None:
        while self._locks:
            self._locks.pop().release()


LOCK_MAX_AGE_S = 7 * 24 * 3600


def prune_locks(folder: Path, max_age_s: float = LOCK_MAX_AGE_S) -> list[Path]:
    """Delete lock files nobody has used for ``max_age_s`` (one was left per output ever written).

    A lock is taken (without waiting) before it is unlinked, so one held by a running write is
    kept; a lock is touched whenever it is taken, so only long-unused ones are old enough to go.
    """
    removed = []
    cutoff = time.time() - max_age_s
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".lock") and e.is_file()]
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.stat().st_mtime > cutoff:
                continue
            lock = FileLock(entry.path)
            lock.acquire(timeout=0)
        except (OSError, Timeout):
            continue
        try:
            if os.stat(entry.path).st_mtime <= cutoff:  # not taken and touched meanwhile
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
        finally:
            lock.release()
    return removed


def remove_leftovers(final: Path) -> list[Path]:
    """Remove ``.NAME.partial-PID-*`` (and ``.NAME.old-*``) left beside ``final`` by a killed run.

    A partial whose process is still alive is kept (it is someone's write in progress).
    """
    final = Path(final)
    parent = final.parent
    if not parent.is_dir():
        return []
    removed = []
    stem, suffix = final.stem, final.suffix
    patterns = {glob.escape(str(parent / f".{stem}.partial-")) + "*" + glob.escape(suffix),
                glob.escape(str(parent / f".{final.name}.old-")) + "*"}
    for pattern in patterns:
        for hit in glob.glob(pattern):
            path = Path(hit)
            m = _PARTIAL.search(path.name)
            if m is not None:
                if path.name != f".{stem}{m.group(0)}{suffix}" or _alive(int(m["pid"])):
                    continue
            elif not _OLD.search(path.name):
                continue
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def _describe_input(path: str | Path) -> _Input:
    given = Path(path)
    folder = sequence_folder(given)
    return _Input(given, _real(given), _real(folder) if folder is not None else None)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _hardlinked_input(real: Path, st: os.stat_result, inputs: list[_Input]) -> Path | None:
    """The input that ``real`` (an existing file with several links) is another name of."""
    if st.st_nlink < 2:
        return None
    for i in inputs:
        candidates = [i.real]
        if i.folder is not None and i.folder.is_dir():
            try:
                candidates += [Path(e.path) for e in os.scandir(i.folder) if e.is_file(follow_symlinks=False)]
            except OSError:
                pass
        for c in candidates:
            try:
                cst = os.stat(c)
            except OSError:
                continue
            if (cst.st_dev, cst.st_ino) == (st.st_dev, st.st_ino):
                return i.given if c == i.real else Path(c)
    return None


def _check_parent(target: Target, real: Path) -> None:
    parent = real.parent
    while not parent.exists():
        if not target.parents:
            raise OutputError(f"the folder for the {target.what} does not exist", parent)
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"the folder for the {target.what} is not a folder", parent)
    try:
        st = os.stat(parent)
    except OSError as exc:
        raise OutputError(f"cannot use the folder for the {target.what} ({exc.strerror})", parent) from None
    if _read_only(st) or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"the folder for the {target.what} is read-only", parent)


def _foreign_entries(target: Target, real: Path) -> list[str]:
    try:
        entries = sorted(os.scandir(real), key=lambda e: e.name)
    except OSError as exc:
        raise OutputError(f"cannot list the {target.what} folder ({exc.strerror})", real) from None
    if target.merge:
        names = set(target.replaces)
        entries = [e for e in entries if e.name in names]
    ours = target.ours or (lambda _entry: False)
    foreign = []
    for e in entries:
        if e.name.startswith(".") and _PARTIAL.search(e.name):
            continue
        if not (e.is_file(follow_symlinks=False) and ours(Path(e.path))):
            foreign.append(e.name)
    return foreign


def _check_existing(target: Target, given: Path, real: Path) -> None:
    try:
        lst = os.lstat(given)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot use this {target.what} path ({exc.strerror})", given) from None
    if stat.S_ISLNK(lst.st_mode) and not target.merge:
        raise OutputError(f"{target.what} is a symbolic link (to {os.readlink(given)}); Reelwright "
                          "replaces only regular files and folders", given)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        if stat.S_ISLNK(lst.st_mode):
            raise OutputError(f"{target.what} is a dangling symbolic link", given) from None
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise OutputError(f"{target.what} is {file_kind(st.st_mode)}; Reelwright replaces only regular files "
                          "and folders", given)
    if target.folder:
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{target.what} must be a folder but is a file", given)
        if real == _real(Path.cwd()) and not target.merge:
            raise OutputError(f"{target.what} would replace the working folder; name a new folder", given)
        if _read_only(st):
            raise OutputError(f"{target.what} is read-only", given)
        foreign = _foreign_entries(target, real)
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            if target.merge:
                text = f"{target.what} would replace files Reelwright did not write"
            else:
                text = f"{target.what} is not empty: it holds files Reelwright did not write"
            raise OutputError(f"{text} ({', '.join(foreign[:3])}{more}); refusing to touch them", given)
        return
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{target.what} is an existing folder; give a file name", given)
    if _read_only(st):
        raise OutputError(f"{target.what} is read-only; refusing to replace it", given)


def plan_outputs(command: str, inputs: Iterable[str | Path | None],
                 targets: Iterable[Target | None]) -> OutputPlan:
    """Check every path ``command`` will write against its inputs and each other (OutputError).

    Nothing is written by the checks. Use the result as ``with plan:`` around the writes.
    """
    ins = [_describe_input(p) for p in inputs if p is not None and str(p) != ""]
    checked: list[tuple[Target, Path]] = []
    for target in targets:
        if target is None:
            continue
        text = str(target.path)
        if not text.strip():
            raise OutputError(f"{command}: the {target.what} path is empty")
        given = Path(text)
        if given.name in ("", ".", "..") and not target.merge:
            raise OutputError(f"{target.what} path names no file or folder", given)
        real = _real(given)
        for i in ins:
            if real == i.real or _same_file(real, i.real):
                raise OutputError(f"{target.what} is the input {i.given} (Reelwright never writes its inputs)",
                                  given)
            if i.folder is not None and (real == i.folder or _inside(real, i.folder)):
                raise OutputError(f"{target.what} is inside the input folder {i.folder} "
                                  "(Reelwright never writes into its inputs)", given)
            if _inside(i.real, real):
                raise OutputError(f"{_folder(target.what)} holds the input {i.given}", given)
        for other, oreal in checked:
            if real == oreal:
                raise OutputError(f"the {target.what} and the {other.what} are the same path", given)
            # files may go into a folder that receives files (merge); a replaced folder is one output
            if _inside(real, oreal) and not other.merge:
                raise OutputError(f"the {target.what} is inside the {_folder(other.what)} {oreal}", given)
            if _inside(oreal, real) and not target.merge:
                raise OutputError(f"the {other.what} is inside the {_folder(target.what)}", oreal)
        for ext in (".framemd5", ".sha256"):
            base = real.with_name(real.name[: -len(ext)]) if real.name.endswith(ext) else None
            if base is not None and not target.manifest and base.exists():
                raise OutputError(f"{target.what} would replace the fixity manifest of {base.name}", given)
        _check_existing(target, given, real)
        try:
            st = os.stat(real)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            linked = _hardlinked_input(real, st, ins)
            if linked is not None:
                raise OutputError(f"{target.what} is the same file as the input {linked} (a hard link)", given)
        _check_parent(target, real)
        checked.append((target, real))
    return OutputPlan(command, checked)


def check_within(root: str | Path, folder: str | Path, what: str = "folder") -> None:
    """OutputError unless ``folder`` and every existing folder on the way to it stay inside ``root``.

    A symbolic link anywhere under ``root`` (``masks/`` or ``masks/<reel>`` of a project) that
    leads elsewhere would make a save write outside the folder the archivist chose.
    """
    root_real = _real(Path(root))
    folder = Path(folder)
    try:
        rel = folder.relative_to(root)
    except ValueError:
        rel = None
    steps = [Path(root).joinpath(*rel.parts[:k]) for k in range(1, len(rel.parts) + 1)] if rel else [folder]
    for step in steps:
        if not (step.exists() or step.is_symlink()):
            break
        real = _real(step)
        if real != root_real and root_real not in real.parents:
            raise OutputError(f"{what} leads outside {root} (a symbolic link to {real}); nothing was written",
                              step)
