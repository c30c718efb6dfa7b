"""Faithfulness curves: the AUC and the cell order by hand, the whole curves of `CurveScorer`
against a plain numpy/scipy reference loop (written here, not from the module), a toy model whose
true per-patch importance is known, and the default target against the model's own output."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
from scipy.ndimage import gaussian_filter

from precompute.faithfulness import (
    EMBEDDING_TARGET,
    CurveScorer,
    blurred,
    embedding_similarity,
    target_for,
)
from ssl_attention.metrics.aggregate import bootstrap_ci
from ssl_attention.metrics.faithfulness import (
    FUSED,
    MapKey,
    auc,
    cell_order,
    chosen_maps,
    perturbed_masks,
    step_counts,
    summarise_faithfulness,
)
from ssl_attention.models.target import Target
from ssl_attention.store.catalog.faithfulness import FaithfulnessValue

# --- the numpy math, by hand ---------------------------------------------------------------------


def test_auc_is_the_trapezoid_over_zero_to_one() -> None:
    assert auc([1.0, 0.0]) == pytest.approx(0.5)
    assert auc([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert auc([1.0, 0.5, 0.0]) == pytest.approx(0.5)  # (½ + ½ + 0)/2
    assert auc([0.0, 1.0, 1.0, 1.0]) == pytest.approx((0.5 + 1 + 1 + 0.5) / 3 - 0.5 / 3 + 0 / 3)
    with pytest.raises(ValueError):
        auc([1.0])


def test_cells_are_perturbed_most_important_first_ties_by_position() -> None:
    grid_map = np.array([[0.1, 0.9, 0.1], [0.5, 0.1, 0.7]])
    assert list(cell_order(grid_map)) == [1, 5, 3, 0, 2, 4]
    assert list(step_counts(6, 3)) == [0, 2, 4, 6]
    assert list(step_counts(5, 2)) == [0, 2, 5]  # round(2.5) = 2, half to even
    masks = perturbed_masks(cell_order(grid_map), (2, 3), 3)
    assert masks.shape == (4, 2, 3)
    assert not masks[0].any() and masks[3].all()
    assert masks[1].tolist() == [[False, True, False], [False, False, True]]
    assert masks[2].tolist() == [[True, True, False], [True, False, True]]


def test_map_sets_choose_layers_and_heads() -> None:
    fused, heads = np.zeros((3, 2, 2)), np.zeros((3, 4, 2, 2))
    keys = {key for key, _ in chosen_maps("mean", fused, heads, "last")}
    assert keys == {MapKey("mean", 2, FUSED)}
    assert len(chosen_maps("mean", fused, heads, "fused")) == 3
    default = {(k.layer, k.head) for k, _ in chosen_maps("mean", fused, heads, "default")}
    assert default == {(0, -1), (1, -1), (2, -1), (2, 0), (2, 1), (2, 2), (2, 3)}
    assert len(chosen_maps("mean", fused, heads, "all")) == 3 + 12
    assert len(chosen_maps("mean", fused, None, "all")) == 3  # no per-head maps stored


def test_summaries_are_means_with_bootstrap_intervals() -> None:
    values = [
        FaithfulnessValue(f"i{i}", "m", "cls", 0, FUSED, d, n, (1.0, 0.0), (0.0, 1.0))
        for i, (d, n) in enumerate([(0.1, 0.9), (0.3, 0.5), (0.2, 0.7)])
    ]
    (row,) = summarise_faithfulness(values)
    assert row.n == 3
    assert row.deletion_mean == pytest.approx(0.2) and row.insertion_mean == pytest.approx(0.7)
    assert (row.deletion_low, row.deletion_high) == bootstrap_ci(np.array([0.1, 0.3, 0.2]))
    assert row.insertion_low <= 0.7 <= row.insertion_high


# --- the curves against a reference loop ---------------------------------------------------------

SIZE, GRID = 24, (6, 6)


class ToyModel(torch.nn.Module):
    """score(x) = Σ_c w_c · mean over patch c of x², channel-summed: patch c's true importance is w_c."""

    def __init__(self, weights: np.ndarray) -> None:
        super().__init__()
        self.weights = torch.nn.Parameter(torch.from_numpy(weights.astype(np.float32)), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gh, gw = self.weights.shape
        energy = (x**2).sum(dim=1)  # (B, S, S)
        patches = energy.reshape(x.shape[0], gh, SIZE // gh, gw, SIZE // gw).mean(dim=(2, 4))
        return (patches * self.weights).sum(dim=(1, 2))


class ToyAdapter:
    """A model with its own target (the `TargetProvider` protocol)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.model = ToyModel(weights)

    def forward(self, pixels: torch.Tensor) -> None:
        self.model(pixels)

    def faithfulness_target(self, reference: torch.Tensor) -> Target:
        return Target("toy-energy", self.model)


def toy_score(weights: np.ndarray, image: np.ndarray) -> float:
    """The toy model's score in a plain loop over patches."""
    ph, pw = SIZE // GRID[0], SIZE // GRID[1]
    total = 0.0
    for r in range(GRID[0]):
        for c in range(GRID[1]):
            block = image[:, r * ph : (r + 1) * ph, c * pw : (c + 1) * pw]
            total += weights[r, c] * float((block.astype(np.float64) ** 2).sum(axis=0).mean())
    return total


def reference_curves(
    weights: np.ndarray, image: np.ndarray, grid_map: np.ndarray, steps: int
) -> tuple[list[float], list[float]]:
    """Deletion and insertion written out: sort cells by value (ties by position), at step i take
    the first round(i·n/k) of them, zero them (deletion) or paste them on the blurred image
    (insertion: scipy's Gaussian, σ = S/45, truncated at 3σ, mirrored edges = torch's reflect)."""
    flat = [(-float(grid_map.ravel()[i]), i) for i in range(grid_map.size)]
    order = [i for _, i in sorted(flat)]
    sigma = SIZE / 45
    canvas = np.stack(
        [gaussian_filter(ch.astype(np.float64), sigma, mode="mirror", truncate=3.0) for ch in image]
    )
    ph, pw = SIZE // GRID[0], SIZE // GRID[1]
    deletion, insertion = [], []
    for step in range(steps + 1):
        count = round(step * grid_map.size / steps)
        deleted, revealed = image.astype(np.float64).copy(), canvas.copy()
        for cell in order[:count]:
            r, c = divmod(cell, GRID[1])
            rows, cols = slice(r * ph, (r + 1) * ph), slice(c * pw, (c + 1) * pw)
            deleted[:, rows, cols] = 0.0
            revealed[:, rows, cols] = image[:, rows, cols]
        deletion.append(toy_score(weights, deleted))
        insertion.append(toy_score(weights, revealed))
    return deletion, insertion


def checkerboard(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    signs = np.where((yy + xx) % 2 == 0, 1.0, -1.0)
    return (signs[None] * rng.uniform(0.5, 1.5, size=(3, SIZE, SIZE))).astype(np.float32)


@pytest.mark.parametrize("steps", [1, 4, 10, 36])
def test_curves_and_aucs_equal_a_reference_loop(steps: int) -> None:
    rng = np.random.default_rng(steps)
    weights = rng.uniform(0.1, 1.0, GRID)
    image = checkerboard(steps)
    maps = [rng.random(GRID).astype(np.float32), np.round(rng.random(GRID), 1).astype(np.float32)]  # ties
    scorer = CurveScorer(ToyAdapter(weights), steps, batch_images=5, dtype=torch.float32)
    found = scorer.curves(image, [(MapKey("m", 0, i), m) for i, m in enumerate(maps)])
    assert scorer.target_name == "toy-energy"
    for curves, grid_map in zip(found, maps, strict=True):
        deletion, insertion = reference_curves(weights, image, grid_map, steps)
        assert curves.deletion == pytest.approx(deletion, rel=1e-5)
        assert curves.insertion == pytest.approx(insertion, rel=1e-5)
        assert auc(curves.deletion) == pytest.approx(
            sum((a + b) / 2 for a, b in itertools.pairwise(deletion)) / steps, rel=1e-5
        )


def test_blur_matches_scipy() -> None:
    image = checkerboard(3)
    mine = blurred(torch.from_numpy(image)).numpy()
    theirs = np.stack(
        [gaussian_filter(ch.astype(np.float64), SIZE / 45, mode="mirror", truncate=3.0) for ch in image]
    )
    assert mine == pytest.approx(theirs, abs=1e-5)


def test_the_true_importance_beats_random_order() -> None:
    rng = np.random.default_rng(7)
    weights = rng.uniform(0.0, 1.0, GRID) ** 3  # a few patches matter most
    image = checkerboard(7)
    scorer = CurveScorer(ToyAdapter(weights), 10, batch_images=64, dtype=torch.float32)
    randoms = [rng.random(GRID) for _ in range(20)]
    maps = [
        (MapKey("true", 0, FUSED), weights),
        *((MapKey("random", 0, i), m) for i, m in enumerate(randoms)),
    ]
    true, *others = scorer.curves(image, maps)
    assert auc(true.deletion) < min(auc(c.deletion) for c in others)
    assert auc(true.insertion) > max(auc(c.insertion) for c in others)
    # and the inverted map is the worst deletion order there is
    (worst,) = scorer.curves(image, [(MapKey("inverse", 0, FUSED), -weights)])
    assert auc(worst.deletion) > max(auc(c.deletion) for c in others)


def test_the_default_target_is_the_cosine_of_the_pooled_embedding(tiny_checkpoints: dict[str, Path]) -> None:
    from ssl_attention.models.registry import resolve_model

    model = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]))
    adapter = model.load()
    assert not hasattr(adapter, "faithfulness_target")
    rng = np.random.default_rng(0)
    reference = torch.from_numpy(rng.normal(size=(3, SIZE, SIZE)).astype(np.float32))
    others = torch.from_numpy(rng.normal(size=(3, 3, SIZE, SIZE)).astype(np.float32))
    target = target_for(adapter, reference)
    assert target.name == EMBEDDING_TARGET
    hf = T.Dinov2WithRegistersModel.from_pretrained(tiny_checkpoints["dinov2"], attn_implementation="eager")
    with torch.no_grad():
        anchor = hf(pixel_values=reference[None]).pooler_output[0].double()
        pooled = hf(pixel_values=others).pooler_output.double()
        expected = [float(p @ anchor / (p.norm() * anchor.norm())) for p in pooled]
        scores = target.score(others)
    assert scores.tolist() == pytest.approx(expected, abs=1e-5)
    with torch.no_grad():
        assert float(embedding_similarity(adapter, reference).score(reference[None])[0]) == pytest.approx(
            1.0, abs=1e-5
        )
