"""Audio for exports: packets copied unchanged (PCM trimmed to the sample), re-encoded only
where the output container cannot hold the codec (the writer records a note saying so)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from restoration_core.errors import InputError


def _pcm_bytes_per_sample(codec: str) -> int | None:
    m = re.match(r"pcm_[suf](\d+)(le|be)?$", codec)
    return int(m.group(1)) // 8 if m else None


def _named_layout(ctx) -> str:
    """The source's channel layout, named where Matroska leaves it unspecified ("2 channels"),
    which encoders such as AAC refuse: one channel is mono, two are stereo."""
    name = ctx.layout.name
    if name.endswith(" channels") or name == "1 channel":  # FFmpeg's name of an unspecified layout
        return {1: "mono", 2: "stereo"}.get(ctx.channels, name)
    return name


def _counted(stream: av.stream.Stream) -> bool:
    """PCM whose timestamps are coarser than one sample (Matroska: milliseconds): its packets
    are placed by counting samples from the stream's start, not from the rounded stamps."""
    ctx = stream.codec_context
    return (_pcm_bytes_per_sample(ctx.name) is not None and bool(ctx.sample_rate)
            and stream.time_base is not None and stream.time_base * ctx.sample_rate > 1)


class AudioCopier:
    """Feeds the audio of ``source`` between ``t0`` and ``t1`` seconds into ``output``.

    Call :meth:`pump` with a time (seconds from ``t0``) after each video frame so audio and
    video interleave; :meth:`finish` muxes what is left and flushes any encoder.
    """

    def __init__(self, source: Path, output: av.container.OutputContainer, t0: Fraction, t1: Fraction,
                 allowed: list[str] | None, reencode_codec: str = "aac", reencode_bit_rate: int = 256000):
        self.notes: list[str] = []
        self.t0, self.t1 = Fraction(t0), Fraction(t1)
        self._source = Path(source)
        self._in: av.container.InputContainer | None = None
        self._open()
        self._map: dict[int, tuple[av.stream.Stream, bool]] = {}
        self._next_sample: dict[int, int] = {}
        # counted PCM streams: the source sample at which the next packet starts, and in integers
        # (a packet a few ms long: no Fractions) bytes per sample, and one tick as samples * den
        self._count: dict[int, int | None] = {}
        self._counted: dict[int, tuple[int, int, int]] = {}
        for s in self._streams:
            if _counted(s):
                ctx, tb = s.codec_context, s.time_base
                self._count[s.index] = None
                self._counted[s.index] = (_pcm_bytes_per_sample(ctx.name) * ctx.channels,
                                          tb.numerator * ctx.sample_rate, tb.denominator)
        self._bounds: tuple[Fraction, int, int, int] | None = None
        for s in self._streams:
            codec = s.codec_context.name
            if allowed is None or codec in allowed:
                out = output.add_stream_from_template(s)
                self._map[s.index] = (out, False)
            else:
                out = output.add_stream(reencode_codec, rate=s.codec_context.sample_rate)
                out.layout = _named_layout(s.codec_context)
                out.bit_rate = reencode_bit_rate
                self._map[s.index] = (out, True)
                self.notes.append(
                    f"audio stream {s.index} ({codec}) re-encoded to {reencode_codec.upper()}: "
                    f"the {output.format.name.split(',')[0]} container cannot hold {codec}"
                )
            self._next_sample[s.index] = 0
        self._packets: Iterator[av.Packet] | None = None
        self._pending: av.Packet | None = None
        self._past: set[int] = set()  # streams that have reached the range's end

    def _open(self) -> None:
        """(Re)open the source; the streams are the same (by index) every time."""
        self.close()
        try:
            self._in = av.open(str(self._source))
        except av.FFmpegError as exc:
            raise InputError(f"cannot read audio ({exc})", self._source) from None
        self._streams = list(self._in.streams.audio)
        for s in self._in.streams:  # the demuxer skips the picture's packets (MOV: never reads them)
            if s.type != "audio":
                s.discard = av.stream.Discard.all

    @property
    def has_audio(self) -> bool:
        return bool(self._streams)

    def _iter(self) -> Iterator[av.Packet]:
        if self._packets is None:
            if self.t0 > 1 and not self._count:
                self._seek(self.t0 - 1)
                self._packets = self._demux()
            elif self.t0 > 1:
                # counted PCM: seek when its packets lie on a regular grid, else count from the start
                self._packets = self._seek_on_grid()
                if self._packets is None:
                    self._open()
                    for key in self._count:
                        self._count[key] = None
                    self._packets = self._demux()
            else:
                self._packets = self._demux()
        return self._packets

    def _seek(self, t: Fraction) -> None:
        """Seek to the last point at or before ``t`` seconds. Matroska's cues index only the
        picture, and with the picture discarded FFmpeg's default seek stream is the audio, which it
        indexes by reading every cluster up to ``t`` (78 ms to 88 s of a 254 MiB reel, against 0.4 ms
        to 1 s): there the seek goes by the picture's cues."""
        video = [s for s in self._in.streams.video
                 if s.time_base is not None and not s.disposition & av.stream.Disposition.attached_pic]
        if video and "matroska" in self._in.format.name:
            try:
                self._in.seek(int(t / video[0].time_base), backward=True, stream=video[0])
                return
            except av.FFmpegError:
                pass  # no cues to go by: FFmpeg's own seek, as before
        self._in.seek(int(t * av.time_base), backward=True)

    _LEARN = 8  # packets of each counted stream read from its start to learn its grid

    @staticmethod
    def _on(sample: int, pts: int, tick: int, den: int) -> bool:
        """Whether a stamp is ``sample`` rounded to the tick (within half a tick)."""
        return 2 * abs(sample * den - pts * tick) <= tick

    def _grids(self) -> dict[int, tuple[int, int]] | None:
        """Each counted stream's packet grid from its first packets: (offset, size) in samples,
        where offset is the end of the first packet (its stamp plus its sample count) and every
        later packet is ``size`` samples, so packets start at offset + k * size. None where a
        stream has no such grid or its size is not over one tick (the stamp would not tell k)."""
        firsts: dict[int, list[tuple[int, int]]] = {key: [] for key in self._counted}
        for packet in self._demux():
            got = firsts.get(packet.stream.index)
            if packet.pts is None or packet.size == 0 or got is None or len(got) >= self._LEARN:
                continue
            got.append((packet.pts, packet.size))
            if all(len(v) >= self._LEARN for v in firsts.values()):
                break
        else:
            return None  # a stream shorter than that
        grids = {}
        for key, got in firsts.items():
            block, tick, den = self._counted[key]
            (pts0, bytes0), rest = got[0], got[1:]
            size = rest[0][1] // block
            if bytes0 % block or any(b != size * block for _, b in rest) or size * den <= tick:
                return None
            offset = round(Fraction(pts0 * tick, den)) + bytes0 // block
            if not all(self._on(offset + i * size, pts, tick, den) for i, (pts, _) in enumerate(rest)):
                return None
            grids[key] = (offset, size)
        return grids

    def _seek_on_grid(self) -> Iterator[av.Packet] | None:
        """Seek to a second before t0 and place each counted stream's first packet there on its
        grid (k from its rounded stamp). The packets up to the range's start are held and checked:
        each the grid's size, each stamp within rounding of its grid point, at least two of them.
        Then the count runs from there exactly as it would have from the start (a gap or a size
        change inside the range is handled as then). None (read from the start) otherwise."""
        grids = self._grids()
        if grids is None:
            return None
        try:
            self._seek(self.t0 - 1)
        except av.FFmpegError:
            return None
        packets = self._demux()
        held: list[av.Packet] = []
        first: dict[int, int] = {}
        at: dict[int, int] = {}
        checked: dict[int, int] = {key: 0 for key in grids}
        for packet in packets:
            held.append(packet)
            key = packet.stream.index
            if packet.pts is None or packet.size == 0 or key not in grids or key in first and at[key] is None:
                continue
            block, tick, den = self._counted[key]
            offset, size = grids[key]
            if key not in first:
                k = round((Fraction(packet.pts * tick, den) - offset) / size)
                if k < 0:
                    return None
                first[key] = at[key] = offset + k * size
            sample = at[key]
            if packet.size != size * block or not self._on(sample, packet.pts, tick, den):
                return None  # not regular here (a size change or a gap before the range)
            checked[key] += 1
            at[key] = sample + size
            if sample + size > round(self.t0 * packet.stream.codec_context.sample_rate):
                if checked[key] < 2:
                    return None  # the audio after the seek starts inside the range
                at[key] = None  # this stream reaches the range: done checking
                if all(at.get(k) is None and k in first for k in grids):
                    break
        else:
            return None  # a stream ends before the range
        for key, sample in first.items():
            self._count[key] = sample
        return itertools.chain(held, packets)

    def _demux(self) -> Iterator[av.Packet]:
        """The source's audio packets from where it stands (every read of the file goes through here)."""
        return self._in.demux(*self._streams)

    def pump(self, until: Fraction | None, output: av.container.OutputContainer) -> None:
        """Mux source audio packets that end (relative to t0) by ``until`` seconds (None: all)."""
        if not self._streams:
            return
        packets = self._iter()
        while True:
            packet = self._pending
            self._pending = None
            if packet is None:
                try:
                    packet = next(packets)
                except StopIteration:
                    return
                except av.FFmpegError:
                    return
            if packet.pts is None or packet.size == 0:
                continue
            # hold back a packet that runs past ``until``: the range may still end earlier
            end = (packet.pts + (packet.duration or 0)) * packet.time_base
            if until is not None and end - self.t0 > until:
                self._pending = packet
                return
            if self._one(packet, output):
                # this stream has reached the range's end (t1 only ever shrinks): drop its later
                # packets in the demuxer, and stop reading once every stream is there
                self._past.add(packet.stream.index)
                packet.stream.discard = av.stream.Discard.all
                if len(self._past) == len(self._streams):
                    self._packets = iter(())
                    return

    def _one(self, packet: av.Packet, output: av.container.OutputContainer) -> bool:
        """Mux the part of ``packet`` inside the range; True when it starts at or past the range's end."""
        in_stream = packet.stream
        out_stream, reencode = self._map[in_stream.index]
        if in_stream.index in self._counted:
            return self._one_counted(packet, out_stream, reencode, output)
        tb = packet.time_base
        start = packet.pts * tb
        duration = (packet.duration or 0) * tb
        if start >= self.t1:
            return True
        if start + duration <= self.t0 and duration > 0:
            return False
        if reencode:
            for frame in in_stream.codec_context.decode(packet):
                self._encode(frame, in_stream.index, out_stream, output)
            return False
        bps = _pcm_bytes_per_sample(in_stream.codec_context.name)
        if bps is not None:
            self._copy_pcm(packet, bps, round(start * in_stream.codec_context.sample_rate), out_stream, output)
            return False
        if start < self.t0 - Fraction(1, 1000):
            return False  # compressed packets start inside the range (at most one packet short)
        packet.pts = round((start - self.t0) / tb)
        packet.dts = packet.pts
        packet.stream = out_stream
        output.mux(packet)
        return False

    def _one_counted(self, packet: av.Packet, out_stream, reencode: bool, output) -> bool:
        """A packet of counted PCM: it starts where the previous one ended (the stamp is taken
        for the first packet and across a jump of more than one tick, a gap in the source)."""
        key = packet.stream.index
        block, tick, den = self._counted[key]
        n = packet.size // block
        expected = self._count[key]
        if expected is None or abs(expected * den - packet.pts * tick) > tick:
            first = round(Fraction(packet.pts * tick, den))
        else:
            first = expected
        self._count[key] = first + n
        ctx = packet.stream.codec_context
        if self._bounds is None or self._bounds[0] is not self.t1 or self._bounds[1] != ctx.sample_rate:
            rate = ctx.sample_rate  # the writer may shorten t1 before finish
            self._bounds = (self.t1, rate, round(self.t0 * rate), round(self.t1 * rate))
        if first >= self._bounds[3]:
            return True
        if first + n <= self._bounds[2]:
            return False
        if reencode:
            for frame in ctx.decode(packet):
                self._encode(frame, key, out_stream, output, first)
                first += frame.samples
            return False
        self._copy_pcm(packet, block // ctx.channels, first, out_stream, output)
        return False

    def _copy_pcm(self, packet: av.Packet, bps: int, first: int, out_stream, output) -> None:
        ctx = packet.stream.codec_context
        rate, channels = ctx.sample_rate, ctx.channels
        block = bps * channels
        data = bytes(packet)
        n = len(data) // block
        lo = max(first, round(self.t0 * rate))
        hi = min(first + n, round(self.t1 * rate))
        if hi <= lo:
            return
        piece = data[(lo - first) * block:(hi - first) * block]
        new = av.Packet(piece)
        new.time_base = Fraction(1, rate)
        new.pts = new.dts = lo - round(self.t0 * rate)
        new.duration = hi - lo
        new.stream = out_stream
        output.mux(new)

    def _encode(self, frame: av.AudioFrame, key: int, out_stream, output, first: int | None = None) -> None:
        rate = frame.sample_rate
        if first is None:
            first = round(frame.pts * frame.time_base * rate) if frame.pts is not None else self._next_sample[key]
        lo = max(first, round(self.t0 * rate))
        hi = min(first + frame.samples, round(self.t1 * rate))
        if hi <= lo:
            return
        if (lo, hi) != (first, first + frame.samples):
            arr = frame.to_ndarray()
            sl = arr[:, lo - first:hi - first] if frame.format.is_planar else \
                arr[:, (lo - first) * len(frame.layout.channels):(hi - first) * len(frame.layout.channels)]
            cut = av.AudioFrame.from_ndarray(np.ascontiguousarray(sl), format=frame.format.name,
                                             layout=frame.layout.name)
            cut.sample_rate = rate
            frame = cut
        frame.pts = lo - round(self.t0 * rate)
        frame.time_base = Fraction(1, rate)
        self._next_sample[key] = hi
        for packet in out_stream.encode(frame):
            output.mux(packet)

    def finish(self, output: av.container.OutputContainer) -> None:
        self.pump(None, output)
        for in_stream in self._streams:
            out_stream, reencode = self._map[in_stream.index]
            if reencode:
                for frame in in_stream.codec_context.decode(None):
                    self._encode(frame, in_stream.index, out_stream, output)
                for packet in out_stream.encode(None):
                    output.mux(packet)
        self.close()

    def close(self) -> None:
        if self._in is not None:
            self._in.close()
            self._in = None
