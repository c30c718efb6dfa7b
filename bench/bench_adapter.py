"""What a LoRA adapter costs in precompute: merged (the default) and unmerged (--no-merge) vs the base.

    python bench/bench_adapter.py --image-size 224 --batch-size 8 --batches 6 --rounds 2
    python bench/bench_adapter.py --device cuda --dtype bfloat16 --batch-size 64 --batches 10

Base-size DINOv2 with registers (86 M parameters), random weights (the same seeded weights for
all three), and a LoRA adapter made here (r, alpha and targets from the flags, random A and B)
saved with PEFT's save_pretrained and loaded the way `precompute --adapter` loads it
(`ResolvedModel` with the adapter: `merge_and_unload()` unless unmerged). Each mode computes what
`precompute --per-head` computes per batch (the capture backend, every method, per head, float16
on the host) over the same preprocessed sample photos. The three models are loaded side by side
in one process and run in turn on every batch (ABAB; the order rotates from batch to batch so
no mode always runs first), after one warm-up batch each; reported are the median per-batch
times, their ratio to the base, and the median of the per-batch ratios (each batch's time over
the base's on the same batch, a few seconds apart: robust to slow drifts of a shared machine), and
the median CPU time of the process per batch (with `--threads 1` on a CPU, the compute itself,
whatever else holds the cores). `--threads N` pins torch's CPU threads (less scheduling noise
on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MODES = ("base", "merged", "unmerged")


def make_adapter(folder: Path, args: argparse.Namespace) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model

    from ssl_attention.models.registry import resolve_model

    network = resolve_model("dinov2", None, "random").load().model
    config = LoraConfig(
        r=args.r, lora_alpha=2 * args.r, target_modules=args.targets.split(","), init_lora_weights=False
    )
    torch.manual_seed(0)
    get_peft_model(network, config).save_pretrained(folder)
    return folder


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--batches", type=int, default=6, help="timed batches per mode and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--r", type=int, default=16, help="LoRA rank")
    parser.add_argument("--targets", default="q_proj,k_proj,v_proj", help="LoRA target modules")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from precompute.options import pick_device, pick_dtype
    from ssl_attention.attention.extract import MapExtractor
    from ssl_attention.data.gallery import decode
    from ssl_attention.models.peft_adapter import read_adapter
    from ssl_attention.models.preprocess import to_pixels
    from ssl_attention.models.registry import resolve_model

    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    base = resolve_model("dinov2", None, "random")
    files = sorted(SAMPLES.glob("*.jpg"))
    images = [to_pixels(decode(f).image, args.image_size, base.normalization) for f in files]
    batches = [
        torch.from_numpy(
            np.stack([images[(b * args.batch_size + i) % len(images)] for i in range(args.batch_size)])
        )
        for b in range(args.batches)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_adapter(Path(tmp) / "lora", args)
        models = {
            "base": base,
            "merged": replace(base, name="dinov2-lora", adapter=read_adapter("dinov2-lora", str(folder))),
            "unmerged": replace(
                base, name="dinov2-lora", adapter=read_adapter("dinov2-lora", str(folder), merge=False)
            ),
        }
        extractors = {}
        for mode, model in models.items():
            adapter = model.load()
            adapter.model.to(device)
            extractors[mode] = MapExtractor(adapter, args.image_size, per_head=True, autocast_dtype=dtype)

    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}

    def step(mode: str, pixels: torch.Tensor) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start, start_cpu = time.perf_counter(), time.process_time()
        maps = extractors[mode](pixels.to(device))
        for values in maps.values():
            values.to(torch.float16).cpu()
        if device.type == "cuda":
            torch.cuda.synchronize()
        cpu[mode].append(time.process_time() - start_cpu)
        return time.perf_counter() - start

    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for mode in MODES:  # warm-up
        step(mode, batches[0])
        cpu[mode].clear()
    turn = 0
    for _round in range(args.rounds):
        for pixels in batches:
            for mode in MODES[turn % 3 :] + MODES[: turn % 3]:
                times[mode].append(step(mode, pixels))
            turn += 1
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    result = {
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "image_size": args.image_size,
        "batch_size": args.batch_size,
        "timed_batches_per_mode": len(times["base"]),
        "lora": {"r": args.r, "targets": args.targets},
        "modes": {
            mode: {
                "median_batch_s": round(medians[mode], 4),
                "images_per_s": round(args.batch_size / medians[mode], 2),
                "x_base_time": round(medians[mode] / medians["base"], 3),
                # per batch, this mode's time over the base's on the same batch in the same turn
                "paired_median_x_base": round(
                    statistics.median(t / b for t, b in zip(times[mode], times["base"], strict=True)), 3
                ),
                "spread_s": [round(min(times[mode]), 3), round(max(times[mode]), 3)],
                # CPU time of the process (on a CPU with --threads 1: the compute itself, not the
                # time other processes held the cores)
                "median_cpu_s": round(statistics.median(cpu[mode]), 4),
                "cpu_x_base": round(statistics.median(cpu[mode]) / statistics.median(cpu["base"]), 3),
            }
            for mode in MODES
        },
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
