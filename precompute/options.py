"""What a run is asked to do: its options, the one error it raises on bad input, and the checks
common to every kind of model (the kinds check their own flags: `KindRunner.validate`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from ssl_attention.data.remote import is_remote
from ssl_attention.models.peft_adapter import check_adapter, read_adapter
from ssl_attention.models.qwen_vl import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, DEFAULT_PROMPT
from ssl_attention.models.registry import ResolvedModel, base_key, check_variants, resolve_model
from ssl_attention.store.shards import check_shard_size
from ssl_attention.store.text_layout import DEFAULT_MAX_KEYS

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
DEVICES = ("auto", "cpu", "cuda", "mps")
# The largest --image-size. A ViT's rollout holds a float32 N×N product per image (N tokens):
# at 4096 px that is 65,536 patches of 16 px (16 GiB) or 85,264 of 14 px (27 GiB), beyond what
# any one accelerator holds with a batch; 18× the largest native size of the shipped models (224-518).
MAX_IMAGE_SIZE = 4096


class RunError(RuntimeError):
    """A run cannot start as asked; the message says what to change."""


@dataclass(frozen=True)
class RunOptions:
    models: list[str]  # names: registry keys and declared variants
    images: Path | str  # a folder, or the URL of a prefix on object storage (`data/remote.py`)
    store: str
    db: str
    checkpoints: dict[str, str] = field(default_factory=dict)  # name -> hub id or folder
    variants: dict[str, str] = field(default_factory=dict)  # variant name -> registry key it is built like
    adapters: dict[str, str] = field(default_factory=dict)  # variant name -> PEFT adapter folder or hub id
    merge_adapters: bool = True  # merge adapters into the weights (False: --no-merge)
    weights: str = "pretrained"
    image_size: int = 224
    batch_size: int = 16
    device: str = "auto"
    dtype: str = "auto"
    limit: int | None = None
    force: bool = False
    verify: bool = False  # decode every finished chunk, recompute what is damaged (precompute/kind.py)
    shard_size: int | None = (
        None  # images per shard of a ViT group's arrays (store/shards.py); None: unsharded
    )
    per_head: bool = False
    workers: int = 4
    query_chunk_mb: int = 16
    metrics: bool = False
    annotations: Path | None = None  # COCO JSON; default: the gallery's annotations.json
    faithfulness: bool = False  # deletion/insertion curves of the stored maps (precompute/faithfulness.py)
    faithfulness_steps: int = 10
    faithfulness_maps: str = "default"  # last, fused, default, all (metrics/faithfulness.py)
    # VLMs only
    prompts: tuple[str, ...] = (DEFAULT_PROMPT,)
    max_new_tokens: int = 64
    min_pixels: int = DEFAULT_MIN_PIXELS
    max_pixels: int = DEFAULT_MAX_PIXELS
    answer_from: str | None = None  # the VLM whose answers the other VLMs are teacher-forced through
    answer_token: int | None = (
        None  # gradrollout of this answer token (precompute/vlm_gradients.py); None: off
    )
    # Text language models only (precompute/texts.py)
    texts: Path | None = None  # a JSONL file of texts: runs the text models instead of the gallery
    generate: int = 0  # tokens each text's model generates after it (greedy)
    keep_mass: float = 0.99  # a stored row keeps its fewest top keys reaching this mass ...
    max_keys: int = DEFAULT_MAX_KEYS  # ... and at most this many (text_layout.py: the budget)
    # CNNs only (precompute/gradients.py): the class Grad-CAM explains; None: each image's top class
    target_class: int | None = None
    # ViTs with a target (precompute/gradrollout.py): CLIP/SigLIP prompts whose gradrollout maps are stored
    target_texts: tuple[str, ...] = ()
    # How the batches run (precompute/executors.py): "local" (this process) or "ray" (a Ray Data pipeline)
    executor: str = "local"
    ray_address: str | None = None  # "auto", a cluster address, or None: a local cluster
    ray_actors: int | None = None  # model actors; None: one per GPU of the cluster (CPU-only: half its CPUs)


def pick_device(name: str) -> torch.device:
    if name not in DEVICES:
        raise RunError(f"--device must be one of {', '.join(DEVICES)}, got '{name}'")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda asked for, but PyTorch sees no CUDA device; use --device cpu or auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RunError("--device mps asked for, but this machine has no MPS device; use --device cpu or auto")
    return torch.device(name)


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """`auto`: bf16 autocast on CUDA (fp16 where bf16 is unsupported), float32 elsewhere."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if name not in DTYPES:
        raise RunError(f"--dtype must be one of auto, {', '.join(DTYPES)}, got '{name}'")
    return DTYPES[name]


def validate_common(options: RunOptions) -> None:
    """The flags every kind reads."""
    if options.batch_size < 1:
        raise RunError(f"--batch-size must be at least 1, got {options.batch_size}")
    if not 1 <= options.image_size <= MAX_IMAGE_SIZE:
        raise RunError(
            f"--image-size must be 1 to {MAX_IMAGE_SIZE} pixels, got {options.image_size} "
            f"(at {MAX_IMAGE_SIZE} one image's N×N attention rollout already takes 16-27 GiB)"
        )
    if options.limit is not None and options.limit < 1:
        raise RunError(f"--limit must be at least 1, got {options.limit}")
    if options.target_class is not None and options.target_class < 0:
        raise RunError(f"--target-class takes a class index of 0 or more, got {options.target_class}")
    if (why := check_shard_size(options.shard_size)) is not None:
        raise RunError(why)


def resolve_models(options: RunOptions) -> list[ResolvedModel]:
    """Each chosen name's config and checkpoint (no weights yet); variants are built like their key,
    with their adapter read and checked against the architecture. The `--answer-from` model runs first."""
    check_variants(options.variants)
    resolved = []
    for name in options.models:
        model = resolve_model(
            base_key(name, options.variants), options.checkpoints.get(name), options.weights, name=name
        )
        source = options.adapters.get(name)
        if source is not None:
            adapter = read_adapter(name, source, merge=options.merge_adapters)
            check_adapter(adapter, model.meta_network(), model.config.model_type)
            model = replace(model, adapter=adapter)
        resolved.append(model)
    teacher = options.answer_from
    if teacher is not None:
        if teacher not in options.models:
            raise RunError(
                f"--answer-from names '{teacher}', which is not in --models; name one of the run's VLMs "
                f"({', '.join(options.models)})"
            )
        resolved.sort(key=lambda model: model.name != teacher)  # stable: the others keep their order
    return resolved


def validate_images(options: RunOptions) -> None:
    if not is_remote(options.images) and not Path(options.images).is_dir():
        raise RunError(f"image folder {options.images} does not exist; pass --images DIR")


def run_params(options: RunOptions, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    """The run's settings as recorded in the catalog's `runs.params`."""
    return {
        "image_size": options.image_size,
        "batch_size": options.batch_size,
        "per_head": options.per_head,
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "images": str(options.images),
        "limit": options.limit,
        "force": options.force,
        "prompts": list(options.prompts),
        "max_new_tokens": options.max_new_tokens,
        "min_pixels": options.min_pixels,
        "max_pixels": options.max_pixels,
        "adapters": dict(options.adapters),
        "merge_adapters": options.merge_adapters,
        "answer_from": options.answer_from,
        "target_class": options.target_class,
        "target_texts": list(options.target_texts),
        "shard_size": options.shard_size,
    }
