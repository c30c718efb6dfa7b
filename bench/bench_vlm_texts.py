"""What a VLM prompt's text → text attention adds to precompute (issue 12): time and bytes.

    python bench/bench_vlm_texts.py                      # "small" random Qwen2.5-VL, 4 images, 3 rounds
    python bench/bench_vlm_texts.py --size medium --max-new-tokens 64

In one process, on the same sample photos, prompt and seeded random weights, image by image:
  maps         what a VLM's precompute did before: generate with the recorders on (text→image
               maps of every prompt and answer token per head, the vision tower's maps)
  maps+texts   the same, then the text→text capture (`attention/vlm_text.py`: one more pass
               over image + prompt + answer with the text recorder on the language layers)
The two alternate image by image (ABAB), per-image medians over every round; the ratio is of the
medians. Bytes: each image's texts written as precompute writes them (`precompute/vlm_texts.py`,
Blosc-zstd), with `--per-head` and fused only, beside the prompt's text→image arrays.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def text_bytes(texts: list[Any], adapter: Any, per_head: bool, root: Path) -> int:
    """Bytes on disk of one image's texts (one per prompt), written through the precompute writer."""
    from precompute.vlm_texts import write_vlm_text
    from ssl_attention.store.text_layout import LmAttrs
    from ssl_attention.store.text_writer import TextStoreWriter

    if root.exists():
        shutil.rmtree(root)
    store = TextStoreWriter(str(root))
    group = store.root.create_group("vlm")
    heads = adapter.n_heads
    attrs = LmAttrs(
        "vlm", "qwen2_5_vl", "random", "random", adapter.n_layers, heads, heads, 1 << 20, per_head, 0.99, 32
    )
    group.create_group("texts", attributes=attrs.to_attrs())
    for index, text in enumerate(texts):
        write_vlm_text(store, "vlm", "image", index, text)
    return folder_bytes(root / "vlm" / "texts")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="small", choices=("small", "medium", "base"))
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--max-pixels", type=int, default=448 * 448)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import numpy as np
    import torch
    from bench_vlm import PROMPT, SAMPLES, build

    from precompute.runner import pick_device, pick_dtype
    from ssl_attention.attention.vlm import VlmMapExtractor
    from ssl_attention.attention.vlm_text import capture_vlm_texts
    from ssl_attention.data.gallery import decode
    from ssl_attention.store.text_layout import overview_block

    device = pick_device(args.device)
    dtype = pick_dtype("auto", device)
    adapter = build(args.size)
    adapter.model.to(device=device, dtype=dtype)
    files = sorted(SAMPLES.glob("*.jpg"))[: args.images]
    images = [decode(f).image for f in files]
    pixels = dict(min_pixels=56 * 56, max_pixels=args.max_pixels)
    extractor = VlmMapExtractor(adapter, **pixels, max_new_tokens=args.max_new_tokens, per_head=True)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def capture(image: Any, maps: Any, per_head: bool) -> list[Any]:
        return capture_vlm_texts(
            adapter, image, maps.prompts, **pixels, keep_mass=0.99, max_keys=32, per_head=per_head,
            overview_block=overview_block,
        )  # fmt: skip

    def run(image: Any, texts: bool) -> tuple[float, Any, list[Any]]:
        sync()
        start = time.perf_counter()
        with torch.inference_mode():
            maps = extractor(image, [PROMPT], with_vision=True)
            captured = capture(image, maps, True) if texts else []
        sync()
        return time.perf_counter() - start, maps, captured

    run(images[0], True)  # warm-up
    times: dict[str, list[float]] = {"maps": [], "maps+texts": []}
    sizes: list[tuple[int, int, int, int]] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench_vlm_texts_"))
    for round_index in range(args.rounds):
        for image in images:
            for mode in ("maps", "maps+texts") if round_index % 2 == 0 else ("maps+texts", "maps"):
                seconds, maps, captured = run(image, mode == "maps+texts")
                times[mode].append(seconds)
                if captured and round_index == 0:
                    n = len(captured[0].ids)
                    heads = text_bytes(captured, adapter, True, scratch / "h")
                    with torch.inference_mode():  # a run without --per-head keeps the fused slot only
                        fused = text_bytes(capture(image, maps, False), adapter, False, scratch / "f")
                    image_maps = sum(v.numel() * 2 for v in maps.prompts[0].arrays.values())
                    sizes.append((n, heads, fused, image_maps))
    shutil.rmtree(scratch, ignore_errors=True)

    plain, texts = statistics.median(times["maps"]), statistics.median(times["maps+texts"])
    where = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, torch {torch.__version__}"
    print(f"{args.size} Qwen2.5-VL ({adapter.n_layers} layers × {adapter.n_heads} heads), {where}, {dtype}")
    print(f"{len(images)} images × {args.rounds} rounds, --max-new-tokens {args.max_new_tokens}, ABAB")
    print("| per image-prompt | median s | ratio |")
    print("|---|---|---|")
    print(f"| maps (before) | {plain:.3f} | 1.00× |")
    print(f"| maps + texts | {texts:.3f} | {texts / plain:.2f}× |")
    tokens = np.median([s[0] for s in sizes])
    print(
        "\n| bytes per image-prompt (median) | text tokens N | texts, --per-head | texts, fused | text→image maps, float16 raw |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| | {tokens:.0f} | {np.median([s[1] for s in sizes]) / 1024:.1f} KiB | "
        f"{np.median([s[2] for s in sizes]) / 1024:.1f} KiB | {np.median([s[3] for s in sizes]) / 1024:.1f} KiB |"
    )


if __name__ == "__main__":
    main()
