"""`precompute --faithfulness`: deletion and insertion curves of stored maps (docs/metrics.md#faithfulness).

For every image a model has done, the maps of the map set (`--faithfulness-maps`, default: every
method's fused map at every layer and every head of the last layer) and the two baselines
(`random`, `centre`) each order the image's cells; the image (resized like the stored run, to the
group's `image_size`) is perturbed along that order in `--steps` steps and the model's target
score recorded at every step (the curve math: `ssl_attention.metrics.faithfulness`).

- Deletion replaces cells by 0 in normalised pixels, i.e. the model's normalisation mean colour;
  insertion reveals cells on the image blurred by a Gaussian of σ = size/45 px (5 px at 224 px,
  as RISE), truncated at 3σ, edges reflected.
- The target is the model adapter's own (`faithfulness_target(reference) -> Target`, the
  protocol `TargetProvider` of `models/target.py`: a class score, an image–text similarity),
  else `embedding-cosine`: the cosine similarity of the perturbed image's embedding to the
  unperturbed image's (the `pooler_output` of the vision tower when it has one — DINOv2/v3's
  normalised CLS, CLIP's post-layernorm CLS, SigLIP's attention-pool head — else the
  normalised CLS token, MAE).
- The endpoints shared by every map (the image, the deletion baseline, the insertion baseline)
  are scored once per image; each map's 2·(steps − 1) interior images go through the model in
  batches of `--batch-size × (steps + 1)` images (the perturbed images of several maps at once).

Resumable like `--metrics`: each (image, model) pair is one transaction, stamped with the
model's catalog entry and the settings; a pair with the same stamp is skipped, and a pair is
computed again when its maps were rewritten or the steps or the map set changed. A kind takes
part when its KINDS row names a `faithfulness` loader (VLMs do not: their target is text).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from precompute.options import RunError, RunOptions
from ssl_attention.data.gallery import ImageDecodeError, decode
from ssl_attention.kinds import kind_of
from ssl_attention.metrics.faithfulness import (
    BASELINE_METHODS,
    DEFAULT_STEPS,
    FUSED,
    MAP_SETS,
    MAX_STEPS,
    MapKey,
    baseline_maps,
    cell_order,
    cell_pixels,
    chosen_maps,
    curve_value,
    perturbed_masks,
    summarise_faithfulness,
)
from ssl_attention.metrics.shift import image_maps
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.models.target import Target, TargetProvider
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.faithfulness import FaithfulnessPair, FaithfulnessValue
from ssl_attention.store.layout import VitAttrs

EMBEDDING_TARGET = "embedding-cosine"
BLUR_SIGMA_PER_PIXEL = 1 / 45  # σ = 5 px at 224 px (RISE's insertion canvas)


# --- the target score ----------------------------------------------------------------------------


def embedding(adapter: Any, pixels: torch.Tensor) -> torch.Tensor:
    """(B, D) float32: the vision tower's `pooler_output`, else its first token (CLS) — read from
    the tower's output through a forward hook, so the adapter's own `forward` runs unchanged."""
    seen: list[Any] = []
    handle = adapter.model.register_forward_hook(lambda _m, _i, output: seen.append(output))
    try:
        adapter.forward(pixels)
    finally:
        handle.remove()
    output = seen[-1]
    pooled = getattr(output, "pooler_output", None)
    chosen = pooled if pooled is not None else output.last_hidden_state[:, 0]
    return chosen.reshape(chosen.shape[0], -1).float()


def embedding_similarity(adapter: Any, reference: torch.Tensor) -> Target:
    """The default target: cosine similarity to the unperturbed image's embedding (1 for the image)."""
    anchor = embedding(adapter, reference[None])

    def score(pixels: torch.Tensor) -> torch.Tensor:
        return F.cosine_similarity(embedding(adapter, pixels), anchor, dim=1)

    return Target(EMBEDDING_TARGET, score)


def target_for(adapter: Any, reference: torch.Tensor) -> Target:
    """The adapter's own target when it has one (`TargetProvider`), else `embedding-cosine`."""
    if isinstance(adapter, TargetProvider):
        return adapter.faithfulness_target(reference)
    return embedding_similarity(adapter, reference)


# --- perturbation --------------------------------------------------------------------------------


