"""The catalog's record of one model's run, the same for every kind:

    with RunLedger(catalog, store, model, params, summary, started, bytes_before) as run_id:
        ...  # execute the plan's batches

On entry, runs of the model still marked `running` are marked `killed` (we hold its lock, so
their process is gone) and a new run starts. On exit the run is finished as `done`,
`interrupted` (Ctrl-C) or `failed` (any other exception, its message kept), with its seconds,
bytes written and failures, which also go into the summary.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from precompute.kind import ModelSummary
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile


class RunLedger:
    def __init__(
        self,
        catalog: CatalogWriter,
        store: AttentionStoreWriter,
        model: ResolvedModel,
        params: dict[str, Any],
        summary: ModelSummary,
        started: float,
        bytes_before: int,
    ) -> None:
        self.catalog, self.store, self.model = catalog, store, model
        self.params = {**params, "base_key": model.spec.key}
        self.summary, self.started, self.bytes_before = summary, started, bytes_before
        self.run_id: int | None = None

    def __enter__(self) -> int:
        name = self.model.name
        self.catalog.close_stale_runs(name)
        self.run_id = self.catalog.start_run(name, self.model.checkpoint, self.model.weights, self.params)
        return self.run_id

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        assert self.run_id is not None
        if error is None:
            status, failure = "done", None
        elif isinstance(error, KeyboardInterrupt):
            status, failure = "interrupted", "interrupted by the user"
        else:
            status, failure = "failed", f"{type(error).__name__}: {error}"
        summary = self.summary
        summary.seconds = time.perf_counter() - self.started
        after = self.store.group_bytes(summary.key)
        summary.bytes_written = None if after is None else max(0, after - self.bytes_before)
        self.catalog.finish_run(
            self.run_id,
            status=status,
            seconds=summary.seconds,
            images_failed=len(summary.failed),
            bytes_written=summary.bytes_written,
            error=failure,
        )


def settled(summary: ModelSummary, files: Sequence[DiscoveredFile], catalog: CatalogWriter) -> ModelSummary:
    """The summary of a model with nothing to do: what is done, what is known to be unreadable."""
    ids = {f.id for f in files}
    summary.already_done = len(catalog.done_ids(summary.key) & ids)
    summary.known_unreadable = len(catalog.failed_ids() & ids)
    summary.bytes_written = 0
    return summary
