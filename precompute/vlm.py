"""A precompute run for one VLM: every pending (image, prompt) pair of the gallery.

Per image (sequence lengths differ, so one image at a time; decoding is prefetched in threads):
    for each pending prompt: generate greedily, then one recorded pass over prompt + answer
    write `samples/<row>` (vision maps, the first time) and `prompts/<k>`, *then* mark the
    image's samples done in the catalog — a killed run redoes at most the image it was on.
A prompt added later is run for every image without touching the maps already stored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from precompute.runner import ModelSummary, RunOptions, fault, finish_run, run_params, settled
from ssl_attention.attention.vlm import ImageMaps, VlmMapExtractor
from ssl_attention.data.gallery import DecodedImage, ImageDecodeError, decode
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import Catalog, DiscoveredFile, VlmSample
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs, VlmSampleAttrs


def vlm_attrs(model: ResolvedModel, options: RunOptions) -> VlmAttrs:
    """The group's attrs from the config alone (no weights needed to decide whether to run)."""
    config = model.config
    text, vision = config.get_text_config(), config.vision_config
    return VlmAttrs(
        key=model.spec.key,
        family=model.spec.key,
        checkpoint=model.checkpoint,
        weights=model.weights,
        layers=int(text.num_hidden_layers),
        heads=int(text.num_attention_heads),
        vision_layers=int(vision.depth),
        vision_heads=int(vision.num_heads),
        patch=int(vision.patch_size),
        merge=int(vision.spatial_merge_size),
        min_pixels=options.min_pixels,
        max_pixels=options.max_pixels,
        max_new_tokens=options.max_new_tokens,
        per_head=options.per_head,
        prompts=tuple(options.prompts),
        revision=getattr(config, "_commit_hash", None),
        extra={
            "model_type": config.model_type,
            "resize": "the processor's dynamic resolution: aspect kept, pixels in [min_pixels, max_pixels]",
            "generation": "greedy",
        },
    )


def _pending(
    attrs: VlmAttrs, files: list[DiscoveredFile], catalog: Catalog, prompts: list[str]
) -> list[tuple[DiscoveredFile, list[str]]]:
    """(file, prompts still to run) for every image with work left."""
    done = catalog.done_samples(attrs.key)
    work = []
    for file in files:
        todo = [p for p in prompts if p not in attrs.prompts or (file.id, attrs.prompt_index(p)) not in done]
        if todo:
            work.append((file, todo))
    return work


