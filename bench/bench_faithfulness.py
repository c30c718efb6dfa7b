"""What `precompute --faithfulness` costs: seconds per map, and how it grows with --steps.

    python bench/bench_faithfulness.py --image-size 112 --maps 6 --rounds 3 --threads 2
    python bench/bench_faithfulness.py --device cuda --dtype bfloat16 --image-size 224 --maps 48

Base-size DINOv2 with registers (86 M parameters, random weights, seeded) through the adapter
`precompute` loads, the default target (cosine similarity of the pooled embedding) and the
curve scorer of `precompute/faithfulness.py` (`CurveScorer.curves`: both curves of every map,
the three shared endpoints once per image, the interior images in batches of
`--batch-size × (steps + 1)`). Each round times one image's `--maps` random maps at every steps
value (5, 10, 20 by default), the order of the steps values rotating from round to round; reported
are the median seconds per map, the forward images per map (2·(steps − 1), plus 3 per image), the
images per second, and the ratio of each steps value's seconds per map to the first one's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--maps", type=int, default=6, help="maps per image (one timed call)")
    parser.add_argument("--steps", default="5,10,20")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16, help="as precompute's --batch-size")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"))
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()

    import torch

    from precompute.faithfulness import CurveScorer
    from ssl_attention.metrics.faithfulness import FUSED, MapKey
    from ssl_attention.models.registry import resolve_model

    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    adapter = resolve_model("dinov2", None, "random").load()
    adapter.model.to(args.device)
    grid = args.image_size // adapter.patch_size
    rng = np.random.default_rng(0)
    pixels = rng.normal(size=(3, args.image_size, args.image_size)).astype(np.float32)
    maps = [(MapKey("cls", i, FUSED), rng.random((grid, grid)).astype(np.float32)) for i in range(args.maps)]
    steps_values = [int(s) for s in args.steps.split(",")]
    scorers = {k: CurveScorer(adapter, k, args.batch_size * (k + 1), dtype) for k in steps_values}
    scorers[steps_values[0]].curves(pixels, maps[:1])  # warm-up
    timings: dict[int, list[float]] = {k: [] for k in steps_values}
    for round_ in range(args.rounds):
        order = steps_values[round_ % len(steps_values) :] + steps_values[: round_ % len(steps_values)]
        for k in order:
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            scorers[k].curves(pixels, maps)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            timings[k].append((time.perf_counter() - start) / args.maps)
    first = statistics.median(timings[steps_values[0]])
    rows = []
    for k in steps_values:
        per_map = statistics.median(timings[k])
        images = 2 * (k - 1) + 3 / args.maps
        rows.append(
            {
                "steps": k,
                "seconds_per_map": round(per_map, 4),
                "images_per_map": round(images, 2),
                "images_per_s": round(images / per_map, 1),
                "ratio_to_first": round(per_map / first, 2),
            }
        )
    result = {
        "model": "dinov2 (base, random weights)",
        "image_size": args.image_size,
        "grid": grid,
        "maps": args.maps,
        "rounds": args.rounds,
        "device": args.device,
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "rows": rows,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
