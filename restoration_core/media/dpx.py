"""DPX header details FFmpeg leaves out: the film and television headers (frame rate, timecode).

FFmpeg's DPX encoder writes only the 1664-byte generic and image headers. To carry the
timecode and rate, :func:`add_industry_headers` inserts the 384-byte industry headers (film
+ TV) and moves the image data offset; :func:`read_industry_headers` reads them back (only
when the file has them: otherwise those offsets hold picture data).
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

GENERIC_AND_IMAGE = 1664
INDUSTRY = 384
_TC_OFFSET = 1920  # TV header: time code (BCD HHMMSSFF)
_FILM_RATE = 1724  # film header: frames per second (R32)
_TV_RATE = 1940  # TV header: temporal sampling rate (R32)


def _order(head: bytes) -> str | None:
    return {b"SDPX": ">", b"XPDS": "<"}.get(bytes(head[:4]))


def add_industry_headers(data: bytes, timecode: str | None, fps: Fraction) -> bytes:
    """``data`` (a DPX file without industry headers) with film+TV headers holding rate and timecode."""
    order = _order(data)
    if order is None:
        return data
    offset, = struct.unpack(order + "I", data[4:8])
    ind_size, = struct.unpack(order + "I", data[28:32])
    if offset != GENERIC_AND_IMAGE or ind_size != 0:
        return data
    industry = bytearray(b"\x00" * 48 + b"\xff" * (256 - 48) + b"\xff" * 128)
    industry[1732 - 1664:1920 - 1664] = b"\x00" * (1920 - 1732)  # frame id, slate, reserved: ASCII
    rate = struct.pack(order + "f", float(fps))
    industry[_FILM_RATE - 1664:_FILM_RATE - 1660] = rate
    industry[_TV_RATE - 1664:_TV_RATE - 1660] = rate
    if timecode:
        digits = timecode.replace(":", "").replace(";", "")
        industry[_TC_OFFSET - 1664:_TC_OFFSET - 1660] = struct.pack(order + "I", int(digits, 16))
    out = bytearray(data[:GENERIC_AND_IMAGE]) + industry + data[GENERIC_AND_IMAGE:]
    new_offset = GENERIC_AND_IMAGE + INDUSTRY
    out[4:8] = struct.pack(order + "I", new_offset)
    out[16:20] = struct.pack(order + "I", len(out))
    out[28:32] = struct.pack(order + "I", INDUSTRY)
    element_offset, = struct.unpack(order + "I", data[808:812])
    if element_offset == GENERIC_AND_IMAGE:
        out[808:812] = struct.pack(order + "I", new_offset)
    return bytes(out)


def read_industry_headers(file: Path) -> tuple[str | None, Fraction | None]:
    """(timecode "HH:MM:SS:FF" or None, frame rate or None) from a DPX file's film/TV headers."""
    with open(file, "rb") as fh:
        head = fh.read(2048)
    order = _order(head)
    if order is None or len(head) < 2048:
        return None, None
    offset, = struct.unpack(order + "I", head[4:8])
    ind_size, = struct.unpack(order + "I", head[28:32])
    if offset < GENERIC_AND_IMAGE + INDUSTRY or ind_size in (0, 0xFFFFFFFF) or ind_size < INDUSTRY:
        return None, None
    tc = None
    bcd, = struct.unpack(order + "I", head[_TC_OFFSET:_TC_OFFSET + 4])
    digits = f"{bcd:08x}"
    if bcd != 0xFFFFFFFF and digits.isdigit():
        tc = f"{digits[0:2]}:{digits[2:4]}:{digits[4:6]}:{digits[6:8]}"
    fps = None
    for at in (_FILM_RATE, _TV_RATE):
        rate, = struct.unpack(order + "f", head[at:at + 4])
        if math.isfinite(rate) and 1 <= rate <= 300:
            fps = Fraction(rate)
            break
    return tc, fps
