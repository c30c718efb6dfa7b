"""`--executor ray`: one model's planned batches through a Ray Data pipeline (docs/scaling.md).

    driver: plan (as a local run: `KindRunner.plan`) → units of whole batches (whole shards when
            the group is sharded) → the ledger's run row
    Ray:    decode (CPU tasks, `KindRunner.decoder`, no weights)
            → model actors (`map_batches` with a callable class in a fixed `ActorPoolStrategy`
              pool, one per GPU): load the engine once, then per batch exactly what
              `pipeline.execute` does — compute, write the arrays, *then* mark them done
    driver: progress and the summary from the actors' reports; then it plans again, which
            writes the `image` coordinate (see `_ActorStore`) and finds anything left undone

A killed actor is restarted by Ray and its batch retried (`ActorPoolStrategy` actors restart
without limit); the arrays are rewritten and the rows marked done once. Should Ray still leave a
row undone, the driver's next plan holds it and runs it (`MAX_ROUNDS`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from precompute.kind import FAULT_ENV, FAULT_ONCE_ENV, Batch, KindRunner, ModelSummary, RunPlan
from precompute.ledger import RunLedger, settled
from precompute.options import RunError, RunOptions, pick_device, pick_dtype, run_params
from precompute.pipeline import Progress, execute_decoded
from precompute.ray_decode import decode_unit
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from ssl_attention.store.shards import shard_images_of, shard_of

log = logging.getLogger(__name__)
MAX_ROUNDS = 3  # pipelines per model: the first, then any rows Ray left undone
CPU_ACTOR = 0.5  # the CPUs a model actor asks for on a cluster without GPUs (decode tasks share the rest)
# The CPUs of one decode task: not the actors' share, so Ray Data keeps decoding in tasks of its own
# (operators with equal resources are fused: the actors would decode between batches).
CPU_DECODE = 0.25
MAX_BLOCKS = 2000  # input blocks of the pipeline (units beyond this share blocks)
# Ray nices its workers (15) below the driver; here the workers do all the work (Ray's own spelling).
NICENESS_ENV = "RAY_worker_niceness"
# The driver's settings its workers need, forwarded when set (a cluster started earlier, e.g. by
# `ray start`, does not have them): object storage (fsspec/s3fs read the standard AWS variables,
# docs/scaling-store.md) and the test-only fault injection.
FORWARDED_ENV = (
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_PROFILE", FAULT_ENV, FAULT_ONCE_ENV,
)  # fmt: skip


def units(plan: RunPlan) -> list[tuple[Batch, ...]]:
    """The plan's batches as the pieces one actor writes alone. Unsharded: one batch each.
    Sharded (`shard_images` in the group's attrs: a shard object holds that many rows): whole
    shards only — consecutive batches are joined while they share a shard, so no two writers
    ever touch one object."""
    shard = shard_images_of(plan.attrs)  # a ViT group's; VLM groups are unsharded
    if not shard:
        return [(batch,) for batch in plan.batches]
    joined: list[list[Batch]] = []
    last = -1
    for batch in plan.batches:
        shards = [shard_of(item.row, shard) for item in batch.items]
        if joined and min(shards) <= last:
            joined[-1].append(batch)
        else:
            joined.append([batch])
        last = max(last, *shards)
    return [tuple(unit) for unit in joined]


def connect(options: RunOptions) -> None:
    """Join the cluster named by --ray-address, or start a local one (once per process)."""
    import ray

    if not ray.is_initialized():
        quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": True}
        try:
            if options.ray_address is None:
                os.environ.setdefault(NICENESS_ENV, "0")  # a cluster of its own: workers not niced
                ray.init(num_cpus=os.cpu_count(), include_dashboard=False, **quiet)
            else:
                ray.init(address=options.ray_address, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = options.ray_address or "a local cluster"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RunError(f"--executor ray: cannot connect to {where} ({reason})") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the driver shows its own bar, as a local run does
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notices (bars off, ...); errors raise anyway


def actor_pool(options: RunOptions) -> tuple[int, dict[str, float]]:
    """(actors, resources of one): one actor per GPU, or CPU fractions on a cluster without GPUs."""
    import ray

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus and options.device in ("auto", "cuda"):
        return options.ray_actors or gpus, {"num_gpus": 1.0}
    cpus = int(resources.get("CPU", 1))
    return options.ray_actors or max(1, cpus // 2), {"num_cpus": CPU_ACTOR}


class _ActorStore(AttentionStoreWriter):
    """The actors' writer: every array of a row, but not the `image` coordinate (row -> id). Its
    chunks hold 4096 rows (unsharded groups), so writers of different rows would rewrite one object
    and lose each other's ids; the driver writes it after the actors, from the catalog (the ViT
    plan's `sync_ids`)."""

    def write_rows(
        self, key: str, rows: Sequence[int], data: Mapping[str, np.ndarray], ids: Sequence[str] = ()
    ) -> None:
        super().write_rows(key, rows, data)


class ModelActor:
    """A model loaded once per actor; each call computes and writes the decoded units it is given."""

    def __init__(
        self,
        runner: KindRunner,
        model: ResolvedModel,
        options: RunOptions,
        plan: RunPlan,
        run_id: int,
        env: dict[str, str],
        threads: int,
    ) -> None:
        os.environ.update(env)  # the driver's FORWARDED_ENV
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()  # as the CLI: no per-load bars on the driver's stderr
        transformers_logging.disable_progress_bar()
        device = pick_device(options.device)
        if device.type == "cpu":
            torch.set_num_threads(threads)
        self.runner, self.plan, self.run_id = runner, plan, run_id
        self.engine = runner.load(model, options, device, pick_dtype(options.dtype, device))
        self.store = _ActorStore(options.store)
        self.catalog = CatalogWriter.open(options.db, migrate=False)
        # When it was ready (wall clock, compared on the driver: the actor's process start,
        # imports and model load all count as loading, as a local run's imports and load do).
        self.loaded_at: float | None = time.time()
        import ray

        self.node = ray.get_runtime_context().get_node_id()  # said with loaded_at: where it ran

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        reports = []
        for payload in batch["decoded"]:
            summary = ModelSummary(self.plan.name)
            for index, decoded in pickle.loads(payload):
                execute_decoded(
                    self.runner,
                    self.engine,
                    self.plan,
                    index,
                    decoded,
                    self.store,
                    self.catalog,
                    self.run_id,
                    summary,
                )
            report = {"done": summary.done, "failed": summary.failed, "tokens": summary.tokens}
            report["loaded_at"], self.loaded_at = self.loaded_at, None  # said once per actor
            report["node"] = self.node
            reports.append(json.dumps(report))
        return {"report": np.array(reports, dtype=object)}


def run_pipeline(
    runner: KindRunner,
    model: ResolvedModel,
    options: RunOptions,
    plan: RunPlan,
    store: AttentionStoreWriter,
    run_id: int,
    summary: ModelSummary,
    bar: Any,
) -> float:
    """The plan's units through decode tasks and the actor pool; returns when the last actor was
    ready (epoch seconds; 0: none reported). Reports arrive on the driver as units finish."""
    import ray

    pieces = units(plan)
    if not pieces:
        return 0.0
    actors, resources = actor_pool(options)
    actors = min(actors, len(pieces))
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    threads = max(1, int(resources.get("num_cpus", 1)))
    stripped = replace(plan, batches=())  # what a writer needs of the plan: its name and attrs
    items = [{"unit": pickle.dumps(unit, protocol=pickle.HIGHEST_PROTOCOL)} for unit in pieces]
    data: Any = ray.data.from_items(items, override_num_blocks=min(len(items), MAX_BLOCKS))
    # Without GPUs, as many decode processes as actors (each one imports torch: seconds of CPU).
    decoders = actors if "num_gpus" not in resources else None
    decode = functools.partial(decode_unit, runner.decoder(model, options), env)
    data = data.map(decode, num_cpus=CPU_DECODE, concurrency=decoders)
    data = data.map_batches(
        ModelActor,
        fn_constructor_kwargs={
            "runner": runner,
            "model": model,
            "options": options,
            "plan": stripped,
            "run_id": run_id,
            "env": env,
            "threads": threads,
        },
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=resources.get("num_cpus"),
        num_gpus=resources.get("num_gpus"),
    )
    ready, nodes = 0.0, set[str]()
    for row in data.iter_rows():
        store.guard()  # the driver lost the model's lease: stop the pipeline (and its actors) here
        report = json.loads(row["report"])
        summary.done += report["done"]
        summary.tokens += report["tokens"]
        summary.failed += [(image_id, why) for image_id, why in report["failed"]]
        nodes.add(report["node"])
        if report["loaded_at"] is not None:
            ready = max(ready, report["loaded_at"])
        if bar is not None:
            bar.update(report["done"] + len(report["failed"]))
    log.info("%s: %d model actor(s), their reports from %d node(s)", plan.name, actors, len(nodes))
    return ready


def run_model_on_ray(
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
    """`pipeline.run_model` with the batches on Ray: the same plan, ledger, summary and result."""
    summary = ModelSummary(model.name, unit=runner.unit)
    started, started_at = time.perf_counter(), time.time()
    plan = runner.plan(model, files, options, store, catalog)
    if plan is None:  # nothing to do: no cluster is joined, no weights are loaded
        catalog.close_stale_runs(model.name)
        return settled(summary, files, catalog)
    connect(options)
    summary.already_done, summary.repaired = plan.already_done, plan.repaired
    params = {**run_params(options, device, dtype), "executor": "ray"}
    # Planned again after each pipeline: never rebuilt, never a full --verify pass a second time.
    again = replace(options, force=False, verify=False)
    with RunLedger(catalog, store, model, params, summary, started, plan.bytes_before) as run_id:
        bar = progress(model.name, sum(len(b.items) for b in plan.batches)) if progress else None
        try:
            for _ in range(MAX_ROUNDS):
                ready = run_pipeline(runner, model, options, plan, store, run_id, summary, bar)
                if not summary.load_seconds and ready:  # loading: until the last actor was ready
                    summary.load_seconds = max(0.0, ready - started_at)
                next_plan = runner.plan(model, files, again, store, catalog)
                if next_plan is None:
                    break
                plan = next_plan
            else:
                raise RunError(
                    f"{model.name}: rows still undone after {MAX_ROUNDS} Ray pipelines; "
                    "rerun the same command to resume"
                )
        finally:
            if bar is not None:
                bar.close()
    return summary
