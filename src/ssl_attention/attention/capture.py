"""Attention capture through a custom transformers attention backend.

transformers 5 returns no attention weights under sdpa, and eager attention with `output_attentions`
keeps L×B×H×N×N probabilities alive. Instead we register one more attention implementation,
`ssl_capture`: it lets sdpa compute the layer's output exactly as before, then recomputes
softmax(q·kᵀ·scale) from the same q and k (after RoPE, with the same mask) in query chunks and
folds it straight into the few statistics we store. Nothing bigger than one query chunk of one
layer, plus the B×N×N rollout product, is ever held.

A recorder with an `attend` method computes the output of the layers it watches itself instead:
the text recorder (`attention/text.py`, P · V from the probabilities it computes anyway, so
attention runs once) and gradient-weighted rollout (`attention/gradrollout.py`).

The backend only records while a recorder is active; otherwise it is plain sdpa.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from ssl_attention.models.token_layout import TokenLayout

CAPTURE_IMPLEMENTATION = "ssl_capture"


class AttentionObserver(Protocol):
    """What the backend hands q and k to: a recorder of one forward pass."""

    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None: ...


_active_recorder: ContextVar[AttentionObserver | None] = ContextVar("ssl_attention_recorder", default=None)


@contextmanager
def observing(observer: AttentionObserver) -> Iterator[None]:
    """Route every `ssl_capture` attention call in this context to `observer`."""
    token = _active_recorder.set(observer)
    try:
        yield
    finally:
        _active_recorder.reset(token)


def capture_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """sdpa for the output; the active recorder (if any) sees the same q, k and mask. A recorder
    with an `attend` method computes the output itself for the layers it watches: gradient-weighted
    rollout (`attention/gradrollout.py`), to see each layer's gradient in backward, and the text
    recorder (`attention/text.py`), so that attention is computed once."""
    kwargs.pop("output_attentions", None)
    recorder = _active_recorder.get()
    attend = getattr(recorder, "attend", None)
    # A layer with attention sinks (`s_aux`) or logit soft-capping is left to sdpa's output: the
    # recorders' own attention does neither (they still observe its q and k).
    if attend is not None and kwargs.get("s_aux") is None and not kwargs.get("softcap"):
        attended = attend(module, query, key, value, attention_mask, scaling)
        if attended is not None:
            return attended.transpose(1, 2).contiguous(), None
    output, _ = sdpa_attention_forward(
        module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
    )
    if recorder is not None:
        # The statistics are float32 whatever the model runs in: autocast would turn our matmuls into bf16.
        with torch.autocast(device_type=query.device.type, enabled=False):
            recorder.observe(module, query, key, attention_mask, scaling)
    return output, None


def register_capture_backend() -> None:
    """Make `attn_implementation="ssl_capture"` known to transformers (idempotent)."""
    AttentionInterface.register(CAPTURE_IMPLEMENTATION, capture_attention_forward)
    # Same boolean masks as sdpa: without this entry transformers would build no mask at all.
    AttentionMaskInterface.register(CAPTURE_IMPLEMENTATION, sdpa_mask)


register_capture_backend()


class AttentionRecorder:
    """Accumulates, for one batch, the stored statistics of every layer as the model runs.

    Per layer l and head h, with A = softmax(q·kᵀ·scale) and P the patch columns:
      cls_heads[b, l, h]   = A[CLS, P]                            (models with a CLS token)
      mean_heads[b, l, h]  = mean over all query rows q of A[q, P]
      prefix_heads[b,l,h]  = A[CLS, prefix] (or the mean-query row when there is no CLS)
      rollout[b, l]        = R⁽ˡ⁾[CLS, P] (or mean over rows of R⁽ˡ⁾[:, P]),
                             R⁽ˡ⁾ = (½·mean_h A + ½·I) · R⁽ˡ⁻¹⁾, R⁽⁻¹⁾ = I
    """

    def __init__(
        self,
        attention_modules: Sequence[nn.Module],
        layout: TokenLayout,
        *,
        query_chunk_bytes: int = 16 * 2**20,
    ) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.layout = layout
        self.query_chunk_bytes = query_chunk_bytes
        self.reset()

    def reset(self) -> None:
        self.cls_heads: list[torch.Tensor] = []
        self.mean_heads: list[torch.Tensor] = []
        self.prefix_heads: list[torch.Tensor] = []
        self.rollout: list[torch.Tensor] = []
        self._product: torch.Tensor | None = None  # R⁽ˡ⁻¹⁾, float32 (B, N, N)
        self._next_layer = 0

    @contextmanager
    def recording(self) -> Iterator[AttentionRecorder]:
        self.reset()
        try:
            with observing(self):
                yield self
        finally:
            self._product = None

    def _query_chunk(self, batch: int, heads: int, tokens: int) -> int:
        # scores, probabilities and one temporary of shape (B, H, chunk, N) in float32
        per_query = batch * heads * tokens * 4 * 3
        return max(1, min(tokens, self.query_chunk_bytes // per_query))

    @torch.no_grad()
    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        layer = self.layer_of.get(id(module))
        if layer is None:  # an attention module we were not asked to watch (e.g. a text tower)
            return
        if layer != self._next_layer:
            raise RuntimeError(f"attention layers ran out of order: got {layer}, expected {self._next_layer}")
        self._next_layer += 1

        batch, heads, tokens, head_dim = query.shape
        key = expand_kv_heads(key, heads)
        layout = self.layout
        if tokens != layout.n_tokens:
            raise RuntimeError(f"layer {layer} saw {tokens} tokens, the token layout says {layout.n_tokens}")
        scale = scaling if scaling is not None else head_dim**-0.5
        q = query.float() * scale  # scaling q (B·H·N·d) is cheaper than scaling the scores (B·H·N·N)
        k_t = key.float().transpose(-1, -2)
        mask = additive_mask(attention_mask, q.dtype)

        first_layer = self._product is None
        last_layer = layer == self.n_layers - 1
        n_prefix = layout.n_prefix
        # Rows of R⁽ˡ⁾ we need: all of it for the next layer, only the stored row at the last layer.
        received = torch.zeros(batch, heads, tokens, device=q.device, dtype=torch.float32)
        cls_row: torch.Tensor | None = None
        head_mean_rows: list[torch.Tensor] = []  # ½·mean_h A + ½·I, by query chunk
        mean_of_head_mean = torch.zeros(batch, tokens, device=q.device, dtype=torch.float32)

        chunk = self._query_chunk(batch, heads, tokens)
        for start in range(0, tokens, chunk):
            stop = min(tokens, start + chunk)
            scores = torch.matmul(q[:, :, start:stop], k_t)
            if mask is not None:
                scores = scores + mask[:, :, start:stop]
            probs = torch.softmax(scores, dim=-1)
            del scores
            received += probs.sum(dim=2)
            if start == 0 and layout.has_cls:
                cls_row = probs[:, :, 0, :].clone()
            head_mean = probs.mean(dim=1)  # (B, chunk, N)
            del probs
            if last_layer and not first_layer:
                mean_of_head_mean += head_mean.sum(dim=1)
                if start == 0 and layout.has_cls:
                    head_mean_rows.append(head_mean[:, :1])
            else:
                head_mean_rows.append(head_mean)

        mean_row = received / tokens  # (B, H, N)
        patches = slice(n_prefix, tokens)
        self.mean_heads.append(mean_row[:, :, patches])
        if cls_row is not None:
            self.cls_heads.append(cls_row[:, :, patches])
        if n_prefix:
            source = cls_row if cls_row is not None else mean_row
            self.prefix_heads.append(source[:, :, :n_prefix])

        self._update_rollout(head_mean_rows, mean_of_head_mean, first_layer, last_layer)

    def _update_rollout(
        self,
        head_mean_rows: list[torch.Tensor],
        mean_of_head_mean: torch.Tensor,
        first_layer: bool,
        last_layer: bool,
    ) -> None:
        layout = self.layout
        patches = slice(layout.n_prefix, layout.n_tokens)
        previous = self._product
        if previous is None:
            # R⁽⁰⁾ = Â⁽⁰⁾ · I
            product = torch.cat(head_mean_rows, dim=1) * 0.5
            product.diagonal(dim1=-2, dim2=-1).add_(0.5)
        elif last_layer:
            # Only the stored row of R⁽ᴸ⁻¹⁾ is needed: row·R = ½·(Ā row)·R + ½·(R row).
            if layout.has_cls:
                row = head_mean_rows[0][:, 0]
                stored = 0.5 * torch.bmm(row.unsqueeze(1), previous).squeeze(1) + 0.5 * previous[:, 0]
            else:
                mean_row = mean_of_head_mean / layout.n_tokens
                stored = 0.5 * torch.bmm(mean_row.unsqueeze(1), previous).squeeze(1) + 0.5 * previous.mean(
                    dim=1
                )
            self.rollout.append(stored[:, patches])
            self._product = None
            return
        else:
            product = torch.empty_like(previous)
            start = 0
            for rows in head_mean_rows:
                stop = start + rows.shape[1]
                torch.baddbmm(
                    previous[:, start:stop], rows, previous, beta=0.5, alpha=0.5, out=product[:, start:stop]
                )
                start = stop
        self._product = product
        if layout.has_cls:
            self.rollout.append(product[:, 0, patches].clone())
        else:
            self.rollout.append(product[:, :, patches].mean(dim=1))
        if last_layer:
            self._product = None

    def results(self) -> dict[str, torch.Tensor]:
        """Per-head (B, L, H, P) and fused (B, L, P) tensors in float32, on the model's device."""
        if self._next_layer != self.n_layers:
            raise RuntimeError(f"recorded {self._next_layer} of {self.n_layers} layers")
        out: dict[str, torch.Tensor] = {
            "mean/heads": torch.stack(self.mean_heads, dim=1),
            "rollout/fused": torch.stack(self.rollout, dim=1),
        }
        out["mean/fused"] = out["mean/heads"].mean(dim=2)
        if self.cls_heads:
            out["cls/heads"] = torch.stack(self.cls_heads, dim=1)
            out["cls/fused"] = out["cls/heads"].mean(dim=2)
        if self.prefix_heads:
            out["prefix/heads"] = torch.stack(self.prefix_heads, dim=1)
        return out


