"""Gradient-weighted rollout (`gradrollout`) in a ViT run: which models have a target, which
(image, target) maps are pending, how they are computed and recorded.

A ViT has a target when its adapter says so (`VisionAdapter.gradient_target`): CLIP/SigLIP explain
the image-text similarity to each `--target-text` prompt, `vit_in1k` its class head (`class:top`,
or `class:N` with `--target-class N`). DINO, MAE and the other headless towers have no target.
The maps live in the model's ViT group, one array per target (`store/target_layout.py`); which
are finished is recorded per (image, target) in the catalog's `vlm_samples` table, so a target
added later runs for every image without touching the maps already stored (like a VLM prompt).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import groupby
from typing import Any

import numpy as np
import torch
import zarr

from precompute.kind import Batch, Decoded, WorkItem, batched
from precompute.options import RunError, RunOptions
from ssl_attention.attention.gradrollout import RelevanceRecorder, gradient_rollout
from ssl_attention.attention.targets import class_score, top_classes
from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.dual_encoder import DualEncoderError, TextTargets, full_config, text_targets
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, VlmSample
from ssl_attention.store.integrity import target_damaged
from ssl_attention.store.layout import VitAttrs
from ssl_attention.store.target_layout import class_target, target_class_of, target_path

TARGET_KEY = "target:"  # an engine's result key for one target's maps: "target:<name>"
MAX_TARGET_TEXT = 300  # characters of one --target-text (every map request names it by index)
SUPPORTED = "clip, siglip, siglip2 (with --target-text) and vit_in1k (its class head)"


def gradient_target(model: ResolvedModel) -> str | None:
    """ "text", "class" or None: what the model's gradrollout explains."""
    adapter = model.spec.adapter
    return adapter.gradient_target if issubclass(adapter, VisionAdapter) else None


def model_targets(model: ResolvedModel, options: RunOptions) -> tuple[str, ...]:
    """The targets this run asks of `model`: its `--target-text` prompts, its class, or none."""
    which = gradient_target(model)
    if which == "text":
        return tuple(options.target_texts)
    if which == "class":
        return (class_target(options.target_class),)
    return ()


def validate_targets(options: RunOptions, models: Sequence[ResolvedModel]) -> None:
    """Refuse `--target-text` that no model of the run can explain, and bad texts or classes."""
    texts = options.target_texts
    if any(not text.strip() for text in texts):
        raise RunError('a --target-text is empty; give each one text, e.g. --target-text "a photo of a cat"')
    if any(len(text) > MAX_TARGET_TEXT for text in texts):
        raise RunError(f"a --target-text is longer than {MAX_TARGET_TEXT} characters; shorten it")
    text_models = [m for m in models if gradient_target(m) == "text"]
    if texts and not text_models:
        names = ", ".join(m.name for m in models)
        raise RunError(
            f"--target-text asks for gradrollout, which needs a target to explain: {names} "
            f"{'has' if len(models) == 1 else 'have'} no text tower and no classification head; "
            f"gradrollout runs for {SUPPORTED}"
        )
    for model in text_models if texts else []:
        try:
            full_config(model.config, model.weights)
        except DualEncoderError as error:
            raise RunError(f"{model.name}: {error}") from None
    for model in models:
        classes = len(model.config.id2label or {})
        chosen = options.target_class
        if gradient_target(model) == "class" and chosen is not None and not 0 <= chosen < classes:
            raise RunError(
                f"--target-class {options.target_class} is outside {model.name}'s classes; "
                f"use 0 to {classes - 1}"
            )


def target_notes(options: RunOptions, models: Sequence[ResolvedModel]) -> list[str]:
    """A note naming the models of a `--target-text` run that get no gradrollout."""
    if not options.target_texts:
        return []
    without = [m.name for m in models if m.spec.kind == "vit" and gradient_target(m) is None]
    if not without:
        return []
    return [
        f"{', '.join(without)}: no gradrollout (no text tower and no classification head to explain); "
        f"it runs for {SUPPORTED}"
    ]


# --- planning ------------------------------------------------------------------------------------


def done_targets(key: str, catalog: CatalogWriter) -> set[tuple[str, int]]:
    """(image id, target index) pairs whose gradrollout map is written."""
    return catalog.done_samples(key)


def damaged_targets(
    store: AttentionStoreWriter,
    attrs: VitAttrs,
    rows: Mapping[str, int],
    done: set[tuple[str, int]],
    *,
    verify: bool,
) -> set[tuple[str, int]]:
    """Finished (image id, target index) pairs whose chunk is missing or (verify) bad."""
    if not done:
        return set()
    by_row: dict[int, set[int]] = {}
    ids = {}
    for image_id, index in done:
        if image_id in rows:
            by_row.setdefault(rows[image_id], set()).add(index)
            ids[rows[image_id]] = image_id
    group = zarr.open_group(store=store.url, path=attrs.key, mode="r", zarr_format=3, use_consolidated=False)
    return {(ids[row], index) for row, index in target_damaged(group, by_row, verify=verify)}


