"""The precompute runner of vision transformers (`kind: vit`): every pending image of the gallery,
resized to `--image-size`, in batches of `--batch-size`; one row of every array per image.

The group's attrs (grid, prefix tokens, pooling head) come from the architecture alone: the
plan builds it on PyTorch's meta device (no weights, no memory), the engine loads the weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from precompute.gradrollout import (
    TargetMaps,
    damaged_targets,
    done_targets,
    mark_targets_done,
    model_targets,
    pending_items,
    stored_paths,
    target_batches,
    validate_targets,
)
from precompute.kind import Decoded, RunPlan, fault, finished_rows, open_group
from precompute.options import RunError, RunOptions
from precompute.vit_decode import VitDecoder
from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.attention.extract import MapExtractor
from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, ImageFacts
from ssl_attention.store.layout import VitAttrs
from ssl_attention.store.target_layout import with_targets

# The last skeleton of each model name, with the model it was built for: a worker plans every job
# of a model with the same ResolvedModel, and building it again costs 0.1-0.3 s on a CPU.
_SKELETONS: dict[str, tuple[ResolvedModel, VisionAdapter]] = {}


def skeleton(model: ResolvedModel) -> VisionAdapter:
    """The model's adapter with its architecture on the meta device: layout and sizes, no weights."""
    cached = _SKELETONS.get(model.name)
    if cached is not None and cached[0] is model:
        return cached[1]
    built = _skeleton(model)
    _SKELETONS[model.name] = (model, built)
    return built


def _skeleton(model: ResolvedModel) -> VisionAdapter:
    adapter = model.spec.adapter
    assert issubclass(adapter, VisionAdapter), f"{model.name} is not a vision transformer"
    config = adapter.prepare_config(adapter.vision_config(model.config))
    with torch.device("meta"):
        network = adapter.model_class(config)._from_config(config, attn_implementation=CAPTURE_IMPLEMENTATION)
    return adapter(network, model.normalization)


def vit_attrs(model: ResolvedModel, adapter: VisionAdapter, options: RunOptions) -> VitAttrs:
    layout = adapter.layout(options.image_size)
    return VitAttrs(
        key=model.name,
        base_key=model.spec.key,
        family=adapter.family,
        checkpoint=model.checkpoint,
        weights=model.weights,
        image_size=options.image_size,
        patch=adapter.patch_size,
        grid=layout.grid,
        layers=adapter.n_layers,
        heads=adapter.n_heads,
        prefix_tokens=layout.prefix_tokens,
        has_cls=layout.has_cls,
        has_pool=adapter.pooling_head() is not None,
        per_head=options.per_head,
        revision=getattr(adapter.config, "_commit_hash", None),
        adapter=model.adapter.record() if model.adapter is not None else None,
        shard_images=options.shard_size,
        extra={
            "model_type": adapter.config.model_type,
            "normalization": {"mean": list(model.normalization.mean), "std": list(model.normalization.std)},
            "resize": "bicubic, whole image to image_size x image_size",
        },
    )


