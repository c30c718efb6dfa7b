"""A VLM's prompt and answer tokens as texts (issue 12): their text → text attention, stored the
way a text language model's is, in the VLM's own group, so `/texts` serves them unchanged.

    <store>/<vlm>/texts/                attrs: LmAttrs of the VLM's language model (keep_mass, max_keys ...)
    <store>/<vlm>/texts/<text_id>/      one text per image and prompt (`store/text_layout.py`)

The text id is `vlm_text_id(image_id, prompt index)`; the prompt's attrs (`prompts/<k>`) name it
(`text_id`), the text's attrs name the image and the prompt back (`image_id`, `prompt_index`). The
catalog's texts table lists it under the VLM with category `vlm`. Per image the runner writes
the texts, then the prompts' maps, then the texts' catalog rows, then marks the image done: a run
killed anywhere redoes the image (and so rewrites its texts) — resumable like every VLM sample.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import zarr

from precompute.options import RunError, RunOptions
from precompute.texts import MAX_KEYS_LIMIT, lm_attrs
from ssl_attention.attention.vlm import ImageMaps, PromptMaps
from ssl_attention.attention.vlm_text import VlmTextCapture, capture_vlm_texts
from ssl_attention.models.qwen_vl import QwenVLAdapter
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.text_layout import TEXT_ID, TEXTS_GROUP, LmAttrs, TextAttrs, overview_block
from ssl_attention.store.text_writer import TextStoreWriter

CATEGORY = "vlm"
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_writers: weakref.WeakKeyDictionary[AttentionStoreWriter, TextStoreWriter] = weakref.WeakKeyDictionary()


def vlm_text_id(image_id: str, prompt_index: int) -> str:
    """`<image_id>.p<k>` when that is a valid text id (1-128 characters of A-Z a-z 0-9 . _ -);
    otherwise the image id with other characters as `_`, cut to 100, then `-` and 12 hex digits of
    its SHA-256 (two images never share an id), then `.p<k>`."""
    plain = f"{image_id}.p{prompt_index}"
    if TEXT_ID.match(plain):
        return plain
    slug = _ID_CHARS.sub("_", image_id)[:100].lstrip("._-") or "image"
    digest = hashlib.sha256(image_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}.p{prompt_index}"


def vlm_text_attrs(model: ResolvedModel, options: RunOptions) -> LmAttrs:
    """The `texts` group's attrs: the VLM's language model, and how its rows are kept."""
    extra = {"source": "vlm", "queries": "text tokens", "residual": "text keys not kept + image mass"}
    return lm_attrs(model, options, family=model.spec.key, extra=extra)


def _texts_group(store: AttentionStoreWriter, key: str) -> zarr.Group | None:
    group = store.root.get(key)
    texts = group.get(TEXTS_GROUP) if isinstance(group, zarr.Group) else None
    return texts if isinstance(texts, zarr.Group) else None


def _stored(store: AttentionStoreWriter, key: str) -> LmAttrs | None:
    texts = _texts_group(store, key)
    found = {} if texts is None else dict(texts.attrs)
    return LmAttrs.from_attrs(found) if found.get("kind") == LmAttrs.kind else None


def check_vlm_texts(store: AttentionStoreWriter, model: ResolvedModel, options: RunOptions) -> None:
    """Before anything is written: the flags are in range, and a group that keeps its texts keeps
    them with the same --keep-mass and --max-keys (else RunError: the same flags, or --force)."""
    if not 0 < options.keep_mass <= 1:
        raise RunError(f"--keep-mass must be above 0 and at most 1, got {options.keep_mass}")
    if not 1 <= options.max_keys <= MAX_KEYS_LIMIT:
        raise RunError(f"--max-keys must be 1 to {MAX_KEYS_LIMIT}, got {options.max_keys}")
    found = _stored(store, model.name)
    if found is None or options.force:
        return
    if (found.keep_mass, found.max_keys) != (options.keep_mass, options.max_keys):
        raise RunError(
            f"{model.name}'s prompt texts were stored with --keep-mass {found.keep_mass} --max-keys "
            f"{found.max_keys}; pass the same, or --force to rebuild the group"
        )


def prepare_vlm_texts(
    store: AttentionStoreWriter,
    catalog: CatalogWriter,
    model: ResolvedModel,
    options: RunOptions,
    rebuild: bool,
) -> None:
    """After the VLM's group is prepared: its `texts` group with its attrs (the catalog's texts of
    the model are forgotten when the group was rebuilt)."""
    if rebuild:
        catalog.drop_texts(model.name)
    attrs = vlm_text_attrs(model, options).to_attrs()
    texts = _texts_group(store, model.name)
    if texts is not None:
        texts.attrs.update(attrs)
        return
    group = store.root[model.name]
    assert isinstance(group, zarr.Group)
    group.create_group(TEXTS_GROUP, attributes=attrs)


def capture(adapter: QwenVLAdapter, image: Any, maps: ImageMaps, options: RunOptions) -> list[VlmTextCapture]:
    """The text → text rows of every prompt of one image (one more pass per prompt)."""
    return capture_vlm_texts(
        adapter,
        image,
        maps.prompts,
        min_pixels=options.min_pixels,
        max_pixels=options.max_pixels,
        keep_mass=options.keep_mass,
        max_keys=options.max_keys,
        per_head=options.per_head,
        overview_block=overview_block,
        query_chunk_bytes=options.query_chunk_mb * 2**20 * 4,
    )


def _writer(store: AttentionStoreWriter) -> TextStoreWriter:
    if isinstance(store, TextStoreWriter):
        return store
    found = _writers.get(store)
    if found is None:
        found = _writers[store] = TextStoreWriter(store.url)
    return found


def write_vlm_text(
    store: AttentionStoreWriter, key: str, image_id: str, prompt_index: int, text: VlmTextCapture
) -> str:
    """Write one prompt's text whole into the VLM's group; returns its text id."""
    attrs = _stored(store, key)
    if attrs is None:
        raise RuntimeError(f"{key} has no texts group: prepare_vlm_texts runs first")
    writer = _writer(store)
    text_id = vlm_text_id(image_id, prompt_index)
    n = len(text.ids)
    text_attrs = TextAttrs(
        text_id, CATEGORY, n, text.n_generated, text.block, attrs.slots, f"vlm:{image_id}:{prompt_index}"
    )
    node = writer.begin_text(
        attrs, text_attrs, ids=text.ids, texts=text.texts, roles=text.roles, messages=text.messages
    )
    node.attrs.update({"image_id": image_id, "prompt_index": prompt_index, "prompt": text.prompt})
    for layer, rows in enumerate(text.layers):
        writer.write_layer(node, text_attrs, layer, rows)
    writer.finish_text(node, attrs, text_attrs, np.stack([np.asarray(rows.stats) for rows in text.layers]))
    return text_id


def catalog_vlm_texts(
    catalog: CatalogWriter,
    key: str,
    image_id: str,
    written: Sequence[tuple[str, PromptMaps, VlmTextCapture]],
    run_id: int,
) -> None:
    """The catalog rows of an image's written texts (text id, its prompt, its capture)."""
    for text_id, prompt, text in written:
        catalog.add_text(
            key,
            text_id,
            category=CATEGORY,
            n_tokens=len(text.ids),
            n_generated=text.n_generated,
            content=f"{prompt.prompt} → {prompt.answer}\n{image_id}",
            digest=f"vlm:{image_id}:{text_id}",
            run_id=run_id,
        )
