"""Precompute throughput and peak memory vs the plain forward and the naive eager approach.

    python bench/bench_precompute.py --model dinov2 --image-size 224 --batch-size 8 --batches 6
    python bench/bench_precompute.py --model dinov2 --image-size 518 --batch-size 2 --batches 4
    python bench/bench_precompute.py --disk

Each mode runs in its own subprocess (so peak memory is that mode's alone) on the same
preprocessed sample images, base-size architecture, random weights:
  plain    the model's own sdpa forward, nothing captured
  capture  ssl-attention: sdpa forward + capture backend, every method, per head, to float16 on the host
  naive    eager attention with output_attentions=True, the same maps computed from the returned tensors
  pipeline the whole `precompute --per-head` path (decode threads, capture, Zarr + catalog writes)
Modes are run in the order plain, capture, naive, pipeline, then again (ABAB), and the medians
of per-batch times over both rounds are reported. Peak memory: CUDA max_memory_allocated, or on
CPU the process's peak RSS minus its RSS after loading the model (and the total in brackets).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
MODES = ("plain", "capture", "naive", "pipeline")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_maps(attentions: tuple[Any, ...], n_prefix: int, has_cls: bool) -> dict[str, Any]:
    """What a tool built on output_attentions=True does: all layers' full attention, then the maps."""
    import torch

    a = torch.stack(attentions, dim=1).float()  # (B, L, H, N, N)
    tokens = a.shape[-1]
    out = {"mean/heads": a[..., n_prefix:].mean(dim=3)}
    if has_cls:
        out["cls/heads"] = a[:, :, :, 0, n_prefix:]
        out["prefix/heads"] = a[:, :, :, 0, :n_prefix]
    eye = torch.eye(tokens, device=a.device)
    product = eye.expand(a.shape[0], tokens, tokens)
    rollout = []
    for layer in range(a.shape[1]):
        product = (0.5 * a[:, layer].mean(dim=1) + 0.5 * eye) @ product
        rollout.append(product[:, 0, n_prefix:] if has_cls else product[:, :, n_prefix:].mean(dim=1))
    out["rollout/fused"] = torch.stack(rollout, dim=1)
    out["cls/fused"] = out.get("cls/heads", out["mean/heads"]).mean(dim=2)
    out["mean/fused"] = out["mean/heads"].mean(dim=2)
    return out


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import torch

    from precompute.runner import pick_device, pick_dtype
    from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
    from ssl_attention.attention.extract import MapExtractor
    from ssl_attention.data.gallery import decode
    from ssl_attention.models.preprocess import to_pixels
    from ssl_attention.models.registry import resolve_model

    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    cuda = device.type == "cuda"

    if args.mode == "pipeline":
        return pipeline(args, device)

    import_mib = torch.cuda.memory_allocated() / 2**20 if cuda else rss_mib()
    resolved = resolve_model(args.model, None, "random")
    adapter = resolved.load()
    adapter.model.to(device)
    layout = adapter.layout(args.image_size)
    files = sorted(SAMPLES.glob("*.jpg"))
    images = [to_pixels(decode(f).image, args.image_size, resolved.normalization) for f in files]
    batches = [
        torch.from_numpy(
            np.stack([images[(b * args.batch_size + i) % len(images)] for i in range(args.batch_size)])
        )
        for b in range(args.batches + 1)
    ]

    if args.mode == "capture":
        extractor = MapExtractor(
            adapter,
            args.image_size,
            per_head=True,
            autocast_dtype=dtype,
            query_chunk_bytes=args.query_chunk_mb * 2**20,
        )

        def step(pixels: torch.Tensor) -> None:
            maps = extractor(pixels)
            for values in maps.values():
                values.to(torch.float16).cpu()
    else:
        implementation = "sdpa" if args.mode == "plain" else "eager"
        adapter.model.set_attn_implementation(implementation)
        autocast = torch.autocast(device.type, dtype=dtype) if dtype != torch.float32 else None

        def step(pixels: torch.Tensor) -> None:
            with torch.inference_mode():
                if autocast is not None:
                    autocast.__enter__()
                try:
                    forward_kwargs: dict[str, Any] = (
                        {"output_attentions": True} if args.mode == "naive" else {}
                    )
                    if args.model == "dinov2":
                        out = adapter.model(pixel_values=pixels, **forward_kwargs)
                    else:
                        raise SystemExit("the bench drives dinov2 and clip")  # pragma: no cover
                    if args.mode == "naive":
                        maps = naive_maps(out.attentions, layout.n_prefix, layout.has_cls)
                        for values in maps.values():
                            values.to(torch.float16).cpu()
                finally:
                    if autocast is not None:
                        autocast.__exit__(None, None, None)

    assert CAPTURE_IMPLEMENTATION  # the backend is registered on import
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated() / 2**20
    else:
        base = rss_mib()
    times = []
    for index, batch in enumerate(batches):
        pixels = batch.to(device)
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        step(pixels)
        if cuda:
            torch.cuda.synchronize()
        if index > 0:  # the first batch is the warm-up
            times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else peak_rss_mib()
    return {
        "mode": args.mode,
        "batch_seconds": times,
        "peak_mib": peak,
        "import_mib": 0.0 if cuda else import_mib,
        "loaded_mib": base,
        "device": torch.cuda.get_device_name()
        if cuda
        else f"cpu ({os.cpu_count()} cores, torch {torch.__version__})",
        "dtype": str(dtype).removeprefix("torch."),
    }


