"""`precompute --executor ray` (2 model actors) against `--executor local`, and the per-image
costs a projection to millions of images is made from.

    python bench/bench_ray.py --images 96 --image-size 112 --batch-size 16 --rounds 2

1. Throughput, side by side (local, ray, local, ray, ...): the same gallery of synthetic photos
   through a small random ViT (DINOv2 layout, 192 wide, 12 layers × 3 heads, per head)
   on a local Ray cluster started once beforehand (as a `ray start` would be), its workers not
   niced. Each run gets a fresh store and catalog; wall time is the whole `run()` (plan, actor
   start and model load, every batch, the summary), img/s excludes the load as the summary does.
   Local uses torch's threads (the machine's cores); each CPU actor one thread.
2. Per-image costs on this machine (the catalog and the store, measured): the catalog's commits
   for one image of one model, side by side: a `record_image` transaction per image plus its share
   of the batch's `mark_done` (before), and the batch's one `mark_done` carrying the images' facts
   (now), SQLite and (`--pg-url`) PostgreSQL; and
   the store's objects and bytes per image of the six default models' `--per-head` layouts
   (base-size architectures, counted from their attrs on the meta device — no weights).
3. The projection (printed): 1,000,000 images × 6 models × per-head on N GPUs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

DEFAULT_MODELS = ("dinov2", "dinov3", "mae", "clip", "siglip", "siglip2")
# `--per-head` bytes per image of each default model at 224 px (docs/benchmarks.md, "Bytes on disk
# per image per model", bench/bench_precompute.py --disk): KiB.
MODES = ("local", "ray", "ray-fused")
PER_HEAD_KIB = {"dinov2": 108.0, "dinov3": 83.8, "mae": 78.6, "clip": 56.6, "siglip": 47.4, "siglip2": 47.4}


def small_vit(folder: Path) -> Path:
    """A random DINOv2-with-registers, 192 wide (ViT-Tiny's size), saved like a user's checkpoint."""
    import torch
    import transformers as T

    torch.manual_seed(0)
    config = T.Dinov2WithRegistersConfig(
        hidden_size=192, num_hidden_layers=12, num_attention_heads=3, mlp_ratio=4, patch_size=14,
        image_size=224, num_register_tokens=4,
    )  # fmt: skip
    target = folder / "vit-small"
    T.Dinov2WithRegistersModel(config).save_pretrained(target)
    (target / "preprocessor_config.json").write_text(
        json.dumps({"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]})
    )
    return target


def gallery(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        h, w = 240 + 8 * (i % 5), 320 + 16 * (i % 3)
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 / w, yy * 255 / h, np.full((h, w), 37 * i % 255)], axis=-1)
        pixels = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"photo_{i:05d}.jpg", quality=90)


def throughput(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    import ray

    from precompute import ray_executor
    from precompute.ray_executor import NICENESS_ENV
    from precompute.runner import RunOptions, run

    checkpoint = small_vit(work)
    gallery(work / "images", args.images)
    os.environ[NICENESS_ENV] = "0"
    started = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level=logging.ERROR)
    print(f"ray.init (local cluster, once): {time.perf_counter() - started:.1f} s", file=sys.stderr)
    base = RunOptions(
        models=["dinov2"], images=work / "images", store="", db="", checkpoints={"dinov2": str(checkpoint)},
        image_size=args.image_size, batch_size=args.batch_size, per_head=True, device="cpu",
    )  # fmt: skip
    rows = []
    decode_cpus = ray_executor.CPU_DECODE
    modes = args.modes.split(",")
    for round_ in range(args.rounds):
        for mode in modes:
            out = work / f"{mode}-{round_}"
            options = replace(base, store=str(out / "store.zarr"), db=f"sqlite:///{out / 'catalog.db'}")
            if mode != "local":
                options = replace(options, executor="ray", ray_actors=args.actors)
            # "ray-fused": decode asks for the actors' CPUs, so Ray Data fuses it into the actors
            ray_executor.CPU_DECODE = ray_executor.CPU_ACTOR if mode == "ray-fused" else decode_cpus
            started = time.perf_counter()
            summary = run(options).models[0]
            wall = time.perf_counter() - started
            assert summary.done == args.images, summary
            rows.append(
                {
                    "mode": mode,
                    "round": round_,
                    "wall": wall,
                    "loading": summary.load_seconds,
                    "load": os.getloadavg()[0],
                }
            )
            print(
                f"round {round_} {mode}: {wall:.1f} s ({summary.load_seconds:.1f} s loading), "
                f"load average {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
    ray.shutdown()
    return rows


def catalog_cost(url: str, folded: bool, n_images: int = 512, batch: int = 16) -> float:
    """Seconds of catalog writes per image of one model. Folded (now): one `mark_done` per batch
    carrying its images' facts; not folded (before issue 14's follow-up): a `record_image`
    transaction per image, then the batch's `mark_done`."""
    import uuid

    from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, ImageFacts

    catalog = CatalogWriter.open(url)
    tag = uuid.uuid4().hex[:8]  # a fresh model and images in a catalog that may be reused
    files = [DiscoveredFile(f"{tag}_{i:06d}", f"{tag}_{i:06d}.jpg", 1000, 0) for i in range(n_images)]
    catalog.sync_images(files)
    catalog.assign_rows(tag, [f.id for f in files])
    run_id = catalog.start_run(tag, "c", "random", {})
    started = time.perf_counter()
    for start in range(0, n_images, batch):
        ids = [f.id for f in files[start : start + batch]]
        facts = [ImageFacts(image_id, "0" * 64, 320, 240) for image_id in ids]
        if not folded:
            for image_id in ids:
                catalog.record_image(image_id, sha256="0" * 64, width=320, height=240)
            facts = []
        catalog.mark_done(tag, ids, run_id, facts)
    seconds = (time.perf_counter() - started) / n_images
    catalog.close()
    return seconds


