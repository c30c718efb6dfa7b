"""Where a VLM prompt's `gradrollout` map lives (a group of `precompute --answer-token K`).

    samples/<row>/prompts/<k>/gradrollout/       attrs: ExplainedToken (which answer token, or a note)
      fused   (1, gh, gw)                         the relevancy of the image tokens to that token,
                                                  on the merged grid (one "layer": the whole model)

The array is absent when the prompt's answer has no token K (`note` says why); the prompt's other
maps are stored as usual. Written by `write_gradrollout` right after `write_vlm_prompt` (which
recreates the prompt's group), before the catalog marks the prompt done.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import zarr

from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.layout import VlmAttrs

GRADROLLOUT = "gradrollout"


@dataclass(frozen=True)
class ExplainedToken:
    """Which answer token a prompt's `gradrollout` map explains. `answer_token`: as asked
    (`--answer-token`, negative from the end); `index`: its place among the answer's tokens (the
    answer without its stop token); `token`: its index among the prompt's stored text tokens (as
    in /tokens); `text`: how it reads. `note`: why there is no map (then the rest is -1 / "")."""

    answer_token: int
    index: int = -1
    token: int = -1
    text: str = ""
    note: str | None = None

    def to_attrs(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> ExplainedToken:
        return cls(
            answer_token=int(attrs["answer_token"]),
            index=int(attrs.get("index", -1)),
            token=int(attrs.get("token", -1)),
            text=str(attrs.get("text", "")),
            note=None if attrs.get("note") is None else str(attrs["note"]),
        )


def gradrollout_path(row: int, prompt_index: int) -> str:
    return f"{VlmAttrs.prompt_path(row, prompt_index)}/{GRADROLLOUT}"


def write_gradrollout(
    store: AttentionStoreWriter,
    attrs: VlmAttrs,
    row: int,
    prompt_index: int,
    explained: ExplainedToken,
    values: np.ndarray | None,
) -> None:
    """`prompts/<k>/gradrollout`: its attrs, and `fused` (1, gh, gw) when there is a map."""
    group = store.root[attrs.key]
    assert isinstance(group, zarr.Group)
    path = gradrollout_path(row, prompt_index)
    if path in group:
        del group[path]
    target = group.create_group(path, attributes=explained.to_attrs())
    if values is not None:
        fused = np.asarray(values, dtype=np.float32)[None]
        store._write_array(target, "fused", fused, fused.shape, ("layer", "y", "x"), attrs.dtype)
