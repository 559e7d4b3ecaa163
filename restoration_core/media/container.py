"""Containers PyAV reads (MOV, MP4, MKV, AVI, MXF...): probe and frame-accurate decode.

The probe demuxes the video stream once (no decoding) and keeps every packet's pts, sorted:
frame index i is the i-th presentation time (very large files use a constant-rate index
instead, see ``ptsindex``). Random access seeks to the keyframe at or before
the target and decodes forward until ``frame.pts`` is the target's pts, so it is exact for
Matroska (1/1000 time base), MOV/MP4 edit lists and B-frame streams alike.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from restoration_core.errors import InputError
from restoration_core.media import buffers, ptsindex
from restoration_core.media.info import AudioInfo, ReelInfo
from restoration_core.media.ptsindex import PtsIndex, RateIndex
from restoration_core.media.timecode import normalize_timecode
from restoration_core.safety import file_kind

STANDARD_RATES = [Fraction(n, d) for n, d in (
    (24000, 1001), (24, 1), (25, 1), (30000, 1001), (30, 1), (48000, 1001), (48, 1),
    (50, 1), (60000, 1001), (60, 1), (16, 1), (18, 1), (12, 1), (15, 1), (20, 1),
    (120000, 1001), (120, 1),
)]


COLOR_TAGS = ("colorspace", "color_range", "color_primaries", "color_trc")

# Whether a file holding fewer frames than its header announces may be read as far as it
# goes (``--accept-truncated``); off, it is an InputError naming the file and the frame.
ACCEPT_TRUNCATED: ContextVar[bool] = ContextVar("reelwright_accept_truncated", default=False)


ACCEPT_TRUNCATED_ENV = "REELWRIGHT_ACCEPT_TRUNCATED"


@contextmanager
def accepting_truncated(accept: bool = True) -> Iterator[None]:
    """Within the block, truncated media is read (with a note in ``ReelInfo.notes``).

    Also set in the environment for the block, so the workbench's threads and a batch's worker
    processes started within it see the same choice.
    """
    token = ACCEPT_TRUNCATED.set(bool(accept))
    old = os.environ.get(ACCEPT_TRUNCATED_ENV)
    if accept:
        os.environ[ACCEPT_TRUNCATED_ENV] = "1"
    try:
        yield
    finally:
        ACCEPT_TRUNCATED.reset(token)
        if accept:
            if old is None:
                os.environ.pop(ACCEPT_TRUNCATED_ENV, None)
            else:
                os.environ[ACCEPT_TRUNCATED_ENV] = old


def truncation_accepted() -> bool:
    return ACCEPT_TRUNCATED.get() or os.environ.get(ACCEPT_TRUNCATED_ENV) == "1"


class DecodeError(InputError):
    """The decoder stopped inside a file; ``reason`` is FFmpeg's word for why."""

    def __init__(self, reason: str, path: Path):
        self.reason = reason
        super().__init__(f"damaged media, decoding stopped ({reason})", path)


def not_a_regular_file(path: Path) -> str | None:
    """Words for a path that exists but is a device, FIFO or socket (never opened), else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"is {file_kind(mode)}, not a media file"


def exact_rate(rate: Fraction | float | None) -> Fraction | None:
    """Snap a container's rate to the standard rate it approximates (Matroska stores ns)."""
    if not rate:
        return None
    rate = Fraction(rate)
    for std in STANDARD_RATES:
        if abs(rate - std) / std < Fraction(1, 10000):
            return std
    return rate.limit_denominator(100000)


def pix_fmt_props(pix_fmt: str) -> tuple[int, bool, bool]:
    """(bit depth, is_rgb, has_alpha) of a pixel format name."""
    fmt = av.VideoFormat(pix_fmt)
    comps = fmt.components
    bits = max((c.bits for c in comps if not c.is_alpha), default=8)
    return int(bits), bool(fmt.is_rgb), any(c.is_alpha for c in comps)


