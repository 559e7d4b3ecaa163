"""Image sequences (DPX, TIFF, PNG, EXR): find the files, their numbering, step and gaps; read one.

A sequence is given as a folder, a printf pattern (``scan/frame_%06d.dpx``) or any one file
of it. Frame index i is the i-th existing file in number order; a constant numbering step
larger than one (100, 102, 104...) is the sequence's step, and numbers missing from that
progression are reported as ``gaps`` rather than failing.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from restoration_core.errors import InputError
from restoration_core.media import buffers
from restoration_core.media.container import exact_rate
from restoration_core.media.dpx import read_industry_headers
from restoration_core.media.info import ReelInfo
from restoration_core.media.timecode import normalize_timecode

EXTENSIONS = {".dpx": "dpx", ".tif": "tiff", ".tiff": "tiff", ".png": "png", ".exr": "exr"}
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)(?P<ext>\.[A-Za-z0-9]+)$")
_PRINTF = re.compile(r"%(0?)(\d*)d")
DEFAULT_FPS = Fraction(24)
# the 16-bit pixel format of an 8-bit one (a sequence read wider than its first frame)
_WIDER = {"rgb24": "rgb48le", "gray": "gray16le", "rgba": "rgba64le"}


def is_sequence_path(path: Path) -> bool:
    """Whether ``path`` names a sequence: a folder, a printf pattern or an image file."""
    path = Path(path)
    return path.is_dir() or bool(_PRINTF.search(path.name)) or path.suffix.lower() in EXTENSIONS


@dataclass
class SequenceFiles:
    files: list[Path]
    numbers: list[int]
    step: int
    gaps: list[int]
    kind: str


def find_sequence(path: Path) -> SequenceFiles:
    """The files of the sequence ``path`` names (InputError when there are none)."""
    path = Path(path)
    if path.is_dir():
        groups: dict[tuple[str, str], list[tuple[int, Path]]] = {}
        for f in path.iterdir():
            m = _NUMBERED.match(f.name)
            if m and m["ext"].lower() in EXTENSIONS and f.is_file() and not f.name.startswith("."):
                groups.setdefault((m["prefix"], m["ext"].lower()), []).append((int(m["num"]), f))
        if not groups:
            raise InputError("no image sequence (DPX, TIFF, PNG, EXR files with frame numbers) in folder", path)
        entries = max(groups.values(), key=len)
    elif _PRINTF.search(path.name):
        m = _PRINTF.search(path.name)
        prefix, suffix = path.name[: m.start()], path.name[m.end():]
        width = int(m.group(2) or 1)
        rx = re.compile(re.escape(prefix) + r"(\d{" + str(width) + ",})" + re.escape(suffix) + "$")
        folder = path.parent
        if not folder.is_dir():
            raise InputError("no such folder for the sequence pattern", path)
        entries = [(int(mm.group(1)), f) for f in folder.iterdir() if (mm := rx.match(f.name)) and f.is_file()]
        if not entries:
            raise InputError("no files match the sequence pattern", path)
    else:
        if not path.exists():
            raise InputError("no such file or folder", path)
        if not path.is_file():
            raise InputError("is not a regular file (a device, FIFO or socket), not an image", path)
        if path.suffix.lower() not in EXTENSIONS:
            raise InputError("not an image sequence file", path)
        m = _NUMBERED.match(path.name)
        if not m:
            entries = [(0, path)]
        else:
            digits = m["num"]
            padded = digits.startswith("0") and len(digits) > 1
            rx = re.compile(re.escape(m["prefix"]) + (r"(\d{" + str(len(digits)) + "})" if padded else r"(\d+)")
                            + re.escape(m["ext"]) + "$")
            entries = [(int(mm.group(1)), f) for f in path.parent.iterdir()
                       if (mm := rx.match(f.name)) and f.is_file()]
    entries.sort()
    numbers = [n for n, _ in entries]
    if len(set(numbers)) != len(numbers):
        dup = next(n for n in numbers if numbers.count(n) > 1)
        raise InputError(f"two files have frame number {dup}", path)
    diffs = [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    step = math.gcd(*diffs) if diffs else 1
    present = set(numbers)
    gaps = [n for n in range(numbers[0], numbers[-1] + 1, step) if n not in present] if numbers else []
    kind = EXTENSIONS[entries[0][1].suffix.lower()]
    return SequenceFiles([f for _, f in entries], numbers, step, gaps, kind)


# no scan is wider or taller than this; a larger header value means a damaged header
MAX_SIDE = 1 << 17


def _header(file: Path, kind: str) -> tuple[tuple[int, int] | None, int | None]:
    """((width, height), bits per sample) from the file header where that is cheap, else None.

    A PNG, DPX or TIFF whose signature or header fields are wrong is an InputError naming
    the file (no absurd sizes read from garbage).
    """
    try:
        with open(file, "rb") as fh:
            head = fh.read(808 if kind == "dpx" else 26)
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file) from None
    size: tuple[int, int] | None = None
    bits: int | None = None
    if kind == "png":
        if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
            raise InputError("not a PNG image (damaged, truncated or another format)", file)
        size = struct.unpack(">II", head[16:24])
        bits = max(8, head[24])  # 1, 2 and 4-bit PNGs are read as 8-bit
    elif kind == "dpx":
        if len(head) < 804 or head[:4] not in (b"SDPX", b"XPDS"):
            raise InputError("not a DPX image (damaged, truncated or another format)", file)
        order = ">" if head[:4] == b"SDPX" else "<"
        size = struct.unpack(order + "II", head[772:780])
        bits = head[803] if head[803] in (1, 8, 10, 12, 16) else None
    elif kind == "tiff":
        if head[:4] not in (b"II*\x00", b"MM\x00*"):
            raise InputError("not a TIFF image (damaged, truncated or another format)", file)
        try:
            size, bits = _tiff_header(file, "<" if head[:2] == b"II" else ">")
        except (struct.error, OSError):
            return None, None  # unreadable header: the frame's own read reports it
    if size is not None and not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE):
        raise InputError(f"damaged {kind.upper()} header (no plausible picture size)", file)
    return size, bits


def _tiff_header(file: Path, order: str) -> tuple[tuple[int, int] | None, int | None]:
    """(ImageWidth, ImageLength) and BitsPerSample of a TIFF's first image (its first IFD)."""
    with open(file, "rb") as fh:
        fh.seek(4)
        (ifd,) = struct.unpack(order + "I", fh.read(4))
        fh.seek(ifd)
        raw = fh.read(2)
        if len(raw) < 2:
            return None, None
        (count,) = struct.unpack(order + "H", raw)
        entries = fh.read(12 * count)
    found = {}
    for k in range(len(entries) // 12):
        tag, typ, n = struct.unpack(order + "HHI", entries[12 * k:12 * k + 8])
        if tag in (256, 257) or (tag == 258 and (typ == 3 and n <= 2)):
            value = entries[12 * k + 8:12 * k + 12]
            found[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), value[: 2 if typ == 3 else 4])[0]
        elif tag == 258 and typ == 3:  # one value per sample, stored elsewhere: the first one
            (offset,) = struct.unpack(order + "I", entries[12 * k + 8:12 * k + 12])
            with open(file, "rb") as fh:
                fh.seek(offset)
                found[258] = struct.unpack(order + "H", fh.read(2))[0]
    size = (found[256], found[257]) if 256 in found and 257 in found else None
    return size, found.get(258)


