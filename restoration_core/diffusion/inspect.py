"""Read what a model folder or file is without loading it: configs and safetensors headers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from restoration_core.errors import ModelError

PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle")
SAFE_SUFFIX = ".safetensors"
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
                "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path.name}: {exc}", path.parent) from None
    if not isinstance(data, dict):
        raise ModelError(f"{path.name} is not a JSON object", path.parent)
    return data


def safetensors_header(path: Path) -> dict:
    """The tensor table of a .safetensors file (name -> {dtype, shape, ...})."""
    try:
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ValueError("file too short")
            (n,) = struct.unpack("<Q", raw)
            if n > 100_000_000:
                raise ValueError("header too large")
            header = json.loads(f.read(n))
    except (OSError, ValueError, struct.error) as exc:
        raise ModelError(f"not a readable safetensors file ({exc})", path) from None
    if not isinstance(header, dict):
        raise ModelError(f"not a safetensors file (its header is a JSON {type(header).__name__}, "
                         "not a table of tensors)", path)
    header.pop("__metadata__", None)
    bad = next((k for k, v in header.items() if not isinstance(v, dict)
                or not isinstance(v.get("shape", []), list)
                or not all(isinstance(d, int) and d >= 0 for d in v.get("shape", []))), None)
    if bad is not None:
        raise ModelError(f"not a safetensors file (tensor {bad!r} has no valid dtype and shape)", path)
    return header


def int_field(cfg: dict, key: str, where: Path, default: int = 0) -> int:
    """A whole-number field of a model config (ModelError naming the file when it is not one)."""
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelError(f"config field {key!r} must be a whole number, not {value!r}", where)
    return value


def param_count(path: Path) -> tuple[int, int]:
    """(number of parameters, bytes per parameter in the file) of a weights file."""
    if path.suffix == SAFE_SUFFIX:
        header = safetensors_header(path)
        n = 0
        width = 4
        for entry in header.values():
            count = 1
            for d in entry.get("shape", []):
                count *= int(d)
            n += count
            width = _DTYPE_BYTES.get(entry.get("dtype", "F32"), 4)
        return n, width
    size = path.stat().st_size
    return size // 4, 4


def weight_files(folder: Path) -> list[Path]:
    """Weight files directly in ``folder`` (safetensors first; pickle files otherwise)."""
    safe = sorted(p for p in folder.glob("*.safetensors") if p.is_file())
    if safe:
        return safe
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PICKLE_SUFFIXES)


def refuse_pickle(files: list[Path], allow_pickle: bool, where: Path) -> bool:
    """Raise for pickle weights unless allowed; return True when pickle files will be used."""
    pickles = [p for p in files if p.suffix in PICKLE_SUFFIXES]
    if not pickles:
        return False
    if not allow_pickle:
        raise ModelError(
            f"{pickles[0].name} is a pickle checkpoint, which can run arbitrary code when "
            "loaded; refused (convert it to .safetensors, or, if you trust its source, "
            "register it with `reelwright models add PATH --allow-pickle` and use it by name "
            "or path)", where)
    return True


def sd_single_file_in_channels(path: Path) -> int:
    """Input channels of the UNet in an original-format SD checkpoint (.safetensors)."""
    header = safetensors_header(path)
    for key in ("model.diffusion_model.input_blocks.0.0.weight", "conv_in.weight",
                "unet.conv_in.weight"):
        if key in header:
            return int(header[key]["shape"][1])
    raise ModelError("not a Stable Diffusion checkpoint (no UNet input convolution found)", path)
