"""What the gradient methods cost: Grad-CAM (resnet50) and gradient-weighted rollout (a CLIP
ViT-B/16 with a target text) against the plain forward, and what they keep for backward.

    python bench/bench_gradients.py --batch-size 4 --batches 4 --threads 2
    python bench/bench_gradients.py --device cuda --dtype bfloat16 --batch-size 32 --batches 10

Random weights, full-size architectures from the shipped configs (resnet50: microsoft/resnet-50;
CLIP: openai/clip-vit-base-patch16's vision tower, 12 layers × 12 heads, N = 197 tokens at
224 px, with a CLIP text tower of transformers' default size), the same random pixels for every
mode. Modes, each run in turn on every batch (the order rotates), after one warm-up batch
(which also counts what autograd saves):

- `resnet forward`: logits under inference mode (what a plain classification costs);
- `gradcam`: `GradCam` — the forward plus the head's backward to the last stage;
- `vit forward`: the vision tower and projection under inference mode (sdpa attention);
- `vit forward+backward`: the same with autograd, one backward of the image-text similarity to
  the pixels (sdpa's own backward: what any gradient method must at least pay);
- `gradrollout`: `gradient_rollout` through the capture backend (the relevance row folded in
  during backward);
- `head forward`, `head forward+backward`, `head gradrollout`: the same three for the ViT with a
  classification head (`vit_in1k`: google/vit-base-patch16-224's architecture, 1000 classes),
  whose target is each image's top-class logit — what `precompute --models vit_in1k` stores;
- `eager reference`: eager attention with `output_attentions=True` and `retain_grad` on every
  layer, then the rule on whole N × N matrices (how the tests' reference, and most published
  code, computes it).

Memory: the bytes autograd saves for backward during each mode's forward (summed over the
distinct tensors `torch.autograd.graph.saved_tensors_hooks` sees, the weights left out;
device-independent), and on
CUDA the peak allocated memory of the step.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--batches", type=int, default=4, help="timed batches per mode")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--modes", default="", help="comma-separated subset of the modes (default: all)")
    args = parser.parse_args()

    import torch
    import transformers as T

    if args.threads:
        torch.set_num_threads(args.threads)

    from precompute.options import pick_device, pick_dtype
    from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
    from ssl_attention.attention.gradcam import GradCam
    from ssl_attention.attention.gradrollout import RelevanceRecorder, gradient_rollout
    from ssl_attention.attention.targets import (
        class_score,
        image_embedding,
        text_embedding,
        text_similarity,
        top_classes,
    )
    from ssl_attention.models.registry import SHIPPED_CONFIGS, resolve_model
    from ssl_attention.models.resnet import ResNetAdapter
    from ssl_attention.models.token_layout import TokenLayout
    from ssl_attention.models.vit_classifier import VitClassifierAdapter

    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    size = args.image_size
    torch.manual_seed(0)
    batches = [torch.randn(args.batch_size, 3, size, size) for _ in range(args.batches)]

    resnet = resolve_model("resnet50", None, "random").load()
    assert isinstance(resnet, ResNetAdapter)
    resnet.model.to(device)
    gradcam = GradCam(resnet, autocast_dtype=dtype)

    vision = T.CLIPVisionConfig.from_pretrained(SHIPPED_CONFIGS / "clip")
    config = T.CLIPConfig(vision_config=vision.to_dict(), text_config=T.CLIPTextConfig().to_dict())
    clip = T.CLIPModel._from_config(copy.deepcopy(config), attn_implementation=CAPTURE_IMPLEMENTATION)
    clip.eval().requires_grad_(False).to(device)
    eager = T.CLIPModel._from_config(copy.deepcopy(config), attn_implementation="eager")
    eager.load_state_dict(clip.state_dict())
    eager.eval().requires_grad_(False).to(device)
    ids = torch.randint(0, 49406, (1, 8)).to(device)
    ids[0, -1] = 49407
    with torch.no_grad():
        text = text_embedding(clip, ids)[0]
    layout = TokenLayout.vit(has_cls=True, registers=0, image_size=size, patch=int(vision.patch_size))
    recorder = RelevanceRecorder([layer.self_attn for layer in clip.vision_model.encoder.layers], layout)

    head = resolve_model("vit_in1k", None, "random").load()
    assert isinstance(head, VitClassifierAdapter)
    head.model.eval().requires_grad_(False).to(device)
    head_recorder = RelevanceRecorder(head.attention_modules(), head.layout(size))

    def top_class_logit(x: torch.Tensor) -> torch.Tensor:
        logits = head.logits(x)
        return class_score(logits, top_classes(logits, None))

    def head_forward(x: torch.Tensor) -> None:
        with torch.inference_mode(), autocast():
            head.logits(x)

    def head_backward(x: torch.Tensor) -> None:
        leaf = x.requires_grad_(True)
        with autocast():
            score = top_class_logit(leaf).sum()
        score.backward()

    def head_gradrollout(x: torch.Tensor) -> None:
        with autocast():
            gradient_rollout(head_recorder, top_class_logit, x)

    def autocast() -> Any:
        return torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)

    def resnet_forward(x: torch.Tensor) -> None:
        with torch.inference_mode(), autocast():
            resnet.logits(x)

    def run_gradcam(x: torch.Tensor) -> None:
        gradcam(x)

    def vit_forward(x: torch.Tensor) -> None:
        with torch.inference_mode(), autocast():
            image_embedding(clip, x)

    def vit_backward(x: torch.Tensor) -> None:
        leaf = x.requires_grad_(True)
        with autocast():
            score = text_similarity(image_embedding(clip, leaf), text).sum()
        score.backward()

    def run_gradrollout(x: torch.Tensor) -> None:
        with autocast():
            gradient_rollout(recorder, lambda p: text_similarity(image_embedding(clip, p), text), x)

    def eager_reference(x: torch.Tensor) -> None:
        leaf = x.requires_grad_(True)
        with autocast():
            out = eager.vision_model(pixel_values=leaf, output_attentions=True, interpolate_pos_encoding=True)
            for attention in out.attentions:
                attention.retain_grad()
            text_similarity(eager.visual_projection(out.pooler_output), text).sum().backward()
            eye = torch.eye(out.attentions[0].shape[-1], device=x.device)
            relevance = eye.expand(x.shape[0], -1, -1)
            for attention in out.attentions:
                weighted = (attention.grad * attention).clamp(min=0).mean(dim=1).float()
                relevance = relevance + torch.bmm(weighted, relevance)

    modes: dict[str, Callable[[torch.Tensor], None]] = {
        "resnet forward": resnet_forward,
        "gradcam": run_gradcam,
        "vit forward": vit_forward,
        "vit forward+backward": vit_backward,
        "gradrollout": run_gradrollout,
        "eager reference": eager_reference,
        "head forward": head_forward,
        "head forward+backward": head_backward,
        "head gradrollout": head_gradrollout,
    }

    weights = {
        p.untyped_storage().data_ptr()
        for model in (resnet.model, clip, eager, head.model)
        for p in [*model.parameters(), *model.buffers()]
    }

    def saved_bytes(mode: str) -> int:
        """Activations autograd keeps for backward (the weights it also references are not counted)."""
        seen: dict[int, int] = {}

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in weights:
                seen[storage.data_ptr()] = storage.nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            modes[mode](batches[0].clone().to(device))
        return sum(seen.values())

    times: dict[str, list[float]] = {}
    peaks: dict[str, int] = {}

    def step(mode: str, pixels: torch.Tensor) -> float:
        x = pixels.clone().to(device)
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        modes[mode](x)
        if device.type == "cuda":
            torch.cuda.synchronize()
            peaks[mode] = max(peaks.get(mode, 0), torch.cuda.max_memory_allocated())
        return time.perf_counter() - start

    names = [m.strip() for m in args.modes.split(",") if m.strip()] or list(modes)
    saved = {mode: saved_bytes(mode) for mode in names}  # doubles as the warm-up
    for turn, pixels in enumerate(batches):
        for mode in names[turn % len(names) :] + names[: turn % len(names)]:
            times.setdefault(mode, []).append(step(mode, pixels))
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    base = {"resnet forward": "resnet forward", "gradcam": "resnet forward"}
    base |= {mode: "head forward" for mode in ("head forward", "head forward+backward", "head gradrollout")}
    result = {
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "image_size": size,
        "batch_size": args.batch_size,
        "timed_batches_per_mode": args.batches,
        "modes": {
            mode: {
                "median_s_per_batch": round(medians[mode], 4),
                "images_per_s": round(args.batch_size / medians[mode], 2),
                **(
                    {"time_vs_forward": round(medians[mode] / medians[base.get(mode, "vit forward")], 2)}
                    if base.get(mode, "vit forward") in medians
                    else {}
                ),
                "saved_for_backward_mib": round(saved[mode] / 2**20, 1),
                **({"cuda_peak_mib": round(peaks[mode] / 2**20, 1)} if mode in peaks else {}),
            }
            for mode in names
        },
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
