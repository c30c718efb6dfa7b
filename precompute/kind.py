"""What a kind of model provides to a precompute run: the `KindRunner` interface and the plan it makes.

A run of one model has two halves that can live on different machines:

    PLAN     runner.plan(model, files, options, store, catalog) -> RunPlan | None
             which images (and, for VLMs, prompts) are pending and how they batch. Reads the
             config, the store and the catalog and writes only their metadata (the group, the
             rows); never loads weights, never touches the device. None: nothing to do.
    EXECUTE  engine = runner.load(model, options, device, dtype)       weights onto the device
             for each batch: engine.decode(item) (CPU, any thread) → engine.compute(decoded)
             (the device) → runner.write(...) (arrays, *then* the catalog's done marks).

`precompute.pipeline` drives EXECUTE (overlapped in threads, or one batch at a time); each kind
module (`precompute/vit.py`, `precompute/vlm.py`) exposes its runner as `RUNNER`, which the
kinds table (`ssl_attention.kinds`) names.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from precompute.options import RunOptions
from precompute.work import Batch, Decoded, WorkItem
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from ssl_attention.store.layout import GroupAttrs
from ssl_attention.store.shards import shard_batches

# Test-only fault injection: "kill-after-write:N" SIGKILLs the process after the N-th batch's arrays
# are written but before the catalog marks them done; "kill-after-commit:N" right after the commit.
# While a group is set up (`AttentionStoreWriter.prepare*`): "kill-after-unmark:0" (an old group
# marked incomplete, not yet deleted), "kill-in-create:N" (the group node and N of its arrays
# exist), "kill-in-resize:N" (N arrays grown), "kill-in-sample:ROW" (a VLM sample group, no arrays).
# With FAULT_ONCE_ENV naming a file, a fault fires only in the process that creates that file first
# (a Ray actor restarted after the kill retries the same batch, and must then get through).
FAULT_ENV = "SSL_ATTENTION_FAULT"
FAULT_ONCE_ENV = "SSL_ATTENTION_FAULT_ONCE"


def fault(point: str, batch_index: int) -> None:
    """SIGKILL at `point:N`; "interrupt:point:N" raises KeyboardInterrupt there instead (a Ctrl-C)."""
    spec = os.environ.get(FAULT_ENV)
    if spec and spec == f"{point}:{batch_index}" and _first_time():
        os.kill(os.getpid(), signal.SIGKILL)
    if spec and spec == f"interrupt:{point}:{batch_index}":
        raise KeyboardInterrupt


def _first_time() -> bool:
    marker = os.environ.get(FAULT_ONCE_ENV)
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@dataclass(frozen=True)
class RunPlan:
    """The work of one model in one run: plain data, so a driver can hand its batches to workers."""

    name: str  # the model's group in the store and its key in the catalog
    attrs: GroupAttrs  # the group's attrs as prepared for this run
    batches: tuple[Batch, ...]
    already_done: int  # images of the gallery with nothing left to do
    bytes_before: int  # the group's bytes before this run (0 when it was (re)built)
    repaired: int = 0  # finished images found damaged in the store (a chunk lost or bad), redone


class Decoder(Protocol):
    """Reads and prepares images on the CPU; needs no weights (a CPU task of a distributed run
    holds one, the model actors never decode)."""

    def decode(self, item: WorkItem) -> Decoded:
        """Read and prepare one image on the CPU (thread-safe; errors are returned, not raised)."""
        ...


class Engine(Decoder, Protocol):
    """A model loaded on its device, ready to turn decoded items into arrays."""

    def compute(self, items: Sequence[Decoded], progress: Callable[[int], None] | None = None) -> Any:
        """The maps of a batch of decoded images (all with `error is None`). `progress(k)`: k more
        images of the batch are computed, as far as the engine can tell (a ViT: layer by layer);
        the pipeline counts whatever it did not report when `compute` returns."""
        ...


class KindRunner(Protocol):
    """A kind's precompute: flags, planning, loading, writing. See the module docstring."""

    unit: str  # what its summary counts besides images ("img", or "tok" for text tokens)
    square_input: bool  # every image is resized to a square (the summary warns beyond 2:1)

    def decode_threads(self, options: RunOptions) -> int:
        """Threads decoding images ahead of the device."""
        ...

    def validate(self, options: RunOptions, models: Sequence[ResolvedModel]) -> None:
        """Raise RunError on a flag this kind cannot run with (before anything is written)."""
        ...

    def plan(
        self,
        model: ResolvedModel,
        files: Sequence[DiscoveredFile],
        options: RunOptions,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
    ) -> RunPlan | None: ...

    def decoder(self, model: ResolvedModel, options: RunOptions) -> Decoder:
        """What `Engine.decode` does, without the weights (picklable: it travels to CPU tasks)."""
        ...

    def load(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> Engine: ...

    def write(
        self,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
        plan: RunPlan,
        batch_index: int,
        items: Sequence[Decoded],
        computed: Any,
        run_id: int,
    ) -> int:
        """Arrays first, then the catalog (fault points between); returns text tokens stored."""
        ...


@dataclass
class ModelSummary:
    key: str
    done: int = 0
    already_done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (image id, why)
    known_unreadable: int = 0  # files that failed in an earlier run and have not changed since
    seconds: float = 0.0
    load_seconds: float = 0.0
    bytes_written: int | None = None
    unit: str = "img"  # VLMs also count text tokens stored
    tokens: int = 0
    repaired: int = 0  # finished images whose damaged maps this run recomputed

    @property
    def images_per_second(self) -> float:
        """Throughput of the pipeline once the model is loaded."""
        busy = self.seconds - self.load_seconds
        return self.done / busy if busy > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        busy = self.seconds - self.load_seconds
        return self.tokens / busy if busy > 0 else 0.0


def open_group(
    attrs: GroupAttrs,
    files: Sequence[DiscoveredFile],
    force: bool,
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
) -> tuple[bool, dict[str, int], int]:
    """Decide whether the model's group is (re)built or extended, give every image a row; returns
    (rebuild, rows, bytes before). A group built with other settings is refused without --force,
    unless none of its rows is finished (then there is nothing to lose: e.g. a load that failed)."""
    existing = store.existing_attrs(attrs.key)
    same = existing is not None and existing.kind == attrs.kind and existing.identity() == attrs.identity()
    rebuild = force or existing is None or (not same and not catalog.done_ids(attrs.key))
    if not rebuild:
        store.check_compatible(attrs)
    else:
        catalog.reset_model(attrs.key)
    rows = catalog.assign_rows(attrs.key, [f.id for f in files])
    bytes_before = 0 if rebuild else (store.group_bytes(attrs.key) or 0)
    return rebuild, rows, bytes_before


def finished_rows(key: str, files: Sequence[DiscoveredFile], catalog: CatalogWriter) -> dict[int, str]:
    """Row -> image id of the gallery's images whose maps the catalog says are finished."""
    rows = catalog.assign_rows(key, [])  # the rows given so far; gives none
    ids = {f.id for f in files}
    return {rows[image_id]: image_id for image_id in catalog.done_ids(key) & ids if image_id in rows}


def batched(items: Sequence[WorkItem], size: int, shard_images: int | None = None) -> tuple[Batch, ...]:
    """Batches of at most `size` items in plan order; sharded, none crosses a shard boundary."""
    rows = [item.row for item in items]
    return tuple(
        Batch(index, tuple(batch))
        for index, batch in enumerate(shard_batches(items, rows, size, shard_images))
    )
