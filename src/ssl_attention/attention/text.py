"""Token → token attention of a causal language model, captured through the `ssl_capture` backend.

`TextRecorder` computes every decoder layer's attention itself (the `ssl_capture` backend hands
it q, k and v after RoPE, with the layer's own mask: causal, or a sliding window): softmax(q·kᵀ·
scale) one query chunk at a time, the chunk's output P · V from those same probabilities (so
attention is computed once, not by sdpa and again for the record), grouped query heads matched
to their key head without copying k or v. Each chunk is folded at once into what the store keeps
(`text_fold.py`: kept keys, residual, entropy, sink, received, overviews and the heads'
statistics), so nothing bigger than (1 + H) × chunk × N is ever held, the chunk sized from the
layer's own q, k and v (what the plain forward holds anyway). `fold` picks the fold's
implementation (`text_fold.make_fold`: "auto", "torch" or "numba").

A layer's result (`values.TextLayer`, numpy) goes to `on_layer` as soon as the layer has run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from ssl_attention.attention.capture import observing
from ssl_attention.attention.text_fold import Fold, FoldChoice, make_fold
from ssl_attention.values import TextLayer

LayerSink = Callable[[int, TextLayer], None]
_LOWEST = torch.finfo(torch.float32).min  # a masked logit
# below this the per-chunk overhead of the fold outweighs its work (4 MiB: 1.4× slower, small model)
_MIN_CHUNK_BYTES = 16 * 2**20
# the CPU fold's working set a step (one key head's query heads): stays in a server's cache
_STEP_BYTES = 16 * 2**20


class TextRecorder:
    """Records one text's forward pass (batch of one), layer by layer, into `on_layer`."""

    def __init__(
        self,
        attention_modules: Sequence[nn.Module],
        token_ids: torch.Tensor,
        on_layer: LayerSink,
        *,
        keep_mass: float,
        max_keys: int,
        per_head: bool,
        block: int,
        query_chunk_bytes: int = 64 * 2**20,
        fold: FoldChoice = "auto",
    ) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.ids = token_ids.reshape(-1)
        self.on_layer = on_layer
        self.keep_mass, self.max_keys, self.per_head, self.block = keep_mass, max_keys, per_head, block
        self.query_chunk_bytes = query_chunk_bytes
        self.fold = fold
        self.layers_seen = 0

    @contextmanager
    def recording(self) -> Iterator[TextRecorder]:
        self.layers_seen = 0
        with observing(self):
            yield self
        if self.layers_seen != self.n_layers:
            raise RuntimeError(f"recorded {self.layers_seen} of {self.n_layers} layers")

    def attend(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> torch.Tensor | None:
        """The layer's output (B, H, N, d) from the probabilities the recorder computes anyway
        (P · V, chunk by chunk), so that attention is computed once; None for a layer it does not
        watch (the backend then runs sdpa)."""
        if id(module) not in self.layer_of:
            return None
        output = self._record(module, query, key, value, attention_mask, scaling)
        assert output is not None
        return output.to(query.dtype)[None]

    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        """Record a layer from q and k alone (its output computed elsewhere)."""
        if id(module) in self.layer_of:
            self._record(module, query, key, None, attention_mask, scaling)

    @torch.no_grad()
    def _record(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> torch.Tensor | None:
        layer = self.layer_of[id(module)]
        if layer != self.layers_seen:
            raise RuntimeError(f"attention layers ran out of order: got {layer}, expected {self.layers_seen}")
        self.layers_seen += 1
        batch, _, n, head_dim = query.shape
        if batch != 1:
            raise RuntimeError(f"text capture runs one text at a time, got a batch of {batch}")
        if key.shape[-2] != n:
            raise RuntimeError(
                f"text capture needs the whole text at once: {n} queries, {key.shape[-2]} keys"
            )
        scale = scaling if scaling is not None else head_dim**-0.5
        mask = None if attention_mask is None else attention_mask[0, 0]
        # The statistics are float32 whatever the model runs in: autocast would turn our matmuls into bf16.
        with torch.autocast(device_type=query.device.type, enabled=False):
            # q scaled into a contiguous copy (the model hands a transposed view); k and v as given
            q = torch.mul(query[0].float(), scale, out=query.new_empty(query.shape[1:], dtype=torch.float32))
            k = key[0].float()
            v = None if value is None else value[0].float()
            rows, output = self._layer(q, k, v, mask)
        self.on_layer(layer, rows)
        return output

    def _chunk(self, fold: Fold, step: int, slots: int, tokens: int, activation_bytes: int) -> int:
        """Query rows a chunk. The torch fold takes every head at once and holds ~6 floats per
        entry: the working set follows what the plain forward holds for this layer anyway (its q,
        k and v in float32), at least _MIN_CHUNK_BYTES, at most query_chunk_bytes. The CPU fold
        takes one key head's `step` query heads at a time (scores, probabilities, the fused sum):
        _STEP_BYTES keeps that in cache while the rows stay many (a long GEMM)."""
        if fold.heads_at_once:
            budget = min(self.query_chunk_bytes, max(_MIN_CHUNK_BYTES, activation_bytes))
            per_query = slots * tokens * 4 * 6  # scores, probabilities, products and masks in float32
        else:
            budget = min(self.query_chunk_bytes, _STEP_BYTES)
            per_query = (2 * step + 1) * tokens * 4
        return max(1, min(tokens, budget // per_query))

    def _layer(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor | None, mask: torch.Tensor | None
    ) -> tuple[TextLayer, torch.Tensor | None]:
        """q (H, N, d), scaled; k and v (H_kv, N, d): the folded layer and, with v, its output
        (H, N, d). Grouped queries are matched to their key head by grouping the query heads
        (H = H_kv × g, head h on key head h // g), never by copying k or v g times. A chunk of
        rows runs every head at once (torch fold) or one key head's g query heads at a time (CPU
        fold), the fused row summed over the steps."""
        heads, n, head_dim = q.shape
        kv_heads = k.shape[0]
        group = heads // kv_heads
        device = q.device
        every = 1 + heads  # statistics: the fused row and every head
        block = self.block
        fold = make_fold(
            self.fold,
            ids=self.ids.to(device),
            n=n,
            slots=every if self.per_head else 1,
            every=every,
            block=block,
            keep_mass=self.keep_mass,
            max_keys=self.max_keys,
        )
        step = heads if fold.heads_at_once else group  # query heads a step: whole key heads
        key_pos = torch.arange(n, device=device)
        k_t = k.transpose(-1, -2)  # (H_kv, d, N)
        q_grouped = q.view(kv_heads, group, n, head_dim)
        output = None if v is None else q.new_empty(heads, n, head_dim)
        activation = 4 * (q.numel() + k.numel() + (0 if v is None else v.numel()))
        chunk = self._chunk(fold, step, every, n, activation)
        # One buffer of each kind for the layer, viewed at each chunk's shape: the chunks' widths
        # differ, and fresh blocks of each size would fragment the heap (4 GB RSS at 8k tokens).
        scores_buf, probs_buf = q.new_empty(step * chunk * n), q.new_empty(step * chunk * n)
        fused_buf, entropy_buf = q.new_empty(chunk * n), q.new_empty(chunk * n)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            c = stop - start
            # A causal row q sees keys ≤ q: the chunk's columns end at `stop`, rounded up to a whole
            # overview block (the columns past a row's own position are masked to 0 as before).
            width = min(n, -(-stop // block) * block)
            rows = key_pos[start:stop]
            allowed = None  # the layer's own mask and causality, for the chunk
            if mask is not None:
                part = mask[start:stop, :width]
                allowed = (part if part.dtype == torch.bool else part > -math.inf) & (
                    key_pos[None, :width] <= rows[:, None]
                )
            size = step * c * width
            fused = fused_buf[: c * width].view(1, c, width).zero_()  # Σ over heads, then the mean
            for h0 in range(0, heads, step):
                kv0, kv1 = h0 // group, (h0 + step) // group
                queries = q_grouped[kv0:kv1, :, start:stop].reshape(kv1 - kv0, group * c, head_dim)
                scores = scores_buf[:size].view(step, c, width)
                torch.bmm(queries, k_t[kv0:kv1, :, :width], out=scores.view(kv1 - kv0, group * c, width))
                # Masked scores are the lowest float, not −inf: softmax gives them 0 all the same,
                # and p · score stays 0 there (the heads' entropy).
                if allowed is None:  # causal only: every key before the chunk is allowed
                    scores[:, :, start:width].masked_fill_(
                        key_pos[None, start:width] > rows[:, None], _LOWEST
                    )
                else:
                    scores.masked_fill_(~allowed, _LOWEST)
                probs = torch.ops.aten._softmax.out(
                    scores, -1, False, out=probs_buf[:size].view(step, c, width)
                )
                if output is not None and v is not None:  # the layer's output: P · V, exact
                    attended = torch.bmm(probs.view(kv1 - kv0, group * c, width), v[kv0:kv1, :width])
                    output[h0 : h0 + step, start:stop] = attended.view(step, c, head_dim)
                fold.add(1 + h0, probs, rows, scores, fused=fused)  # slots 1 + h (kept with per_head)
            fused.div_(heads)
            entropy = torch.special.entr(fused, out=entropy_buf[: c * width].view(1, c, width)).sum(dim=-1)
            fold.add(0, fused, rows, entropy=entropy)  # slot 0: the fused row
        return fold.layer(), output
