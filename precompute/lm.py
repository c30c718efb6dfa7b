"""The `lm` row's precompute runner. A text language model reads texts, not images: a gallery run
(`precompute --models all`, no `--texts`) plans nothing for it and says so; `precompute --texts
FILE` runs it through `precompute/texts.py` instead of the image pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import torch

from precompute.kind import Decoded, Engine, RunPlan
from precompute.options import RunError, RunOptions
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile


class LmRunner:
    unit = "tok"
    square_input = False
    reads_texts = True  # a gallery run leaves it out with a note (precompute/runner.py)

    def decode_threads(self, options: RunOptions) -> int:
        return 1

    def validate(self, options: RunOptions, models: Sequence[ResolvedModel]) -> None:
        """Text models take `--texts`; their own flags are checked by `precompute/texts.py`."""

    def plan(
        self,
        model: ResolvedModel,
        files: Sequence[DiscoveredFile],
        options: RunOptions,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
    ) -> RunPlan | None:
        """Nothing to do over images: a text model is skipped by a gallery run."""
        return None

    def load(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> Engine:
        raise _images_are_not_texts(model)

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
        raise RunError(f"{plan.name} is a text language model: it writes texts, not images")


def _images_are_not_texts(model: ResolvedModel) -> NoReturn:
    raise RunError(f"{model.name} is a text language model: pass --texts FILE.jsonl to run it")


RUNNER = LmRunner()