def array_format(bit_depth: int) -> str:
    """The packed RGB format frames are converted to: rgb24 (8-bit) or rgb48le (deeper)."""
    return "rgb24" if bit_depth <= 8 else "rgb48le"


# intra codecs whose frames are cut into slices (FFV1 from version 2, which carries its
# configuration in the extradata; ProRes): their decoders get slice threads, which decode each
# frame on every core without frame threading's extra work (decode CPU at 1080p, median of 5
# alternating runs: FFV1 bgr0 197 against 214 ms a frame, ProRes 422 HQ 33 against 36)
_SLICED = ("ffv1", "prores")


def decoder_threads(stream: av.video.stream.VideoStream) -> None:
    """Slice threads for a sliced intra codec, else FFmpeg's automatic choice (frame threads
    where the codec has them); the thread count is FFmpeg's automatic one either way."""
    ctx = stream.codec_context
    sliced = ctx.name in _SLICED and (ctx.name != "ffv1" or bool(ctx.extradata))
    stream.thread_type = "SLICE" if sliced else "AUTO"


def open_input(path: Path) -> av.container.InputContainer:
    """Open a media file, turning every failure into an InputError that names it."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path)
    if path.is_dir():
        raise InputError("is a folder without an image sequence", path)
    odd = not_a_regular_file(path)
    if odd:
        raise InputError(odd, path)
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", path)
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read as media ({_reason(exc)})", path) from None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip() if ":" in text and "'" in text else text.strip()


def scan_container(path: Path) -> tuple[ReelInfo, PtsIndex | RateIndex]:
    """Probe a container file: its ReelInfo and the pts index of its first video stream."""
    path = Path(path)
    container = open_input(path)
    try:
        if not container.streams.video:
            raise InputError("has no video stream", path)
        vs = container.streams.video[0]
        ctx = vs.codec_context
        pix_fmt = ctx.pix_fmt or (ctx.format.name if ctx.format else None)
        if not pix_fmt or not ctx.width or not ctx.height:
            raise InputError("video stream has no readable picture size or pixel format", path)
        fps = exact_rate(vs.average_rate) or exact_rate(vs.guessed_rate) or exact_rate(vs.base_rate)
        index = None
        if path.stat().st_size > ptsindex.FULL_SCAN_MAX_BYTES and fps and vs.start_time is not None:
            index = _rate_index(container, vs, fps)
        if index is None:
            index = _full_index(container, vs, path)
        by_order = index.by_order
        if fps is None:
            raise InputError("video stream has no frame rate", path)
        announced = None if index.estimated else _announced_frames(container, vs, fps)
        expected, tolerance = announced or (None, 0)
        notes: list[str] = []
        if expected is not None and index.count < expected - tolerance:
            text = (f"truncated: the header announces {expected} frames, the file ends after frame "
                    f"{index.count - 1} ({index.count} readable)")
            if not truncation_accepted():
                raise InputError(f"{text}; --accept-truncated reads the {index.count}", path)
            notes.append(f"{path}: {text}, accepted (--accept-truncated)")
        else:
            expected = None
        bit_depth, is_rgb, has_alpha = pix_fmt_props(pix_fmt)
        tc = _timecode_tag(container, vs)
        audio = [
            AudioInfo(
                codec=s.codec_context.name,
                sample_rate=int(s.codec_context.sample_rate or 0),
                channels=int(s.codec_context.channels or 0),
                duration_s=_duration(s, container),
                index=int(s.index),
            )
            for s in container.streams.audio
        ]
        info = ReelInfo(
            path=path,
            format=container.format.name.split(",")[0],
            frames=index.count,
            fps=fps,
            time_base=Fraction(vs.time_base),
            width=int(ctx.width),
            height=int(ctx.height),
            bit_depth=bit_depth,
            pix_fmt=pix_fmt,
            timecode=normalize_timecode(tc, fps),
            audio=audio,
            codec=ctx.name,
            is_rgb=is_rgb,
            has_alpha=has_alpha,
            start_time=Fraction(0) if by_order else index.pts_of(0) * Fraction(vs.time_base),
            color={k: int(getattr(ctx, k) or 0) for k in COLOR_TAGS},
            notes=notes,
            expected_frames=expected,
        )
        return info, index
    finally:
        container.close()


_HMS = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _announced_frames(container: av.container.InputContainer, vs: av.stream.Stream,
                      fps: Fraction) -> tuple[int, int] | None:
    """How many frames the file's header says the video has, and the tolerance (None: it does not say).

    From the stream's frame count (MP4, MOV: exact), else its duration tag (Matroska writes it
    when the file is finished), else its duration (one frame of tolerance for rounding).
    """
    if vs.frames and vs.frames > 0:
        return int(vs.frames), 0
    seconds = None
    for key, value in vs.metadata.items():
        m = _HMS.match(str(value).strip()) if key.upper() == "DURATION" else None
        if m:
            seconds = Fraction(int(m[1]) * 3600 + int(m[2]) * 60) + Fraction(m[3])
    if seconds is None and vs.duration and vs.time_base:
        seconds = vs.duration * Fraction(vs.time_base)
    if seconds is None or seconds <= 0:
        return None
    return round(seconds * fps), 1


def _full_index(container: av.container.InputContainer, vs: av.stream.Stream, path: Path) -> PtsIndex:
    """Demux the whole video stream (no decoding) and keep every packet's pts."""
    pts_list: list[int] = []
    key_pts: set[int] = set()
    untimed = 0
    try:
        for packet in container.demux(vs):
            if packet.size == 0:
                continue
            t = packet.pts if packet.pts is not None else packet.dts
            if t is None:
                untimed += 1
                continue
            if getattr(packet, "is_discard", False):
                continue
            pts_list.append(int(t))
            if packet.is_keyframe:
                key_pts.add(int(t))
    except av.FFmpegError as exc:
        if not pts_list:
            raise InputError(f"damaged media, no readable frames ({_reason(exc)})", path) from None
    by_order = not pts_list and untimed > 0
    if by_order:
        pts_list = list(range(untimed))
    if not pts_list:
        raise InputError("video stream has no frames", path)
    pts_list.sort()
    keyframes = [0] if by_order else [i for i, t in enumerate(pts_list) if t in key_pts] or [0]
    return PtsIndex(pts_list, keyframes, by_order)


