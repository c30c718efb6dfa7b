"""What a causal layer's probability rows fold into (`store/text_layout.py`), chunk of rows by chunk
of rows: `Fold` with torch (any device), `CpuFold` with the numba kernel of `text_fold_kernel.py`
(the same arithmetic, one pass per row while it is in cache; ~5× less time on a CPU).
`make_fold` picks one: `fold="auto"` takes `CpuFold` on the CPU when numba is installed.

Per slot (slot 0: the mean over heads; with per_head, 1 + h: head h) and query row q:
  kept keys     the fewest top keys whose probabilities reach `keep_mass`, at most `max_keys`,
                ascending, with their probabilities
  residual      1 − Σ kept probabilities;  entropy  −Σ p log p (nats);  sink  A[q, 0]
  received      Σ_q A[q, k] for every key k
  overviews     mean and max over b × b blocks (a block cut by N pools what there is)
per slot of every head (statistics, always all heads), means over rows q ≥ 1:
  entropy       −Σ p log p / log(q + 1)  (1: uniform over the q + 1 keys a row sees)
  sink          A[q, 0];  previous_token  A[q, q − 1];  distance  Σ_k A[q, k]·(q − k)
  induction     Σ A[q, j + 1] over earlier j < q − 1 with token[j] = token[q], averaged over
                the rows q that have such a j (0 when none has)
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import torch

from ssl_attention.values import TextLayer

_TINY = torch.finfo(torch.float32).tiny


def _entropy(p: torch.Tensor, scores: torch.Tensor | None) -> torch.Tensor:
    """−Σ p log p of each row. From the logits s when given: log p = s − lse and, at the largest
    logit m, lse = m − log max p, so the entropy is m − log max p − Σ p s: two maxima and one
    product instead of a logarithm per element (both terms ≥ 0 up to rounding: no cancellation
    beyond float32's relative precision of m). Else −Σ p log p, log 0 clamped (0 · log tiny = 0)."""
    if scores is None:
        return -(p * torch.log(p.clamp(min=_TINY))).sum(dim=-1)
    top = scores.amax(dim=-1)
    return top - torch.log(p.amax(dim=-1)) - (p * scores).sum(dim=-1)


class Fold:
    """One layer's rows folded chunk by chunk into what the store keeps. The fused row (slot 0)
    and the heads (slots 1 + h) come as separate groups of the same chunk of rows, so the fused
    probabilities are never concatenated with the heads'; the heads' rows are kept only with
    per_head, their statistics always."""

    heads_at_once = True  # the recorder hands it every head of a chunk of rows in one call

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
        self,
        first_slot: int,
        p: torch.Tensor,
        rows: torch.Tensor,
        scores: torch.Tensor | None = None,
        *,
        fused: torch.Tensor | None = None,
        entropy: torch.Tensor | None = None,
    ) -> None:
        """Fold probabilities p (S, C, W) of query rows `rows` (C consecutive positions, W ≥ the
        last row + 1 key columns) into slots first_slot … first_slot + S − 1; `scores`: the
        logits p is the softmax of, when there are any (not for the fused row); `fused` (1, C, W):
        Σ over the S slots of p is added to it; `entropy` (S, C): the rows' entropies when known
        (rows without scores)."""
        if rows is not self._rows:
            self._begin(rows, p.shape[-1])
        if fused is not None:
            fused += p.sum(dim=0, keepdim=True)
        if entropy is None:
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


FoldChoice = Literal["auto", "torch", "numba"]
FOLDS: tuple[FoldChoice, ...] = ("auto", "torch", "numba")


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def make_fold(choice: FoldChoice, **fold: Any) -> Fold:
    """The fold of one layer: "torch" (`Fold`, any device), "numba" (`CpuFold`, CPU tensors only),
    "auto" (`CpuFold` on the CPU when numba is installed, else `Fold`)."""
    if choice not in FOLDS:
        raise ValueError(f"fold must be one of {', '.join(FOLDS)}, got {choice!r}")
    on_cpu = fold["ids"].device.type == "cpu"
    if choice == "numba" and not on_cpu:
        raise ValueError("the numba fold runs on the CPU: use fold='torch' on another device")
    if choice == "numba" or (choice == "auto" and on_cpu and numba_available()):
        return CpuFold(**fold)
    return Fold(**fold)