def pipeline(args: argparse.Namespace, device: Any) -> dict[str, Any]:
    """The real `precompute --per-head` path over copies of the sample photos."""
    from precompute.runner import RunOptions, run

    n_images = args.batch_size * (args.batches + 1)
    with tempfile.TemporaryDirectory() as tmp:
        gallery = Path(tmp) / "images"
        gallery.mkdir()
        files = sorted(SAMPLES.glob("*.jpg"))
        for i in range(n_images):
            shutil.copy(files[i % len(files)], gallery / f"{i:04d}_{files[i % len(files)].name}")
        import_mib = rss_mib()
        report = run(
            RunOptions(
                models=[args.model],
                images=gallery,
                store=str(Path(tmp) / "store.zarr"),
                db=f"sqlite:///{tmp}/catalog.db",
                weights="random",
                image_size=args.image_size,
                batch_size=args.batch_size,
                per_head=True,
                device=args.device,
                dtype=args.dtype,
                query_chunk_mb=args.query_chunk_mb,
            )
        )
        summary = report.models[0]
    busy = summary.seconds - summary.load_seconds
    return {
        "mode": "pipeline",
        # The pipeline overlaps batches, so only its average per batch exists.
        "batch_seconds": [busy / (n_images / args.batch_size)],
        "peak_mib": peak_rss_mib(),
        "import_mib": import_mib,
        "loaded_mib": None,  # the model loads inside the run
    }


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--worker", mode, "--model", args.model, "--image-size", str(args.image_size),
        "--batch-size", str(args.batch_size), "--batches", str(args.batches), "--device", args.device,
        "--dtype", args.dtype, "--query-chunk-mb", str(args.query_chunk_mb),
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
            print(f"  {mode}: {rounds[mode][-1]['batch_seconds']}", file=sys.stderr)
    device = rounds["plain"][0].get("device", "?")
    dtype = rounds["plain"][0].get("dtype", "?")
    rows = {}
    for mode, results in rounds.items():
        seconds = statistics.median(t for r in results for t in r["batch_seconds"])
        peak = statistics.median(r["peak_mib"] for r in results)
        above_import = statistics.median(r["peak_mib"] - r["import_mib"] for r in results)
        loaded = [r["peak_mib"] - r["loaded_mib"] for r in results if r["loaded_mib"] is not None]
        rows[mode] = (
            args.batch_size / seconds,
            peak,
            above_import,
            statistics.median(loaded) if loaded else None,
        )
    plain_ips, plain_peak, plain_above, _ = rows["plain"]
    cuda = "cpu" not in device
    print(
        f"\n{args.model}, {args.image_size} px, batch {args.batch_size}, {device}, {dtype}, random weights, "
        f"query chunks of {args.query_chunk_mb} MiB"
    )
    if cuda:
        print("| mode | images/s | × plain | peak allocated (MiB) | × plain |")
        print("|---|---|---|---|---|")
        for mode, (ips, peak, _, _) in rows.items():
            print(f"| {mode} | {ips:.2f} | {ips / plain_ips:.2f} | {peak:.0f} | {peak / plain_peak:.2f} |")
        return
    print(
        "| mode | images/s | × plain | peak RSS above imports, weights included (MiB) | × plain | above the loaded model (MiB) |"
    )
    print("|---|---|---|---|---|---|")
    for mode, (ips, _peak, above, loaded) in rows.items():
        extra = "n/a (loads inside the run)" if loaded is None else f"{loaded:.0f}"
        print(
            f"| {mode} | {ips:.2f} | {ips / plain_ips:.2f} | {above:.0f} | {above / plain_above:.2f} | {extra} |"
        )


def disk(args: argparse.Namespace) -> None:
    """Bytes on disk per image per model over the sample gallery, with and without --per-head."""
    from precompute.runner import RunOptions, run
    from ssl_attention.models.registry import REGISTRY

    keys = [k for k, spec in REGISTRY.items() if spec.kind == "vit"]
    n_images = len(list(SAMPLES.glob("*.jpg")))
    print(f"\nbytes on disk per image, {n_images} sample photos, {args.image_size} px, random weights")
    print("| model | fused only | --per-head |")
    print("|---|---|---|")
    for key in keys:
        sizes = []
        for per_head in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                report = run(
                    RunOptions(
                        models=[key],
                        images=SAMPLES,
                        store=str(Path(tmp) / "store.zarr"),
                        db=f"sqlite:///{tmp}/catalog.db",
                        weights="random",
                        image_size=args.image_size,
                        batch_size=args.batch_size,
                        per_head=per_head,
                        device=args.device,
                    )
                )
                sizes.append((report.models[0].bytes_written or 0) / n_images)
        print(f"| {key} | {sizes[0] / 1024:.1f} KiB | {sizes[1] / 1024:.1f} KiB |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="dinov2", choices=("dinov2",))
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--batches", type=int, default=6, help="timed batches per mode and round (after one warm-up)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES)
    )
    parser.add_argument("--query-chunk-mb", type=int, default=16, help="capture's query-chunk budget")
    parser.add_argument("--disk", action="store_true", help="measure bytes on disk per image instead")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.mode = args.worker
        print(json.dumps(worker(args)))
    elif args.disk:
        disk(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
