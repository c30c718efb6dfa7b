"""Where a ViT group keeps its gradient-weighted rollout (`gradrollout`): one map per target.

    <store>/<model>/                 attrs: VitAttrs, with `targets` ("a photo of a cat", "class:top", ...)
      gradrollout/<k>/fused  (n, 1, gh, gw)   the map for target k = its index in `targets`
      gradrollout/<k>/image  (n,)             row -> image id, like every method's coordinate

A target is what the map explains: for CLIP/SigLIP a `--target-text` prompt (the cosine
similarity of the image and text embeddings), for a classifier `class:top` (each image's top
class) or `class:N` (`--target-class N`). Targets are only ever appended, so index k keeps
naming the same target; adding one adds its array and leaves the others' bytes alone. Which
(image, target) maps are finished is the catalog's `vlm_samples` table (prompt_index = k):
one map per image per target, resumed like a VLM's prompts. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence

GRADROLLOUT = "gradrollout"
TOP_CLASS = "class:top"


def class_target(target_class: int | None) -> str:
    """The target name of a classifier's map: `class:top`, or `class:N` for `--target-class N`."""
    return TOP_CLASS if target_class is None else f"class:{target_class}"


def target_class_of(target: str) -> int | None:
    """The class index a `class:…` target names (None: each image's top class)."""
    value = target.removeprefix("class:")
    return None if value == "top" else int(value)


def target_method(index: int) -> str:
    """The array group of target `index` (`gradrollout/<k>`)."""
    return f"{GRADROLLOUT}/{index}"


def target_path(index: int) -> str:
    """The fused map array of target `index`."""
    return f"{target_method(index)}/fused"


def is_target_method(method: str) -> bool:
    return method.startswith(f"{GRADROLLOUT}/")


def target_methods(targets: Sequence[str]) -> list[str]:
    """The array group of every target, in index order; each holds one (n, 1, gh, gw) `fused`
    array: one layer (the rollout through every layer), no heads."""
    return [target_method(k) for k in range(len(targets))]


def with_targets(known: Sequence[str], added: Sequence[str]) -> tuple[str, ...]:
    """`known` with `added` appended (order kept, no duplicates): indices never move."""
    merged = list(known)
    merged += [t for t in added if t not in merged]
    return tuple(merged)