class VitEngine(VitDecoder):
    """A ViT on its device: decodes to normalised pixels, extracts a batch's maps as float16."""

    def __init__(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> None:
        super().__init__(model, options)
        adapter = model.load()
        adapter.model.to(device)
        self.device = device
        self.extractor = MapExtractor(
            adapter,
            options.image_size,
            per_head=options.per_head,
            autocast_dtype=dtype,
            query_chunk_bytes=options.query_chunk_mb * 2**20,
        )
        self.targets = TargetMaps(adapter, model, options, dtype)

    def compute(
        self, items: Sequence[Decoded], progress: Callable[[int], None] | None = None
    ) -> dict[str, np.ndarray]:
        pixels = torch.from_numpy(np.stack([item.pixels for item in items if item.pixels is not None]))
        if self.device.type == "cuda":
            pixels = pixels.pin_memory()
        pixels = pixels.to(self.device, non_blocking=True)
        found: dict[str, np.ndarray] = {}
        if items[0].item.with_vision:  # a batch's items need the same work (`target_batches`)
            hooks = [] if progress is None else _layer_progress(self.extractor, len(items), progress)
            try:
                maps = self.extractor(pixels)
            finally:
                for hook in hooks:
                    hook.remove()
            found = {path: values.to(torch.float16).cpu().numpy() for path, values in maps.items()}
        if items[0].item.prompts:
            found.update(self.targets(pixels, items[0].item.prompts))
        return found


def _layer_progress(extractor: MapExtractor, n_images: int, progress: Callable[[int], None]) -> list[Any]:
    """Forward hooks that report a batch's images as its layers finish: after layer l of L,
    ⌊n·(l+1)/L⌋ images count as computed (a batch computes all its images at once, so a bar
    that waited for the whole batch would sit still, then jump)."""
    modules = list(extractor.adapter.attention_modules())
    reported = [0]

    def after(layer: int) -> Callable[..., None]:
        def hook(*_: Any) -> None:
            reached = n_images * (layer + 1) // len(modules)
            if reached > reported[0]:
                progress(reached - reported[0])
                reported[0] = reached

        return hook

    return [module.register_forward_hook(after(i)) for i, module in enumerate(modules)]


class VitRunner:
    unit = "img"
    square_input = True

    def group_attrs(self, model: ResolvedModel, options: RunOptions) -> VitAttrs:
        """The group's attrs, from the architecture alone (the plan's first step)."""
        return vit_attrs(model, skeleton(model), options)

    def decode_threads(self, options: RunOptions) -> int:
        return options.workers

    def validate(self, options: RunOptions, models: Sequence[ResolvedModel]) -> None:
        validate_targets(options, models)
        if options.answer_from in {model.name for model in models}:
            raise RunError(
                f"--answer-from takes a VLM of the run; '{options.answer_from}' is a vision transformer"
            )
        for model in models:
            patch = model.patch_size
            if options.image_size % patch:
                lower = options.image_size // patch * patch
                raise RunError(
                    f"--image-size {options.image_size} is not a multiple of {model.name}'s patch size {patch}; "
                    f"use {lower or patch} or {lower + patch}"
                )

    def plan(
        self,
        model: ResolvedModel,
        files: Sequence[DiscoveredFile],
        options: RunOptions,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
    ) -> RunPlan | None:
        attrs = self.group_attrs(model, options)
        existing = store.existing_attrs(attrs.key)
        wanted = model_targets(model, options)
        damaged: set[int] = set()
        bad_targets: set[tuple[str, int]] = set()
        extending = (
            not options.force and isinstance(existing, VitAttrs) and existing.identity() == attrs.identity()
        )
        if extending:
            assert isinstance(existing, VitAttrs)
            attrs = replace(attrs, targets=with_targets(existing.targets, wanted))
            done = finished_rows(attrs.key, files, catalog)
            store.ensure_coords(existing)
            store.sync_ids(existing, done)
            damaged = store.damaged_rows(existing, done, verify=options.verify)
            finished = done_targets(attrs.key, catalog)
            bad_targets = damaged_targets(
                store, existing, {i: r for r, i in done.items()}, finished, verify=options.verify
            )
            settled = catalog.done_ids(attrs.key) | catalog.failed_ids()  # unreadable files stay unreadable
            targets_done = all((i, attrs.targets.index(t)) in finished for i in done.values() for t in wanted)
            if not damaged and not bad_targets and targets_done and settled >= {f.id for f in files}:
                return None
        else:
            attrs = replace(attrs, targets=tuple(wanted))
        rebuild, rows, bytes_before = open_group(attrs, files, options.force, store, catalog)
        store.prepare(attrs, max(rows.values()) + 1, rebuild=rebuild, step=fault)
        done_ids = catalog.done_ids(attrs.key)
        redo = {f.id for f in files if f.id not in done_ids or rows[f.id] in damaged}
        finished = set() if rebuild else done_targets(attrs.key, catalog)
        items = pending_items(attrs, files, rows, redo, wanted, finished, bad_targets)
        return RunPlan(
            attrs.key,
            attrs,
            target_batches(items, options.batch_size, attrs.shard_images),
            len(files) - len(items),
            bytes_before,
            repaired=len(damaged),
        )

    def decoder(self, model: ResolvedModel, options: RunOptions) -> VitDecoder:
        return VitDecoder(model, options)

    def load(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> VitEngine:
        return VitEngine(model, options, device, dtype)

    def write(
        self,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
        plan: RunPlan,
        batch_index: int,
        items: Sequence[Decoded],
        computed: Any,
        run_id: int,
    ) -> int:
        rows, ids = [item.item.row for item in items], [item.item.file.id for item in items]
        attrs = plan.attrs
        assert isinstance(attrs, VitAttrs)
        store.write_rows(plan.name, rows, stored_paths(attrs, computed), ids)
        fault("kill-after-write", batch_index)
        facts = []
        for item in items:
            assert item.image is not None
            facts.append(
                ImageFacts(item.item.file.id, item.image.sha256, item.image.width, item.image.height)
            )
        if items[0].item.prompts:  # gradrollout targets (and the entry): per image
            for fact in facts:
                catalog.record_image(fact.image_id, sha256=fact.sha256, width=fact.width, height=fact.height)
            mark_targets_done(catalog, attrs, items, run_id)
        else:  # the images' facts and rows: one transaction
            catalog.mark_done(plan.name, ids, run_id, facts)
        fault("kill-after-commit", batch_index)
        return 0


RUNNER = VitRunner()