def expand_kv_heads(key: torch.Tensor, heads: int) -> torch.Tensor:
    """Grouped-query attention: repeat each key head for the query heads that share it."""
    if key.shape[1] == heads:
        return key
    return key.repeat_interleave(heads // key.shape[1], dim=1)


def additive_mask(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """transformers hands us a boolean (True = attend) or an additive float mask, or None."""
    if mask is None:
        return None
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, float("-inf"))
    return mask.to(dtype)


def pooling_head_attention(head: nn.Module, hidden_state: torch.Tensor) -> torch.Tensor:
    """Attention of SigLIP's MAP probe over the tokens: (B, H, N), per head, in float32.

    The pooling head is a `torch.nn.MultiheadAttention` (not a transformers attention), so its
    probabilities are recomputed from its own projection weights.
    """
    attention = head.attention
    assert isinstance(attention, nn.MultiheadAttention)
    heads = attention.num_heads
    dim = attention.embed_dim
    head_dim = dim // heads
    weight = attention.in_proj_weight.float()
    bias = attention.in_proj_bias.float() if attention.in_proj_bias is not None else None
    w_q, w_k = weight[:dim], weight[dim : 2 * dim]
    b_q = bias[:dim] if bias is not None else None
    b_k = bias[dim : 2 * dim] if bias is not None else None
    probe = torch.as_tensor(head.probe).float().reshape(1, dim)
    q = nn.functional.linear(probe, w_q, b_q).reshape(1, heads, 1, head_dim)
    k = nn.functional.linear(hidden_state.float(), w_k, b_k)
    batch, tokens, _ = k.shape
    k = k.reshape(batch, tokens, heads, head_dim).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) * head_dim**-0.5  # (B, H, 1, N)
    return torch.softmax(scores, dim=-1)[:, :, 0]
