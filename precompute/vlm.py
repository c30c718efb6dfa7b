"""The precompute runner of vision-language models (`kind: vlm`): every pending (image, prompt) pair.

Per image (sequence lengths differ, so a batch is one image; decoding is prefetched in threads):
    for each pending prompt: generate greedily, then one recorded pass over prompt + answer;
    write `samples/<row>` (vision maps, the first time) and `prompts/<k>`, *then* mark the
    image's samples done in the catalog — a killed run redoes at most the image it was on.
A prompt added later is run for every image without touching the maps already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from precompute import vlm_texts
from precompute.kind import Decoded, RunPlan, WorkItem, batched, fault, finished_rows, open_group
from precompute.options import RunError, RunOptions
from precompute.teacher import check_vocabularies, forced_by, teacher_answers
from precompute.vlm_gradients import check_answer_token, explain_answers, write_explained
from ssl_attention.attention.vlm import ImageMaps, VlmMapExtractor
from ssl_attention.attention.vlm_text import VlmTextCapture
from ssl_attention.data.gallery import ImageDecodeError, decode_in
from ssl_attention.models.qwen_vl import QWEN_SPECIAL_TOKENS
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, ImageFacts, VlmSample
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs, VlmSampleAttrs


def vlm_attrs(model: ResolvedModel, options: RunOptions) -> VlmAttrs:
    """The group's attrs from the config alone (no weights needed to decide whether to run)."""
    config = model.config
    text, vision = config.get_text_config(), config.vision_config
    return VlmAttrs(
        key=model.name,
        base_key=model.spec.key,
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
        adapter=model.adapter.record() if model.adapter is not None else None,
        answer_from=forced_by(model, options),
        answer_token=options.answer_token,
        extra={
            "model_type": config.model_type,
            "resize": "the processor's dynamic resolution: aspect kept, pixels in [min_pixels, max_pixels]",
            "generation": "greedy",
        },
    )


def _pending(
    attrs: VlmAttrs,
    files: Sequence[DiscoveredFile],
    catalog: CatalogWriter,
    prompts: Sequence[str],
    redo: Mapping[str, set[int]] | None = None,
) -> list[tuple[DiscoveredFile, tuple[str, ...]]]:
    """(file, prompts still to run) for every image with work left; `redo` (image id -> prompt
    indices) names finished prompts whose maps are damaged in the store, to run again."""
    done = catalog.done_samples(attrs.key)
    redo = redo or {}
    work = []
    for file in files:
        again = [attrs.prompts[k] for k in sorted(redo.get(file.id, ()))]
        todo = [p for p in prompts if p not in attrs.prompts or (file.id, attrs.prompt_index(p)) not in done]
        todo += [p for p in again if p not in todo]
        if todo:
            work.append((file, tuple(todo)))
    return work


def _damaged(
    attrs: VlmAttrs,
    files: Sequence[DiscoveredFile],
    options: RunOptions,
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
) -> tuple[dict[str, set[int]], set[str]]:
    """Finished samples whose maps are damaged in the store: (image id -> prompt indices to redo,
    images whose vision-tower maps are redone, with all their finished prompts)."""
    rows = finished_rows(attrs.key, files, catalog)
    finished: dict[int, set[int]] = {row: set() for row in rows}
    ids = {image_id: row for row, image_id in rows.items()}
    for image_id, index in catalog.done_samples(attrs.key):
        if image_id in ids:
            finished[ids[image_id]].add(index)
    vision_bad, prompt_bad = store.damaged_samples(attrs, finished, verify=options.verify)
    redo: dict[str, set[int]] = {rows[row]: set(finished[row]) for row in vision_bad}
    for row, index in prompt_bad:
        redo.setdefault(rows[row], set()).add(index)
    return redo, {rows[row] for row in vision_bad}


