"""VLM precompute: text tokens per second and peak memory vs the naive eager generate loop.

    python bench/bench_vlm.py                       # the "small" architecture below, 4 images, 2 rounds
    python bench/bench_vlm.py --images 6 --max-new-tokens 64 --rounds 3
    python bench/bench_vlm.py --device cuda --size base

Every mode runs in its own subprocess (peak memory is that mode's alone), on the same sample
photos, prompt and random-init weights (seeded, so every mode generates the same answers):
  plain    greedy generate under sdpa, nothing recorded (the floor)
  capture  ssl-attention: generate under sdpa with the capture backend recording (text→image
           maps for every prompt and answer token, per head; the vision tower's mean and rollout)
  capture_text  the same without the vision-tower maps: the work the naive loop does
  naive    eager attention, generate(output_attentions=True, return_dict_in_generate=True),
           then the same text→image maps cut from the returned tensors
Tokens/s counts the stored text tokens (those after the image, prompt and answer). Modes run
plain, capture, capture_text, naive, then again (ABAB); per-image medians over all rounds. Peak memory: CUDA
max_memory_allocated, or on CPU the peak RSS above the RSS after loading the model.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MODES = ("plain", "capture", "capture_text", "naive")
PROMPT = "Describe this image."

# "small": tiny-but-not-trivial (runs on a laptop CPU); "medium": 16 layers × 16 heads, ~250 M
# parameters; "base": Qwen2.5-VL-3B's shapes (the shipped config).
SIZES: dict[str, dict[str, Any]] = {
    "small": {
        "text": dict(hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8,
                     num_key_value_heads=2, vocab_size=4096),
        "vision": dict(depth=8, hidden_size=384, intermediate_size=1024, num_heads=6, out_hidden_size=512),
    },
    "medium": {
        "text": dict(hidden_size=1024, intermediate_size=2816, num_hidden_layers=16, num_attention_heads=16,
                     num_key_value_heads=4, vocab_size=4096),
        "vision": dict(depth=16, hidden_size=512, intermediate_size=1376, num_heads=8, out_hidden_size=1024),
    },
    "base": {"text": {}, "vision": {}},
}  # fmt: skip


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def build(size: str) -> Any:
    """A random-init Qwen2.5-VL with the size's shapes, the shipped preprocessing, a byte tokenizer."""
    import torch
    from transformers import Qwen2_5_VLConfig

    from ssl_attention.models.qwen_vl import Qwen25VLAdapter, byte_level_tokenizer, load_image_processor
    from ssl_attention.models.registry import SHIPPED_CONFIGS, _special_tokens

    shipped = Qwen2_5_VLConfig.from_pretrained(SHIPPED_CONFIGS / "qwen2_5_vl")
    shapes = SIZES[size]
    text = {**shipped.get_text_config().to_dict(), **shapes["text"]}
    vision = {**shipped.vision_config.to_dict(), **shapes["vision"]}
    text.pop("layer_types", None)  # derived from num_hidden_layers again
    if shapes["text"]:
        text["rope_scaling"] = {"type": "mrope", "mrope_section": [8, 12, 12]}  # head_dim 64
        depth = vision["depth"]
        vision["fullatt_block_indexes"] = list(
            range(depth // 4 - 1, depth, depth // 4)
        )  # as in the 3B: every 4th
    ids = {
        k: getattr(shipped, k)
        for k in ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")
    }
    if shapes["text"]:  # a small vocabulary: put the markers at its top
        top = text["vocab_size"]
        ids = {
            "image_token_id": top - 1,
            "video_token_id": top - 2,
            "vision_start_token_id": top - 3,
            "vision_end_token_id": top - 4,
        }
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **ids)
    tokenizer = byte_level_tokenizer(_special_tokens(config))
    processor = load_image_processor(SHIPPED_CONFIGS / "qwen2_5_vl")
    torch.manual_seed(0)
    return Qwen25VLAdapter.random(config, processor, tokenizer)


