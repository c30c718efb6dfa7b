"""A plain numpy reference of what the store keeps of a text's attention, written with loops and
independent of `attention/text.py`: kept keys, row summaries, overviews, received and head
statistics from dense probability matrices."""

from __future__ import annotations

import math

import numpy as np

from ssl_attention.values import TextLayer


def kept_keys(row: np.ndarray, keep_mass: float, max_keys: int) -> np.ndarray:
    """The fewest top keys of a row whose probabilities reach `keep_mass`, at most `max_keys`, ascending."""
    order = sorted(range(row.size), key=lambda k: (-float(row[k]), k))
    kept: list[int] = []
    total = 0.0
    for k in order:
        if total >= keep_mass or len(kept) == max_keys or row[k] <= 0:
            break
        kept.append(k)
        total += float(row[k])
    return np.asarray(sorted(kept), dtype=np.int64)


def entropy(row: np.ndarray) -> float:
    return -sum(float(p) * math.log(float(p)) for p in row if p > 0)


def block_pool(dense: np.ndarray, block: int, reduce: str) -> np.ndarray:
    """(rows, cols) pooled over block × block cells (a cut cell pools what there is), by loops."""
    rows, cols = -(-dense.shape[0] // block), -(-dense.shape[1] // block)
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            cell = dense[i * block : (i + 1) * block, j * block : (j + 1) * block]
            out[i, j] = cell.max() if reduce == "max" else cell.mean()
    return out


def head_stats(probs: np.ndarray, ids: np.ndarray) -> list[float]:
    """entropy (normalised by log of the keys a row sees), sink, previous_token, distance (means over
    rows 1..N-1) and induction (mean over rows whose token occurred before) of one (N, N) causal
    probability matrix, by loops over rows."""
    n = probs.shape[0]
    ent, sink, prev, dist = [], [], [], []
    induction = []
    for q in range(n):
        row = probs[q]
        if q >= 1:  # row 0 can only look at itself
            sink.append(float(row[0]))
            dist.append(sum(float(row[k]) * (q - k) for k in range(q + 1)))
            ent.append(entropy(row[: q + 1]) / math.log(q + 1))
            prev.append(float(row[q - 1]))
        targets = {j + 1 for j in range(q - 1) if ids[j] == ids[q]}
        if targets:
            induction.append(sum(float(row[k]) for k in targets))
    mean = lambda xs: float(np.mean(xs)) if xs else 0.0  # noqa: E731
    return [mean(ent), mean(sink), mean(prev), mean(induction), mean(dist)]


def reference_layer(
    probs: np.ndarray, ids: np.ndarray, *, keep_mass: float, max_keys: int, block: int, per_head: bool
) -> TextLayer:
    """probs: (H, N, N) of one layer. Slot 0 is the mean over heads; with per_head, then every head."""
    fused = probs.mean(axis=0)
    slots = [fused, *probs] if per_head else [fused]
    n = probs.shape[1]
    counts = np.zeros((len(slots), n), dtype=np.uint16)
    keys: list[np.ndarray] = []
    values: list[np.ndarray] = []
    summary = np.zeros((len(slots), 3, n), dtype=np.float32)
    for s, matrix in enumerate(slots):
        for q in range(n):
            kept = kept_keys(matrix[q], keep_mass, max_keys)
            counts[s, q] = kept.size
            keys.append(kept)
            values.append(matrix[q, kept])
            summary[s, :, q] = (1.0 - matrix[q, kept].sum(), entropy(matrix[q]), matrix[q, 0])
    return TextLayer(
        counts=counts,
        keys=np.concatenate(keys).astype(np.int32),
        values=np.concatenate(values).astype(np.float32),
        summary=summary,
        received=np.stack([m.sum(axis=0) for m in slots]).astype(np.float32),
        mean=np.stack([block_pool(m, block, "mean") for m in slots]).astype(np.float32),
        max=np.stack([block_pool(m, block, "max") for m in slots]).astype(np.float32),
        stats=np.asarray([head_stats(m, ids) for m in [fused, *probs]], dtype=np.float32),
    )


def random_causal(heads: int, n: int, seed: int, sharpness: float = 3.0) -> np.ndarray:
    """(heads, n, n) causal softmax rows of random logits (sharper with `sharpness`)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(heads, n, n)) * sharpness
    logits[:, :, 0] += 2.0  # a sink
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    logits[:, mask] = -np.inf
    logits -= logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=-1, keepdims=True)
