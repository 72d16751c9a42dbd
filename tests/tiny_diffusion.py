"""Tiny randomly initialised diffusion pipelines, saved to disk and loaded by the diffusion backend
through the same ``from_pretrained(model)`` call a real model id or path goes through (about
9 MB each, no network: the tokenizer is a character-level CLIP tokenizer built in memory).
Used by the diffusion tests and the golden outputs; the weights depend only on the seeds here."""
from __future__ import annotations

from pathlib import Path


def tiny_text_parts(torch):
    """A character-level CLIP tokenizer (in-memory vocabulary, no merges) and a tiny CLIP text
    encoder whose eos/bos/pad ids match it."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789":
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    torch.manual_seed(0)
    config = CLIPTextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_attention_heads=4,
                            num_hidden_layers=2, max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    return tokenizer, CLIPTextModel(config)


def tiny_unet_vae(torch, in_channels: int, gated: bool):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=16, in_channels=in_channels, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_type="gated" if gated else "default")
    vae = AutoencoderKL(block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                        sample_size=32)
    return unet, vae


def save_tiny_gligen(path: Path) -> Path:
    """A tiny random StableDiffusionGLIGENPipeline saved to ``path`` (model_index.json,
    subfolders), laid out like a real GLIGEN text-box checkpoint."""
    import diffusers
    import torch
    from diffusers import DDIMScheduler

    # diffusers deprecated the GLIGEN pipeline class; its components are Stable Diffusion's.
    pipeline_class = getattr(diffusers, "StableDiffusionGLIGENPipeline", None) or diffusers.StableDiffusionPipeline

    tokenizer, text_encoder = tiny_text_parts(torch)
    unet, vae = tiny_unet_vae(torch, 4, gated=True)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipe = pipeline_class(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                          safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(path)
    return path


def save_tiny_inpaint(path: Path) -> Path:
    """A tiny random StableDiffusionInpaintPipeline (9-channel UNet) saved to ``path``."""
    import torch
    from diffusers import PNDMScheduler, StableDiffusionInpaintPipeline

    tokenizer, text_encoder = tiny_text_parts(torch)
    unet, vae = tiny_unet_vae(torch, 9, gated=False)
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True,
                              steps_offset=1)
    pipe = StableDiffusionInpaintPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                          scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                          requires_safety_checker=False)
    pipe.save_pretrained(path)
    return path