def _rate_index(container: av.container.InputContainer, vs: av.stream.Stream, fps: Fraction) -> RateIndex | None:
    """Constant-rate index of a large file: count frames from the last packets (reads the tail only)."""
    tb = Fraction(vs.time_base)
    end = vs.duration if vs.duration else (
        round(Fraction(container.duration, 1_000_000) / tb) if container.duration else None)
    if not end:
        return None
    try:
        container.seek(max(0, vs.start_time + end - round(Fraction(5) / tb)), backward=True, stream=vs)
        last = max((p.pts for p in container.demux(vs) if p.pts is not None and p.size), default=None)
        container.seek(vs.start_time, backward=True, stream=vs)
    except av.FFmpegError:
        return None
    if last is None:
        return None
    frames = round((last - vs.start_time) * tb * fps) + 1
    return RateIndex(int(vs.start_time), tb, fps, frames) if frames > 0 else None


def _timecode_tag(container: av.container.InputContainer, vs: av.stream.Stream) -> str | None:
    for meta in (vs.metadata, container.metadata, *(s.metadata for s in container.streams.data)):
        for key, value in meta.items():
            if key.lower() == "timecode" and value:
                return str(value)
    return None


def _duration(stream: av.stream.Stream, container: av.container.InputContainer) -> float | None:
    if stream.duration is not None and stream.time_base:
        return round(float(stream.duration * stream.time_base), 6)
    if container.duration is not None:
        return round(container.duration / 1_000_000, 6)
    return None