def _nothing_to_do(
    model: ResolvedModel,
    files: list[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: Catalog,
) -> bool:
    existing = store.existing_attrs(model.spec.key)
    wanted = vlm_attrs(model, options)
    if not isinstance(existing, VlmAttrs) or existing.identity() != wanted.identity():
        return False
    failed = catalog.failed_ids()  # unreadable files stay unreadable
    return not _pending(existing, [f for f in files if f.id not in failed], catalog, list(options.prompts))


def _write(
    store: AttentionStoreWriter,
    catalog: Catalog,
    attrs: VlmAttrs,
    row: int,
    image_id: str,
    decoded: DecodedImage,
    maps: ImageMaps,
    run_id: int,
    index: int,
) -> int:
    """Arrays first, then the catalog; returns the number of text tokens stored."""
    inputs = maps.inputs
    if maps.vision is not None:
        sample = VlmSampleAttrs(
            image_id, inputs.grid, inputs.vision_grid, inputs.resized, inputs.image_tokens
        )
        store.write_vlm_image(attrs, row, sample, _numpy(maps.vision))
    samples, tokens = [], 0
    for prompt in maps.prompts:
        prompt_index = attrs.prompt_index(prompt.prompt)
        store.write_vlm_prompt(
            attrs,
            row,
            prompt_index,
            VlmPromptAttrs(prompt.prompt, prompt.answer, tuple(prompt.tokens)),
            inputs.grid,
            _numpy(prompt.arrays),
        )
        samples.append(
            VlmSample(image_id, attrs.key, prompt_index, prompt.prompt, prompt.answer, len(prompt.tokens))
        )
        tokens += len(prompt.tokens)
    fault("kill-after-write", index)
    catalog.record_image(image_id, sha256=decoded.sha256, width=decoded.width, height=decoded.height)
    catalog.mark_vlm_image_done(attrs.key, image_id, samples, run_id)
    fault("kill-after-commit", index)
    return tokens


def _numpy(arrays: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {path: values.float().cpu().numpy() for path, values in arrays.items()}


def _decode(root: Path, file: DiscoveredFile) -> DecodedImage | str:
    try:
        return decode(root / file.path, within=root)
    except ImageDecodeError as error:
        return str(error)


def run_vlm_model(
    model: ResolvedModel,
    files: list[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: Catalog,
    device: torch.device,
    dtype: torch.dtype,
    progress: Callable[[str, int], Any] | None = None,
) -> ModelSummary:
    key = model.spec.key
    summary = ModelSummary(key, unit="tok")
    started = time.perf_counter()
    if not options.force and _nothing_to_do(model, files, options, store, catalog):
        return settled(summary, files, catalog)
    wanted = vlm_attrs(model, options)
    if not options.force:
        store.check_compatible(wanted)  # before loading billions of weights, not after
    # VLMs run in the compute dtype itself (not under autocast): pretrained weights load in it
    # directly, so a 3B model never needs its float32 copy in memory.
    adapter = model.load_vlm(dtype=dtype)
    adapter.model.to(device=device, dtype=dtype)
    summary.load_seconds = time.perf_counter() - started
    extractor = VlmMapExtractor(
        adapter,
        min_pixels=options.min_pixels,
        max_pixels=options.max_pixels,
        max_new_tokens=options.max_new_tokens,
        per_head=options.per_head,
        query_chunk_bytes=options.query_chunk_mb * 2**20,
    )
    rebuild = options.force or store.existing_attrs(key) is None
    if rebuild:
        catalog.reset_model(key)
    rows = catalog.assign_rows(key, [f.id for f in files])
    bytes_before = 0 if rebuild else (store.group_bytes(key) or 0)
    attrs = store.prepare_vlm(wanted, rebuild=rebuild)
    # In row order, like the ViT runs: a resumed run takes the images in the same order.
    work = sorted(
        (
            (rows[file.id], file, prompts)
            for file, prompts in _pending(attrs, files, catalog, list(options.prompts))
        ),
        key=lambda item: item[0],
    )
    images_done = catalog.done_ids(key)
    summary.already_done = len(files) - len(work)
    catalog.close_stale_runs(key)
    run_id = catalog.start_run(key, model.checkpoint, model.weights, run_params(options, device, dtype))
    status, failure = "failed", None
    bar = progress(key, len(work)) if progress else None
    pool = ThreadPoolExecutor(max_workers=max(1, min(options.workers, 2)), thread_name_prefix=f"decode-{key}")
    try:
        queued: deque[Future[DecodedImage | str]] = deque()
        for _row, file, _prompts in work[:2]:
            queued.append(pool.submit(_decode, options.images, file))
        for index, (row, file, prompts) in enumerate(work):
            decoded = queued.popleft().result()
            if index + 2 < len(work):
                queued.append(pool.submit(_decode, options.images, work[index + 2][1]))
            if isinstance(decoded, str):
                catalog.record_image_error(file.id, decoded)
                summary.failed.append((file.id, decoded))
            else:
                maps = extractor(decoded.image, prompts, with_vision=file.id not in images_done)
                summary.tokens += _write(store, catalog, attrs, row, file.id, decoded, maps, run_id, index)
                summary.done += 1
            if bar is not None:
                bar.update(1)
        status = "done"
    except KeyboardInterrupt:
        status, failure = "interrupted", "interrupted by the user"
        raise
    except BaseException as error:
        failure = f"{type(error).__name__}: {error}"
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
        finish_run(summary, started, bytes_before, store, catalog, run_id, status, failure)
    return summary
