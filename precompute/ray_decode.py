"""The decode tasks of `--executor ray` (CPU only, no weights): every image of a unit read and
resized by the kind's decoder. Torch-free, as are `precompute.work` and a ViT's decoder
(`precompute.vit_decode`): a decode worker process imports PIL and numpy, not torch and
transformers (seconds of CPU per process; docs/scaling.md, "What an actor's start costs").
A kind whose decoder lives beside its model code (VLMs) still works: its worker imports that."""

from __future__ import annotations

import os
import pickle
from typing import Any, Protocol

from precompute.work import Batch, Decoded, WorkItem


class UnitDecoder(Protocol):
    def decode(self, item: WorkItem) -> Decoded: ...


def decode_unit(decoder: UnitDecoder, env: dict[str, str], row: dict[str, Any]) -> dict[str, Any]:
    """A CPU task: every image of a unit read and resized; failures travel as `Decoded.error`."""
    os.environ.update(env)
    unit: tuple[Batch, ...] = pickle.loads(row["unit"])
    decoded = [(batch.index, [decoder.decode(item) for item in batch.items]) for batch in unit]
    return {"decoded": pickle.dumps(decoded, protocol=pickle.HIGHEST_PROTOCOL)}