class CpuFold(Fold):
    """`Fold`'s arithmetic on CPU tensors through `text_fold_kernel.fold_rows`, the slots split
    over torch's intra-op threads (the kernel releases the GIL); the induction scores, sparse,
    stay with torch. The accumulators are `Fold`'s tensors, written by the kernel through numpy
    views of their memory."""

    heads_at_once = False  # one key head's query heads at a time: the rows stay in cache

    def _begin(self, rows: torch.Tensor, width: int) -> None:
        """The chunk's induction keys (CSR, the kernel sums them), found by a numba pass."""
        from ssl_attention.attention.text_fold_kernel import induction_keys

        self._rows = rows
        self._row0 = int(rows[0])
        self._induction = induction_keys(
            self.ids.numpy(), self.previous_ids.numpy(), self._row0, rows.numel(), width
        )
        self.induction_rows += int(np.count_nonzero(np.diff(self._induction[0])))

    def add(
        self,
        first_slot: int,
        p: torch.Tensor,
        rows: torch.Tensor,
        scores: torch.Tensor | None = None,
        *,
        fused: torch.Tensor | None = None,
        entropy: torch.Tensor | None = None,
    ) -> None:
        from ssl_attention.attention.text_fold_kernel import add_rows, fold_rows  # numba: when used

        if rows is not self._rows:
            self._begin(rows, p.shape[-1])
        slots, c, width = p.shape
        span = slice(first_slot, first_slot + slots)
        keep = first_slot < self.slots
        g = min(self.max_keys, width) if keep else 0
        probs = p.contiguous().numpy()
        logits = probs if scores is None else scores.contiguous().numpy()
        if scores is not None:
            row_entropy = np.empty((slots, 0), np.float32)  # the kernel's, from the logits
        else:
            row_entropy = (_entropy(p, None) if entropy is None else entropy).contiguous().numpy()
        if keep:
            counts, summary = self.counts[span].numpy(), self.summary[span].numpy()
            received, ov_sum, ov_max = (
                self.received[span].numpy(),
                self.ov_sum[span].numpy(),
                self.ov_max[span].numpy(),
            )
        else:  # statistics only: nothing is written to these
            counts, summary = np.empty((slots, 0), np.int32), np.empty((slots, 3, 0), np.float32)
            received, ov_sum = np.empty((slots, 0), np.float32), np.empty((slots, 0, 0), np.float32)
            ov_max = ov_sum
        keys_out = np.empty((slots, c * g), np.int32)
        values_out = np.empty((slots, c * g), np.float32)
        sizes = np.zeros(slots, np.int64)
        sums = np.zeros((slots, 5))
        parts = min(slots, torch.get_num_threads())
        bounds = [slots * i // parts for i in range(parts + 1)]
        into = np.empty((0, 0), np.float32) if fused is None else fused[0].numpy()
        nothing = np.empty((0, 0), np.float32)

        def run(part: int) -> None:
            # the fused sum: the first part adds every slot's rows (the others' too: no race)
            fold_rows(
                probs, logits, row_entropy, scores is not None, bounds[part], bounds[part + 1],
                self._row0, keep, self.block, self.keep_mass, self.max_keys, *self._induction,
                into if part == 0 else nothing, counts, summary, received, ov_sum, ov_max,
                keys_out, values_out, sizes, sums,
            )  # fmt: skip
            if part == 0 and fused is not None:
                add_rows(probs, bounds[1], slots, into)

        if parts == 1:
            run(0)
        else:
            list(_pool(parts).map(run, range(parts)))
        self.stat_sums[:, span] += torch.from_numpy(sums).t()
        for slot in range(slots):
            if keep:
                self.keys[first_slot + slot].append(torch.from_numpy(keys_out[slot, : sizes[slot]]))
                self.values[first_slot + slot].append(torch.from_numpy(values_out[slot, : sizes[slot]]))


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="text-fold")
    return _POOLS[workers]