def read_image(file: Path, kind: str) -> tuple[np.ndarray, str]:
    """One image as HxWx3 RGB (uint8, or uint16 full range for deeper files) and its pix_fmt."""
    try:
        if kind in ("dpx", "exr"):
            data = file.read_bytes()
            ctx = av.CodecContext.create(kind, "r")
            frames = ctx.decode(av.Packet(data))
            if not frames:
                raise InputError(f"cannot decode {kind.upper()} image", file)
            frame = frames[0]
            bits = max(c.bits for c in frame.format.components)
            fmt = "rgb24" if bits <= 8 else "rgb48le"
            return buffers.to_array(frame, fmt), frame.format.name
        img = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"cannot read image ({exc})", file) from None
    if img is None:
        raise InputError(f"cannot read image (damaged or unsupported {kind.upper()})", file)
    if img.dtype not in (np.uint8, np.uint16):
        if img.dtype.kind == "f":
            img = np.clip(img, 0.0, 1.0) * 65535.0 + 0.5
        img = img.astype(np.uint16)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
        pix = "gray16le" if img.dtype == np.uint16 else "gray"
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
        pix = "rgba64le" if img.dtype == np.uint16 else "rgba"
    else:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        pix = "rgb48le" if img.dtype == np.uint16 else "rgb24"
    return np.ascontiguousarray(img), pix


