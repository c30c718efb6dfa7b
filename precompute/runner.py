"""A precompute run: for each model, every pending image of the gallery, in batches.

Pipeline per model (three stages overlap):
    decode threads ──(next batches)──▶ compute (model + capture, on the device) ──▶ writer thread
The writer writes a batch's rows to Zarr, *then* marks them done in the catalog, in that order:
a run killed at any point leaves only rows that are either complete and marked, or unmarked
and recomputed next time. Batches are formed from the pending rows in row order, so a resumed
run recomputes exactly the batches an uninterrupted one would have, bit for bit.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ssl_attention.attention.extract import MapExtractor
from ssl_attention.data.annotations import ANNOTATIONS_FILE, gallery_annotations, load_annotations
from ssl_attention.data.gallery import DecodedImage, ImageDecodeError, decode, discover
from ssl_attention.metrics.compute import MetricsReport, compute_metrics
from ssl_attention.models.base import Normalization
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.qwen_vl import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MIN_PIXELS,
    DEFAULT_PROMPT,
    QWEN_SPECIAL_TOKENS,
)
from ssl_attention.models.registry import ResolvedModel, resolve_model
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import AnnotationBox, Catalog, DiscoveredFile
from ssl_attention.store.layout import VitAttrs

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
DEVICES = ("auto", "cpu", "cuda", "mps")

# Test-only fault injection: "kill-after-write:N" SIGKILLs the process after the N-th batch's arrays
# are written but before the catalog marks them done; "kill-after-commit:N" right after the commit.
FAULT_ENV = "SSL_ATTENTION_FAULT"


class RunError(RuntimeError):
    """A run cannot start as asked; the message says what to change."""


@dataclass(frozen=True)
class RunOptions:
    models: list[str]
    images: Path
    store: str
    db: str
    checkpoints: dict[str, str] = field(default_factory=dict)
    weights: str = "pretrained"
    image_size: int = 224
    batch_size: int = 16
    device: str = "auto"
    dtype: str = "auto"
    limit: int | None = None
    force: bool = False
    per_head: bool = False
    workers: int = 4
    query_chunk_mb: int = 16
    metrics: bool = False
    annotations: Path | None = None  # COCO JSON; default: the gallery's annotations.json
    # VLMs only
    prompts: tuple[str, ...] = (DEFAULT_PROMPT,)
    max_new_tokens: int = 64
    min_pixels: int = DEFAULT_MIN_PIXELS
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass
class ModelSummary:
    key: str
    done: int = 0
    already_done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (image id, why)
    known_unreadable: int = 0  # files that failed in an earlier run and have not changed since
    seconds: float = 0.0
    load_seconds: float = 0.0
    bytes_written: int | None = None
    unit: str = "img"  # VLMs also count text tokens stored
    tokens: int = 0

    @property
    def images_per_second(self) -> float:
        """Throughput of the pipeline once the model is loaded."""
        busy = self.seconds - self.load_seconds
        return self.done / busy if busy > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        busy = self.seconds - self.load_seconds
        return self.tokens / busy if busy > 0 else 0.0


def pick_device(name: str) -> torch.device:
    if name not in DEVICES:
        raise RunError(f"--device must be one of {', '.join(DEVICES)}, got '{name}'")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda asked for, but PyTorch sees no CUDA device; use --device cpu or auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RunError("--device mps asked for, but this machine has no MPS device; use --device cpu or auto")
    return torch.device(name)


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """`auto`: bf16 autocast on CUDA (fp16 where bf16 is unsupported), float32 elsewhere."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if name not in DTYPES:
        raise RunError(f"--dtype must be one of auto, {', '.join(DTYPES)}, got '{name}'")
    return DTYPES[name]


