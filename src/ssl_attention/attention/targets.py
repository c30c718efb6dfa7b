"""What a gradient method explains: a model's *target score*, one number per image.

Grad-CAM and gradient-weighted rollout differentiate it; faithfulness (deletion/insertion curves)
records how it falls as pixels are removed. One definition, shared:

- a classifier (ResNet, a ViT with a head): the logit of the target class — `--target-class N`,
  or the class the model ranks first on the unperturbed image (`class_score`);
- CLIP/SigLIP: the cosine similarity of the image embedding to a prompt's text embedding
  (`--target-text`; `ssl_attention.attention.gradrollout.TextTarget`).
"""

from __future__ import annotations

import torch
from torch import nn


def top_classes(logits: torch.Tensor, target_class: int | None) -> torch.Tensor:
    """(B,) the class each image is explained for: `target_class` for all, or each one's top class."""
    if target_class is not None:
        if not 0 <= target_class < logits.shape[-1]:
            raise ValueError(f"target class {target_class} is outside 0..{logits.shape[-1] - 1}")
        return torch.full((logits.shape[0],), target_class, dtype=torch.long, device=logits.device)
    return logits.detach().argmax(dim=-1)


def class_score(logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """(B,) the logit of each image's class: the target score of a classifier."""
    return logits.gather(1, classes[:, None].to(logits.device))[:, 0]


def image_embedding(model: nn.Module, pixels: torch.Tensor) -> torch.Tensor:
    """A dual encoder's (CLIPModel, SiglipModel) image embedding (B, D), projected where it has a projection."""
    tower: nn.Module = getattr(model, "vision_model")  # noqa: B009  (typed as a Module, not Tensor | Module)
    pooled: torch.Tensor = tower(pixel_values=pixels, interpolate_pos_encoding=True).pooler_output
    projection: nn.Module | None = getattr(model, "visual_projection", None)
    return projection(pooled) if projection is not None else pooled


def text_embedding(
    model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """A dual encoder's text embedding (T, D) of tokenised prompts."""
    tower: nn.Module = getattr(model, "text_model")  # noqa: B009
    pooled: torch.Tensor = tower(input_ids=input_ids, attention_mask=attention_mask).pooler_output
    projection: nn.Module | None = getattr(model, "text_projection", None)
    return projection(pooled) if projection is not None else pooled


def text_similarity(image_embeds: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
    """(B,) cosine similarity of each image embedding to one prompt's (D,): CLIP/SigLIP's target
    score (the logit without the learned temperature and bias, which do not move the ranking)."""
    return nn.functional.cosine_similarity(image_embeds.float(), text_embed.float()[None], dim=-1)
