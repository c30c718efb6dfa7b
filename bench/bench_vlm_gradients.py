"""What a VLM's gradrollout costs (precompute --answer-token): time and memory against the plain
forward and the plain forward+backward of the same target, on a random-init Qwen2.5-VL.

    python bench/bench_vlm_gradients.py                          # "small" (bench_vlm.py's sizes), 448 px
    python bench/bench_vlm_gradients.py --size medium --rounds 3 --threads 2
    python bench/bench_vlm_gradients.py --device cuda --dtype bfloat16 --size base

One sample photo resized by the processor to about --pixels pixels, the prompt "Describe this
image." and a fixed 16-token answer; the target is log p(last answer token | everything before)
under teacher forcing (what `--answer-token -1` explains). Modes, in turn each round (the order
rotates), after one warm-up each (which also counts what autograd saves):

- `forward`: the model over prompt + answer under inference mode (sdpa; what precompute's own
  recorded pass costs without its statistics);
- `forward+backward`: the same with autograd and one backward of the target to the input
  embeddings (sdpa's own backward; the floor of any gradient method);
- `gradrollout`: `answer_relevance` (the capture backend keeps q, k, v per layer, recomputes A in
  query chunks during backward and carries one relevance row);
- `eager reference`: eager attention with `output_attentions=True` and `retain_grad`, then the rule
  on whole N × N matrices (the tests' reference and most published code).

Memory: the bytes autograd saves for backward during each mode's forward (distinct storages seen
by `saved_tensors_hooks`, the weights left out; device-independent), and on CUDA the peak
allocated memory of the step.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_vlm import SAMPLES, SIZES, build

ANSWER = "A small photo of a cat on a mat."


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--pixels", type=int, default=448 * 448, help="image pixels (min = max pixels)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per mode")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--modes", default="", help="comma-separated subset of the modes (default: all)")
    args = parser.parse_args()

    import torch
    from PIL import Image

    from precompute.options import pick_device, pick_dtype
    from ssl_attention.attention.vlm_relevance import AnswerToken, answer_relevance, choose_answer_token

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    adapter = build(args.size)
    adapter.model.to(device=device, dtype=dtype)
    model = adapter.model
    eager = copy.deepcopy(model)
    eager.set_attn_implementation("eager")

    image = Image.open(sorted(SAMPLES.glob("*.jpg"))[0]).convert("RGB")
    inputs = adapter.prepare(image, "Describe this image.", min_pixels=args.pixels, max_pixels=args.pixels)
    answer = adapter.tokenizer(ANSWER, add_special_tokens=False)["input_ids"][:16]
    token = choose_answer_token(adapter, inputs, answer, -1)
    assert isinstance(token, AnswerToken)
    ids = torch.cat([inputs.input_ids, torch.tensor([answer[: token.index]])], dim=1).to(device)
    kwargs = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        mm_token_type_ids=inputs.token_types(token.index).to(device),
        pixel_values=inputs.pixel_values.to(device, dtype),
        image_grid_thw=inputs.image_grid_thw.to(device),
        logits_to_keep=1,
        use_cache=False,
    )

    def target(logits: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(logits[0, -1].float(), dim=-1)[token.token_id]

    def forward() -> None:
        with torch.inference_mode():
            model(**kwargs)

    def with_leaf(network: torch.nn.Module, **extra: Any) -> tuple[Any, list[torch.Tensor]]:
        leaves: list[torch.Tensor] = []

        def hook(_m: Any, _a: Any, output: torch.Tensor) -> torch.Tensor:
            leaves.append(output.detach().requires_grad_(True))
            return leaves[-1]

        handle = network.get_input_embeddings().register_forward_hook(hook)
        try:
            return network(**kwargs, **extra), leaves
        finally:
            handle.remove()

    def forward_backward() -> None:
        out, leaves = with_leaf(model)
        target(out.logits).backward(inputs=leaves)

    def gradrollout() -> None:
        answer_relevance(adapter, inputs, answer, token)

    def eager_reference() -> None:
        out, leaves = with_leaf(eager, output_attentions=True)
        for attention in out.attentions:
            attention.retain_grad()
        target(out.logits).backward(inputs=[*leaves, *out.attentions])
        relevance = torch.eye(ids.shape[1], device=device)
        for attention in out.attentions:
            weighted = (attention.grad * attention).clamp(min=0).mean(dim=1)[0].float()
            relevance = relevance + weighted @ relevance

    modes: dict[str, Callable[[], None]] = {
        "forward": forward,
        "forward+backward": forward_backward,
        "gradrollout": gradrollout,
        "eager reference": eager_reference,
    }
    model.requires_grad_(False)
    eager.requires_grad_(False)
    weights = {
        p.untyped_storage().data_ptr() for m in (model, eager) for p in [*m.parameters(), *m.buffers()]
    }

    def saved_bytes(mode: str) -> int:
        seen: dict[int, int] = {}

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in weights:
                seen[storage.data_ptr()] = storage.nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            modes[mode]()
        return sum(seen.values())

    names = [m.strip() for m in args.modes.split(",") if m.strip()] or list(modes)
    saved = {mode: saved_bytes(mode) for mode in names}  # doubles as the warm-up
    times: dict[str, list[float]] = {}
    peaks: dict[str, int] = {}
    for turn in range(args.rounds):
        for mode in names[turn % len(names) :] + names[: turn % len(names)]:
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            modes[mode]()
            if device.type == "cuda":
                torch.cuda.synchronize()
                peaks[mode] = max(peaks.get(mode, 0), torch.cuda.max_memory_allocated())
            times.setdefault(mode, []).append(time.perf_counter() - start)
            print(f"round {turn}: {mode} {times[mode][-1]:.2f} s", file=sys.stderr, flush=True)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    result = {
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "size": args.size,
        "layers": adapter.n_layers,
        "heads": adapter.n_heads,
        "sequence_tokens": int(ids.shape[1]),
        "image_tokens": inputs.image_tokens[1] - inputs.image_tokens[0],
        "grid": list(inputs.grid),
        "rounds": args.rounds,
        "modes": {
            mode: {
                "median_s": round(medians[mode], 4),
                **(
                    {"time_vs_forward": round(medians[mode] / medians["forward"], 2)}
                    if "forward" in medians
                    else {}
                ),
                **(
                    {"time_vs_forward_backward": round(medians[mode] / medians["forward+backward"], 2)}
                    if "forward+backward" in medians
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