def pending_items(
    attrs: VitAttrs,
    files: Sequence[DiscoveredFile],
    rows: Mapping[str, int],
    redo_maps: set[str],
    wanted: Sequence[str],
    done: set[tuple[str, int]],
    damaged: set[tuple[str, int]],
) -> list[WorkItem]:
    """Every image with work left: its plain maps (`with_vision`: not done, or damaged) and the
    targets still to run on it (`prompts`: wanted and not done, or damaged)."""
    items = []
    for file in files:
        todo = [t for t in wanted if (file.id, attrs.targets.index(t)) not in done]
        todo += [attrs.targets[k] for image_id, k in sorted(damaged) if image_id == file.id]
        todo = list(dict.fromkeys(todo))
        if file.id in redo_maps or todo:
            items.append(WorkItem(rows[file.id], file, tuple(todo), with_vision=file.id in redo_maps))
    return sorted(items, key=lambda item: item.row)


def target_batches(items: Sequence[WorkItem], size: int, shard_images: int | None) -> tuple[Batch, ...]:
    """Batches whose images all need the same work (plain maps or not, the same targets)."""

    def signature(item: WorkItem) -> tuple[bool, tuple[str, ...]]:
        return (not item.with_vision, item.prompts)

    batches: list[Batch] = []
    for _, same in groupby(sorted(items, key=lambda i: (signature(i), i.row)), key=signature):
        for batch in batched(list(same), size, shard_images):
            batches.append(Batch(len(batches), batch.items))
    return tuple(batches)


# --- computing -----------------------------------------------------------------------------------


class TargetMaps:
    """An engine's gradrollout half: the maps of a batch for each of its targets."""

    def __init__(
        self,
        adapter: VisionAdapter,
        model: ResolvedModel,
        options: RunOptions,
        dtype: torch.dtype,
    ) -> None:
        self.adapter, self.model, self.dtype = adapter, model, dtype
        self.layout = adapter.layout(options.image_size)
        self.recorder = RelevanceRecorder(
            adapter.attention_modules(), self.layout, query_chunk_bytes=options.query_chunk_mb * 2**20
        )
        self._text: TextTargets | None = None
        self._embeds: dict[str, torch.Tensor] = {}

    def _score(self, target: str) -> Callable[[torch.Tensor], torch.Tensor]:
        if gradient_target(self.model) == "class":
            logits_of = getattr(self.adapter, "logits")  # noqa: B009  (the classifier adapter's)
            chosen = target_class_of(target)

            def class_target_score(pixels: torch.Tensor) -> torch.Tensor:
                logits = logits_of(pixels)
                return class_score(logits, top_classes(logits, chosen))

            return class_target_score
        if self._text is None:
            model = self.model
            self._text = text_targets(self.adapter, model.config, model.checkpoint, model.weights)
        text = self._text
        if target not in self._embeds:
            self._embeds[target] = text.embed(target)
        embed = self._embeds[target]
        return lambda pixels: text.score(pixels, embed)

    def __call__(self, pixels: torch.Tensor, targets: Sequence[str]) -> dict[str, np.ndarray]:
        """{"target:<name>": (B, 1, gh, gw) float16} for each target."""
        gh, gw = self.layout.grid
        found = {}
        for target in targets:
            with self._autocast(pixels.device):
                maps = gradient_rollout(self.recorder, self._score(target), pixels)
            found[TARGET_KEY + target] = maps.reshape(-1, 1, gh, gw).to(torch.float16).cpu().numpy()
        return found

    def _autocast(self, device: torch.device) -> Any:
        enabled = self.dtype != torch.float32
        return torch.autocast(device_type=device.type, dtype=self.dtype, enabled=enabled)


# --- writing -------------------------------------------------------------------------------------


def stored_paths(attrs: VitAttrs, computed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An engine's result with each "target:<name>" key turned into its array path."""
    return {
        target_path(attrs.targets.index(path.removeprefix(TARGET_KEY)))
        if path.startswith(TARGET_KEY)
        else path: values
        for path, values in computed.items()
    }


def mark_targets_done(catalog: CatalogWriter, attrs: VitAttrs, items: Sequence[Decoded], run_id: int) -> None:
    """After the arrays are written: each image's targets (and its entry) done, one transaction each."""
    for decoded in items:
        image_id = decoded.item.file.id
        samples = [
            VlmSample(image_id, attrs.key, attrs.targets.index(t), t, "", 0) for t in decoded.item.prompts
        ]
        catalog.mark_vlm_image_done(attrs.key, image_id, samples, run_id)
