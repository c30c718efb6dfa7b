"""The API's side of the kinds table: one object per kind, with everything that differs.

`ssl_attention.kinds.KINDS` names these objects in each row's `api` hook
("app.backend.services.kinds:VIT", ":VLM", ":LM", ":CNN"); code reaches them with `api_of(attrs)` and never asks
which attrs class a group has. A new kind adds its own module (like `vit.py`, `vlm.py`) with an
object that has every member of `KindApi`, and names it here and in its row.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from app.backend.services.cnn import CNN
from app.backend.services.lm import LM
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from app.backend.services.vit import VIT, PrefixTokens
from app.backend.services.vlm import VLM
from ssl_attention.kinds import kind_of
from ssl_attention.store.layout import GroupAttrs

__all__ = ["CNN", "LM", "VIT", "VLM", "KindApi", "PrefixTokens", "api_of"]


@runtime_checkable
class KindApi(Protocol):
    """What the API does differently for one kind of model."""

    name: str  # the kind's row in `ssl_attention.kinds.KINDS`
    noun: str  # how a message names a model of this kind ("a vision transformer")
    span_methods: tuple[str, ...]  # methods whose maps are per text token: they alone take
    # `prompt` and `token`, and a kind with any answers /tokens
    target_methods: tuple[str, ...]  # methods with one map per target (a ViT's gradrollout):
    # `prompt` picks the target (an index into the model's `prompts`), `token` is refused

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        """The `/models` fields that differ by kind (`kind`, `grid`, `prompts`, `prefix_tokens` …)."""
        ...

    def head_scope(self, attrs: GroupAttrs, method: str) -> str:
        """What a message about `method`'s heads names: the model, or the model and the method
        when the kind's methods have different heads."""
        ...

    def read_layer(
        self,
        store: AttentionStore,
        target: Target,
        method: str,
        layer: int,
        array_path: str,
        span: TokenSpan | None,
    ) -> np.ndarray:
        """Layer `layer` of the image's `array_path` (e.g. `cls/heads`): (gh, gw) from a fused
        array, (H, gh, gw) from a heads array; for a span method, the mean over `span`'s tokens."""
        ...

    def prefix(self, attrs: GroupAttrs) -> PrefixTokens:
        """The model's prefix tokens; raises `InvalidParameter` when it has none."""
        ...

    def read_prefix(self, store: AttentionStore, target: Target) -> np.ndarray:
        """(L, H, n_prefix) shares of attention on each prefix token."""
        ...


def api_of(attrs: GroupAttrs) -> KindApi:
    """The API object of a group's kind (its KINDS row's `api` hook)."""
    api: KindApi = kind_of(attrs).hook("api")
    return api