def _numpy(arrays: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {path: values.float().cpu().numpy() for path, values in arrays.items()}


class VlmDecoder:
    """Decodes an image (the processor resizes it on the device side; no weights)."""

    def __init__(self, options: RunOptions) -> None:
        self.images = options.images

    def decode(self, item: WorkItem) -> Decoded:
        try:
            return Decoded(item, decode_in(self.images, item.file.path))
        except ImageDecodeError as error:
            return Decoded(item, error=str(error))


class VlmEngine(VlmDecoder):
    """A VLM on its device, in its compute dtype: decodes images, generates and records per prompt."""

    def __init__(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> None:
        super().__init__(options)
        # VLMs run in the compute dtype itself (not under autocast): pretrained weights load in it
        # directly, so a 3B model never needs its float32 copy in memory.
        adapter = model.load_vlm(dtype=dtype)
        adapter.model.to(device=device, dtype=dtype)
        self.options = options
        self.extractor = VlmMapExtractor(
            adapter,
            min_pixels=options.min_pixels,
            max_pixels=options.max_pixels,
            max_new_tokens=options.max_new_tokens,
            per_head=options.per_head,
            query_chunk_bytes=options.query_chunk_mb * 2**20,
        )
        self.answer_token = options.answer_token

    def compute(
        self, items: Sequence[Decoded], progress: Callable[[int], None] | None = None
    ) -> list[tuple[ImageMaps, list[VlmTextCapture]]]:  # one image a batch: counted when computed
        maps = []
        for decoded in items:
            assert decoded.image is not None
            prompts = list(decoded.item.prompts)
            answers = decoded.item.answers or None
            found = self.extractor(
                decoded.image.image, prompts, with_vision=decoded.item.with_vision, answers=answers
            )
            # The prompt and answer tokens' text → text attention (precompute/vlm_texts.py)
            maps.append(
                (found, vlm_texts.capture(self.extractor.adapter, decoded.image.image, found, self.options))
            )
            if self.answer_token is not None:  # gradrollout: one more pass, with its backward
                explain_answers(self.extractor, decoded.image.image, found, self.answer_token)
        return maps


class VlmRunner:
    unit = "tok"
    square_input = False  # the processor keeps the aspect

    def decode_threads(self, options: RunOptions) -> int:
        return min(options.workers, 2)

    def validate(self, options: RunOptions, models: Sequence[ResolvedModel]) -> None:
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
                    f"--max-pixels {options.max_pixels} is below one image token of {model.name} "
                    f"({side}×{side} = {side * side} pixels); use at least {side * side}"
                )
        if options.min_pixels < 1 or options.min_pixels > options.max_pixels:
            raise RunError(
                f"--min-pixels must be between 1 and --max-pixels ({options.max_pixels}), got {options.min_pixels}"
            )
        check_vocabularies(options, models)
        check_answer_token(options)

    def plan(
        self,
        model: ResolvedModel,
        files: Sequence[DiscoveredFile],
        options: RunOptions,
        store: AttentionStoreWriter,
        catalog: CatalogWriter,
    ) -> RunPlan | None:
        wanted = vlm_attrs(model, options)
        existing = store.existing_attrs(wanted.key)
        redo: dict[str, set[int]] = {}
        redo_vision: set[str] = set()
        if not options.force and isinstance(existing, VlmAttrs) and existing.identity() == wanted.identity():
            redo, redo_vision = _damaged(existing, files, options, store, catalog)
            failed = catalog.failed_ids()  # unreadable files stay unreadable
            readable = [f for f in files if f.id not in failed]
            if not redo and not _pending(existing, readable, catalog, options.prompts):
                return None
        vlm_texts.check_vlm_texts(store, model, options)
        rebuild, rows, bytes_before = open_group(wanted, files, options.force, store, catalog)
        attrs = store.prepare_vlm(wanted, rebuild=rebuild, step=fault)
        vlm_texts.prepare_vlm_texts(store, catalog, model, options, rebuild)
        images_done = catalog.done_ids(attrs.key) - redo_vision
        pending = _pending(attrs, files, catalog, options.prompts, redo)
        teacher = forced_by(model, options)
        forced = {}
        if teacher is not None:
            taught = store.existing_attrs(teacher)
            assert taught is None or isinstance(taught, VlmAttrs)
            forced = teacher_answers(teacher, taught, pending, options, catalog)
        # In row order, like the ViT runs: a resumed run takes the images in the same order.
        work = sorted((rows[file.id], file.id, file, prompts) for file, prompts in pending)
        items = [
            WorkItem(
                row,
                file,
                prompts,
                with_vision=file.id not in images_done,
                answers=tuple(forced[(file.id, p)] for p in prompts)
                if (file.id, prompts[0]) in forced
                else (),
            )
            for row, _id, file, prompts in work
        ]
        return RunPlan(
            attrs.key, attrs, batched(items, 1), len(files) - len(items), bytes_before, repaired=len(redo)
        )

    def decoder(self, model: ResolvedModel, options: RunOptions) -> VlmDecoder:
        return VlmDecoder(options)

    def load(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> VlmEngine:
        return VlmEngine(model, options, device, dtype)

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
        """Per image: arrays first, then the catalog; returns the number of text tokens stored."""
        attrs = plan.attrs
        assert isinstance(attrs, VlmAttrs)
        tokens = 0
        for decoded, (maps, texts) in zip(items, computed, strict=True):
            tokens += _write_image(store, catalog, attrs, decoded, maps, texts, run_id, batch_index)
        return tokens


def _write_image(
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    attrs: VlmAttrs,
    decoded: Decoded,
    maps: ImageMaps,
    texts: list[VlmTextCapture],
    run_id: int,
    index: int,
) -> int:
    item, image, inputs = decoded.item, decoded.image, maps.inputs
    assert image is not None
    image_id = item.file.id
    if maps.vision is not None:
        sample = VlmSampleAttrs(
            image_id, inputs.grid, inputs.vision_grid, inputs.resized, inputs.image_tokens
        )
        store.write_vlm_image(attrs, item.row, sample, _numpy(maps.vision), step=fault)
    samples, tokens, written = [], 0, []
    for prompt, text in zip(maps.prompts, texts, strict=True):
        prompt_index = attrs.prompt_index(prompt.prompt)
        text_id = vlm_texts.write_vlm_text(store, attrs.key, image_id, prompt_index, text)
        written.append((text_id, prompt, text))
        store.write_vlm_prompt(
            attrs,
            item.row,
            prompt_index,
            VlmPromptAttrs(
                prompt.prompt,
                prompt.answer,
                tuple(prompt.tokens),
                answer_from=attrs.answer_from if prompt.forced else None,
                own_answer=prompt.own_answer,
                text_id=text_id,
            ),
            inputs.grid,
            arrays := _numpy(prompt.arrays),
        )
        write_explained(store, attrs, item.row, prompt_index, prompt.explains, arrays)
        samples.append(
            VlmSample(image_id, attrs.key, prompt_index, prompt.prompt, prompt.answer, len(prompt.tokens))
        )
        tokens += len(prompt.tokens)
    fault("kill-after-write", index)
    vlm_texts.catalog_vlm_texts(catalog, attrs.key, image_id, written, run_id)
    facts = ImageFacts(image_id, image.sha256, image.width, image.height)
    catalog.mark_vlm_image_done(attrs.key, image_id, samples, run_id, facts)  # one transaction
    fault("kill-after-commit", index)
    return tokens


RUNNER = VlmRunner()
