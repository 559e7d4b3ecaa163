"""Image-sequence exports (DPX, TIFF, PNG): files written into a temporary folder beside the
destination folder, which is renamed into place only when every frame is written."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

import av

from restoration_core.atomic import atomic_path, publish_together
from restoration_core.errors import Cancelled, InputError, OutputError
from restoration_core.media.dpx import add_industry_headers
from restoration_core.media.fixity import frame_md5_and_size, framemd5_text
from restoration_core.media.timecode import frames_to_timecode
from restoration_core.media.writerbase import ExportResult, WriterBase, manifest_paths

_PRINTF = re.compile(r"%0?(\d*)d")


class SequenceWriter(WriterBase):
    """Writes ``OUTPUT/<name>_<number:06d>.<ext>`` (or the files a printf pattern names).

    File numbers are the source's own frame numbers for sequence sources (so a restored
    scan lines up with the original), else the frame indices. The destination folder must
    not exist yet or be empty.
    """

    def __init__(self, output, preset, info, frame_range=None, source_frames=False, overwrite=True):
        super().__init__(output, preset, info, frame_range)
        out = Path(output)
        if _PRINTF.search(out.name):
            self.folder, self.pattern = out.parent, out.name
        else:
            self.folder = out
            self.pattern = f"{out.name}_%06d{preset.extension}"
        if self.folder.is_file():
            raise OutputError("output folder is a file", self.folder)
        if self.folder.is_dir() and any(self.folder.iterdir()):
            raise OutputError("output folder exists and is not empty", self.folder)
        self.output = self.folder
        self.pix_fmt = preset.pix_fmt_for(info, source_frames=False)
        self.size = (info.width, info.height)
        # an existing folder is empty (checked above): it may be replaced by the finished one
        self._atomic = atomic_path(self.folder, overwrite=overwrite or self.folder.is_dir())
        self._tmp: Path = self._atomic.__enter__()
        try:
            self._tmp.mkdir()
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot create output folder ({exc.strerror})", self.folder) from None
        self._entries: list[tuple[str, int]] = []
        self._sums: list[str] = []
        self._options = preset.options_for(False)

    def _number(self, k: int) -> int:
        index = self.range[0] + k
        if self.info.is_sequence and index < len(self.info.frame_numbers):
            return self.info.frame_numbers[index]
        return index

    def write_av(self, frame: av.VideoFrame) -> None:
        if self._done:
            raise OutputError("writer is already closed", self.output)
        frame = self._to_target(frame, self.pix_fmt, self.size)
        ctx = av.CodecContext.create(self.preset.codec, "w")
        ctx.width, ctx.height = self.size
        ctx.pix_fmt = self.pix_fmt
        ctx.time_base = 1 / self.fps
        ctx.options = dict(self._options)
        try:
            data = b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])
        except av.FFmpegError as exc:
            raise OutputError(f"encoding failed ({exc})", self.output) from None
        if self.preset.codec == "dpx":
            tc = frames_to_timecode(self.count, self.fps, self.timecode) if self.timecode else None
            data = add_industry_headers(data, tc, self.fps)
        name = self.pattern % self._number(self.count)
        try:
            (self._tmp / name).write_bytes(data)
        except OSError as exc:
            raise OutputError(f"writing failed ({exc.strerror})", self.folder / name) from None
        self._entries.append(frame_md5_and_size(frame))
        self._sums.append(f"{hashlib.sha256(data).hexdigest()}  {self.folder.name}/{name}")
        self.count += 1

    def commit(self) -> ExportResult:
        if self._done:
            raise OutputError("writer is already closed", self.output)
        try:
            if self.count == 0:
                raise InputError("no frames were written", self.output)
            self._done = True
            md5_path, sha_path = manifest_paths(self.folder)
            sums = "\n".join(self._sums) + "\n"
            atomic, self._atomic = self._atomic, None
            # the manifests are written first, then the folder and they are renamed together
            publish_together(atomic, {md5_path: framemd5_text(self._entries, self.size[0], self.size[1], self.fps),
                                      sha_path: sums})
        except BaseException:
            self.abort()
            raise
        return ExportResult(self.folder, md5_path, hashlib.sha256(sums.encode()).hexdigest(),
                            [m for m, _ in self._entries], sha_path, self.count, self.timecode, list(self.notes))

    def abort(self) -> None:
        if self._atomic is None:
            return
        self._done = True
        atomic, self._atomic = self._atomic, None
        with contextlib.suppress(Cancelled):
            atomic.__exit__(Cancelled, Cancelled("export aborted"), None)
