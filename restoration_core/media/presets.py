"""Export presets, kept as TOML data files in restoration_core/resources/presets/ (one per preset)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import av

from restoration_core.errors import InputError
from restoration_core.media.info import ReelInfo
from restoration_core.paths import resources_dir

PRESET_NAMES = ("master", "mezzanine", "access", "dpx", "tiff", "png")


@dataclass(frozen=True)
class Preset:
    """One export preset as read from its TOML file (see the files for what each key means)."""

    name: str
    description: str
    kind: str  # "container" or "sequence"
    codec: str
    extension: str
    lossless: bool
    format: str = ""
    data: dict = field(default_factory=dict, repr=False)

    @property
    def is_sequence(self) -> bool:
        return self.kind == "sequence"

    def options_for(self, rgb: bool) -> dict[str, str]:
        """Encoder options (the ``options_rgb`` table for RGB/alpha sources where present)."""
        table = self.data.get("options_rgb") if rgb and "options_rgb" in self.data else self.data.get("options", {})
        return {str(k): str(v) for k, v in (table or {}).items()}

    @property
    def container_options(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.data.get("container_options", {}).items()}

    @property
    def audio(self) -> dict:
        return dict(self.data.get("audio", {}))

    def pix_fmt_for(self, info: ReelInfo, source_frames: bool = False) -> str:
        """The encoder's pixel format for a reel.

        ``source_frames``: the writer gets the decoder's own frames (an untouched export), so a
        lossless preset keeps the source's pixel format when its codec can hold it.
        """
        d = self.data
        if "pix_fmt" in d:  # fixed-format (lossy) presets
            if source_frames and info.has_alpha and "pix_fmt_alpha" in d:
                return d["pix_fmt_alpha"]  # decoder frames still carry the alpha plane
            rgb = info.is_rgb or info.has_alpha or info.is_sequence
            return d.get("pix_fmt_rgb", d["pix_fmt"]) if rgb else d["pix_fmt"]
        if source_frames and d.get("keep_source_pix_fmt") and not info.is_sequence:
            if info.pix_fmt in {f.name for f in av.codec.Codec(self.codec, "w").video_formats}:
                return info.pix_fmt
        if source_frames and not self.is_sequence:
            # 16-bit RGB holds any source's rgb48 decode bit-exactly
            return d["pix_fmt_16bit"]
        if info.bit_depth <= 8:
            return d.get("pix_fmt_8bit", d["pix_fmt_16bit"])
        if info.bit_depth <= 10 and "pix_fmt_10bit" in d:
            return d["pix_fmt_10bit"]
        return d["pix_fmt_16bit"]


def presets_dir() -> Path:
    return resources_dir() / "presets"


def load_preset(name: str | Preset) -> Preset:
    """The preset called ``name`` (InputError naming the file if missing or malformed)."""
    if isinstance(name, Preset):
        return name
    path = presets_dir() / f"{name}.toml"
    if not path.is_file():
        raise InputError(f"unknown export preset {name!r} (known: {', '.join(available_presets())})", path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Preset(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            kind=str(data["kind"]),
            codec=str(data["codec"]),
            extension=str(data["extension"]),
            lossless=bool(data.get("lossless", False)),
            format=str(data.get("format", "")),
            data=data,
        )
    except (tomllib.TOMLDecodeError, KeyError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed preset ({exc})", path) from None


def available_presets() -> list[str]:
    folder = presets_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else list(PRESET_NAMES)
