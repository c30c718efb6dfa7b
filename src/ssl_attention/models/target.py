"""What a model's faithfulness curves record (`precompute --faithfulness`, docs/metrics.md#faithfulness-deletion-and-insertion).

An adapter with a target of its own — a classifier's score of the unperturbed image's top class,
an image–text similarity — defines `faithfulness_target(reference) -> Target` (the
`TargetProvider` protocol); every other adapter is scored by the cosine similarity of its
embedding to the unperturbed image's (`precompute/faithfulness.py`). This module lives in
`models/` so that adapters can build a `Target` without importing precompute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch


@dataclass(frozen=True)
class Target:
    """`score` maps normalised pixels (B, 3, S, S) to (B,) scores; `name` is recorded with every
    (image, model) pair (at most 64 characters), e.g. `embedding-cosine`, `class-logit`."""

    name: str
    score: Callable[[torch.Tensor], torch.Tensor]


@runtime_checkable
class TargetProvider(Protocol):
    """An adapter with its own target; `reference` is the unperturbed image (3, S, S), on the
    model's device, so the target can depend on it (the top class of the image itself)."""

    def faithfulness_target(self, reference: torch.Tensor) -> Target: ...