def blurred(pixels: torch.Tensor) -> torch.Tensor:
    """(3, S, S) → the same blurred by a Gaussian of σ = S/45 px, truncated at 3σ, reflected edges."""
    size = pixels.shape[-1]
    sigma = max(size * BLUR_SIGMA_PER_PIXEL, 1e-3)
    radius = min(max(1, int(3 * sigma + 0.5)), size - 1)  # as scipy.ndimage truncates at 3σ
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32, device=pixels.device)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    image = pixels[None].float()
    rows = F.conv2d(
        F.pad(image, (radius, radius, 0, 0), mode="reflect"),
        kernel.view(1, 1, 1, -1).expand(3, 1, 1, -1),
        groups=3,
    )
    both = F.conv2d(
        F.pad(rows, (0, 0, radius, radius), mode="reflect"),
        kernel.view(1, 1, -1, 1).expand(3, 1, -1, 1),
        groups=3,
    )
    return both[0].to(pixels.dtype)


@dataclass
class Curves:
    """Both curves of one map, filled step by step."""

    key: MapKey
    deletion: list[float]
    insertion: list[float]


class CurveScorer:
    """One model on its device: the curves of every map of an image (see the module docstring)."""

    def __init__(self, adapter: Any, steps: int, batch_images: int, dtype: torch.dtype) -> None:
        self.adapter, self.steps, self.batch_images, self.dtype = adapter, steps, max(1, batch_images), dtype
        self.device = next(adapter.model.parameters()).device
        self.target_name = ""

    def _scored(self, target: Target, images: torch.Tensor) -> list[float]:
        enabled = self.dtype != torch.float32
        with torch.autocast(device_type=self.device.type, dtype=self.dtype, enabled=enabled):
            return [float(s) for s in target.score(images).float().cpu()]

    def curves(self, pixels: np.ndarray, maps: Sequence[tuple[MapKey, np.ndarray]]) -> list[Curves]:
        """`pixels` (3, S, S) normalised; `maps` (gh, gw) each. Every curve has steps + 1 scores."""
        with torch.inference_mode():
            image = torch.from_numpy(pixels).to(self.device)
            target = target_for(self.adapter, image)
            self.target_name = target.name
            removed, canvas = torch.zeros_like(image), blurred(image)
            whole, empty, dark = self._scored(target, torch.stack([image, canvas, removed]))
            found = [Curves(key, [whole], [empty]) for key, _ in maps]
            pending: list[torch.Tensor] = []
            slots: list[list[float]] = []
            for curves, (_key, grid_map) in zip(found, maps, strict=True):
                for mask in self._interior_masks(grid_map, image.shape[-1]):
                    pending += [torch.where(mask, removed, image), torch.where(mask, image, canvas)]
                    slots += [curves.deletion, curves.insertion]
                    if len(pending) >= self.batch_images:
                        self._flush(target, pending, slots)
            self._flush(target, pending, slots)
        for curves in found:
            curves.deletion.append(dark)
            curves.insertion.append(whole)
        return found

    def _interior_masks(self, grid_map: np.ndarray, size: int) -> Iterator[torch.Tensor]:
        """(1, S, S) pixel masks of steps 1 … k − 1: True on the cells perturbed so far."""
        grid = (grid_map.shape[0], grid_map.shape[1])
        cells = perturbed_masks(cell_order(grid_map), grid, self.steps).reshape(self.steps + 1, -1)
        per_pixel = cells[:, cell_pixels(grid, size)]  # (k + 1, S, S)
        for step in range(1, self.steps):
            yield torch.from_numpy(per_pixel[step]).to(self.device)[None]

    def _flush(self, target: Target, pending: list[torch.Tensor], slots: list[list[float]]) -> None:
        if pending:
            for slot, score in zip(slots, self._scored(target, torch.stack(pending)), strict=True):
                slot.append(score)
            pending.clear()
            slots.clear()


# --- the precompute step -------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """What a kind's faithfulness loader gives: an adapter (`.model`, `.forward(pixels)`, and
    optionally `faithfulness_target`) on its device, and the square input size its maps were made at."""

    adapter: Any
    image_size: int


def load_vit(model: ResolvedModel, attrs: VitAttrs, device: torch.device) -> Loaded:
    """The `vit` kind's faithfulness loader: the adapter with its weights, on `device`."""
    adapter = model.load()
    adapter.model.to(device)
    return Loaded(adapter, attrs.image_size)


@dataclass
class FaithfulnessReport:
    models: int = 0  # models whose curves were checked
    images_computed: int = 0  # (image, model) pairs computed in this run
    images_already: int = 0  # pairs computed before with the same maps and settings
    maps: int = 0  # curves pairs (deletion + insertion) computed, baselines included
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # models of a kind without a target


