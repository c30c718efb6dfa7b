"""EXECUTE for every kind: a plan's batches through decode → device → write.

`run_model` is one model's whole run (plan, load, the ledger, the overlapped batches);
`execute` runs a single planned batch synchronously — the seam a distributed executor uses:
plan on a driver, `execute` each batch on a worker that has loaded the engine.

Overlapped (three stages at once):
    decode threads ──(next 2 batches)──▶ compute (model + capture, on the device) ──▶ writer thread
The writer writes a batch's arrays, *then* marks them done in the catalog, in that order: a run
killed at any point leaves only items that are complete and marked, or unmarked and recomputed
next time. Batches come from the plan in row order, so a resumed run recomputes exactly the
batches an uninterrupted one would have, bit for bit.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

from precompute.kind import Batch, Decoded, Engine, KindRunner, ModelSummary, RunPlan
from precompute.ledger import RunLedger, settled
from precompute.options import RunOptions, run_params
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile

Progress = Callable[[str, int], Any]


def run_model(
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
    """Plan the model's run; when there is work, load it and run every batch under the ledger."""
    summary = ModelSummary(model.name, unit=runner.unit)
    started = time.perf_counter()
    plan = runner.plan(model, files, options, store, catalog)
    if plan is None:  # nothing to do: the weights are never loaded
        catalog.close_stale_runs(model.name)  # a killed run's `running` row: we hold the model's lock
        return settled(summary, files, catalog)
    engine = runner.load(model, options, device, dtype)
    summary.load_seconds = time.perf_counter() - started
    summary.already_done, summary.repaired = plan.already_done, plan.repaired
    params = run_params(options, device, dtype)
    with RunLedger(catalog, store, model, params, summary, started, plan.bytes_before) as run_id:
        bar = progress(model.name, sum(len(b.items) for b in plan.batches)) if progress else None
        try:
            run_batches(
                runner, engine, plan, store, catalog, run_id, summary, runner.decode_threads(options), bar
            )
        finally:
            if bar is not None:
                bar.close()
    return summary


def execute(
    runner: KindRunner,
    engine: Engine,
    plan: RunPlan,
    batch: Batch,
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    run_id: int,
    summary: ModelSummary,
) -> None:
    """One planned batch, start to end: decode, compute, write, mark done."""
    decoded = [engine.decode(item) for item in batch.items]
    execute_decoded(runner, engine, plan, batch.index, decoded, store, catalog, run_id, summary)


def execute_decoded(
    runner: KindRunner,
    engine: Engine,
    plan: RunPlan,
    batch_index: int,
    decoded: list[Decoded],
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    run_id: int,
    summary: ModelSummary,
) -> None:
    """A batch decoded elsewhere (a CPU task): its failures recorded, the rest computed, written, marked done."""
    good = settle_failures(decoded, catalog, summary)
    if good:
        computed = engine.compute(good)
        summary.done += len(good)
        summary.tokens += runner.write(store, catalog, plan, batch_index, good, computed, run_id)


def compute_counted(engine: Engine, good: list[Decoded], bar: Any) -> Any:
    """`engine.compute(good)`, the bar advancing image by image as far as the engine reports,
    and by the rest when it returns."""
    if bar is None:
        return engine.compute(good)
    counted = 0

    def computed(n: int) -> None:
        nonlocal counted
        counted += n
        bar.update(n)

    result = engine.compute(good, computed)
    if counted < len(good):
        bar.update(len(good) - counted)
    return result


def settle_failures(
    decoded: list[Decoded], catalog: CatalogWriter, summary: ModelSummary, bar: Any = None
) -> list[Decoded]:
    """Record the items that could not be decoded; returns the others."""
    for item in decoded:
        if item.error is not None:
            catalog.record_image_error(item.item.file.id, item.error)
            summary.failed.append((item.item.file.id, item.error))
            if bar is not None:
                bar.update(1)
    return [item for item in decoded if item.error is None]


class _Writer(threading.Thread):
    """Writes finished batches in order (the runner's `write`: arrays first, then the catalog)."""

    def __init__(
        self,
        runner: KindRunner,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
        plan: RunPlan,
        run_id: int,
        summary: ModelSummary,
        bar: Any,
    ) -> None:
        super().__init__(name=f"writer-{plan.name}", daemon=True)
        self.runner, self.store, self.catalog, self.plan, self.run_id = runner, store, catalog, plan, run_id
        self.summary, self.bar = summary, bar
        self.jobs: queue.Queue[tuple[int, list[Decoded], Any] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

    def run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is not None:
                continue
            index, items, computed = job
            try:
                tokens = self.runner.write(
                    self.store, self.catalog, self.plan, index, items, computed, self.run_id
                )
                self.summary.tokens += tokens
            except BaseException as error:  # surfaced on the main thread
                self.error = error

    def submit(self, index: int, items: list[Decoded], computed: Any) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((index, items, computed))

    def close(self) -> None:
        self.jobs.put(None)
        self.join()
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        if self.is_alive():
            self.jobs.put(None)
            self.join(timeout=60)


def run_batches(
    runner: KindRunner,
    engine: Engine,
    plan: RunPlan,
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    run_id: int,
    summary: ModelSummary,
    threads: int,
    bar: Any = None,
) -> None:
    """Every batch of the plan, with decoding two batches ahead and writing one behind."""
    writer = _Writer(runner, store, catalog, plan, run_id, summary, bar)
    writer.start()
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix=f"decode-{plan.name}")
    batches = plan.batches
    in_flight: deque[list[Future[Decoded]]] = deque()

    def submit(index: int) -> None:
        if index < len(batches):
            in_flight.append([pool.submit(engine.decode, item) for item in batches[index].items])

    try:
        submit(0)
        submit(1)
        for position, batch in enumerate(batches):
            decoded = [future.result() for future in in_flight.popleft()]
            submit(position + 2)
            good = settle_failures(decoded, catalog, summary, bar)
            if not good:
                continue
            if bar is not None:  # a batch computes at once: say so while the bar waits for it
                images = f"{len(good)} image" + ("s" if len(good) > 1 else "")
                bar.set_postfix_str(f"batch {position + 1}/{len(batches)}: {images}", refresh=True)
            writer.submit(batch.index, good, compute_counted(engine, good, bar))
            summary.done += len(good)
        writer.close()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        writer.abandon()
