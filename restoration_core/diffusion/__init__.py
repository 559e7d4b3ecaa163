"""Diffusion models: a registry of local models, validation, device choice and fill engines.

Everything is read from local paths (``HF_HUB_OFFLINE=1``); safetensors only unless the
user explicitly allows pickle checkpoints. diffusers and transformers are imported only when
a model is loaded; torch comes with the package (device choice and validation use it).
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from restoration_core.diffusion.check import ModelInfo, add_model, check_model, resolve_model_path  # noqa: E402
from restoration_core.diffusion.loader import load_fill_engine  # noqa: E402
from restoration_core.diffusion.registry import list_models, lookup, remove_model  # noqa: E402

__all__ = [
    "ModelInfo",
    "add_model",
    "check_model",
    "list_models",
    "load_fill_engine",
    "lookup",
    "remove_model",
    "resolve_model_path",
]
