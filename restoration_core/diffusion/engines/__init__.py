"""Generative fill engines: latent (Stable Diffusion inpainting) and pixel-space (UNet2DModel)."""