def validate(options: RunOptions) -> list[ResolvedModel]:
    """Everything that can be checked before anything is written."""
    if options.batch_size < 1:
        raise RunError(f"--batch-size must be at least 1, got {options.batch_size}")
    if options.image_size < 1:
        raise RunError(f"--image-size must be a positive number of pixels, got {options.image_size}")
    if options.limit is not None and options.limit < 1:
        raise RunError(f"--limit must be at least 1, got {options.limit}")
    resolved = [resolve_model(k, options.checkpoints.get(k), options.weights) for k in options.models]
    if any(model.spec.is_vlm for model in resolved):
        _validate_vlm_options(options, [m for m in resolved if m.spec.is_vlm])
    for model in resolved:
        if model.spec.is_vlm:
            continue  # dynamic resolution: --image-size does not apply
        patch = model.patch_size
        if options.image_size % patch:
            lower = options.image_size // patch * patch
            raise RunError(
                f"--image-size {options.image_size} is not a multiple of {model.spec.key}'s patch size {patch}; "
                f"use {lower or patch} or {lower + patch}"
            )
    if not options.images.is_dir():
        raise RunError(f"image folder {options.images} does not exist; pass --images DIR")
    return resolved


def _validate_vlm_options(options: RunOptions, models: list[ResolvedModel]) -> None:
    if not options.prompts:
        raise RunError("no prompt given; pass --prompt TEXT (repeatable) or --prompts FILE")
    if any(not p.strip() for p in options.prompts):
        raise RunError("a prompt is empty; every --prompt (and every line of --prompts) needs text")
    for prompt in options.prompts:
        markers = [m for m in QWEN_SPECIAL_TOKENS if m in prompt]
        if markers:  # the tokenizer would read them as chat or image tokens, not as text
            raise RunError(
                f"a prompt contains the chat marker {markers[0]}; prompts are plain text, the image and "
                "chat markers are added by precompute"
            )
    if options.max_new_tokens < 0:
        raise RunError(f"--max-new-tokens must be 0 or more, got {options.max_new_tokens}")
    for model in models:
        side = model.patch_size * int(model.config.vision_config.spatial_merge_size)
        if options.max_pixels < side * side:
            raise RunError(
                f"--max-pixels {options.max_pixels} is below one image token of {model.spec.key} "
                f"({side}×{side} = {side * side} pixels); use at least {side * side}"
            )
    if options.min_pixels < 1 or options.min_pixels > options.max_pixels:
        raise RunError(
            f"--min-pixels must be between 1 and --max-pixels ({options.max_pixels}), got {options.min_pixels}"
        )


def fault(point: str, batch_index: int) -> None:
    spec = os.environ.get(FAULT_ENV)
    if spec and spec == f"{point}:{batch_index}":
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class _Loaded:
    image_id: str
    row: int
    pixels: np.ndarray | None
    decoded: DecodedImage | None
    error: str | None


def _load(root: Path, file: DiscoveredFile, row: int, size: int, normalization: Normalization) -> _Loaded:
    try:
        decoded = decode(root / file.path, within=root)
    except ImageDecodeError as error:
        return _Loaded(file.id, row, None, None, str(error))
    pixels = to_pixels(decoded.image, size, normalization)
    return _Loaded(file.id, row, pixels, decoded, None)


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Writer(threading.Thread):
    """Writes finished batches in order: arrays first, then the catalog's done marks."""

    def __init__(self, store: AttentionStoreWriter, catalog: Catalog, key: str, run_id: int) -> None:
        super().__init__(name=f"writer-{key}", daemon=True)
        self.store, self.catalog, self.key, self.run_id = store, catalog, key, run_id
        self.jobs: queue.Queue[tuple[int, list[_Loaded], dict[str, np.ndarray]] | None] = queue.Queue(
            maxsize=2
        )
        self.error: BaseException | None = None
        self.on_done: Callable[[int], None] = lambda n: None

    def run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is not None:
                continue
            batch_index, items, data = job
            try:
                self.store.write_rows(self.key, [item.row for item in items], data)
                fault("kill-after-write", batch_index)
                for item in items:
                    assert item.decoded is not None
                    self.catalog.record_image(
                        item.image_id,
                        sha256=item.decoded.sha256,
                        width=item.decoded.width,
                        height=item.decoded.height,
                    )
                self.catalog.mark_done(self.key, [item.image_id for item in items], self.run_id)
                fault("kill-after-commit", batch_index)
                self.on_done(len(items))
            except BaseException as error:  # surfaced on the main thread
                self.error = error

    def submit(self, batch_index: int, items: list[_Loaded], data: dict[str, np.ndarray]) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((batch_index, items, data))

    def close(self) -> None:
        self.jobs.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def model_attrs(model: ResolvedModel, extractor: MapExtractor, options: RunOptions) -> VitAttrs:
    adapter, layout = extractor.adapter, extractor.layout
    return VitAttrs(
        key=model.spec.key,
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
        has_pool=extractor.has_pool,
        per_head=options.per_head,
        revision=getattr(adapter.config, "_commit_hash", None),
        extra={
            "model_type": adapter.config.model_type,
            "normalization": {"mean": list(model.normalization.mean), "std": list(model.normalization.std)},
            "resize": "bicubic, whole image to image_size x image_size",
        },
    )


