"""open_writer(): encode numpy frames (or untouched decoder frames) through a preset.

The output is written under a temporary name beside the destination and renamed on
:meth:`commit`; :meth:`abort` (or any failure) removes it. A container writer encodes in its
own thread (fed through a short bounded queue, so memory stays flat) while the caller
decodes or computes the next frame; the encoder uses every core given to the process
(slice threads, and frame threads where the codec has them), and the per-frame MD5s of a
lossless output are taken from the frames as they go in, beside the encode. Frame timestamps come from a
fixed ``1/fps`` Fraction (a Matroska stream's time base turns into 1/1000 once the header
is written), the start timecode is carried (shifted by the range start), audio is copied
and trimmed to the range, and a fixity manifest (``OUTPUT.framemd5`` in ffmpeg's framemd5
format plus ``OUTPUT.sha256`` in sha256sum format) is written beside the output.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import av

from restoration_core.atomic import atomic_path, publish_together
from restoration_core.errors import Cancelled, InputError, OutputError
from restoration_core.media import buffers
from restoration_core.media.audio import AudioCopier
from restoration_core.media.fixity import (
    PAD_BYTE,
    decoded_md5s,
    frame_md5_and_size,
    framemd5_text,
    sha256_file,
)
from restoration_core.media.info import ReelInfo
from restoration_core.media.presets import Preset, load_preset
from restoration_core.media.seqwriter import SequenceWriter
from restoration_core.media.writerbase import (
    ExportResult,
    WriterBase,
    array_to_av,
    check_frame,
    manifest_paths,
)


def _subsampled(pix_fmt: str) -> tuple[bool, bool]:
    fmt = av.VideoFormat(pix_fmt)
    chroma = [c for c in fmt.components if c.is_chroma]
    if not chroma:
        return False, False
    return fmt.chroma_width(2) < 2, fmt.chroma_height(2) < 2


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# codecs whose decoder fills a packed format's padding byte with zero (checked by a test that
# decodes the output): for these the MD5 of the input frame, pad zeroed, equals ffmpeg's framemd5
_ZERO_PAD_DECODERS = ("ffv1",)

_QUEUE_DEPTH = 4  # frames waiting for the encoder thread (bounded: memory stays flat)


class ContainerWriter(WriterBase):
    """Writes a single media file (master, mezzanine, access)."""

    def __init__(self, output, preset, info, frame_range=None, audio_source=None, source_frames=False,
                 overwrite=True, threads: int | None = None, verify: bool = False):
        super().__init__(output, preset, info, frame_range)
        self.threads = int(threads) if threads else available_cores()
        self.verify = bool(verify)
        self._atomic = atomic_path(self.output, overwrite=overwrite)
        self._tmp: Path = self._atomic.__enter__()
        self._pool = ThreadPoolExecutor(2)
        self._entries: list[tuple[str, int]] = []  # framemd5 entries of the frames hashed so far
        self._hashing: deque[Future] = deque()  # hashes still running (the futures go once done)
        self._audio: AudioCopier | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._encoder: threading.Thread | None = None
        self.encoded = 0
        try:
            self._open(audio_source, source_frames)
        except BaseException:
            self.abort()
            raise

    def _open(self, audio_source, source_frames: bool) -> None:
        preset, info = self.preset, self.info
        self.pix_fmt = preset.pix_fmt_for(info, source_frames=source_frames)
        sub_w, sub_h = _subsampled(self.pix_fmt)
        self.size = (info.width + (info.width % 2 if sub_w else 0), info.height + (info.height % 2 if sub_h else 0))
        if self.output.suffix.lower() != preset.extension:
            self.notes.append(f"{self.output.name}: the {preset.name} preset writes {preset.format} "
                              f"(usually named {preset.extension})")
        if self.size != (info.width, info.height):
            self.notes.append(f"picture padded from {info.width}x{info.height} to {self.size[0]}x{self.size[1]} "
                              f"({self.pix_fmt} needs even sizes)")
        try:
            self.container = av.open(str(self._tmp), mode="w", format=preset.format,
                                     options=preset.container_options)
        except (av.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot create output ({exc})", self.output) from None
        stream = self.container.add_stream(preset.codec, rate=self.fps)
        stream.width, stream.height = self.size
        stream.pix_fmt = self.pix_fmt
        stream.time_base = 1 / self.fps
        stream.codec_context.time_base = 1 / self.fps
        rgb_target = self.pix_fmt in (preset.data.get("pix_fmt_rgb"), preset.data.get("pix_fmt_alpha"))
        stream.options = preset.options_for(rgb_target)
        # slice threads (FFV1, ProRes) and frame threads where the codec has them, on every core
        # given; neither changes the bitstream, so the same frames still give the same bytes
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.thread_count = self.threads
        self._passthrough = source_frames and self.pix_fmt == info.pix_fmt and self.size == (info.width, info.height)
        if self._passthrough:
            for key, value in info.color.items():  # same tags: decoders convert to RGB the same way
                setattr(stream.codec_context, key, value)
        elif not av.VideoFormat(self.pix_fmt).is_rgb:
            # converted to YUV with this matrix (see _to_target) and tagged so decoders invert it
            code = 1 if info.height >= 720 else 6  # BT.709 / SMPTE 170M
            ctx = stream.codec_context
            ctx.colorspace, ctx.color_primaries, ctx.color_trc, ctx.color_range = code, code, code, 1
        if self.timecode:
            stream.metadata["timecode"] = self.timecode
            self.container.metadata["timecode"] = self.timecode
        self.stream = stream
        # Hash the frames as they go in where that equals the decode (lossless, no padding byte
        # such as bgr0's, which the decoder fills in its own way); else hash a decode afterwards.
        fmt = av.VideoFormat(self.pix_fmt)
        padded = not fmt.is_planar and fmt.padded_bits_per_pixel > fmt.bits_per_pixel
        self._zero_pad = padded and preset.codec in _ZERO_PAD_DECODERS and self.pix_fmt in PAD_BYTE
        # an untouched frame from such a decoder has its padding byte zero already: hashed as it is
        self._mask_pad = self._zero_pad and not (self._passthrough and info.codec in _ZERO_PAD_DECODERS)
        self._hash_inputs = preset.lossless and (not padded or self._zero_pad)
        if audio_source is not None and info.audio:
            a, b = self.range
            audio = preset.audio
            allowed = audio.get("allowed")
            t0 = Fraction(info.start_time)
            self._audio = AudioCopier(Path(audio_source), self.container, t0 + a / self.fps, t0 + b / self.fps, allowed,
                                      audio.get("reencode_codec", "aac"), int(audio.get("reencode_bit_rate", 256000)))
            self.notes.extend(self._audio.notes)

    def write(self, data) -> None:
        """Append one frame (HxWx3 RGB, uint8 or uint16 as the reel reads).

        Where the output's pixel format is a reordering of the array's samples (16-bit RGB into
        ``gbrp16le``, 8-bit RGB into ``bgr0``) the frame is made by numpy plane copies instead
        of an ``rgb48le``/``rgb24`` frame that swscale converts (the same bytes; a ``bgr0``
        frame made so has its padding byte zero, so its hash needs no masked copy).
        """
        data = check_frame(data, self.info)
        frame = buffers.target_from_array(data, self.pix_fmt) if self.size == (self.info.width, self.info.height) else None
        if frame is None:
            self._submit(array_to_av(data), False)
        else:
            self._submit(frame, True)

    def write_av(self, frame: av.VideoFrame) -> None:
        """Append one decoded frame (converted to the preset's pixel format if needed).

        The frame is handed to the encoder thread; an error there is raised here (at the
        next write or at :meth:`commit`) as an :class:`OutputError`.
        """
        self._submit(frame, False)

    def _submit(self, frame: av.VideoFrame, pad_zero: bool) -> None:
        """Queue ``frame`` for the encoder thread; ``pad_zero``: it is in the output's pixel
        format with any padding byte zero already (hashed as it is)."""
        if self._done:
            raise OutputError("writer is already closed", self.output)
        if self._encoder is None:
            self._encoder = threading.Thread(target=self._encode_loop, name="reelwright-encode", daemon=True)
            self._encoder.start()
        while True:
            self._raise_encoder_error()
            try:
                self._queue.put((frame, pad_zero), timeout=0.1)
                break
            except queue.Full:
                continue
        self.count += 1

    def _raise_encoder_error(self) -> None:
        if self._error is not None:
            error = self._error
            if isinstance(error, OutputError):
                raise error
            raise OutputError(f"writing failed ({error})", self.output) from error

    def _encode_loop(self) -> None:
        """The encoder thread: convert, hash, encode and mux (with the audio) frame by frame."""
        try:
            while not self._stop.is_set():
                item = self._queue.get()
                if item is None:
                    return
                frame, pad_zero = item
                frame = self._to_target(frame, self.pix_fmt, self.size)
                frame.pts = self.encoded
                frame.time_base = 1 / self.fps
                if self._hash_inputs:
                    self._hashing.append(self._pool.submit(frame_md5_and_size, frame, self._mask_pad and not pad_zero))
                    # at most a queue's depth of frames wait for their hash (memory stays flat)
                    while len(self._hashing) > _QUEUE_DEPTH:
                        self._entries.append(self._hashed(self._hashing.popleft(), "a frame's MD5"))
                try:
                    for packet in self.stream.encode(frame):
                        self.container.mux(packet)
                except (av.FFmpegError, OSError) as exc:
                    raise OutputError(f"writing failed ({exc})", self.output) from None
                self.encoded += 1
                if self._audio is not None:
                    self._audio.pump(Fraction(self.encoded) / self.fps, self.container)
        except BaseException as exc:  # handed to the writing thread
            self._error = exc

    def _hashed(self, future: Future, what: str):
        """The result of a hash run in the pool; its failure as a one-line :class:`OutputError`."""
        try:
            return future.result()
        except Exception as exc:
            raise OutputError(f"computing {what} failed ({type(exc).__name__}: {exc})", self.output) from exc

    def _join_encoder(self, drain: bool) -> None:
        """Stop the encoder thread once the queued frames are done (``drain``) or at once."""
        if self._encoder is None:
            return
        if not drain:
            self._stop.set()
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
        while self._encoder.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._encoder.join()
        self._encoder = None

    def commit(self) -> ExportResult:
        """Finish the file, check it, rename it into place and write its fixity manifests."""
        if self._done:
            raise OutputError("writer is already closed", self.output)
        try:
            if self.count == 0:
                raise InputError("no frames were written", self.output)
            self._join_encoder(drain=True)
            self._raise_encoder_error()
            for packet in self.stream.encode(None):
                self.container.mux(packet)
            if self._audio is not None:
                # audio ends with the last frame written, never after it
                self._audio.t1 = min(self._audio.t1, self._audio.t0 + Fraction(self.count) / self.fps)
                self._audio.finish(self.container)
            self.container.close()
            sha = self._pool.submit(sha256_file, self._tmp)
            if self._hash_inputs:
                while self._hashing:
                    self._entries.append(self._hashed(self._hashing.popleft(), "a frame's MD5"))
                entries = self._entries
                if self.verify:  # decode the file back beside the SHA-256 and compare
                    decoded = decoded_md5s(self._tmp)
                    bad = next((k for k, (x, y) in enumerate(zip(entries, decoded, strict=False)) if x != y), None)
                    if len(decoded) != len(entries) or bad is not None:
                        where = f"frame {bad}" if bad is not None else f"{len(decoded)} of {len(entries)} frames"
                        raise OutputError(f"verify failed: {where} does not decode to what was written",
                                          self.output)
            else:
                entries = decoded_md5s(self._tmp)
            if len(entries) != self.count:
                raise OutputError(f"wrote {self.count} frames but {len(entries)} decode back", self.output)
            digest = self._hashed(sha, "the file's SHA-256")
            self._done = True
            md5_path, sha_path = manifest_paths(self.output)
            atomic, self._atomic = self._atomic, None
            # the manifests are written first, then the file and they are renamed together
            publish_together(atomic, {md5_path: framemd5_text(entries, self.size[0], self.size[1], self.fps),
                                      sha_path: f"{digest}  {self.output.name}\n"})
        except BaseException:
            self.abort()
            raise
        finally:
            self._pool.shutdown(wait=False)
        return ExportResult(self.output, md5_path, digest, [m for m, _ in entries], sha_path, self.count,
                            self.timecode, list(self.notes))

    def abort(self) -> None:
        """Stop and remove everything written so far (the final path is untouched)."""
        if self._atomic is None:
            return
        self._done = True
        self._join_encoder(drain=False)  # the encoder thread stops before the container closes
        if self._audio is not None:
            self._audio.close()
        with contextlib.suppress(Exception):
            self.container.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        atomic, self._atomic = self._atomic, None
        if atomic is not None:
            with contextlib.suppress(Cancelled):
                atomic.__exit__(Cancelled, Cancelled("export aborted"), None)


def open_writer(output: str | Path, preset: str | Preset, info: ReelInfo, frame_range: tuple[int, int] | None = None,
                audio_source: str | Path | None = None, source_frames: bool = False, overwrite: bool = True,
                threads: int | None = None, verify: bool = False):
    """A writer for ``preset`` (a name or Preset) producing ``output`` for a reel like ``info``.

    ``threads``: encoder threads (default: every core this process may use). ``verify``: a
    lossless container output is also decoded back after it is written (beside its SHA-256)
    and each frame compared with what went in; a mismatch is an :class:`OutputError`.

    ``overwrite=False``: an existing output, or one that appears before this one is
    committed, is an :class:`OutputError` instead of being replaced.

    ``frame_range`` (a, b) says which source frames will be written (for the audio trim and the
    start timecode); ``audio_source`` is the file whose audio is copied. ``source_frames``:
    frames will come as the source decoder's own av frames via ``write_av`` (an untouched export).
    """

    preset = load_preset(preset)
    target = Path(output)
    if not preset.is_sequence and target.resolve() == Path(info.path).resolve():
        raise OutputError("is the source itself (the original media is never written)", target)
    if frame_range is not None:
        a, b = frame_range
        if not 0 <= a < b <= info.frames:
            raise InputError(f"range {a}:{b} is outside the reel (0:{info.frames})", info.path)
    if preset.is_sequence:
        return SequenceWriter(output, preset, info, frame_range, source_frames=source_frames, overwrite=overwrite)
    return ContainerWriter(output, preset, info, frame_range, audio_source, source_frames, overwrite=overwrite,
                           threads=threads, verify=verify)
