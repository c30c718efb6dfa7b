"""Gradient-weighted attention rollout (Chefer, Gur & Wolf 2021, "Generic Attention-model
Explainability for Interpreting Bi-Modal and Encoder-Decoder Transformers", eq. 5-6).

For a scalar target y (a class logit; CLIP/SigLIP: the image-text cosine similarity) and each
layer l's attention probabilities A_l (B, H, N, N):

    Ā_l = mean_h((∂y/∂A_l ⊙ A_l)⁺)          R⁽⁻¹⁾ = I,   R⁽ˡ⁾ = R⁽ˡ⁻¹⁾ + Ā_l · R⁽ˡ⁻¹⁾

and the map is the row of R = R⁽ᴸ⁻¹⁾ = (I + Ā_{L-1}) ··· (I + Ā_0) of the CLS token on the patch
columns (without a CLS token: the mean of its rows).

How it is captured, without ever holding L × B × H × N × N: in this mode the `ssl_capture`
backend hands each watched layer to `RelevanceRecorder.attend`, which computes the output with
sdpa and keeps only q, k and v (as sdpa's own backward would). Its backward recomputes A_l from
q and k one query chunk at a time, forms ∂y/∂A_l = ∂y/∂O · vᵀ, folds (∂y/∂A_l ⊙ A_l)⁺ straight
into the relevance row and returns the gradients of q, k and v by hand (dS = A ⊙ (dA − Σ dA ⊙ A)).
Backward visits the layers from the last to the first, so the row is carried the same way:
r ← r + r · Ā_l (B × N), never R itself.

Causal layers (a VLM's language model, `attention/vlm_relevance.py`) come without a mask when
sdpa would apply causality itself: the forward then passes `is_causal` and the backward masks the
future keys of each query chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ssl_attention.attention.capture import additive_mask, expand_kv_heads, observing
from ssl_attention.models.token_layout import TokenLayout


class RelevanceRecorder:
    """Collects the relevance row of one backward pass over the watched attention layers."""

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
        self._row: torch.Tensor | None = None  # r (B, N), float32
        self._expected = self.n_layers - 1  # backward visits the layers last to first

    @contextmanager
    def recording(self) -> Iterator[RelevanceRecorder]:
        self._row, self._expected = None, self.n_layers - 1
        with observing(self):
            yield self

    def observe(self, *args: Any) -> None:  # layers it does not watch run as plain sdpa
        return None

    def attend(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> torch.Tensor | None:
        layer = self.layer_of.get(id(module))
        if layer is None:
            return None
        # A causal layer (a VLM's language model) may come without a mask: sdpa would then apply
        # causality itself, so the recomputation in backward masks the future positions too.
        causal = attention_mask is None and bool(getattr(module, "is_causal", False)) and query.shape[2] > 1
        if causal and query.shape[2] != key.shape[2]:
            raise ValueError("gradient-weighted rollout needs one pass over the whole sequence (no cache)")
        heads = query.shape[1]
        scale = scaling if scaling is not None else query.shape[-1] ** -0.5
        mask = additive_mask(attention_mask, torch.float32)
        sink = _Sink(self, layer)
        output: torch.Tensor = _RelevantAttention.apply(
            query, expand_kv_heads(key, heads), expand_kv_heads(value, heads), mask, scale, sink, causal
        )
        return output

    def _chunk(self, batch: int, heads: int, tokens: int) -> int:
        per_query = batch * heads * tokens * 4 * 5  # scores, A, dA, dS and a temporary, float32
        return max(1, min(tokens, self.query_chunk_bytes // per_query))

    def _start_row(self, batch: int, tokens: int, device: torch.device) -> torch.Tensor:
        row = torch.zeros(batch, tokens, device=device, dtype=torch.float32)
        if self.layout.has_cls:
            row[:, 0] = 1.0
        else:
            row += 1.0 / tokens
        return row

    def results(self) -> torch.Tensor:
        """(B, gh·gw) relevance of every patch (the CLS row of R, or the mean of its rows)."""
        if self._row is None or self._expected != -1:
            raise RuntimeError(
                f"backward reached {self.n_layers - 1 - self._expected} of {self.n_layers} layers"
            )
        return self._row[:, self.layout.n_prefix :]


class _Sink:
    """Where one layer's backward reports A and ∂y/∂A, chunk by chunk."""

    def __init__(self, recorder: RelevanceRecorder, layer: int) -> None:
        self.recorder, self.layer = recorder, layer
        self.delta: torch.Tensor | None = None

    def begin(self, batch: int, tokens: int, device: torch.device) -> torch.Tensor:
        recorder = self.recorder
        if self.layer != recorder._expected:
            raise RuntimeError(f"backward reached layer {self.layer}, expected {recorder._expected}")
        if recorder._row is None:
            recorder._row = recorder._start_row(batch, tokens, device)
        self.delta = torch.zeros_like(recorder._row)
        return recorder._row

    def add(self, rows: slice, probs: torch.Tensor, grad_probs: torch.Tensor) -> None:
        """r · Ā over this chunk of query rows: Σ_i r_i · mean_h((dA ⊙ A)⁺)[i, :]."""
        row = self.recorder._row
        assert row is not None and self.delta is not None
        weighted = (grad_probs * probs).clamp_(min=0).mean(dim=1)  # (B, chunk, N)
        self.delta += torch.bmm(row[:, None, rows], weighted)[:, 0]

    def end(self) -> None:
        recorder = self.recorder
        assert recorder._row is not None and self.delta is not None
        recorder._row = recorder._row + self.delta
        recorder._expected -= 1
        self.delta = None


