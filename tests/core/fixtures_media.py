"""Small media fixtures generated with PyAV and numpy (importable by every area's tests).

Pictures are smooth gradients with a moving square and a per-frame code in the first row,
so every frame differs and random access errors show up as pixel differences.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

NTSC_FILM = Fraction(24000, 1001)


def picture(index: int, width: int = 96, height: int = 64, bits: int = 16, seed: int = 0) -> np.ndarray:
    """A deterministic HxWx3 RGB test picture (uint16 full range for bits > 8, else uint8)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = x / max(1, width - 1)
    g = y / max(1, height - 1)
    b = 0.5 + 0.5 * np.sin((x + y) / 7.0 + index * 0.7 + seed)
    img = np.stack([r, g, b], axis=2)
    s = max(4, min(width, height) // 4)
    cx = (index * 5 + seed * 3) % max(1, width - s)
    img[height // 3: height // 3 + s, cx: cx + s] = (1.0, 0.2, 0.1)
    rng = np.random.default_rng(seed * 1000 + index)
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1)
    if bits <= 8:
        out = np.round(img * 255).astype(np.uint8)
    else:
        out = np.round(img * 65535).astype(np.uint16)
    out[0, : min(width, 16), 0] = index  # a per-frame code
    return out


def _add_audio(container, codec: str, rate: int, channels: int, seconds: float, fmt: str):
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "stereo" if channels == 2 else "mono"
    if codec == "aac":
        stream.bit_rate = 128000
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    data = np.stack([tone, 0.5 * tone][:channels])
    return stream, data, n


def _mux_audio(container, stream, data: np.ndarray, rate: int, fmt: str, chunk: int = 1024) -> None:
    n = data.shape[1]
    for start in range(0, n, chunk):
        part = data[:, start:start + chunk]
        if fmt == "s16":
            arr = np.round(part * 32767).astype(np.int16).T.reshape(1, -1)
        else:  # fltp
            arr = np.ascontiguousarray(part)
        frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout=stream.layout.name)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _video_file(path: Path, fmt: str, codec: str, pix_fmt: str, frames: int, fps: Fraction,
                size: tuple[int, int], timecode: str | None, audio: tuple[str, str] | None,
                options: dict | None = None, bits: int = 16) -> Path:
    path = Path(path)
    width, height = size
    with av.open(str(path), "w", format=fmt) as container:
        vs = container.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        vs.codec_context.time_base = 1 / fps
        vs.options = options or {}
        if timecode:
            vs.metadata["timecode"] = timecode
        astream = None
        if audio:
            acodec, afmt = audio
            astream, adata, _ = _add_audio(container, acodec, 48000, 2, float(frames / fps), afmt)
        for i in range(frames):
            img = picture(i, width, height, bits=bits)
            frame = av.VideoFrame.from_ndarray(img, format="rgb48le" if img.dtype == np.uint16 else "rgb24")
            frame = frame.reformat(format=pix_fmt)
            frame.pts = i
            frame.time_base = 1 / fps
            for packet in vs.encode(frame):
                container.mux(packet)
        for packet in vs.encode(None):
            container.mux(packet)
        if astream is not None:
            _mux_audio(container, astream, adata, 48000, afmt)
    return path


def make_prores_10bit(path: Path, frames: int = 12, fps: Fraction = NTSC_FILM, timecode: str | None = "01:00:00:00",
                      audio: bool = True, size: tuple[int, int] = (96, 64)) -> Path:
    """ProRes 422 HQ (yuv422p10le) in MOV with 16-bit PCM stereo at 48 kHz and a timecode track."""
    return _video_file(path, "mov", "prores_ks", "yuv422p10le", frames, fps, size, timecode,
                       ("pcm_s16le", "s16") if audio else None, {"profile": "3"})


def make_h264_aac(path: Path, frames: int = 12, fps: Fraction = Fraction(25), size: tuple[int, int] = (96, 64),
                  audio: bool = True, timecode: str | None = None, bframes: bool = True) -> Path:
    """8-bit H.264 (yuv420p, with B-frames and a short GOP) in MP4 with AAC stereo."""
    opts = {"g": "5", "bf": "2" if bframes else "0", "crf": "20", "preset": "ultrafast" if not bframes else "fast"}
    return _video_file(path, "mp4", "libx264", "yuv420p", frames, fps, size, timecode,
                       ("aac", "fltp") if audio else None, opts, bits=8)


