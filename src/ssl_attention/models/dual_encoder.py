"""The text side of a dual encoder (CLIP, SigLIP): what `gradrollout --target-text` explains.

The vision adapters load the vision tower only (`CLIPVisionModel`, `SiglipVisionModel`). For
gradient-weighted rollout the target is the cosine similarity of the image embedding to a
prompt's text embedding, so the full model (`CLIPModel`, `SiglipModel`: text tower and
projections) is loaded too, and its vision tower *is* the adapter's (the same modules, so the
maps of every method come from the same weights — with `--weights random` as well).

The tokenizer comes from the checkpoint (a hub id, or a folder saved with `save_pretrained`).
With `--weights random` and no tokenizer at hand (offline), a stand-in maps each UTF-8 byte
to one id between the model's special tokens: the maps of a random model carry no meaning, so
the stand-in only has to be deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import (
    AutoTokenizer,
    CLIPConfig,
    CLIPModel,
    PretrainedConfig,
    PreTrainedModel,
    SiglipConfig,
    SiglipModel,
)

from ssl_attention.attention.targets import image_embedding, text_embedding, text_similarity
from ssl_attention.models.base import VisionAdapter

FULL_MODELS: dict[str, type[PreTrainedModel]] = {"clip": CLIPModel, "siglip": SiglipModel}
TEXT_SEED = 1  # random text towers: another seed than the vision tower's (0)


class DualEncoderError(ValueError):
    """The checkpoint has no text tower (or one this version cannot load); the message says why."""


# Vision-only configs (the shipped ones for offline `--weights random`) get a text tower with the
# transformers defaults of the family's text config (CLIP ViT-B's and SigLIP base's text towers).
FULL_CONFIGS: dict[str, type[CLIPConfig] | type[SiglipConfig]] = {
    "clip_vision_model": CLIPConfig,
    "siglip_vision_model": SiglipConfig,
}


def full_config(config: PretrainedConfig, weights: str) -> PretrainedConfig:
    """The dual encoder's config: `config` itself, or for random weights a vision-only config
    completed with a default text tower. Raises DualEncoderError when there is no text tower."""
    if config.model_type in FULL_MODELS:
        return config
    composite = FULL_CONFIGS.get(config.model_type)
    if composite is None or weights != "random":
        raise DualEncoderError(
            f"a '{config.model_type}' checkpoint has no text tower this version loads: --target-text "
            f"needs a full CLIP or SigLIP checkpoint (model_type {' or '.join(FULL_MODELS)})"
        )
    return composite(vision_config=config.to_dict())


def full_model_class(config: PretrainedConfig) -> type[PreTrainedModel]:
    return FULL_MODELS[config.model_type]


class TextTargets:
    """The full model around an adapter's vision tower, and its tokenizer."""

    def __init__(self, model: PreTrainedModel, tokenize: Any, model_type: str) -> None:
        self.model, self.tokenize, self.model_type = model.eval(), tokenize, model_type

    def embed(self, text: str) -> torch.Tensor:
        """(D,) the text embedding of one prompt (no graph: the target's fixed side)."""
        ids = torch.tensor([self.tokenize(text)], dtype=torch.long, device=self.model.device)
        with torch.no_grad():
            return text_embedding(self.model, ids)[0]

    def score(self, pixels: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
        """(B,) the cosine similarity of each image to the prompt: the target score."""
        return text_similarity(image_embedding(self.model, pixels), text_embed)


def text_targets(
    adapter: VisionAdapter, config: PretrainedConfig, checkpoint: str, weights: str, **kwargs: Any
) -> TextTargets:
    """The adapter's vision tower in its full dual-encoder model, with the text tower from
    `checkpoint` (or random for `weights="random"`)."""
    config = full_config(config, weights)
    model_class = full_model_class(config)
    if weights == "random":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(TEXT_SEED)
            full = model_class._from_config(config)
    else:
        full = model_class.from_pretrained(checkpoint, config=config, **kwargs)
    full.vision_model = adapter.model  # the adapter's tower (and its device): one set of vision weights
    full.to(next(adapter.model.parameters()).device)
    return TextTargets(
        full, tokenizer_for(config, checkpoint, local_only=weights == "random"), config.model_type
    )


def tokenizer_for(config: PretrainedConfig, checkpoint: str, *, local_only: bool) -> Any:
    """text -> token ids: the checkpoint's tokenizer (SigLIP: padded to its text length, as it
    was trained), or for random weights without one the byte stand-in."""
    text = config.text_config
    length = int(text.max_position_embeddings)
    try:
        tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=local_only)
    except (OSError, ValueError, TypeError):
        if not local_only:
            raise
        return lambda prompt: stand_in_ids(prompt, text, length)
    padding: dict[str, Any] = (
        {"padding": "max_length", "max_length": length} if config.model_type == "siglip" else {}
    )

    def tokenize(prompt: str) -> list[int]:
        ids: list[int] = tokenizer(prompt, truncation=True, max_length=length, **padding)["input_ids"]
        return ids

    return tokenize


def stand_in_ids(prompt: str, text: PretrainedConfig, length: int) -> list[int]:
    """One id per UTF-8 byte (kept clear of the special ids), between BOS and EOS where the
    model has them, cut to the text length."""
    special = {getattr(text, name, None) for name in ("bos_token_id", "eos_token_id", "pad_token_id")}
    vocab = int(text.vocab_size)
    free = [i for i in range(min(vocab, 512)) if i not in special]
    body = [free[b % len(free)] for b in prompt.encode("utf-8")]
    bos, eos = getattr(text, "bos_token_id", None), getattr(text, "eos_token_id", None)
    head = [bos] if isinstance(bos, int) and bos < vocab else []
    tail = [eos] if isinstance(eos, int) and eos < vocab else []
    return head + body[: length - len(head) - len(tail)] + tail


def embed_all(targets: TextTargets, prompts: Sequence[str]) -> list[torch.Tensor]:
    return [targets.embed(prompt) for prompt in prompts]
