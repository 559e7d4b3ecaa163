"""Builders of tiny random diffusion models saved to a folder, for tests of any area.

Everything is random and a few hundred kilobytes: a Stable Diffusion inpainting pipeline
(9-channel UNet, tiny VAE, tiny CLIP text model with a hand-written vocab) and pixel-space
UNet2DModel folders (unconditional 3-channel and concat-conditioned 7-channel). They load
through the real registry and loaders in ``restoration_core.diffusion``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

_VOCAB_WORDS = ["a", "film", "frame", "photo", "old", "grain", "of", "the", "scan", "clean"]


def _write_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    """A minimal CLIP BPE vocabulary: special tokens, single letters and a few words."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["<|startoftext|>", "<|endoftext|>"]
    for c in "abcdefghijklmnopqrstuvwxyz":
        tokens += [c, c + "</w>"]
    tokens += [w + "</w>" for w in _VOCAB_WORDS]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    vocab_path = folder / "vocab.json"
    vocab_path.write_text(json.dumps(vocab))
    merges_path = folder / "merges.txt"
    merges_path.write_text("#version: 0.2\n")
    return vocab_path, merges_path


def build_sd_inpaint(folder: str | Path, *, sample_size: int = 16, in_channels: int = 9,
                     safe: bool = True) -> Path:
    """Save a tiny random ``StableDiffusionInpaintPipeline`` folder (latent sample_size)."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder = Path(folder)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=in_channels,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=32,
        sample_size=sample_size * 2,
    )
    vocab_path, merges_path = _write_tokenizer_files(folder / "_tok_src")
    tokenizer = CLIPTokenizer(vocab=str(vocab_path), merges=str(merges_path), model_max_length=16)
    text_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=16,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    text_encoder = CLIPTextModel(text_config)
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )
    pipe = StableDiffusionInpaintPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=safe)
    for f in (folder / "_tok_src").iterdir():
        f.unlink()
    (folder / "_tok_src").rmdir()
    return folder


def build_pixel_unet(folder: str | Path, *, concat: bool = False, sample_size: int = 32,
                     safe: bool = True, with_scheduler: bool = True) -> Path:
    """Save a tiny random ``UNet2DModel`` folder: 3 input channels, or 7 when ``concat``."""
    from diffusers import DDIMScheduler, UNet2DModel

    folder = Path(folder)
    torch.manual_seed(1)
    unet = UNet2DModel(
        sample_size=sample_size,
        in_channels=7 if concat else 3,
        out_channels=3,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=32,
    )
    unet.save_pretrained(folder, safe_serialization=safe)
    if with_scheduler:
        DDIMScheduler(num_train_timesteps=1000).save_pretrained(folder)
    return folder


def build_text_model(folder: str | Path) -> Path:
    """A folder holding a transformers text model: the wrong kind of model for Reelwright."""
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = Path(folder)
    config = CLIPTextConfig(vocab_size=64, hidden_size=32, intermediate_size=37,
                            num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=16)
    CLIPTextModel(config).save_pretrained(folder)
    return folder
