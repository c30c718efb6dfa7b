"""Faithfulness: deletion and insertion curves of a map and their areas (Petsiuk et al. 2018, RISE).

A map on a (gh, gw) grid orders the image's cells from most to least important (largest value
first; ties by position, row-major). Over k steps (`steps`) the first round(i·n/k) cells of that
order are perturbed at step i = 0 … k (n = gh·gw cells):

- *deletion*: those cells are replaced by the deletion baseline (the image's other cells stay);
  step 0 is the image itself, step k the baseline alone.
- *insertion*: those cells of the image are revealed on the insertion baseline; step 0 is the
  baseline alone, step k the image itself.

The model's target score is recorded at every step (docs/metrics.md: a model's own target, or
for models without a head the cosine similarity of the embedding to the unperturbed image's).
The *AUC* of a curve is its area over x = i/k ∈ [0, 1] by the trapezoid rule,
(s₀/2 + s₁ + … + s_{k−1} + s_k/2)/k. A faithful map has a low deletion AUC (the score falls as
soon as what it highlights goes) and a high insertion AUC.

Baselines scored the same way for every model and image: `random` (a uniformly random order,
reproducible per image) and `centre` (cells by distance from the image centre, the centre prior
of `metrics/baselines.py`). This module is numpy only; the perturbation and the forward passes
are `precompute/faithfulness.py`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ssl_attention.metrics.aggregate import bootstrap_ci
from ssl_attention.metrics.baselines import centre_gaussian, uniform_random
from ssl_attention.store.catalog.faithfulness import FaithfulnessSummary, FaithfulnessValue

DEFAULT_STEPS = 10
MAX_STEPS = 100
FUSED = -1
BASELINE_METHODS = ("random", "centre")  # stored beside a model's maps, at layer 0, head −1
MAP_SETS = ("last", "fused", "default", "all")


def cell_order(grid_map: np.ndarray) -> np.ndarray:
    """Flat cell indices of a (gh, gw) map, most important first (ties: first by position)."""
    values = np.asarray(grid_map, dtype=np.float64).ravel()
    return np.argsort(-values, kind="stable")


def step_counts(n_cells: int, steps: int) -> np.ndarray:
    """How many cells are perturbed at each step 0 … steps: round(i·n/steps) (half to even)."""
    return np.rint(np.arange(steps + 1) * n_cells / steps).astype(np.int64)


def perturbed_masks(order: np.ndarray, grid: tuple[int, int], steps: int) -> np.ndarray:
    """(steps + 1, gh, gw) booleans: True on the cells perturbed at each step (the first
    `step_counts` cells of `order`): deleted for a deletion curve, revealed for an insertion curve."""
    n = grid[0] * grid[1]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    counts = step_counts(n, steps)
    return (rank[None, :] < counts[:, None]).reshape(steps + 1, *grid)


def auc(scores: Sequence[float] | np.ndarray) -> float:
    """The trapezoid area of a curve sampled at x = 0, 1/k, …, 1 (k + 1 scores)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size < 2:
        raise ValueError("a curve needs at least two points")
    return float((values.sum() - values[0] / 2 - values[-1] / 2) / (values.size - 1))


def baseline_maps(grid: tuple[int, int], image_id: str) -> dict[str, np.ndarray]:
    """The orders every model is compared with: random (per image) and the centre prior."""
    return {"random": uniform_random(grid, image_id), "centre": centre_gaussian(grid)}


def cell_pixels(grid: tuple[int, int], size: int) -> np.ndarray:
    """(size, size) flat cell index of every pixel of a square input: pixel (y, x) belongs to
    cell (⌊y·gh/size⌋, ⌊x·gw/size⌋) — the patch it was embedded with when the grid is the patch grid."""
    gh, gw = grid
    rows = np.arange(size) * gh // size
    cols = np.arange(size) * gw // size
    return rows[:, None] * gw + cols[None, :]


# --- which maps are scored ------------------------------------------------------------------------


@dataclass(frozen=True)
class MapKey:
    method: str
    layer: int
    head: int  # FUSED (−1) for the map fused over heads


def chosen_maps(
    method: str, fused: np.ndarray, heads: np.ndarray | None, map_set: str
) -> list[tuple[MapKey, np.ndarray]]:
    """The maps of one method (`fused` (L, gh, gw), `heads` (L, H, gh, gw) or None) a map set scores:
    `last` the fused map of the last layer, `fused` every layer's fused map, `default` those and
    every head of the last layer, `all` every head of every layer too."""
    if map_set not in MAP_SETS:
        raise ValueError(f"unknown map set '{map_set}'; choose from {', '.join(MAP_SETS)}")
    last = fused.shape[0] - 1
    layers = [last] if map_set == "last" else list(range(fused.shape[0]))
    found = [(MapKey(method, layer, FUSED), fused[layer]) for layer in layers]
    if heads is not None and map_set in ("default", "all"):
        head_layers = [heads.shape[0] - 1] if map_set == "default" else list(range(heads.shape[0]))
        for layer in head_layers:
            found += [(MapKey(method, layer, head), heads[layer, head]) for head in range(heads.shape[1])]
    return found


# --- curves of one image, and summaries -----------------------------------------------------------


def curve_value(
    image_id: str, model: str, key: MapKey, deletion: Sequence[float], insertion: Sequence[float]
) -> FaithfulnessValue:
    return FaithfulnessValue(
        image_id,
        model,
        key.method,
        key.layer,
        key.head,
        auc(deletion),
        auc(insertion),
        tuple(float(s) for s in deletion),
        tuple(float(s) for s in insertion),
    )


def summarise_faithfulness(values: Iterable[FaithfulnessValue]) -> list[FaithfulnessSummary]:
    """Mean deletion and insertion AUC over images with percentile bootstrap 95% intervals
    (`metrics.aggregate.bootstrap_ci`), per model × method × layer × head."""
    groups: dict[tuple[str, str, int, int], list[tuple[float, float]]] = defaultdict(list)
    for v in values:
        groups[(v.model, v.method, v.layer, v.head)].append((v.deletion_auc, v.insertion_auc))
    rows = []
    for (model, method, layer, head), found in sorted(groups.items()):
        both = np.asarray(found, dtype=np.float64)
        d_low, d_high = bootstrap_ci(both[:, 0])
        i_low, i_high = bootstrap_ci(both[:, 1])
        rows.append(
            FaithfulnessSummary(
                model,
                method,
                layer,
                head,
                float(both[:, 0].mean()),
                d_low,
                d_high,
                float(both[:, 1].mean()),
                i_low,
                i_high,
                len(found),
            )
        )
    return rows