class _RelevantAttention(torch.autograd.Function):
    """softmax(q·kᵀ·s + mask)·v: sdpa forward, a backward that recomputes A and reports it."""

    @staticmethod
    def forward(
        ctx: Any,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None,
        scale: float,
        sink: _Sink,
        causal: bool = False,
    ) -> torch.Tensor:
        ctx.save_for_backward(query, key, value)
        ctx.mask, ctx.scale, ctx.sink, ctx.causal = mask, scale, sink, causal
        attn_mask = None if mask is None else mask.to(query.dtype)
        return nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=attn_mask, scale=scale, is_causal=causal
        )

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        query, key, value = ctx.saved_tensors
        sink: _Sink = ctx.sink
        batch, heads, tokens, _ = query.shape
        q = query.float() * ctx.scale
        k, v, d_out = key.float(), value.float(), grad_output.float()
        mask: torch.Tensor | None = ctx.mask
        d_q = torch.empty_like(q)
        d_k = torch.zeros_like(k)
        d_v = torch.zeros_like(v)
        sink.begin(batch, key.shape[2], query.device)
        chunk = sink.recorder._chunk(batch, heads, key.shape[2])
        for start in range(0, tokens, chunk):
            rows = slice(start, min(tokens, start + chunk))
            scores = torch.matmul(q[:, :, rows], k.transpose(-1, -2))
            if mask is not None:
                scores = scores + mask[:, :, rows]
            elif ctx.causal:  # query i sees keys 0..i (one pass: as many queries as keys)
                future = torch.ones(rows.stop - rows.start, tokens, dtype=torch.bool, device=q.device)
                scores = scores.masked_fill(future.triu_(rows.start + 1), float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            del scores
            d_probs = torch.matmul(d_out[:, :, rows], v.transpose(-1, -2))  # ∂y/∂A (B, H, chunk, N)
            sink.add(rows, probs, d_probs)
            d_v += torch.matmul(probs.transpose(-1, -2), d_out[:, :, rows])
            d_scores = probs * (d_probs - (d_probs * probs).sum(dim=-1, keepdim=True))
            del probs, d_probs
            d_q[:, :, rows] = torch.matmul(d_scores, k) * ctx.scale
            d_k += torch.matmul(d_scores.transpose(-1, -2), q[:, :, rows])  # q is already scaled
        sink.end()
        return d_q.to(query.dtype), d_k.to(key.dtype), d_v.to(value.dtype), None, None, None, None


def gradient_rollout(
    recorder: RelevanceRecorder,
    target: Callable[[torch.Tensor], torch.Tensor],
    pixels: torch.Tensor,
) -> torch.Tensor:
    """(B, gh·gw) relevance: runs `target(pixels)` → (B,) scores with the recorder active, then
    one backward of their sum (images are independent: each row gets its own image's map)."""
    leaf = pixels.detach().requires_grad_(True)  # a graph through the network, no weight gradients
    with recorder.recording():
        with torch.enable_grad():
            scores = target(leaf)
        scores.float().sum().backward(inputs=[leaf])
        return recorder.results()