def run_model(
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
    summary = ModelSummary(key)
    started = time.perf_counter()
    if not options.force and _nothing_to_do(model, files, options, store, catalog):
        return settled(summary, files, catalog)
    adapter = model.load()
    adapter.model.to(device)
    summary.load_seconds = time.perf_counter() - started
    extractor = MapExtractor(
        adapter,
        options.image_size,
        per_head=options.per_head,
        autocast_dtype=dtype,
        query_chunk_bytes=options.query_chunk_mb * 2**20,
    )
    rows, bytes_before = _prepare_group(
        model_attrs(model, extractor, options), files, options, store, catalog
    )
    done = catalog.done_ids(key)
    pending = sorted((rows[f.id], f) for f in files if f.id not in done)
    summary.already_done = len(files) - len(pending)
    catalog.close_stale_runs(key)
    run_id = catalog.start_run(key, model.checkpoint, model.weights, run_params(options, device, dtype))
    status, failure = "failed", None
    writer = _Writer(store, catalog, key, run_id)
    bar = progress(key, len(pending)) if progress else None
    if bar is not None:
        writer.on_done = bar.update
    writer.start()
    pool = ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix=f"decode-{key}")
    try:
        batches = list(_batches(pending, options.batch_size))
        in_flight: deque[list[Future[_Loaded]]] = deque()

        def submit(index: int) -> None:
            if index < len(batches):
                in_flight.append(
                    [
                        pool.submit(_load, options.images, file, row, options.image_size, model.normalization)
                        for row, file in batches[index]
                    ]
                )

        submit(0)
        submit(1)
        for index in range(len(batches)):
            loaded = [future.result() for future in in_flight.popleft()]
            submit(index + 2)
            good = [item for item in loaded if item.pixels is not None]
            for item in loaded:
                if item.error is not None:
                    catalog.record_image_error(item.image_id, item.error)
                    summary.failed.append((item.image_id, item.error))
                    if bar is not None:
                        bar.update(1)
            if not good:
                continue
            pixels = torch.from_numpy(np.stack([item.pixels for item in good if item.pixels is not None]))
            if device.type == "cuda":
                pixels = pixels.pin_memory()
            maps = extractor(pixels.to(device, non_blocking=True))
            data = {path: values.to(torch.float16).cpu().numpy() for path, values in maps.items()}
            writer.submit(index, good, data)
            summary.done += len(good)
        writer.close()
        status = "done"
    except KeyboardInterrupt:
        status, failure = "interrupted", "interrupted by the user"
        raise
    except BaseException as error:
        failure = f"{type(error).__name__}: {error}"
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if writer.is_alive():
            writer.jobs.put(None)
            writer.join(timeout=60)
        if bar is not None:
            bar.close()
        finish_run(summary, started, bytes_before, store, catalog, run_id, status, failure)
    return summary


def settled(summary: ModelSummary, files: list[DiscoveredFile], catalog: Catalog) -> ModelSummary:
    """The summary of a model with nothing to do: what is done, what is known to be unreadable."""
    ids = {f.id for f in files}
    summary.already_done = len(catalog.done_ids(summary.key) & ids)
    summary.known_unreadable = len(catalog.failed_ids() & ids)
    summary.bytes_written = 0
    return summary