def naive_maps(adapter: Any, inputs: Any, max_new_tokens: int) -> tuple[int, dict[str, Any]]:
    """What a tool built on output_attentions=True does: every step's full attention, then the rows."""
    import torch

    device = adapter.model.device
    ids = inputs.input_ids.to(device)
    out = adapter.model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        mm_token_type_ids=inputs.token_types().to(device),
        pixel_values=inputs.pixel_values.to(device, adapter.model.dtype),
        image_grid_thw=inputs.image_grid_thw.to(device),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=adapter.stop_ids(),
        pad_token_id=adapter.stop_ids()[-1],
        suppress_tokens=adapter.vision_token_ids(),
        output_attentions=True,
        return_dict_in_generate=True,
    )
    start, stop = inputs.image_tokens
    steps = out.attentions  # steps × layers × (1, H, q, S)
    prompt_rows = torch.stack([a[0, :, stop:, start:stop] for a in steps[0]])  # (L, H, T0, n)
    answer_rows = [torch.stack([a[0, :, -1:, start:stop] for a in step]) for step in steps[1:]]
    heads = torch.cat([prompt_rows, *answer_rows], dim=2).float().permute(2, 0, 1, 3)  # (T, L, H, n)
    maps = {
        "text/heads": heads,
        "text/fused": heads.mean(dim=2),
        "image_mass": heads.sum(dim=-1),
    }
    return heads.shape[0], maps


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from precompute.runner import pick_device, pick_dtype
    from ssl_attention.attention.vlm import VlmMapExtractor
    from ssl_attention.data.gallery import decode

    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    cuda = device.type == "cuda"
    adapter = build(args.size)
    adapter.model.to(device=device, dtype=dtype)
    if args.mode == "naive":
        adapter.model.set_attn_implementation("eager")
    files = sorted(SAMPLES.glob("*.jpg"))
    images = [decode(files[i % len(files)]).image for i in range(args.images + 1)]
    pixels = dict(min_pixels=56 * 56, max_pixels=args.max_pixels)
    extractor = VlmMapExtractor(adapter, **pixels, max_new_tokens=args.max_new_tokens, per_head=True)

    def step(image: Any) -> int:
        with torch.inference_mode():
            if args.mode in ("capture", "capture_text"):
                maps = extractor(image, [PROMPT], with_vision=args.mode == "capture")
                for values in [*maps.prompts[0].arrays.values(), *(maps.vision or {}).values()]:
                    values.to(torch.float16).cpu()
                return len(maps.prompts[0].tokens)
            inputs = adapter.prepare(image, PROMPT, **pixels)
            if args.mode == "plain":
                answer = adapter.generate(inputs, args.max_new_tokens)
                return inputs.length - inputs.image_tokens[1] + len(answer)
            count, naive = naive_maps(adapter, inputs, args.max_new_tokens)
            for values in naive.values():
                values.to(torch.float16).cpu()
            return count

    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated() / 2**20
    else:
        base = rss_mib()
    seconds, tokens = [], []
    for index, image in enumerate(images):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        count = step(image)
        if cuda:
            torch.cuda.synchronize()
        if index > 0:  # the first image is the warm-up
            seconds.append(time.perf_counter() - start)
            tokens.append(count)
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if cuda
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "mode": args.mode,
        "seconds": seconds,
        "tokens": tokens,
        "peak_above_loaded_mib": peak - base,
        "loaded_mib": base,
        "device": torch.cuda.get_device_name()
        if cuda
        else f"cpu ({os.cpu_count()} cores, torch {torch.__version__})",
        "dtype": str(dtype).removeprefix("torch."),
        "parameters_m": sum(p.numel() for p in adapter.model.parameters()) / 1e6,
    }


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--worker", mode, "--size", args.size, "--images", str(args.images),
        "--max-new-tokens", str(args.max_new_tokens), "--max-pixels", str(args.max_pixels),
        "--device", args.device, "--dtype", args.dtype,
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(args: argparse.Namespace) -> None:
    modes = [m for m in MODES if m in args.modes.split(",")]
    rounds: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:
            rounds[mode].append(run_mode(mode, args))
            print(f"  {mode}: {rounds[mode][-1]['seconds']}", file=sys.stderr)
    first = rounds[modes[0]][0]
    rows = {}
    for mode, results in rounds.items():
        rates = [n / s for r in results for n, s in zip(r["tokens"], r["seconds"], strict=True)]
        rows[mode] = {
            "tokens_per_second": statistics.median(rates),
            "seconds_per_image": statistics.median(s for r in results for s in r["seconds"]),
            "tokens_per_image": statistics.median(n for r in results for n in r["tokens"]),
            "peak_mib": statistics.median(r["peak_above_loaded_mib"] for r in results),
        }
    print(
        f"\n{first['device']}, {first['dtype']}, {first['parameters_m']:.0f} M parameters ({args.size}), "
        f"{args.images} images × {args.rounds} rounds, max_pixels {args.max_pixels}, "
        f"max_new_tokens {args.max_new_tokens}, prompt {PROMPT!r}\n"
    )
    print("| mode | text tokens/s | s/image | tokens/image | peak memory above the loaded model |")
    print("|---|---|---|---|---|")
    for mode, row in rows.items():
        print(
            f"| {mode} | {row['tokens_per_second']:.1f} | {row['seconds_per_image']:.2f} | "
            f"{row['tokens_per_image']:.0f} | {row['peak_mib']:.0f} MiB |"
        )
    for mode in ("capture", "capture_text"):
        if mode in rows and "naive" in rows:
            c, n = rows[mode], rows["naive"]
            print(
                f"\n{mode} vs naive: {c['tokens_per_second'] / n['tokens_per_second']:.2f}× the tokens/s, "
                f"{c['peak_mib'] / max(n['peak_mib'], 1e-9):.2f}× the peak memory"
            )
    if "capture" in rows and "plain" in rows:
        print(
            f"capture vs plain: {rows['capture']['tokens_per_second'] / rows['plain']['tokens_per_second']:.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", choices=MODES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=tuple(SIZES), default="small")
    parser.add_argument(
        "--images", type=int, default=4, help="timed images per mode and round (plus a warm-up)"
    )
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--max-pixels", type=int, default=448 * 448)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    if args.worker is not None:
        args.mode = args.worker
        print(json.dumps(worker(args)))
    else:
        compare(args)


if __name__ == "__main__":
    main()
