"""Vision transformers as the API sees them: the `vit` row of `ssl_attention.kinds.KINDS`.

A ViT group holds one array per method (`cls/fused`, `mean/heads`, …, and `prefix/heads`) with
one chunk per image: row `r` of every array is image `r`'s maps, on the model's fixed patch grid.
`gradrollout` has one array per target (`gradrollout/<k>/fused`); the `prompt` parameter picks k.
Only this module (and `vlm.py` for its kind) knows which attrs class its groups have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.backend.services.errors import InvalidParameter
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.store.layout import GroupAttrs, VitAttrs
from ssl_attention.store.target_layout import GRADROLLOUT, target_path

PREFIX_ARRAY = "prefix/heads"


@dataclass(frozen=True)
class PrefixTokens:
    """The tokens before the patches (CLS, registers) whose share of attention `/prefix` reports,
    and which query row it is measured for (`cls`, or the mean over every row without CLS)."""

    query: Literal["cls", "mean"]
    tokens: tuple[str, ...]


def vit_attrs(attrs: GroupAttrs) -> VitAttrs:
    """The attrs of a group of this kind (the kinds table only hands this module its own groups)."""
    if not isinstance(attrs, VitAttrs):
        raise TypeError(f"{attrs.key} is not a vision transformer group")
    return attrs


class VitApi:
    """What differs for a vision transformer (see `kinds.KindApi`)."""

    name = "vit"
    noun = "a vision transformer"
    span_methods: tuple[str, ...] = ()  # no text tokens: `token` and /tokens are refused
    target_methods: tuple[str, ...] = (GRADROLLOUT,)  # one map per target: `prompt` picks it

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        vit = vit_attrs(attrs)
        return dict(
            kind=self.name,
            image_size=vit.image_size,
            grid=list(vit.grid),
            prompts=list(vit.targets),  # gradrollout's targets: `prompt` is an index into them
            merge=None,
            min_pixels=None,
            max_pixels=None,
            max_new_tokens=None,
            has_cls=vit.has_cls,
            has_pool=vit.has_pool,
            registers=vit.registers,
            prefix_tokens=list(vit.prefix_tokens),
        )

    def head_scope(self, attrs: GroupAttrs, method: str) -> str:
        return attrs.key  # every method has the same heads

    def read_layer(
        self,
        store: AttentionStore,
        target: Target,
        method: str,
        layer: int,
        array_path: str,
        span: TokenSpan | None,
    ) -> np.ndarray:
        if method == GRADROLLOUT:  # one array per target: the span's prompt is the target index
            assert span is not None, "a gradrollout request resolves its target first"
            array_path = target_path(span.prompt)
        return store.read_chunk(target.model, array_path, target.row, target.sha256)[layer]

    def prefix(self, attrs: GroupAttrs) -> PrefixTokens:
        vit = vit_attrs(attrs)
        if not vit.prefix_tokens:
            raise InvalidParameter(
                "model",
                f"{vit.key} has no prefix tokens (no CLS token, no registers), so no prefix shares",
                [],
            )
        return PrefixTokens("cls" if vit.has_cls else "mean", vit.prefix_tokens)

    def read_prefix(self, store: AttentionStore, target: Target) -> np.ndarray:
        """(L, H, n_prefix) shares of attention on each prefix token."""
        return store.read_chunk(target.model, PREFIX_ARRAY, target.row, target.sha256)


VIT = VitApi()
