"""Run a model on a batch and return every stored map, shaped as the store's arrays."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch

from ssl_attention.attention.capture import AttentionRecorder, pooling_head_attention
from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.token_layout import TokenLayout


class MapExtractor:
    """Wraps an adapter: pixels (B, 3, S, S) in, `{array path: tensor (B, ...)}` out.

    Fused maps are the mean over heads of the float32 per-head maps; per-head arrays are
    returned only with `per_head` (rollout is fused only; prefix mass is always kept).
    """

    def __init__(
        self,
        adapter: VisionAdapter,
        image_size: int,
        *,
        per_head: bool,
        autocast_dtype: torch.dtype | None = None,
        query_chunk_bytes: int = 16 * 2**20,
    ) -> None:
        self.adapter = adapter
        self.layout: TokenLayout = adapter.layout(image_size)
        self.per_head = per_head
        self.autocast_dtype = autocast_dtype
        self.recorder = AttentionRecorder(
            adapter.attention_modules(), self.layout, query_chunk_bytes=query_chunk_bytes
        )
        self._pool: torch.Tensor | None = None
        self._recording = False
        head = adapter.pooling_head()
        if head is not None:
            head.register_forward_pre_hook(self._on_pooling_head)

    @property
    def has_pool(self) -> bool:
        return self.adapter.pooling_head() is not None

    def _on_pooling_head(self, module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        if self._recording:
            with torch.autocast(device_type=args[0].device.type, enabled=False):
                self._pool = pooling_head_attention(module, args[0])

    def _autocast(self, device: torch.device) -> Any:
        if self.autocast_dtype is None or self.autocast_dtype == torch.float32:
            return nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    @torch.inference_mode()
    def __call__(self, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
        gh, gw = self.layout.grid
        self._pool = None
        self._recording = True
        try:
            with self._autocast(pixels.device), self.recorder.recording():
                self.adapter.forward(pixels)
                raw = self.recorder.results()
        finally:
            self._recording = False
        out: dict[str, torch.Tensor] = {}
        for path, values in raw.items():
            if path.endswith("/heads") and path != "prefix/heads" and not self.per_head:
                continue
            out[path] = values if path == "prefix/heads" else values.unflatten(-1, (gh, gw))
        if self._pool is not None:
            pool = self._pool[:, None]  # (B, 1 layer, H, P)
            out["pool/fused"] = pool.mean(dim=2).unflatten(-1, (gh, gw))
            if self.per_head:
                out["pool/heads"] = pool.unflatten(-1, (gh, gw))
        return out
