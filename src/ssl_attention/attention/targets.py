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
