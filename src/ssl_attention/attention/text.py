"""Token → token attention of a causal language model, captured through the `ssl_capture` backend.

`TextRecorder` observes every decoder layer's q and k (after RoPE, key heads expanded for grouped
queries, with the layer's own mask: causal, or a sliding window) and recomputes
softmax(q·kᵀ·scale) one query chunk at a time. Each chunk is folded at once into what the store
keeps (`store/text_layout.py`), so nothing bigger than (1 + H) × chunk × N is ever held:

    per slot (slot 0: the mean over heads; with per_head, 1 + h: head h) and query row q
      kept keys     the fewest top keys whose probabilities reach `keep_mass`, at most
                    `max_keys`, ascending, with their probabilities
      residual      1 − Σ kept probabilities;  entropy  −Σ p log p (nats);  sink  A[q, 0]
      received      Σ_q A[q, k] for every key k
      overviews     mean and max over b × b blocks (a block cut by N pools what there is)
    per slot of every head (statistics, always all heads), means over rows q ≥ 1:
      entropy       −Σ p log p / log(q + 1)  (1: uniform over the q + 1 keys a row sees)
      sink          A[q, 0];  previous_token  A[q, q − 1];  distance  Σ_k A[q, k]·(q − k)
      induction     Σ A[q, j + 1] over earlier j < q − 1 with token[j] = token[q], averaged over
                    the rows q that have such a j (0 when none has)

A layer's result (`values.TextLayer`, numpy) goes to `on_layer` as soon as the layer has run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from ssl_attention.attention.capture import expand_kv_heads, observing
from ssl_attention.values import TextLayer

LayerSink = Callable[[int, TextLayer], None]


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
    ) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.ids = token_ids.reshape(-1)
        self.on_layer = on_layer
        self.keep_mass, self.max_keys, self.per_head, self.block = keep_mass, max_keys, per_head, block
        self.query_chunk_bytes = query_chunk_bytes
        self.layers_seen = 0

    @contextmanager
    def recording(self) -> Iterator[TextRecorder]:
        self.layers_seen = 0
        with observing(self):
            yield self
        if self.layers_seen != self.n_layers:
            raise RuntimeError(f"recorded {self.layers_seen} of {self.n_layers} layers")

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
        if layer is None:
            return
        if layer != self.layers_seen:
            raise RuntimeError(f"attention layers ran out of order: got {layer}, expected {self.layers_seen}")
        self.layers_seen += 1
        batch, heads, _, head_dim = query.shape
        if batch != 1:
            raise RuntimeError(f"text capture runs one text at a time, got a batch of {batch}")
        scale = scaling if scaling is not None else head_dim**-0.5
        q = query[0].float() * scale
        k_t = expand_kv_heads(key, heads)[0].float().transpose(-1, -2)
        mask = None if attention_mask is None else attention_mask[0, 0]
        self.on_layer(layer, self._layer(q, k_t, mask))

    def _chunk(self, slots: int, tokens: int) -> int:
        per_query = slots * tokens * 4 * 6  # scores, probabilities, products and masks in float32
        return max(1, min(tokens, self.query_chunk_bytes // per_query))

    def _layer(self, q: torch.Tensor, k_t: torch.Tensor, mask: torch.Tensor | None) -> TextLayer:
        heads, n, _ = q.shape
        device = q.device
        every = 1 + heads  # statistics: the fused row and every head
        slots = every if self.per_head else 1
        block = self.block
        m = -(-n // block)
        ids = self.ids.to(device)
        stat_sums = torch.zeros(5, every, device=device, dtype=torch.float64)
        induction_rows = 0
        received = torch.zeros(slots, n, device=device)
        ov_sum = torch.zeros(slots, m, m, device=device)
        ov_max = torch.zeros(slots, m, m, device=device)
        counts: list[torch.Tensor] = []
        keys: list[list[torch.Tensor]] = [[] for _ in range(slots)]
        values: list[list[torch.Tensor]] = [[] for _ in range(slots)]
        summary: list[torch.Tensor] = []
        key_pos = torch.arange(n, device=device)
        chunk = self._chunk(every, n)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            rows = key_pos[start:stop]
            scores = torch.matmul(q[:, start:stop], k_t)  # (H, C, N)
            allowed = key_pos[None, :] <= rows[:, None]  # causal, and the layer's own mask
            if mask is not None:
                part = mask[start:stop]
                allowed = allowed & (part if part.dtype == torch.bool else part > -math.inf)
            scores = scores.masked_fill(~allowed, -math.inf)
            probs = torch.softmax(scores, dim=-1)
            del scores
            every_p = torch.cat([probs.mean(dim=0, keepdim=True), probs], dim=0)  # (1 + H, C, N)
            del probs
            induction_rows += self._stats(every_p, rows, ids, stat_sums)
            kept = every_p[:slots]
            received += kept.sum(dim=1)
            self._pool(kept, rows, block, m, ov_sum, ov_max)
            c, k, v, s = self._keep(kept)
            counts.append(c)
            summary.append(s)
            for slot in range(slots):
                keys[slot].append(k[slot])
                values[slot].append(v[slot])
            del every_p, kept
        sizes = torch.minimum(
            torch.full((m,), block, device=device), n - torch.arange(m, device=device) * block
        )
        ov_mean = ov_sum / (sizes[:, None] * sizes[None, :]).float()
        rows_ge1 = max(n - 1, 1)
        stats = torch.stack(
            [
                stat_sums[0] / rows_ge1,
                stat_sums[1] / rows_ge1,
                stat_sums[2] / rows_ge1,
                stat_sums[3] / max(induction_rows, 1),
                stat_sums[4] / rows_ge1,
            ],
            dim=1,
        )
        return TextLayer(
            counts=torch.cat(counts, dim=1).to(torch.int32).cpu().numpy().astype("uint16"),
            keys=torch.cat([t for slot in keys for t in slot]).to(torch.int32).cpu().numpy(),
            values=torch.cat([t for slot in values for t in slot]).cpu().numpy(),
            summary=torch.cat(summary, dim=2).cpu().numpy(),
            received=received.cpu().numpy(),
            mean=ov_mean.cpu().numpy(),
            max=ov_max.cpu().numpy(),
            stats=stats.float().cpu().numpy(),
        )

    def _keep(
        self, p: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """Per row of p (S, C, N): how many keys it keeps, the kept keys (ascending, row by row) and
        their probabilities per slot, and (S, 3, C) residual, entropy, sink."""
        n = p.shape[-1]
        top, index = torch.topk(p, min(self.max_keys, n), dim=-1, sorted=True)  # descending
        before = torch.cumsum(top, dim=-1) - top  # mass of the larger keys
        keep = (before < self.keep_mass) & (top > 0)
        count = keep.sum(dim=-1)  # (S, C)
        ordered = torch.sort(torch.where(keep, index, n), dim=-1).values  # kept keys first, ascending
        first = torch.arange(ordered.shape[-1], device=p.device) < count[..., None]
        kept_p = torch.gather(p, -1, ordered.clamp(max=n - 1))
        residual = 1.0 - torch.where(keep, top, 0.0).sum(dim=-1)
        entropy = -torch.special.xlogy(p, p).sum(dim=-1)
        summary = torch.stack([residual, entropy, p[..., 0]], dim=1)
        kept_keys = [ordered[s][first[s]] for s in range(p.shape[0])]
        kept_values = [kept_p[s][first[s]] for s in range(p.shape[0])]
        return count, kept_keys, kept_values, summary

    @staticmethod
    def _pool(
        p: torch.Tensor, rows: torch.Tensor, block: int, m: int, ov_sum: torch.Tensor, ov_max: torch.Tensor
    ) -> None:
        """Add rows p (S, C, N) to the block sums and maxima (S, M, M)."""
        slots, c, n = p.shape
        padded = torch.nn.functional.pad(p, (0, m * block - n)).reshape(slots, c, m, block)
        col_sum, col_max = padded.sum(dim=-1), padded.amax(dim=-1)  # (S, C, M)
        row_block = (rows // block).to(torch.int64)
        ov_sum.index_add_(1, row_block, col_sum)
        index = row_block[None, :, None].expand(slots, c, m)
        ov_max.scatter_reduce_(1, index, col_max, reduce="amax")

    @staticmethod
    def _stats(p: torch.Tensor, rows: torch.Tensor, ids: torch.Tensor, sums: torch.Tensor) -> int:
        """Add this chunk's row statistics to `sums` (5, 1 + H); returns its rows with an induction target."""
        n = p.shape[-1]
        valid = rows >= 1
        if valid.any():
            entropy = -torch.special.xlogy(p, p).sum(dim=-1)  # (1 + H, C)
            norm = torch.log((rows + 1).double()).clamp(min=1e-12)
            sums[0] += (entropy.double() / norm)[:, valid].sum(dim=1)
            sums[1] += p[:, valid, 0].double().sum(dim=1)
            previous = torch.gather(p, -1, (rows - 1).clamp(min=0)[None, :, None].expand(p.shape[0], -1, 1))[
                ..., 0
            ]
            sums[2] += previous[:, valid].double().sum(dim=1)
            distance = (rows[:, None] - torch.arange(n, device=p.device)[None, :]).clamp(min=0).float()
            sums[4] += (p * distance).sum(dim=-1)[:, valid].double().sum(dim=1)
        # Induction: key j + 1 where token j equals this row's token and j < q − 1 (so j + 1 < q).
        keys = torch.arange(n, device=p.device)
        previous_ids = torch.cat([ids.new_full((1,), -1), ids[:-1]])  # token before each key
        target = (
            (previous_ids[None, :] == ids[rows][:, None])
            & (keys[None, :] >= 1)
            & (keys[None, :] < rows[:, None])
        )
        has = target.any(dim=-1)
        if has.any():
            sums[3] += (p * target).sum(dim=-1)[:, has].double().sum(dim=1)
        return int(has.sum())
