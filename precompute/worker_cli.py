"""`precompute worker`: run Ask jobs from the catalog's queue (docs/precompute.md#worker).

precompute worker                                  every model precompute knows, device auto
precompute worker --models dinov2,qwen2_5_vl --device cuda --idle-exit 600
precompute worker --variant dinov2-lora=dinov2 --adapter dinov2-lora=./my-lora --models dinov2-lora

It takes precompute's own flags for the models (`--models`, `--checkpoint`, `--variant`,
`--adapter`, `--weights`, `--image-size`, `--per-head`, the VLM bounds) and for the gallery, store
and catalog (`--images`, `--store`, `--db` or the environment); the prompts come from each job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from precompute.cli import _quiet_transformers, build_parser
from precompute.options import RunError, RunOptions
from precompute.worker import Worker, WorkerOptions
from ssl_attention.data.limits import LimitError
from ssl_attention.data.remote import is_remote
from ssl_attention.models.peft_adapter import AdapterError, parse_adapters
from ssl_attention.models.registry import (
    ModelLoadError,
    parse_checkpoint_overrides,
    parse_variants,
    resolve_keys,
)
from ssl_attention.store.arrays import StoreError

# precompute's flags a worker does not take: the jobs say what to run, on which image.
NOT_FOR_A_WORKER = ("prompt", "prompts", "limit", "force", "verify", "metrics", "annotations", "answer_from")


def build_worker_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    parser.prog = "precompute worker"
    parser.description = "Run Ask jobs queued through the API (POST /jobs) until stopped."
    worker = parser.add_argument_group("worker")
    worker.add_argument(
        "--idle-exit", type=float, default=None, metavar="S", help="stop after S seconds without a job"
    )
    worker.add_argument(
        "--lease", type=float, default=30.0, metavar="S", help="seconds a claimed job is held without a "
        "renewal before another worker may take it (default 30; renewed every S/3)",
    )  # fmt: skip
    worker.add_argument(
        "--poll", type=float, default=0.05, metavar="S", help="seconds between looks for a job (0.05)"
    )
    worker.add_argument("--name", default="", help="the worker's name in the jobs table (default host:pid)")
    return parser


def worker_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> WorkerOptions:
    for flag in NOT_FOR_A_WORKER:
        if getattr(args, flag) != parser.get_default(flag):
            raise RunError(
                f"--{flag.replace('_', '-')} is not a worker flag: each job brings its image and prompts"
            )
    if args.idle_exit is not None and not args.idle_exit >= 0:
        raise RunError(f"--idle-exit must be 0 seconds or more, got {args.idle_exit}")
    if not args.lease >= 1 or not args.poll > 0:
        raise RunError("--lease must be at least 1 second and --poll more than 0")
    variants = parse_variants(args.variant)
    run = RunOptions(
        models=resolve_keys(args.models, variants),
        images=Path(args.images),
        store=args.store,
        db=args.db,
        checkpoints=parse_checkpoint_overrides(args.checkpoint, variants),
        variants=variants,
        adapters=parse_adapters(args.adapter, variants),
        merge_adapters=not args.no_merge,
        weights=args.weights,
        image_size=args.image_size,
        batch_size=args.batch_size,
        device=args.device,
        dtype=args.dtype,
        per_head=args.per_head,
        workers=args.workers,
        max_new_tokens=args.max_new_tokens,
        min_pixels=args.min_pixels,
        max_pixels=args.max_pixels,
        answer_token=args.answer_token,  # as the groups were built: another value would rebuild them
    )
    return WorkerOptions(run, idle_exit=args.idle_exit, lease_s=args.lease, poll_s=args.poll, name=args.name)


def main(argv: list[str] | None = None) -> int:
    parser = build_worker_parser()
    args = parser.parse_args(argv)
    _quiet_transformers()
    try:
        options = worker_options(args, parser)
        if not is_remote(options.run.images) and not Path(options.run.images).is_dir():
            raise RunError(f"image folder {options.run.images} does not exist; pass --images DIR")
        worker = Worker(options)
    except (RunError, ModelLoadError, StoreError, LimitError, AdapterError, FileNotFoundError) as error:
        print(f"precompute worker: error: {error}", file=sys.stderr)
        return 2
    print(f"precompute worker {worker.name}: serving {', '.join(worker.models)}", flush=True)
    try:
        claimed = worker.serve(log=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print(
            "precompute worker: interrupted; its job is claimed again once the lease expires", file=sys.stderr
        )
        return 130
    finally:
        worker.close()
    print(f"precompute worker {worker.name}: idle for {options.idle_exit} s after {claimed} jobs; stopping")
    return 0
