"""The CPU fold's kernel: what `text_fold.Fold` computes with torch, in one numba function that
reads each probability row once or twice while it is in cache (torch needs a dozen passes and a
top-k whose cost per row is ~10 µs on a CPU).

For each row q of slot s, with p = P[s, r, :W] (keys past the row are 0) and, for heads, the
logits z it is the softmax of:

    loops over keys: Σp, Σ p·(stop − k), the 32 lanes' maxima (lane j: keys k ≡ j mod 32), the
        fused sum, the row-block's column sums and maxima; for heads Σ p·z
    entropy  max z − log max p − Σ p·z  (log p = z − lse, lse = max z − log max p; max z is the
             most probable key's logit), or given
    overviews: Σ and max of each block of `block` keys into the row's row-block
    kept keys: τ = the smallest of the G lane maxima is ≤ the G-th largest probability (G lanes,
               each with a key ≥ τ), so the top G keys are among the keys ≥ τ: collect those
               (about G·ln G of them on random rows), find the G-th largest t among them
               (bisection on the float's bits), take the keys > t and, in key order, the ties
               = t up to G. When the
               G − 1 largest hold less than keep_mass − 1e-4 the row keeps all G; otherwise the
               selected keys are sorted by probability and kept while the mass before each is
               below keep_mass (the loop reference's rule), then put back in key order.

G = min(max_keys, W). Numbers as `Fold`: float32 rows, float64 statistic sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Sums may be reassociated (vectorised); no NaN or inf reaches the kernel (masked logits are
# float32's lowest, masked probabilities 0).
_FAST = {"reassoc", "contract", "nsz", "nnan", "ninf", "arcp"}
_MARGIN = 1e-4  # a row this close to keep_mass takes the exact sorted rule
LANES = 32  # the lane maxima: a compile-time width (vector registers); see _lane_max


@njit(cache=True, nogil=True, fastmath=_FAST)
def _lane_max(x: np.ndarray, lanes: np.ndarray, start: float) -> None:
    """lanes[j] = max of `start` and the x[k] with k ≡ j (mod LANES). A constant lane count lets
    LLVM keep the maxima in vector registers (a scalar max loop does not)."""
    w = x.shape[0]
    full = w // LANES * LANES
    lanes[:] = start
    for base in range(0, full, LANES):
        for j in range(LANES):
            lanes[j] = max(lanes[j], x[base + j])
    for k in range(full, w):
        lanes[k - full] = max(lanes[k - full], x[k])


@njit(cache=True, nogil=True, fastmath=_FAST)
def _flush(
    s: int,
    rb: int,
    w: int,
    block: int,
    col_sum: np.ndarray,
    col_max: np.ndarray,
    received: np.ndarray,
    ov_sum: np.ndarray,
    ov_max: np.ndarray,
) -> None:
    """Add one row-block's column sums and maxima (rows of this chunk only) to received and to
    the overviews' cells (rb, ·), and clear them."""
    for k in range(w):
        received[s, k] += col_sum[k]
    for cb in range((w + block - 1) // block):
        a = cb * block
        b = min(w, a + block)
        total = np.float32(0.0)
        top = ov_max[s, rb, cb]
        for k in range(a, b):
            total += col_sum[k]
            top = max(top, col_max[k])
        ov_sum[s, rb, cb] += total
        ov_max[s, rb, cb] = top
    col_sum[:w] = 0.0
    col_max[:w] = 0.0


@njit(cache=True, nogil=True, fastmath=_FAST)
def _gth_largest(x: np.ndarray, g: int, low: float, high: float) -> float:
    """The g-th largest of x (≥ 0, len(x) > g, at least g values ≥ low, max(x) = high) by
    bisection on the float's bits (non-negative floats order as their bits do): counting
    x ≥ t is a vectorised pass over the few candidates; stops as soon as exactly g are ≥ t."""
    lo = np.array([low], np.float32).view(np.int32)[0]  # count(x ≥ lo) ≥ g
    hi = np.array([high], np.float32).view(np.int32)[0] + 1  # count(x ≥ hi) = 0 < g
    probe = np.empty(1, np.int32)
    while hi - lo > 1:
        probe[0] = lo + (hi - lo) // 2
        t = probe.view(np.float32)[0]
        count = 0
        for i in range(x.shape[0]):
            count += x[i] >= t
        if count == g:  # the g keys ≥ t are the top g: t may be returned as their smallest
            smallest = high
            for i in range(x.shape[0]):
                if x[i] >= t:
                    smallest = min(smallest, x[i])
            return smallest
        if count > g:
            lo = probe[0]
        else:
            hi = probe[0]
    probe[0] = lo
    return probe.view(np.float32)[0]


@njit(cache=True, nogil=True, fastmath=_FAST)
def add_rows(p: np.ndarray, s0: int, s1: int, into: np.ndarray) -> None:
    """into (C, W) += p[s] for s0 ≤ s < s1."""
    for s in range(s0, s1):
        for r in range(p.shape[1]):
            row, out = p[s, r], into[r]
            for k in range(p.shape[2]):
                out[k] += row[k]


@njit(cache=True, nogil=True)
def induction_keys(
    ids: np.ndarray, previous_ids: np.ndarray, row0: int, c: int, w: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows row0 … row0 + c − 1: offsets (c + 1) and keys (CSR) of each row q's induction keys,
    the keys 1 ≤ k < min(q, w) whose previous token is q's token."""
    offsets = np.zeros(c + 1, np.int64)
    for r in range(c):
        q = row0 + r
        token = ids[q]
        found = 0
        for k in range(1, min(q, w)):
            found += previous_ids[k] == token
        offsets[r + 1] = offsets[r] + found
    keys = np.empty(offsets[c], np.int32)
    for r in range(c):
        q = row0 + r
        token = ids[q]
        at = offsets[r]
        for k in range(1, min(q, w)):
            if previous_ids[k] == token:
                keys[at] = k
                at += 1
    return offsets, keys


@njit(cache=True, nogil=True, fastmath=_FAST)
def fold_rows(
    p: np.ndarray,  # (S, C, W) float32
    scores: np.ndarray,  # (S, C, W) float32 when has_scores, else any (S, C, W) array
    entropy: np.ndarray,  # (S, C) float32: each row's entropy when not has_scores
    has_scores: bool,
    s0: int,
    s1: int,
    row0: int,
    keep: bool,
    block: int,
    keep_mass: float,
    max_keys: int,
    induction_offsets: np.ndarray,  # (C + 1,) int64, CSR with induction_keys (int32)
    induction: np.ndarray,
    fused: np.ndarray,  # (C, W) float32: Σ over these slots of p is added to it; (0, 0): not
    counts: np.ndarray,  # (S, N) int32
    summary: np.ndarray,  # (S, 3, N) float32
    received: np.ndarray,  # (S, N) float32
    ov_sum: np.ndarray,  # (S, m, m) float32
    ov_max: np.ndarray,  # (S, m, m) float32
    keys_out: np.ndarray,  # (S, C · G) int32: each slot's kept keys, row after row
    values_out: np.ndarray,  # (S, C · G) float32
    sizes: np.ndarray,  # (S,) int64: how many of keys_out / values_out each slot filled
    sums: np.ndarray,  # (S, 5) float64 over rows q ≥ 1: Σ entropy / log(q + 1), sink, previous,
    # induction (every row), distance
) -> None:
    """Fold rows of slots s0 … s1 − 1 of p (local slot indices: every array's first axis)."""
    _, c, w = p.shape
    g = min(max_keys, w)
    stop = row0 + c
    add_fused = fused.shape[0] > 0
    lanes = np.empty(LANES, np.float32)
    to_stop = np.empty(w, np.float32)
    for k in range(w):
        to_stop[k] = stop - k
    col_sum = np.zeros(w, np.float32)
    col_max = np.zeros(w, np.float32)
    cand_v = np.empty(w + 1, np.float32)
    cand_i = np.empty(w + 1, np.int32)
    sel_v = np.empty(g, np.float32)
    sel_i = np.empty(g, np.int32)
    for s in range(s0, s1):
        filled = 0
        for r in range(c):
            q = row0 + r
            row = p[s, r]
            total = np.float32(0.0)
            far = np.float32(0.0)
            for k in range(w):
                total += row[k]
                far += row[k] * to_stop[k]
            _lane_max(row, lanes, 0.0)  # probabilities are ≥ 0: a lane without keys holds 0
            top = lanes.max()
            # τ ≤ the g-th largest probability when g ≤ LANES lanes each hold a key ≥ τ; else every
            # positive key is a candidate
            tau = lanes.min() if g <= LANES and w >= LANES else np.float32(0.0)
            if add_fused:
                into = fused[r]
                for k in range(w):
                    into[k] += row[k]
            for i in range(induction_offsets[r], induction_offsets[r + 1]):
                sums[s, 3] += row[induction[i]]
            n = 0
            if keep:
                for k in range(w):
                    col_sum[k] += row[k]
                    col_max[k] = max(col_max[k], row[k])
                if r == c - 1 or (q + 1) % block == 0:  # the row-block ends here (or the chunk does)
                    _flush(s, q // block, w, block, col_sum, col_max, received, ov_sum, ov_max)
                # the candidates for the top g keys: ≥ τ and > 0, in key order, without a branch
                floor = max(tau, np.float32(1e-45))
                for k in range(w):
                    x = row[k]
                    cand_v[n] = x
                    cand_i[n] = k
                    n += x >= floor
            if has_scores:
                z = scores[s, r]
                pz = np.float32(0.0)
                for k in range(w):
                    pz += row[k] * z[k]
                if keep:  # the largest logit is the most probable key's (a candidate)
                    at = 0
                    while cand_v[at] != top:
                        at += 1
                    zmax = z[cand_i[at]]
                else:
                    _lane_max(z, lanes, z[0])  # z[0] is one of the row's logits
                    zmax = lanes.max()
                ent = np.float32(zmax - np.log(top) - pz)
            else:
                ent = entropy[s, r]
            if q >= 1:
                sums[s, 0] += ent / np.log(q + 1.0)
                sums[s, 1] += row[0]
                sums[s, 2] += row[q - 1]
                sums[s, 4] += far - (stop - q) * total
            if not keep:
                continue
            if n > g:
                t = _gth_largest(cand_v[:n], g, float(floor), float(top))
                ties = g  # keys equal to t that fit: the earliest ones
                for i in range(n):
                    ties -= cand_v[i] > t
                m = 0
                for i in range(n):
                    x = cand_v[i]
                    take = x > t or (x == t and ties > 0)
                    ties -= take and x == t
                    sel_v[m] = x
                    sel_i[m] = cand_i[i]
                    m += take
            else:
                m = n
                for i in range(n):
                    sel_v[i] = cand_v[i]
                    sel_i[i] = cand_i[i]
            # how many it keeps
            mass = np.float32(0.0)
            smallest = np.float32(np.inf)
            for i in range(m):
                mass += sel_v[i]
                smallest = min(smallest, sel_v[i])
            if m > 0 and mass - smallest >= keep_mass - _MARGIN:
                # exact rule: by probability (descending, earlier key first on ties), mass before < keep_mass
                order = np.argsort(-sel_v[:m], kind="mergesort")
                before = np.float32(0.0)
                kept = 0
                for i in range(m):
                    if before >= keep_mass:
                        break
                    before += sel_v[order[i]]
                    kept += 1
                if kept < m:
                    chosen = np.sort(sel_i[order[:kept]])
                    for i in range(kept):
                        sel_i[i] = chosen[i]
                        sel_v[i] = row[chosen[i]]
                    m = kept
            kept_mass = np.float32(0.0)
            for i in range(m):
                keys_out[s, filled + i] = sel_i[i]
                values_out[s, filled + i] = sel_v[i]
                kept_mass += sel_v[i]
            filled += m
            counts[s, q] = m
            summary[s, 0, q] = 1.0 - kept_mass
            summary[s, 1, q] = ent
            summary[s, 2, q] = row[0]
        sizes[s] = filled