def check_faithfulness(options: RunOptions) -> None:
    """The flags, before anything is written (one line saying what is allowed)."""
    if not 1 <= options.faithfulness_steps <= MAX_STEPS:
        raise RunError(f"--steps must be between 1 and {MAX_STEPS}, got {options.faithfulness_steps}")
    if options.faithfulness_maps not in MAP_SETS:
        raise RunError(
            f"--faithfulness-maps must be one of {', '.join(MAP_SETS)}, got '{options.faithfulness_maps}'"
        )
    if not options.faithfulness and (
        options.faithfulness_steps != DEFAULT_STEPS or options.faithfulness_maps != "default"
    ):
        raise RunError("--steps and --faithfulness-maps apply to --faithfulness; add --faithfulness")


def settings_stamp(options: RunOptions) -> str:
    return f"steps={options.faithfulness_steps};maps={options.faithfulness_maps}"


def image_curves(
    scorer: CurveScorer,
    reader: AttentionStoreReader,
    catalog: CatalogWriter,
    attrs: Any,
    image_id: str,
    row: int,
    pixels: np.ndarray,
    map_set: str,
) -> list[FaithfulnessValue]:
    """The curves of one image: the chosen maps of every method, then the two baselines."""
    maps: list[tuple[MapKey, np.ndarray]] = []
    for found in image_maps(reader, catalog, attrs, image_id, row):
        fused = np.asarray(found.fused, np.float32)
        heads = None if found.heads is None else np.asarray(found.heads, np.float32)
        maps += chosen_maps(found.method, fused, heads, map_set)
    grid = maps[0][1].shape if maps else tuple(attrs.grid)
    for method, prior in baseline_maps((int(grid[0]), int(grid[1])), image_id).items():
        assert method in BASELINE_METHODS
        maps.append((MapKey(method, 0, FUSED), prior))
    return [
        curve_value(image_id, attrs.key, c.key, c.deletion, c.insertion) for c in scorer.curves(pixels, maps)
    ]


def run_faithfulness(
    options: RunOptions,
    models: Sequence[ResolvedModel],
    catalog: CatalogWriter,
    device: torch.device,
    dtype: torch.dtype,
    progress: Any = None,
) -> FaithfulnessReport:
    """Compute every pending (image, model) pair of the run's models (see the module docstring)."""
    import time

    started = time.perf_counter()
    reader = AttentionStoreReader(options.store)
    stored = reader.models()
    report = FaithfulnessReport()
    stamp_of = settings_stamp(options)
    for model in models:
        attrs = stored.get(model.name)
        if attrs is None:
            continue
        loader = kind_of(attrs).faithfulness
        if loader is None:
            report.skipped.append(model.name)
            continue
        report.models += 1
        entries = catalog.entry_stamps(model.name)
        computed = catalog.faithfulness_pairs(model.name)
        stamps = {image_id: f"{stamp}|{stamp_of}" for image_id, (_row, stamp) in entries.items()}
        pending = sorted(
            i for i in entries if (p := computed.get((i, model.name))) is None or p.stamp != stamps[i]
        )
        report.images_already += len(entries) - len(pending)
        if pending:
            loaded: Loaded = kind_of(attrs).hook("faithfulness")(model, attrs, device)
            batch = options.batch_size * (options.faithfulness_steps + 1)
            scorer = CurveScorer(loaded.adapter, options.faithfulness_steps, batch, dtype)
            bar = progress(f"{model.name} faithfulness", len(pending)) if progress else None
            for image_id in pending:
                pixels = _pixels(options, catalog, image_id, loaded.image_size, model)
                if pixels is None:
                    continue
                values = image_curves(
                    scorer,
                    reader,
                    catalog,
                    attrs,
                    image_id,
                    entries[image_id][0],
                    pixels,
                    options.faithfulness_maps,
                )
                pair = FaithfulnessPair(
                    image_id, model.name, stamps[image_id], scorer.target_name, options.faithfulness_steps
                )
                catalog.add_faithfulness(pair, values)
                report.images_computed += 1
                report.maps += len(values)
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
        gone = {image_id for image_id, name in computed if name == model.name} - set(entries)
        if gone:
            catalog.drop_faithfulness(model.name, gone)
        if pending or gone or (entries and not catalog.faithfulness_summaries(model.name)):
            values_now = catalog.faithfulness_values(model=model.name)
            catalog.replace_faithfulness_summaries(model.name, summarise_faithfulness(values_now))
    report.seconds = time.perf_counter() - started
    return report


def _pixels(
    options: RunOptions, catalog: CatalogWriter, image_id: str, size: int, model: ResolvedModel
) -> np.ndarray | None:
    info = catalog.image(image_id)
    if info is None:
        return None
    try:
        image = decode(Path(options.images) / info.path, within=Path(options.images))
    except (ImageDecodeError, FileNotFoundError):
        return None  # gone since its maps were written: its pair stays pending
    return to_pixels(image.image, size, model.normalization)
