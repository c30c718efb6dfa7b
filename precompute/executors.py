"""Where a model's planned batches run: `--executor local` (this process, `precompute.pipeline`)
or `--executor ray` (a Ray Data pipeline on a cluster, `precompute.ray_executor`).

Both take the same plan (`KindRunner.plan`, on this machine: the driver) and end with the same
store and catalog; only where decode, compute and write happen differs. Ray is imported only
when it is asked for, so a local run never pays for it (nor needs it installed).
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Sequence
from typing import Any

import torch

from precompute.kind import KindRunner, ModelSummary
from precompute.options import RunError, RunOptions
from precompute.pipeline import Progress, run_model
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile

EXECUTORS = ("local", "ray")


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `precompute` that choose the executor."""
    group = parser.add_argument_group("executor (docs/scaling.md)")
    group.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local (default): this process; ray: a Ray Data pipeline (CPU decode tasks, a pool of model "
        "actors that write their own results)",
    )
    group.add_argument(
        "--ray-address",
        default=None,
        metavar="auto|ADDRESS",
        help="the Ray cluster to join (auto: the one `ray start` runs here; or ray://HOST:PORT); "
        "default: start a local cluster in this process",
    )
    group.add_argument(
        "--ray-actors",
        type=int,
        default=None,
        metavar="N",
        help="model actors (default: one per GPU of the cluster; without GPUs, half its CPUs)",
    )


def executor_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields the executor flags set."""
    return {"executor": args.executor, "ray_address": args.ray_address, "ray_actors": args.ray_actors}


def validate_executor(options: RunOptions) -> None:
    if options.executor not in EXECUTORS:
        raise RunError(f"--executor must be one of {', '.join(EXECUTORS)}, got '{options.executor}'")
    if options.executor == "local":
        if options.ray_address is not None or options.ray_actors is not None:
            flag = "--ray-address" if options.ray_address is not None else "--ray-actors"
            raise RunError(f"{flag} applies to --executor ray only; add --executor ray or drop {flag}")
        return
    if options.ray_actors is not None and options.ray_actors < 1:
        raise RunError(f"--ray-actors must be at least 1, got {options.ray_actors}")
    if options.ray_address is not None and not options.ray_address.strip():
        raise RunError(
            "--ray-address is empty; give auto, a cluster address, or leave it out for a local cluster"
        )
    if importlib.util.find_spec("ray") is None:
        raise RunError("--executor ray needs Ray Data; install it with: pip install 'ssl-attention[scale]'")


def execute_model(
    runner: KindRunner,
    model: ResolvedModel,
    files: Sequence[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    device: torch.device,
    dtype: torch.dtype,
    progress: Progress | None = None,
) -> ModelSummary:
    """One model's run (plan, execute, the ledger) on the chosen executor."""
    if options.executor == "ray":
        from precompute.ray_executor import run_model_on_ray

        return run_model_on_ray(runner, model, files, options, store, catalog, device, dtype, progress)
    return run_model(runner, model, files, options, store, catalog, device, dtype, progress)
