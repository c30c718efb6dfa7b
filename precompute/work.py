"""The plain values a plan hands to workers and the CPU stage hands back: `WorkItem`, `Batch`,
`Decoded` (re-exported by `precompute.kind`). No torch here: a Ray decode task unpickles them
without importing the model side (docs/scaling.md, "What an actor's start costs")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ssl_attention.data.gallery import DecodedImage
from ssl_attention.values import DiscoveredFile


@dataclass(frozen=True)
class WorkItem:
    """One pending image of a plan, at its row in the model's group."""

    row: int
    file: DiscoveredFile
    prompts: tuple[str, ...] = ()  # VLMs: the prompts still to run on it
    with_vision: bool = True  # VLMs: its vision-tower maps are not stored yet
    answers: tuple[tuple[int, ...], ...] = ()  # VLMs with --answer-from: per prompt, the ids to force


@dataclass(frozen=True)
class Batch:
    index: int  # position in the plan (the fault-injection points count batches by it)
    items: tuple[WorkItem, ...]


@dataclass
class Decoded:
    """An item after the CPU stage: the decoded image (and model input), or why it failed."""

    item: WorkItem
    image: DecodedImage | None = None
    pixels: np.ndarray | None = None  # ViTs: the resized, normalised input
    error: str | None = None
