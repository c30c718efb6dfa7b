"""CNNs as the API sees them: the `cnn` row of `ssl_attention.kinds.KINDS` (e.g. `resnet50`).

A CNN group is laid out like a ViT group (`gradcam/fused`, one chunk per image, on the last
stage's grid) but has no layers and no heads to choose: `/models` reports `layers: 1`,
`heads: 0`, `per_head_methods: []`, and `layer` must be 0. It has no tokens, so no prefix shares.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.backend.services.errors import InvalidParameter
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from app.backend.services.vit import VIT, PrefixTokens
from ssl_attention.store.cnn_layout import CnnAttrs
from ssl_attention.store.layout import GroupAttrs


def cnn_attrs(attrs: GroupAttrs) -> CnnAttrs:
    """The attrs of a group of this kind (the kinds table only hands this module its own groups)."""
    if not isinstance(attrs, CnnAttrs):
        raise TypeError(f"{attrs.key} is not a CNN group")
    return attrs


class CnnApi:
    """What differs for a CNN (see `kinds.KindApi`)."""

    name = "cnn"
    noun = "a CNN"
    span_methods: tuple[str, ...] = ()
    target_methods: tuple[str, ...] = ()

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        cnn = cnn_attrs(attrs)
        return {**VIT.info(cnn), "kind": self.name}

    def head_scope(self, attrs: GroupAttrs, method: str) -> str:
        return attrs.key

    def read_layer(
        self,
        store: AttentionStore,
        target: Target,
        method: str,
        layer: int,
        array_path: str,
        span: TokenSpan | None,
    ) -> np.ndarray:
        return VIT.read_layer(store, target, method, layer, array_path, span)

    def prefix(self, attrs: GroupAttrs) -> PrefixTokens:
        raise self._no_prefix(attrs)

    @staticmethod
    def _no_prefix(attrs: GroupAttrs) -> InvalidParameter:
        return InvalidParameter(
            "model", f"{attrs.key} is a CNN: it has no tokens (no CLS, no registers), so no prefix shares", []
        )

    def read_prefix(self, store: AttentionStore, target: Target) -> np.ndarray:
        raise self._no_prefix(target.model.attrs)


CNN = CnnApi()