def finish_run(
    summary: ModelSummary,
    started: float,
    bytes_before: int,
    store: AttentionStoreWriter,
    catalog: Catalog,
    run_id: int,
    status: str,
    failure: str | None,
) -> None:
    """Time and bytes into the summary, and the run's outcome into the catalog (done, failed, interrupted)."""
    summary.seconds = time.perf_counter() - started
    after = store.group_bytes(summary.key)
    summary.bytes_written = None if after is None else max(0, after - bytes_before)
    catalog.finish_run(
        run_id,
        status=status,
        seconds=summary.seconds,
        images_failed=len(summary.failed),
        bytes_written=summary.bytes_written,
        error=failure,
    )


def _prepare_group(
    attrs: VitAttrs,
    files: list[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: Catalog,
) -> tuple[dict[str, int], int]:
    """Give every image a row and make the model's group hold them; returns the rows and the
    group's bytes before this run. A new group (or --force) starts the model's rows afresh."""
    if not options.force:
        store.check_compatible(attrs)
    rebuild = options.force or store.existing_attrs(attrs.key) is None
    if rebuild:
        catalog.reset_model(attrs.key)
    rows = catalog.assign_rows(attrs.key, [f.id for f in files])
    bytes_before = 0 if rebuild else (store.group_bytes(attrs.key) or 0)
    store.prepare(attrs, max(rows.values()) + 1, rebuild=rebuild)
    return rows, bytes_before


def _nothing_to_do(
    model: ResolvedModel,
    files: list[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: Catalog,
) -> bool:
    """Every image is done with these settings: skip without loading the weights."""
    existing = store.existing_attrs(model.spec.key)
    if not isinstance(existing, VitAttrs):
        return False
    same = (existing.checkpoint, existing.weights, existing.image_size, existing.per_head) == (
        model.checkpoint,
        model.weights,
        options.image_size,
        options.per_head,
    )
    settled = catalog.done_ids(model.spec.key) | catalog.failed_ids()  # unreadable files stay unreadable
    return same and settled >= {f.id for f in files}


def run_params(options: RunOptions, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    return {
        "image_size": options.image_size,
        "batch_size": options.batch_size,
        "per_head": options.per_head,
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "images": str(options.images),
        "limit": options.limit,
        "force": options.force,
        "prompts": list(options.prompts),
        "max_new_tokens": options.max_new_tokens,
        "min_pixels": options.min_pixels,
        "max_pixels": options.max_pixels,
    }


@dataclass
class RunReport:
    models: list[ModelSummary]
    skipped_files: list[tuple[str, str]]  # (relative path, why): files that never got an id
    annotations: int = 0  # ground-truth boxes loaded from the gallery's annotations.json
    metrics: MetricsReport | None = None


def run(options: RunOptions, progress: Callable[[str, int], Any] | None = None) -> RunReport:
    """Validate, then precompute each model in turn. Raises RunError/ModelLoadError/StoreError on bad input."""
    resolved = validate(options)
    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    discovery = discover(options.images)
    files = discovery.files[: options.limit] if options.limit else discovery.files
    if not files:
        raise RunError(
            f"no images in {options.images} (looked for .jpg, .jpeg, .png, .webp, .bmp, .gif, .tif)"
        )
    # A broken annotation file stops the run before anything is written.
    if options.annotations is not None:
        if not options.annotations.is_file():
            raise RunError(
                f"annotation file {options.annotations} does not exist; "
                "pass a COCO-style JSON or a WikiChurches building_parts.json"
            )
        boxes: list[AnnotationBox] | None = load_annotations(options.annotations)
        source = str(options.annotations)
    else:
        boxes, source = gallery_annotations(options.images), ANNOTATIONS_FILE
    catalog = Catalog.open(options.db)
    store = AttentionStoreWriter(options.store)
    report = RunReport([], discovery.skipped)
    try:
        catalog.sync_images(files)
        if boxes is not None:
            report.annotations = catalog.replace_annotations(boxes, source=source)
        for model in resolved:
            with store.model_lock(model.spec.key):
                if model.spec.is_vlm:
                    from precompute.vlm import run_vlm_model  # imports this module

                    summary = run_vlm_model(model, files, options, store, catalog, device, dtype, progress)
                else:
                    summary = run_model(model, files, options, store, catalog, device, dtype, progress)
                report.models.append(summary)
        if options.metrics:
            report.metrics = compute_metrics(options.store, catalog, models=options.models)
    finally:
        catalog.close()
    return report
