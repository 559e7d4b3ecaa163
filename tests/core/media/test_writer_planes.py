"""Arrays written by plane copies (16-bit RGB into gbrp16le, 8-bit RGB into bgr0): the same
samples as swscale's conversion, the same file, and a manifest equal to the decode."""

from __future__ import annotations

import av
import numpy as np
import pytest

from restoration_core.media import buffers, open_reel, open_writer, probe
from restoration_core.media.fixity import decoded_md5s, read_framemd5
from restoration_core.media.writerbase import array_to_av
from tests.core.fixtures_media import make_ffv1_mkv, make_prores_10bit, picture


def _rows(frame: av.VideoFrame, bytes_per_pixel: int) -> list[np.ndarray]:
    return [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : bytes_per_pixel * p.width].copy()
            for p in frame.planes]


@pytest.mark.parametrize("size", [(97, 65), (1, 3), (128, 16)])
def test_plane_copies_give_swscales_samples(size):
    w, h = size
    rng = np.random.default_rng(w)
    deep = rng.integers(0, 65536, (h, w, 3), dtype=np.uint16)
    ours = buffers.target_from_array(deep, "gbrp16le")
    ref = av.VideoFrame.from_ndarray(deep, format="rgb48le").reformat(format="gbrp16le")
    assert all(np.array_equal(a, b) for a, b in zip(_rows(ours, 2), _rows(ref, 2), strict=True))
    assert np.array_equal(ours.to_ndarray(format="rgb48le"), deep)
    flat = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ours8 = buffers.target_from_array(flat, "bgr0")
    ref8 = av.VideoFrame.from_ndarray(flat, format="rgb24").reformat(format="bgr0")
    a, b = _rows(ours8, 4)[0].reshape(h, w, 4), _rows(ref8, 4)[0].reshape(h, w, 4)
    assert np.array_equal(a[..., :3], b[..., :3]) and not a[..., 3].any()
    # not a reordering (another depth, another format): left to swscale
    assert buffers.target_from_array(flat, "gbrp16le") is None
    assert buffers.target_from_array(deep, "yuv422p10le") is None


@pytest.mark.parametrize("bits", [8, 16])
def test_arrays_give_the_file_swscale_gave_and_a_manifest_equal_to_the_decode(tmp_path, bits):
    if bits == 8:
        src = make_ffv1_mkv(tmp_path / "src.mkv", frames=3, pix_fmt="bgr0", size=(98, 66))
    else:
        src = make_prores_10bit(tmp_path / "src.mov", frames=3, size=(98, 66), audio=False)
    info = probe(src)
    frames = [picture(i, 98, 66, bits=bits) for i in range(3)]
    new = open_writer(tmp_path / "new.mkv", "master", info)
    old = open_writer(tmp_path / "old.mkv", "master", info)
    assert new.pix_fmt == ("bgr0" if bits == 8 else "gbrp16le")
    for data in frames:
        new.write(data)
        old.write_av(array_to_av(data))  # the swscale conversion in the encoder thread, as before
    ours, theirs = new.commit(), old.commit()
    assert ours.sha256 == theirs.sha256 and ours.frame_md5 == theirs.frame_md5
    assert read_framemd5(ours.manifest_path) == [m for m, _ in decoded_md5s(ours.path)]
    with open_reel(ours.path) as reel:
        assert all(np.array_equal(f.data, frames[f.index]) for f in reel.frames())
