"""Small builders shared by the suites."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, VlmSample
from ssl_attention.store.layout import (
    IMAGE_MASS,
    VitAttrs,
    VlmAttrs,
    VlmPromptAttrs,
    VlmSampleAttrs,
    VlmToken,
)


def model_attrs(**changes: object) -> VitAttrs:
    """A toy model group's attributes (a 4×4 grid, 3 layers, 2 heads, CLS + 1 register); override any field."""
    values: dict[str, object] = dict(
        key="toy",
        family="dinov2",
        checkpoint="toy",
        weights="random",
        image_size=16,
        patch=4,
        grid=(4, 4),
        layers=3,
        heads=2,
        prefix_tokens=("cls", "reg0"),
        has_cls=True,
        has_pool=False,
        per_head=True,
    )
    values.update(changes)
    return VitAttrs(**values)  # type: ignore[arg-type]


# --- VLM groups -----------------------------------------------------------------------------------

VLM_PROMPTS = ("Describe this image.", "Where is the flag?")
VLM_ANSWERS = ("A red square.", "In the top left corner.")
VLM_GRIDS = ((2, 3), (3, 2))  # merged grids (gh, gw), cycled over the images: never square
VLM_IMAGE_START = 15  # sequence position of the first image token
_SPECIAL = {
    "<|vision_end|>": 151653,
    "<|im_end|>": 151645,
    "<|im_start|>": 151644,
    "\n": 198,
    "assistant": 77091,
}


@dataclass(frozen=True)
class VlmImageData:
    """What the factory wrote for one done image: its row, attrs and arrays, per prompt index."""

    row: int
    sample: VlmSampleAttrs
    vision: dict[str, np.ndarray]  # mean/fused (Lv, vgh, vgw), mean/heads (Lv, Hv, vgh, vgw), rollout/fused
    prompts: dict[int, VlmPromptAttrs]
    text: dict[
        int, dict[str, np.ndarray]
    ]  # text/fused (T, L, gh, gw), text/heads (T, L, H, gh, gw), image_mass


@dataclass(frozen=True)
class VlmFixture:
    attrs: VlmAttrs
    images: dict[str, VlmImageData]  # done images
    pending: dict[str, int]  # images with a row whose maps are not done (the API answers 409)


def vlm_tokens(prompt: str, answer: str, first_position: int) -> tuple[VlmToken, ...]:
    """The text tokens after the image, as Qwen's chat template lays them out: the vision-end
    marker, the prompt's words, the assistant turn's scaffolding, the answer's words, the end marker."""
    pieces: list[tuple[str, str]] = [("<|vision_end|>", "template")]
    pieces += [(word if i == 0 else f" {word}", "prompt") for i, word in enumerate(prompt.split(" "))]
    pieces += [(text, "template") for text in ("<|im_end|>", "\n", "<|im_start|>", "assistant", "\n")]
    pieces += [(word if i == 0 else f" {word}", "answer") for i, word in enumerate(answer.split(" "))]
    pieces += [("<|im_end|>", "template")]
    return tuple(
        VlmToken(
            _SPECIAL.get(text, 1000 + zlib.crc32(text.encode()) % 100_000), text, role, first_position + i
        )
        for i, (text, role) in enumerate(pieces)
    )


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...], share: np.ndarray | float) -> np.ndarray:
    """Float16 maps over the last two axes, each summing to `share` (up to float16 rounding)."""
    values = rng.random(shape) + 0.05
    values = values / values.sum(axis=(-2, -1), keepdims=True) * np.asarray(share)[..., None, None]
    return values.astype(np.float16)


def _mean_over_heads(heads: np.ndarray, axis: int) -> np.ndarray:
    return heads.astype(np.float32).mean(axis=axis).astype(np.float16)