def make_ffv1_mkv(path: Path, frames: int = 8, fps: Fraction = NTSC_FILM, pix_fmt: str = "yuv422p10le",
                  size: tuple[int, int] = (96, 64), timecode: str | None = None, audio: bool = False) -> Path:
    """FFV1 in Matroska (GOP 4 so seeking matters), optionally with PCM audio."""
    return _video_file(path, "matroska", "ffv1", pix_fmt, frames, fps, size, timecode,
                       ("pcm_s16le", "s16") if audio else None, {"g": "4"})


def _encode_image(codec: str, img: np.ndarray, pix_fmt: str) -> bytes:
    ctx = av.CodecContext.create(codec, "w")
    ctx.height, ctx.width = img.shape[:2]
    ctx.pix_fmt = pix_fmt
    ctx.time_base = Fraction(1, 24)
    frame = av.VideoFrame.from_ndarray(img, format="rgb48le" if img.dtype == np.uint16 else "rgb24")
    frame = frame.reformat(format=pix_fmt)
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])


def _sequence(folder: Path, ext: str, frames: int, size: tuple[int, int], start: int, step: int,
              with_gap: bool, bits: int, writer, name: str = "frame", digits: int = 6) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [start + k * step for k in range(frames + (1 if with_gap else 0))]
    if with_gap:
        del numbers[len(numbers) // 2]
    files = []
    for k, n in enumerate(numbers):
        path = folder / f"{name}_{n:0{digits}d}{ext}"
        writer(path, picture(k, *size, bits=bits))
        files.append(path)
    return files


def make_tiff16_sequence(folder: Path, frames: int = 6, size: tuple[int, int] = (80, 48), start: int = 1,
                         step: int = 1, with_gap: bool = True) -> list[Path]:
    """16-bit RGB TIFFs ``frame_000001.tif``...; with_gap drops the middle number."""
    import cv2

    def write(path, img):
        cv2.imwrite(str(path), img[:, :, ::-1].copy())

    return _sequence(folder, ".tif", frames, size, start, step, with_gap, 16, write)


def make_png_sequence(folder: Path, frames: int = 6, size: tuple[int, int] = (80, 48), start: int = 1,
                      step: int = 1, with_gap: bool = False, bits: int = 16) -> list[Path]:
    """RGB PNGs (16- or 8-bit)."""
    import cv2

    def write(path, img):
        cv2.imwrite(str(path), img[:, :, ::-1].copy())

    return _sequence(folder, ".png", frames, size, start, step, with_gap, bits, write)


def make_dpx_sequence(folder: Path, frames: int = 6, size: tuple[int, int] = (80, 48), start: int = 1001,
                      step: int = 1, with_gap: bool = True, bits: int = 16) -> list[Path]:
    """DPX files (16-bit rgb48le, or 10-bit when ``bits=10``), numbered from ``start``."""
    pix_fmt = "rgb48le" if bits == 16 else "gbrp10le"

    def write(path, img):
        Path(path).write_bytes(_encode_image("dpx", img, pix_fmt))

    return _sequence(folder, ".dpx", frames, size, start, step, with_gap, 16, write)


def rgb48_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a container decoded as rgb48le (the lossless comparison of the issue)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb48le") for f in container.decode(video=0)]


def audio_samples(path: Path, stream: int = 0) -> np.ndarray:
    """All decoded samples of an audio stream, channels x samples."""
    with av.open(str(path)) as container:
        parts = [f.to_ndarray() for f in container.decode(audio=stream)]
        layout_planar = container.streams.audio[stream].codec_context.format.is_planar
        channels = container.streams.audio[stream].codec_context.channels
    data = np.concatenate(parts, axis=1)
    if not layout_planar:
        data = data.reshape(-1, channels).T
    return data


def make_exr_sequence(folder: Path, frames: int = 3, size: tuple[int, int] = (64, 48), start: int = 1) -> list[Path]:
    """Half/float RGB OpenEXR files (values in 0..1) written with PyAV's EXR encoder."""
    def write(path, img):
        ctx = av.CodecContext.create("exr", "w")
        ctx.height, ctx.width = img.shape[:2]
        ctx.pix_fmt = "gbrpf32le"
        ctx.time_base = Fraction(1, 24)
        frame = av.VideoFrame.from_ndarray(img, format="rgb48le").reformat(format="gbrpf32le")
        Path(path).write_bytes(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))

    return _sequence(folder, ".exr", frames, size, start, 1, False, 16, write)
