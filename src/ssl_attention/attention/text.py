"""Token → token attention of a causal language model, captured through the `ssl_capture` backend.

`TextRecorder` computes every decoder layer's attention itself (the `ssl_capture` backend hands
it q, k and v after RoPE, with the layer's own mask: causal, or a sliding window): softmax(q·kᵀ·
scale) one query chunk at a time, the chunk's output P · V from those same probabilities (so
attention is computed once, not by sdpa and again for the record), grouped query heads matched
to their key head without copying k or v. Each chunk is folded at once into what the store keeps
(`store/text_layout.py`), so nothing bigger than (1 + H) × chunk × N is ever held, the chunk sized
from the layer's own q, k and v (what the plain forward holds anyway):

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

from ssl_attention.attention.capture import observing
from ssl_attention.values import TextLayer

LayerSink = Callable[[int, TextLayer], None]
_TINY = torch.finfo(torch.float32).tiny
_LOWEST = torch.finfo(torch.float32).min  # a masked logit
# below this the per-chunk overhead of the fold outweighs its work (4 MiB: 1.4× slower, small model)
_MIN_CHUNK_BYTES = 16 * 2**20


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
            q = query[0].float() * scale
            k = key[0].float()
            v = None if value is None else value[0].float()
            rows, output = self._layer(q, k, v, mask)
        self.on_layer(layer, rows)
        return output

    def _chunk(self, slots: int, tokens: int, activation_bytes: int) -> int:
        """Query rows a chunk: its working set follows what the plain forward holds for this layer
        anyway (its q, k and v in float32), at least _MIN_CHUNK_BYTES, at most query_chunk_bytes."""
        budget = min(self.query_chunk_bytes, max(_MIN_CHUNK_BYTES, activation_bytes))
        per_query = slots * tokens * 4 * 6  # scores, probabilities, products and masks in float32
        return max(1, min(tokens, budget // per_query))

    def _layer(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor | None, mask: torch.Tensor | None
    ) -> tuple[TextLayer, torch.Tensor | None]:
        """q (H, N, d), scaled; k and v (H_kv, N, d): the folded layer and, with v, its output
        (H, N, d). Grouped queries are matched to their key head by grouping the query heads
        (H = H_kv × g, head h on key head h // g), never by copying k or v g times."""
        heads, n, head_dim = q.shape
        kv_heads = k.shape[0]
        group = heads // kv_heads
        device = q.device
        every = 1 + heads  # statistics: the fused row and every head
        slots = every if self.per_head else 1
        block = self.block
        fold = _Fold(
            ids=self.ids.to(device),
            n=n,
            slots=slots,
            every=every,
            block=block,
            keep_mass=self.keep_mass,
            max_keys=self.max_keys,
        )
        key_pos = torch.arange(n, device=device)
        k_t = k.transpose(-1, -2)  # (H_kv, d, N)
        q_grouped = q.view(kv_heads, group, n, head_dim)
        output = None if v is None else q.new_empty(heads, n, head_dim)
        activation = 4 * (q.numel() + k.numel() + (0 if v is None else v.numel()))
        chunk = self._chunk(every, n, activation)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            c = stop - start
            # A causal row q sees keys ≤ q: the chunk's columns end at `stop`, rounded up to a whole
            # overview block (the columns past a row's own position are masked to 0 as before).
            width = min(n, -(-stop // block) * block)
            rows = key_pos[start:stop]
            queries = q_grouped[:, :, start:stop].reshape(kv_heads, group * c, head_dim)
            scores = torch.bmm(queries, k_t[:, :, :width]).view(heads, c, width)  # (H, C, W)
            # Masked scores are the lowest float, not −inf: softmax gives them 0 all the same, and
            # p · score stays 0 there (the heads' entropy below).
            if mask is None:  # causal only: every key before the chunk is allowed
                scores[:, :, start:width].masked_fill_(key_pos[None, start:width] > rows[:, None], _LOWEST)
            else:  # causal, and the layer's own mask
                part = mask[start:stop, :width]
                allowed = (part if part.dtype == torch.bool else part > -math.inf) & (
                    key_pos[None, :width] <= rows[:, None]
                )
                scores.masked_fill_(~allowed, _LOWEST)
            probs = torch.softmax(scores, dim=-1)
            if output is not None and v is not None:  # the layer's output: P · V, exact
                attended = torch.bmm(probs.view(kv_heads, group * c, width), v[:, :width])
                output[:, start:stop] = attended.view(heads, c, head_dim)
            fold.add(0, probs.mean(dim=0, keepdim=True), rows)  # slot 0: the fused row
            fold.add(1, probs, rows, scores)  # slots 1 + h: the heads (kept rows only with per_head)
            del probs, scores
        return fold.layer(), output


def _entropy(p: torch.Tensor, scores: torch.Tensor | None) -> torch.Tensor:
    """−Σ p log p of each row. From the logits s when given: log p = s − lse and, at the largest
    logit m, lse = m − log max p, so the entropy is m − log max p − Σ p s: two maxima and one
    product instead of a logarithm per element (both terms ≥ 0 up to rounding: no cancellation
    beyond float32's relative precision of m). Else −Σ p log p, log 0 clamped (0 · log tiny = 0)."""
    if scores is None:
        return -(p * torch.log(p.clamp(min=_TINY))).sum(dim=-1)
    top = scores.amax(dim=-1)
    return top - torch.log(p.amax(dim=-1)) - (p * scores).sum(dim=-1)


class _Fold:
    """One layer's rows folded chunk by chunk into what the store keeps. The fused row (slot 0)
    and the heads (slots 1 + h) come as separate groups of the same chunk of rows, so the fused
    probabilities are never concatenated with the heads'; the heads' rows are kept only with
    per_head, their statistics always."""

    def __init__(
        self,
        *,
        ids: torch.Tensor,
        n: int,
        slots: int,
        every: int,
        block: int,
        keep_mass: float,
        max_keys: int,
    ) -> None:
        device = ids.device
        m = -(-n // block)
        self.ids, self.n, self.slots, self.block = ids, n, slots, block
        self.keep_mass, self.max_keys = keep_mass, max_keys
        self.positions = torch.arange(n, device=device)
        self.previous_ids = torch.cat([ids.new_full((1,), -1), ids[:-1]])  # the token before each key
        self.stat_sums = torch.zeros(5, every, device=device, dtype=torch.float64)
        self.induction_rows = 0
        self.counts = torch.zeros(slots, n, device=device, dtype=torch.int32)
        self.summary = torch.zeros(slots, 3, n, device=device)
        self.received = torch.zeros(slots, n, device=device)
        self.ov_sum = torch.zeros(slots, m, m, device=device)
        self.ov_max = torch.zeros(slots, m, m, device=device)
        self.keys: list[list[torch.Tensor]] = [[] for _ in range(slots)]
        self.values: list[list[torch.Tensor]] = [[] for _ in range(slots)]
        self._rows = self.positions[:0]

    def add(
        self, first_slot: int, p: torch.Tensor, rows: torch.Tensor, scores: torch.Tensor | None = None
    ) -> None:
        """Fold probabilities p (S, C, W) of query rows `rows` (C consecutive positions, W ≥ the
        last row + 1 key columns) into slots first_slot … first_slot + S − 1; `scores`: the
        logits p is the softmax of, when there are any (not for the fused row)."""
        if rows is not self._rows:
            self._begin(rows, p.shape[-1])
        entropy = _entropy(p, scores)  # (S, C), shared by rows and statistics
        self._stats(first_slot, p, rows, entropy)
        if first_slot < self.slots:
            self._keep(first_slot, p, rows, entropy)
            self.received[first_slot : first_slot + p.shape[0], : p.shape[-1]] += p.sum(dim=1)
            self._pool(first_slot, p, rows)

    def _begin(self, rows: torch.Tensor, width: int) -> None:
        """What every group of this chunk shares: valid rows, entropy norms, induction targets."""
        self._rows = rows
        keys = self.positions[:width]
        self._valid = rows >= 1
        self._norm = torch.log((rows + 1).double()).clamp(min=1e-12)
        stop = int(rows[-1]) + 1
        # Σ_k p_k (q − k) = Σ_k p_k (stop − k) − (stop − q) Σ_k p_k: one matrix product, and the
        # terms that cancel are at most a chunk long (not q), so float32 keeps its precision.
        self._moments = torch.stack([torch.ones(width, device=keys.device), (stop - keys).float()])
        self._to_stop = (stop - rows).float()
        # Induction: key j + 1 where token j equals this row's token and j < q − 1 (so j + 1 < q).
        target = (
            (self.previous_ids[None, :width] == self.ids[rows][:, None])
            & (keys[None, :] >= 1)
            & (keys[None, :] < rows[:, None])
        )
        self._target = target.nonzero(as_tuple=True)
        self.induction_rows += int(target.any(dim=-1).sum())

    def _stats(self, first_slot: int, p: torch.Tensor, rows: torch.Tensor, entropy: torch.Tensor) -> None:
        """Add this group's row statistics to the sums (5, 1 + H) of its slots, rows q ≥ 1."""
        sums = self.stat_sums[:, first_slot : first_slot + p.shape[0]]
        valid = self._valid
        sums[0] += (entropy.double() / self._norm)[:, valid].sum(dim=1)
        sums[1] += p[:, valid, 0].double().sum(dim=1)
        previous = torch.gather(p, -1, (rows - 1).clamp(min=0)[None, :, None].expand(p.shape[0], -1, 1))
        sums[2] += previous[:, valid, 0].double().sum(dim=1)
        # (S, C, 2): Σ p, Σ p (stop − k); a (2, W) operand, transposed: BLAS's fast layout
        moments = torch.mm(p.reshape(-1, p.shape[-1]), self._moments.t()).reshape(*p.shape[:2], 2)
        distance = moments[..., 1] - self._to_stop * moments[..., 0]
        sums[4] += distance[:, valid].double().sum(dim=1)
        query, key = self._target
        if query.numel():
            sums[3] += p[:, query, key].double().sum(dim=1)

    def _keep(self, first_slot: int, p: torch.Tensor, rows: torch.Tensor, entropy: torch.Tensor) -> None:
        """Per row: how many keys it keeps, the kept keys (ascending) with their probabilities,
        and its residual, entropy and sink."""
        slots, width = p.shape[0], p.shape[-1]
        k = min(self.max_keys, width)
        # torch's CPU top-k takes its fast path (a partial sort) only for rows ≥ 64 k long: pad
        # mid-length rows with zeros (never kept: a kept key has p > 0).
        padded = p if not 16 * k <= width < 64 * k else torch.nn.functional.pad(p, (0, 64 * k - width))
        top, index = torch.topk(padded, k, dim=-1, sorted=True)  # descending
        del padded
        before = torch.cumsum(top, dim=-1) - top  # mass of the larger keys
        keep = (before < self.keep_mass) & (top > 0)
        count = keep.sum(dim=-1)  # (S, C)
        ordered, order = torch.sort(torch.where(keep, index, self.n), dim=-1)  # kept keys first, ascending
        kept_p = torch.gather(top, -1, order)
        first = torch.arange(ordered.shape[-1], device=p.device) < count[..., None]
        span, into = slice(first_slot, first_slot + slots), slice(int(rows[0]), int(rows[-1]) + 1)
        self.counts[span, into] = count.to(torch.int32)
        self.summary[span, 0, into] = 1.0 - torch.where(keep, top, 0.0).sum(dim=-1)
        self.summary[span, 1, into] = entropy
        self.summary[span, 2, into] = p[..., 0]
        sizes = count.sum(dim=1).tolist()  # kept keys of each slot in this chunk, slot by slot
        pieces = zip(torch.split(ordered[first], sizes), torch.split(kept_p[first], sizes), strict=True)
        for slot, (keys, values) in enumerate(pieces, start=first_slot):
            self.keys[slot].append(keys.to(torch.int32))  # int32 as stored: 8 bytes a kept key held, not 12
            self.values[slot].append(values)

    def _pool(self, first_slot: int, p: torch.Tensor, rows: torch.Tensor) -> None:
        """Add rows p (S, C, W) to the block sums and maxima of their slots."""
        slots, c, width = p.shape
        block = self.block
        full = width // block * block
        parts = p[..., :full].reshape(slots, c, full // block, block)  # a view: no copy
        col_sum, col_max = parts.sum(dim=-1), parts.amax(dim=-1)  # (S, C, W / b)
        if full < width:  # the last block, cut by N
            col_sum = torch.cat([col_sum, p[..., full:].sum(dim=-1, keepdim=True)], dim=-1)
            col_max = torch.cat([col_max, p[..., full:].amax(dim=-1, keepdim=True)], dim=-1)
        blocks = col_sum.shape[-1]
        row_block = rows // block
        span = slice(first_slot, first_slot + slots)
        self.ov_sum[span, :, :blocks].index_add_(1, row_block, col_sum)
        index = row_block[None, :, None].expand(slots, c, blocks)
        self.ov_max[span, :, :blocks].scatter_reduce_(1, index, col_max, reduce="amax")

    def layer(self) -> TextLayer:
        n, block = self.n, self.block
        m = self.ov_sum.shape[-1]
        device = self.ov_sum.device
        sizes = torch.minimum(
            torch.full((m,), block, device=device), n - torch.arange(m, device=device) * block
        )
        ov_mean = self.ov_sum / (sizes[:, None] * sizes[None, :]).float()
        sums, rows_ge1 = self.stat_sums, max(n - 1, 1)
        induction = sums[3] / max(self.induction_rows, 1)
        rest = sums[[0, 1, 2, 4]] / rows_ge1
        stats = torch.stack([rest[0], rest[1], rest[2], induction, rest[3]], dim=1)
        return TextLayer(
            counts=self.counts.cpu().numpy().astype("uint16"),
            keys=torch.cat([t for slot in self.keys for t in slot]).cpu().numpy(),
            values=torch.cat([t for slot in self.values for t in slot]).cpu().numpy(),
            summary=self.summary.cpu().numpy(),
            received=self.received.cpu().numpy(),
            mean=ov_mean.cpu().numpy(),
            max=self.ov_max.cpu().numpy(),
            stats=stats.float().cpu().numpy(),
        )