def _register_image(
    catalog: CatalogWriter, image_id: str, size: tuple[int, int], images: Path | None
) -> None:
    """Add an image the catalog does not know: a synthetic PNG in `images` when given."""
    height, width = size
    relative = image_id.replace("__", "/") + ".png"
    if images is None:
        catalog.sync_images([DiscoveredFile(image_id, relative, 1, 1)])
        catalog.record_image(
            image_id, sha256=hashlib.sha256(image_id.encode()).hexdigest(), width=width, height=height
        )
        return
    path = images / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:height, 0:width]
    pixels = np.stack(
        [xx * 255 // max(1, width - 1), yy * 255 // max(1, height - 1), np.full_like(xx, 90)], -1
    )
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    stat = path.stat()
    catalog.sync_images([DiscoveredFile(image_id, relative, stat.st_size, stat.st_mtime_ns)])
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    catalog.record_image(image_id, sha256=sha256, width=width, height=height)


def write_vlm_fixture(
    store_url: str,
    db_url: str,
    image_ids: Sequence[str],
    *,
    key: str = "qwen2_5_vl",
    base_key: str = "",
    pending: Sequence[str] = (),
    images: Path | None = None,
    prompts: Sequence[str] = VLM_PROMPTS,
    answers: Sequence[str] = VLM_ANSWERS,
    multi_prompt_images: int = 1,
    grids: Sequence[tuple[int, int]] = VLM_GRIDS,
    layers: int = 3,
    heads: int = 2,
    vision_layers: int = 2,
    vision_heads: int = 3,
    per_head: bool = True,
    weights: str = "random",
    seed: int = 0,
) -> VlmFixture:
    """A synthetic VLM group written through the real writer and catalog (the group is rebuilt).

    Image `i` of `image_ids` gets the merged grid `grids[i % len(grids)]` (vision grid: 2× that,
    resized: 28× that); the first `multi_prompt_images` images get every prompt, the others only
    prompt 0. Every prompt's tokens have all three roles (see `vlm_tokens`). Per-head maps are
    attention-like (positive, each summing to a share < 1); the fused maps are their mean over
    heads, `image_mass` the sum of each per-head map over the grid (float32). `pending` images
    get a row and their vision arrays but are never marked done (the API answers 409).
    Images the catalog does not know are added, with a synthetic PNG in `images` when given.
    `base_key` stores the group as a named variant of that registry key (default: `key` itself).
    Returns everything written, so tests can compute expectations with numpy.
    """
    merge, patch = 2, 14
    catalog = CatalogWriter.open(db_url)
    writer = AttentionStoreWriter(store_url)
    base = VlmAttrs(
        key=key,
        base_key=base_key,
        family=base_key or key,
        checkpoint=f"synthetic/{key}",
        weights=weights,
        layers=layers,
        heads=heads,
        vision_layers=vision_layers,
        vision_heads=vision_heads,
        patch=patch,
        merge=merge,
        min_pixels=56 * 56,
        max_pixels=28 * 28 * 64,
        max_new_tokens=16,
        per_head=per_head,
        prompts=tuple(prompts),
    )
    attrs = writer.prepare_vlm(base, rebuild=True)
    catalog.reset_model(key)
    everything = [*image_ids, *pending]
    samples: dict[str, VlmSampleAttrs] = {}
    for i, image_id in enumerate(everything):
        gh, gw = grids[i % len(grids)]
        vision_grid = (merge * gh, merge * gw)
        resized = (patch * vision_grid[0], patch * vision_grid[1])
        samples[image_id] = VlmSampleAttrs(
            image_id, (gh, gw), vision_grid, resized, (VLM_IMAGE_START, VLM_IMAGE_START + gh * gw)
        )
        if catalog.image(image_id) is None:
            _register_image(catalog, image_id, resized, images)
    rows = catalog.assign_rows(key, everything)
    run_id = catalog.start_run(key, base.checkpoint, weights, {"fixture": True})
    done: dict[str, VlmImageData] = {}
    for i, image_id in enumerate(everything):
        row, sample = rows[image_id], samples[image_id]
        rng = np.random.default_rng([seed, row])
        vision_heads_maps = _probabilities(rng, (vision_layers, vision_heads, *sample.vision_grid), 1.0)
        vision = {
            "mean/fused": _mean_over_heads(vision_heads_maps, axis=1),
            "mean/heads": vision_heads_maps,
            "rollout/fused": _probabilities(rng, (vision_layers, *sample.vision_grid), 1.0),
        }
        writer.write_vlm_image(attrs, row, sample, vision)
        if image_id in pending:
            continue
        indices = range(len(prompts)) if i < multi_prompt_images else range(1)
        prompt_attrs: dict[int, VlmPromptAttrs] = {}
        text: dict[int, dict[str, np.ndarray]] = {}
        written: list[VlmSample] = []
        for k in indices:
            tokens = vlm_tokens(prompts[k], answers[k], sample.image_tokens[1])
            n_tokens = len(tokens)
            shares = rng.uniform(0.1, 0.9, (n_tokens, layers, heads))
            text_heads = _probabilities(rng, (n_tokens, layers, heads, *sample.grid), shares)
            text[k] = {
                "text/fused": _mean_over_heads(text_heads, axis=2),
                "text/heads": text_heads,
                IMAGE_MASS: text_heads.astype(np.float32).sum(axis=(-2, -1)),
            }
            prompt_attrs[k] = VlmPromptAttrs(prompts[k], answers[k], tokens)
            writer.write_vlm_prompt(attrs, row, k, prompt_attrs[k], sample.grid, text[k])
            written.append(VlmSample(image_id, key, k, prompts[k], answers[k], n_tokens))
        catalog.mark_vlm_image_done(key, image_id, written, run_id)
        done[image_id] = VlmImageData(row, sample, vision, prompt_attrs, text)
    catalog.finish_run(run_id, status="done", seconds=0.0)
    catalog.close()
    return VlmFixture(attrs, done, {image_id: rows[image_id] for image_id in pending})


# --- ViT groups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitFixture:
    attrs: VitAttrs
    arrays: dict[str, dict[str, np.ndarray]]  # done image id -> array path (`cls/heads` …) -> its row
    rows: dict[str, int]  # every image given a row, done or pending


def vit_maps(attrs: VitAttrs, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One image's row of every array of `attrs`: per-head maps attention-like (positive, each
    summing to 1), fused maps their mean over heads (rollout: its own map), prefix shares in [0, 0.3)."""
    maps: dict[str, np.ndarray] = {}
    specs = attrs.array_specs()
    for spec in specs:  # the heads arrays first: the fused ones are their means
        if spec.kind == "heads" and spec.method != "prefix":
            maps[spec.path] = _probabilities(rng, spec.shape, 1.0)
    for spec in specs:
        if spec.method == "prefix":
            maps[spec.path] = rng.uniform(0.0, 0.3, spec.shape).astype(np.float16)
        elif spec.kind == "fused":
            heads = maps.get(f"{spec.method}/heads")
            fused = _probabilities(rng, spec.shape, 1.0) if heads is None else _mean_over_heads(heads, axis=1)
            maps[spec.path] = fused
    return maps


def write_vit_fixture(
    store_url: str,
    db_url: str,
    image_ids: Sequence[str],
    attrs: VitAttrs,
    *,
    pending: Sequence[str] = (),
    images: Path | None = None,
    seed: int = 0,
) -> VitFixture:
    """A synthetic ViT group written through the real writer and catalog (the group is rebuilt),
    stored under `attrs.key`: give `attrs` a `base_key` (e.g. `model_attrs(key="dinov2-ft",
    base_key="dinov2")`) to write a named variant beside its base. Every array of `attrs` gets
    `vit_maps` per done image; `pending` images get a row but are never marked done (409).
    Images the catalog does not know are added (a synthetic PNG in `images` when given)."""
    catalog = CatalogWriter.open(db_url)
    writer = AttentionStoreWriter(store_url)
    everything = [*image_ids, *pending]
    for image_id in everything:
        if catalog.image(image_id) is None:
            _register_image(catalog, image_id, (attrs.image_size, attrs.image_size), images)
    catalog.reset_model(attrs.key)
    rows = catalog.assign_rows(attrs.key, everything)
    writer.prepare(attrs, max(rows.values()) + 1, rebuild=True)
    run_id = catalog.start_run(attrs.key, attrs.checkpoint, attrs.weights, {"fixture": True})
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for image_id in image_ids:
        arrays[image_id] = vit_maps(attrs, np.random.default_rng([seed, rows[image_id]]))
        data = {path: values[None] for path, values in arrays[image_id].items()}
        writer.write_rows(attrs.key, [rows[image_id]], data)
    catalog.mark_done(attrs.key, list(image_ids), run_id)
    catalog.finish_run(run_id, status="done", seconds=0.0)
    catalog.close()
    return VitFixture(attrs, arrays, rows)
