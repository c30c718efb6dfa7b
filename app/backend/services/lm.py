"""Text language models as the API sees them: the `lm` row of `ssl_attention.kinds.KINDS`.

An `lm` group holds no image maps: its texts are served by the `/texts` routes
(`services/texts.py`). Its `/models` entry names its layers and heads; every image-map read
answers 400 saying so.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from app.backend.services.errors import InvalidParameter
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.store.layout import GroupAttrs


def _no_maps(attrs: GroupAttrs) -> InvalidParameter:
    return InvalidParameter(
        "model",
        f"{attrs.key} is a text language model: it has no image maps; read its texts with GET /texts?model={attrs.key}",
        [],
    )


class LmApi:
    """What differs for a causal language model (see `kinds.KindApi`)."""

    name = "lm"
    noun = "a text language model"
    span_methods: tuple[str, ...] = ()
    target_methods: tuple[str, ...] = ()

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        return dict(
            kind=self.name,
            image_size=None,
            grid=None,
            prompts=[],
            merge=None,
            min_pixels=None,
            max_pixels=None,
            max_new_tokens=None,
            has_cls=False,
            has_pool=False,
            registers=0,
            prefix_tokens=[],
        )

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
        raise _no_maps(target.model.attrs)

    def prefix(self, attrs: GroupAttrs) -> NoReturn:
        raise _no_maps(attrs)

    def read_prefix(self, store: AttentionStore, target: Target) -> NoReturn:
        raise _no_maps(target.model.attrs)


LM = LmApi()
