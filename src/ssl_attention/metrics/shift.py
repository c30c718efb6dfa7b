"""Shift: how far a fine-tuned model or adapter moved attention away from its base.

For one image, one method, layer and head (or the heads fused), the *distance* between a
variant's map p and its base's map q on the same grid is their total variation after each is
normalised to sum 1: ½·Σ|p/Σp − q/Σq|, in [0, 1] (0: the same distribution of attention, 1:
disjoint). A map with no mass (all zero) counts as uniform; negative values (none are stored)
count as zero.

`precompute --metrics` fills the catalog's shift tables with `compute_shift`: every stored
variant (a group whose `base_key` differs from its `key`) is compared with the group stored
under its `base_key`, over every image both have done, method by method (the methods both
have), per layer, fused (head −1: the stored fused maps) and per head (when both have per-head
maps). What a kind's image maps are is its KINDS row's `shift` hook (`vit_maps`, `vlm_maps`).
It is incremental: a pair (image, variant, base) is computed once, and again when either
model's maps of the image are recomputed (the stamp of both catalog entries changed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ssl_attention.kinds import kind_of
from ssl_attention.metrics.aggregate import bootstrap_ci
from ssl_attention.metrics.target_maps import method_path
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogReader, CatalogWriter
from ssl_attention.store.catalog.records import ShiftSummary, ShiftValue
from ssl_attention.store.layout import GroupAttrs, VitAttrs, VlmAttrs, VlmPromptAttrs

FUSED = -1


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """½·Σ|p/Σp − q/Σq| over the last two axes (one value per leading index), in float64.

    `p` and `q` have the same shape (…, gh, gw); a map with no mass counts as uniform."""
    if p.shape != q.shape:
        raise ValueError(f"maps on different grids: {p.shape} and {q.shape}")
    return 0.5 * np.abs(as_distribution(p) - as_distribution(q)).sum(axis=(-2, -1))


def as_distribution(maps: np.ndarray) -> np.ndarray:
    """Each (gh, gw) map of `maps` clipped at 0 and scaled to sum 1 (uniform when it has no mass)."""
    wide = np.clip(np.asarray(maps, dtype=np.float64), 0, None)
    total = wide.sum(axis=(-2, -1), keepdims=True)
    uniform = np.full_like(wide, 1.0 / (wide.shape[-1] * wide.shape[-2]))
    return np.divide(wide, total, out=uniform, where=total > 0)


# --- the maps of one image, as a kind's hook gives them -------------------------------------------


@dataclass(frozen=True)
class MethodMaps:
    """One method's maps of an image: `fused` (L, gh, gw), `heads` (L, H, gh, gw) or None, and what
    must be equal for two models' maps to be compared (`aligned`: None for maps of the image
    alone; for text maps, the prompt and its tokens)."""

    method: str
    fused: np.ndarray
    heads: np.ndarray | None = None
    aligned: object = None


def vit_maps(
    reader: AttentionStoreReader, catalog: CatalogReader, attrs: VitAttrs, image_id: str, row: int
) -> list[MethodMaps]:
    """A ViT image: every map method, fused and per head (the `vit` row's `shift` hook)."""
    found = []
    for method in attrs.methods:
        path = method_path(catalog, attrs, method, image_id)  # gradrollout: the first done target's
        if path is None:
            continue
        heads = (
            reader.read_row(attrs.key, f"{method}/heads", row) if method in attrs.per_head_methods else None
        )
        found.append(MethodMaps(method, reader.read_row(attrs.key, path, row), heads))
    return found


def vlm_maps(
    reader: AttentionStoreReader, catalog: CatalogReader, attrs: VlmAttrs, image_id: str, row: int
) -> list[MethodMaps]:
    """A VLM image: the vision tower's `mean` and `rollout`, and `text` = the mean map of the
    answer tokens (all tokens when there is no answer) of each done prompt, aligned on the
    prompt and its tokens: answer tokens line up only when one model was teacher-forced through
    the other's answer (or both answered the same), so other prompts are left out (the `vlm`
    row's `shift` hook)."""
    key, sample = attrs.key, attrs.sample_path(row)
    found = []
    for method in ("mean", "rollout"):
        heads = None
        if method in attrs.per_head_methods:
            heads = reader.read_array(key, f"{sample}/{method}/heads")
        found.append(MethodMaps(method, reader.read_array(key, f"{sample}/{method}/fused"), heads))
    for done in catalog.vlm_samples(image_id, key):
        path = attrs.prompt_path(row, done.prompt_index)
        prompt = VlmPromptAttrs.from_attrs(reader.group_attrs(key, path))
        tokens = prompt.tokens
        answer = [i for i, token in enumerate(tokens) if token.role == "answer"] or list(range(len(tokens)))
        span = slice(answer[0], answer[-1] + 1)

        def answer_mean(array: str, at: str = path, chosen: slice = span) -> np.ndarray:
            return np.asarray(reader.read_array(key, f"{at}/{array}")[chosen], np.float32).mean(axis=0)

        heads = answer_mean("text/heads") if "text" in attrs.per_head_methods else None
        aligned = (prompt.prompt, tuple((t.id, t.role) for t in tokens))
        found.append(MethodMaps("text", answer_mean("text/fused"), heads, aligned))
    return found


def image_maps(
    reader: AttentionStoreReader, catalog: CatalogReader, attrs: GroupAttrs, image_id: str, row: int
) -> list[MethodMaps]:
    """The maps of one image of a group, as its kind's `shift` hook reads them."""
    hook: Callable[..., list[MethodMaps]] = kind_of(attrs).hook("shift")
    return hook(reader, catalog, attrs, image_id, row)


def pair_values(
    image_id: str, model: str, base: str, variant_maps: Sequence[MethodMaps], base_maps: Sequence[MethodMaps]
) -> list[ShiftValue]:
    """The distances of one image between a variant's maps and its base's: per method both have
    (the first aligned pair of maps), layer, fused (head −1) and head; a method whose grids or
    layer counts differ is left out."""
    values: list[ShiftValue] = []
    done: set[str] = set()
    for mine in variant_maps:
        theirs = next((b for b in base_maps if b.method == mine.method and b.aligned == mine.aligned), None)
        if mine.method in done or theirs is None or mine.fused.shape != theirs.fused.shape:
            continue
        done.add(mine.method)
        for layer, distance in enumerate(total_variation(mine.fused, theirs.fused)):
            values.append(ShiftValue(image_id, model, base, mine.method, layer, FUSED, float(distance)))
        if mine.heads is not None and theirs.heads is not None and mine.heads.shape == theirs.heads.shape:
            per_head = total_variation(mine.heads, theirs.heads)
            for (layer, head), distance in np.ndenumerate(per_head):
                values.append(ShiftValue(image_id, model, base, mine.method, layer, head, float(distance)))
    return values


def summarise_shift(values: Iterable[ShiftValue]) -> list[ShiftSummary]:
    """Per model × base × method × layer × head: the mean distance over images, its bootstrap 95%
    interval (`metrics.aggregate.bootstrap_ci`) and the number of images."""
    groups: dict[tuple[str, str, str, int, int], list[float]] = defaultdict(list)
    for v in values:
        groups[(v.model, v.base, v.method, v.layer, v.head)].append(v.distance)
    rows = []
    for (model, base, method, layer, head), found in sorted(groups.items()):
        array = np.asarray(found, dtype=np.float64)
        low, high = bootstrap_ci(array)
        rows.append(
            ShiftSummary(model, base, method, layer, head, float(array.mean()), low, high, array.size)
        )
    return rows


# --- the precompute step -------------------------------------------------------------------------


def shift_pairs(stored: dict[str, GroupAttrs], models: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(variant, base) for every stored variant whose `base_key` names another stored group of the
    same kind; with `models`, only pairs that name one of them (as variant or as base)."""
    wanted = None if models is None else set(models)
    pairs = []
    for key, attrs in sorted(stored.items()):
        base = stored.get(attrs.base_key)
        if attrs.base_key == key or base is None or base.kind != attrs.kind:
            continue
        if wanted is None or key in wanted or attrs.base_key in wanted:
            pairs.append((key, attrs.base_key))
    return pairs


@dataclass
class ShiftReport:
    pairs: int = 0  # variant × base pairs compared
    images_computed: int = 0  # (image, variant, base) triples computed in this run
    images_already: int = 0  # triples whose maps had not changed since they were computed
    values: int = 0


def compute_shift(
    store_url: str,
    catalog: CatalogWriter,
    *,
    models: Iterable[str] | None = None,
    progress: Callable[[int], object] | None = None,
) -> ShiftReport:
    """Compute every (image, variant, base) triple not computed yet or whose maps changed, each in
    its own transaction, drop those whose image is no longer done for both, then refresh the
    pair's summaries (see the module docstring)."""
    reader = AttentionStoreReader(store_url)
    stored = reader.models()
    report = ShiftReport()
    for model, base in shift_pairs(stored, models):
        report.pairs += 1
        mine, theirs = catalog.entry_stamps(model), catalog.entry_stamps(base)
        computed = catalog.shift_stamps(model, base)
        common = sorted(set(mine) & set(theirs))
        changed = False
        for image_id in common:
            stamp = f"{mine[image_id][1]}|{theirs[image_id][1]}"
            if computed.get(image_id) == stamp:
                report.images_already += 1
                continue
            values = pair_values(
                image_id,
                model,
                base,
                image_maps(reader, catalog, stored[model], image_id, mine[image_id][0]),
                image_maps(reader, catalog, stored[base], image_id, theirs[image_id][0]),
            )
            catalog.add_shift(image_id, model, base, stamp, values)
            changed = True
            report.images_computed += 1
            report.values += len(values)
            if progress is not None:
                progress(1)
        gone = set(computed) - set(common)
        if gone:
            catalog.drop_shift(model, base, gone)
            changed = True
        if changed or not catalog.shift_summaries(model, base):
            catalog.replace_shift_summaries(model, base, summarise_shift(catalog.shift_values(model, base)))
    return report