def scan_sequence(path: Path, fps: Fraction | None = None) -> tuple[ReelInfo, SequenceFiles]:
    """Probe a sequence: sizes checked for every file whose header is cheap to read."""
    seq = find_sequence(path)
    head_size, head_bits = _header(seq.files[0], seq.kind)
    first, pix_fmt = read_image(seq.files[0], seq.kind)
    height, width = first.shape[:2]
    if head_size is not None and head_size != (width, height):
        raise InputError(f"damaged {seq.kind.upper()} header (it says {head_size[0]}x{head_size[1]}, "
                         f"the picture is {width}x{height})", seq.files[0])
    bit_depth = 8 if first.dtype == np.uint8 else 16
    if seq.kind == "dpx" and head_bits in (8, 10, 12, 16):
        bit_depth = head_bits
    # every file's header: sizes must agree; the widest bit depth is the sequence's, so a
    # 16-bit scan is never narrowed to the depth of an 8-bit first frame
    depths = {seq.files[0]: bit_depth}
    for f in seq.files[1:]:
        size, bits = _header(f, seq.kind)
        if size is not None and size != (width, height):
            raise InputError(f"frame is {size[0]}x{size[1]}, the sequence is {width}x{height}", f)
        if bits is not None:
            depths[f] = bits
    widest = max(depths.values())
    notes = []
    if widest > bit_depth and (widest > 8) != (bit_depth > 8):
        pix_fmt = _WIDER.get(pix_fmt, "rgb48le")
    if widest != bit_depth or len(set(depths.values())) > 1:
        narrow = [f for f, b in depths.items() if b < widest]
        notes.append(f"{path}: {len(narrow)} of {len(seq.files)} frames are {min(depths.values())}-bit among "
                     f"{widest}-bit ones (first {narrow[0].name}); read at {widest} bits, the narrower "
                     "frames scaled up (x257 from 8 bits), never cut down")
        bit_depth = widest
    if seq.kind == "dpx":
        tc, header_fps = read_industry_headers(seq.files[0])
        header_fps = exact_rate(header_fps)
    else:
        tc, header_fps = None, None
    rate = Fraction(fps) if fps else header_fps or DEFAULT_FPS
    info = ReelInfo(
        path=Path(path),
        format=f"{seq.kind}_sequence",
        frames=len(seq.files),
        fps=rate,
        time_base=1 / rate,
        width=int(width),
        height=int(height),
        bit_depth=int(bit_depth),
        pix_fmt=pix_fmt,
        timecode=normalize_timecode(tc, rate),
        gaps=seq.gaps,
        start_number=seq.numbers[0],
        is_sequence=True,
        step=seq.step,
        codec=seq.kind,
        is_rgb=not pix_fmt.startswith("gray"),
        has_alpha=pix_fmt.startswith("rgba") or pix_fmt.startswith("gbrap"),
        frame_numbers=seq.numbers,
        notes=notes,
    )
    return info, seq


class SequenceSource:
    """Reads frames of a sequence by index; every frame must match the first one's size."""

    def __init__(self, info: ReelInfo, seq: SequenceFiles):
        self.info = info
        self.seq = seq

    def read_array(self, index: int) -> np.ndarray:
        file = self.seq.files[index]
        data, _ = read_image(file, self.seq.kind)
        if data.shape[:2] != (self.info.height, self.info.width):
            raise InputError(
                f"frame is {data.shape[1]}x{data.shape[0]}, the sequence is {self.info.width}x{self.info.height}",
                file,
            )
        want = np.uint8 if self.info.dtype_bits == 8 else np.uint16
        if data.dtype != want:
            if want == np.uint8:  # never narrowed: the probe read every header to pick the widest
                raise InputError(f"frame is {data.dtype.itemsize * 8}-bit but the sequence was probed as "
                                 "8-bit (its header says otherwise); the file is damaged", file)
            data = data.astype(np.uint16) * 257  # 8 -> 16 bits, full range (0 -> 0, 255 -> 65535)
        return data

    def close(self) -> None:
        pass