def catalog_costs(url: str, rounds: int) -> dict[str, float]:
    """Median seconds per image, per-image commits vs folded, alternated in rounds."""
    times: dict[str, list[float]] = {"per image": [], "folded": []}
    for _ in range(rounds):
        for way in times:
            times[way].append(catalog_cost(url, way == "folded"))
    return {way: statistics.median(found) for way, found in times.items()}


def layouts() -> dict[str, int]:
    """Arrays per model group with --per-head at 224 px (each is one object per image unsharded)."""
    from precompute.options import RunOptions
    from precompute.vit import skeleton, vit_attrs
    from ssl_attention.models.registry import resolve_model

    options = RunOptions(models=list(DEFAULT_MODELS), images=Path("."), store="", db="", per_head=True)
    counts = {}
    for key in DEFAULT_MODELS:
        model = resolve_model(key, None, "random")
        counts[key] = len(vit_attrs(model, skeleton(model), options).array_specs())
    return counts


def projection(
    catalogs: dict[str, float], arrays: dict[str, int], gpus: list[int], gpu_img_s: float, batch: int
) -> None:
    images, models = 1_000_000, len(DEFAULT_MODELS)
    kib = sum(PER_HEAD_KIB.values())
    objects = images * sum(arrays.values())
    shard = 256
    sharded = -(-images // shard) * sum(arrays.values())
    rows = images + images * models
    print("\nprojection: 1,000,000 images x 6 models x --per-head at 224 px")
    print(f"  bytes: {images * kib / 2**20:,.0f} GiB ({kib:.1f} KiB per image over the 6 models)")
    print(f"  arrays per image (6 models): {sum(arrays.values())} {arrays}")
    print(
        f"  objects: {objects:,} unsharded (one chunk per image per array); {sharded:,} with shards of {shard}"
    )
    print(
        f"  catalog rows: {rows:,} (images + one entry per image and model) plus a run row per model and run"
    )
    for name, seconds in catalogs.items():
        hours = images * models * seconds / 3600
        print(
            f"  catalog writes, measured ({name}, folded, one writer, this machine): {seconds * 1e3:.2f} ms per image "
            f"per model = {1 / seconds:,.0f} images/s -> {hours:.1f} h for the whole job if serialised"
        )
    print(f"  GPU throughput assumed (not measured): {gpu_img_s:.0f} img/s per model per GPU")
    for n in gpus:
        compute_hours = images * models / (gpu_img_s * n) / 3600
        put_rate = gpu_img_s * n * sum(arrays.values()) / models
        print(
            f"  N={n:>3}: compute {compute_hours:6.2f} h; catalog must take {gpu_img_s * n:,.0f} images/s "
            f"({gpu_img_s * n / batch:,.0f} commits/s, one per batch of {batch}); "
            f"store PUTs {put_rate:,.0f}/s unsharded, {put_rate / shard:,.1f}/s sharded"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=192)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=224, help="a multiple of 14")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--gpu-img-s", type=float, default=1000.0, help="assumed img/s per model per GPU")
    parser.add_argument("--gpus", default="1,8,64")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--catalog-rounds", type=int, default=3)
    parser.add_argument("--skip-catalog", action="store_true", help="no catalog timings, no projection")
    parser.add_argument("--modes", default=",".join(MODES), help=f"some of {','.join(MODES)}, in round order")
    parser.add_argument("--pg-url", default=None, help="also time the catalog's writes on this PostgreSQL")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        if not args.skip_throughput:
            rows = throughput(args, work)
            print(
                "\n| mode | round | wall s | of which loading s | images/s over the run | wall × local (same round) "
                "| load average after |"
            )
            print("|---|---|---|---|---|---|---|")
            for row in rows:
                local = next(r["wall"] for r in rows if r["mode"] == "local" and r["round"] == row["round"])
                print(
                    f"| {row['mode']} | {row['round']} | {row['wall']:.1f} | {row['loading']:.1f} | "
                    f"{args.images / row['wall']:.2f} | {row['wall'] / local:.2f} | {row['load']:.1f} |"
                )
            for mode in args.modes.split(","):
                wall = statistics.median(r["wall"] for r in rows if r["mode"] == mode)
                local = statistics.median(r["wall"] for r in rows if r["mode"] == "local")
                print(f"median wall, {mode}: {wall:.1f} s ({wall / local:.2f}x local)")
        if args.skip_catalog:
            return
        urls = {"SQLite": f"sqlite:///{work / 'commits.db'}"}
        if args.pg_url:
            urls["PostgreSQL"] = args.pg_url
        print(
            "\n| catalog | record_image per image + mark_done per batch (ms/image) | folded into mark_done (ms/image) | ratio |"
        )
        print("|---|---|---|---|")
        catalogs = {}
        for name, url in urls.items():
            costs = catalog_costs(url, args.catalog_rounds)
            catalogs[name] = costs["folded"]
            before, after = costs["per image"], costs["folded"]
            print(f"| {name} | {before * 1e3:.2f} | {after * 1e3:.2f} | {after / before:.2f} |")
        projection(
            catalogs, layouts(), [int(n) for n in args.gpus.split(",")], args.gpu_img_s, args.batch_size
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