class ContainerSource:
    """Decodes frames of one container by index; holds one open demuxer/decoder."""

    def __init__(self, info: ReelInfo, index: PtsIndex | RateIndex):
        self.info = info
        self.index = index
        self._container: av.container.InputContainer | None = None
        self._decoded: Iterator[tuple[int | None, av.VideoFrame]] | None = None
        self._last: int | None = None  # index of the frame the decoder returned last

    def _open(self) -> av.container.InputContainer:
        if self._container is None:
            self._container = open_input(self.info.path)
            decoder_threads(self._container.streams.video[0])
        return self._container

    def _restart_at(self, keyframe: int) -> None:
        if keyframe == 0 or self.index.by_order:
            self.close()  # a fresh demuxer starts exactly at the first frame
            container = self._open()
        else:
            container = self._open()
            vs = container.streams.video[0]
            try:
                container.seek(self.index.pts_of(keyframe), backward=True, any_frame=False, stream=vs)
            except av.FFmpegError:
                self.close()
                container = self._open()
        self._decoded = self._indexed(self._frames_of(container))
        self._last = None

    def _indexed(self, frames: Iterator[av.VideoFrame]) -> Iterator[tuple[int | None, av.VideoFrame]]:
        """(index, frame) pairs: by pts, or by decode order from a fresh start (``by_order``)."""
        if self.index.by_order:
            yield from enumerate(frames)
        else:
            for frame in frames:
                yield self.index.index_of(frame.pts), frame

    def _frames_of(self, container: av.container.InputContainer) -> Iterator[av.VideoFrame]:
        vs = container.streams.video[0]
        try:
            yield from container.decode(vs)
        except av.FFmpegError as exc:
            raise DecodeError(_reason(exc), self.info.path) from None

    def read_av(self, target: int) -> av.VideoFrame:
        """The decoded frame at ``target`` (an index into the sorted pts list)."""
        keyframe = self.index.keyframe_at_or_before(target)
        near = self._last is not None and self._last < target and (
            keyframe <= self._last + 1 or (self.index.estimated and target - self._last <= 16))
        attempts = [keyframe] if not near else [None, keyframe]
        attempts += [k for k in (self.index.keyframe_at_or_before(keyframe - 1), 0) if k not in attempts]
        for start in attempts:
            if start is not None:
                self._restart_at(start)
            try:
                frame = self._decode_until(target)
            except DecodeError as exc:
                raise InputError(f"damaged media, decoding stopped before frame {target} ({exc.reason})",
                                 self.info.path) from None
            if frame is not None:
                return frame
        raise InputError(f"cannot decode frame {target}", self.info.path)

    def _decode_until(self, target: int) -> av.VideoFrame | None:
        assert self._decoded is not None
        for idx, frame in self._decoded:
            if idx is None:
                continue
            self._last = idx
            if idx == target:
                return frame
            if idx > target:
                return None
        self._last = None
        return None

    def iter_av(self, start: int, stop: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Frames start..stop-1 in order, from a separate demuxer (never disturbs read_av)."""
        if start >= stop:
            return
        container = open_input(self.info.path)
        try:
            vs = container.streams.video[0]
            decoder_threads(vs)
            keyframe = self.index.keyframe_at_or_before(start)
            if keyframe > 0 and not self.index.by_order:
                container.seek(self.index.pts_of(keyframe), backward=True, any_frame=False, stream=vs)
            expected = start
            try:
                for idx, frame in self._indexed(self._frames_of(container)):
                    if idx is None or idx < expected:
                        continue
                    if idx > expected:
                        raise InputError(f"cannot decode frame {expected}", self.info.path)
                    yield idx, frame
                    expected += 1
                    if expected >= stop:
                        return
            except DecodeError as exc:
                raise InputError(f"damaged media, decoding stopped at frame {expected} ({exc.reason})",
                                 self.info.path) from None
            if expected < stop:
                raise InputError(f"media ends after frame {expected - 1} (expected {stop})", self.info.path)
        finally:
            container.close()

    def to_array(self, frame: av.VideoFrame) -> np.ndarray:
        return buffers.to_array(frame, array_format(self.info.bit_depth))

    def close(self) -> None:
        self._decoded = None
        self._last = None
        if self._container is not None:
            self._container.close()
            self._container = None
