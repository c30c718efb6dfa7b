"""Score stored maps against the catalog's boxes: every image × model × method × layer × head (and fused).

VLMs are scored too: the vision tower's `mean` and `rollout` maps, and `text` = the mean map of
the answer tokens of the image's first prompt ("where did it look while answering"), per layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ssl_attention.kinds import kind_of
from ssl_attention.metrics.aggregate import summarise
from ssl_attention.metrics.baselines import centre_gaussian, uniform_random
from ssl_attention.metrics.frame import DEFAULT_FRAME, Frame, Region, region_masks, upsample
from ssl_attention.metrics.localisation import mass_mask_iou
from ssl_attention.metrics.target_maps import method_path
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogReader, CatalogWriter, MetricValue
from ssl_attention.store.layout import GroupAttrs, VitAttrs, VlmAttrs, VlmPromptAttrs

BASELINE_MODEL = "baseline"
BASELINE_GRID = (16, 16)
FUSED = -1


@dataclass(frozen=True)
class MetricSettings:
    frame: int = DEFAULT_FRAME  # longer side of the evaluation frame, pixels
    top_percents: tuple[int, ...] = (10, 25, 50)
    mass: float = 0.6  # DINO keeps the top patches holding 60% of the attention
    tolerance_px: float = 15.0  # pointing game, in original image pixels

    def names(self) -> list[str]:
        return [
            *(f"iou_top{p}" for p in self.top_percents),
            f"mass_iou_{round(self.mass * 100)}",
            f"pointing_{self.tolerance_px:g}px",
            "energy",
        ]


def score_maps(
    grid_maps: np.ndarray,
    frame: Frame,
    regions: Sequence[Region],
    settings: MetricSettings,
) -> dict[str, np.ndarray]:
    """(K, gh, gw) maps → {metric name: (K,) values}.

    Vectorised over maps, and without sorting: the top-k pixels are those above the k-th largest
    value plus, among the pixels equal to it, the first ones by position — the same set a stable
    sort would keep. `localisation.py` holds the same definitions one map at a time (the tests
    check both agree)."""
    inside_frame, zone = region_masks(regions, frame, settings.tolerance_px)
    inside = inside_frame.ravel()
    maps = np.clip(grid_maps.astype(np.float64), 0, None)
    upsampled = upsample(maps, frame).reshape(len(maps), -1)  # non-negative: bilinear weights are
    pixels = upsampled.shape[1]
    n_inside = int(inside.sum())
    scores: dict[str, np.ndarray] = {}
    keeps = [round(pixels * percent / 100) for percent in settings.top_percents]
    # One partial sort gives every k-th largest value: ascending position pixels − k.
    positions = sorted({pixels - keep for keep in keeps if keep > 0})
    ordered = np.partition(upsampled, positions, axis=1) if positions else upsampled
    for percent, keep in zip(settings.top_percents, keeps, strict=True):
        threshold = ordered[:, pixels - keep] if keep > 0 else None
        intersection = top_k_inside(upsampled, inside, keep, threshold)
        union = keep + n_inside - intersection
        scores[f"iou_top{percent}"] = np.divide(intersection, union, out=np.zeros(len(maps)), where=union > 0)
    scores[f"mass_iou_{round(settings.mass * 100)}"] = np.array(
        [
            mass_mask_iou(grid_map, inside.reshape(frame.height, frame.width), frame, settings.mass)
            for grid_map in maps
        ]
    )
    peaks = np.argmax(upsampled, axis=1)  # the first maximum by position
    scores[f"pointing_{settings.tolerance_px:g}px"] = zone.ravel()[peaks].astype(np.float64)
    totals = upsampled.sum(axis=1)
    scores["energy"] = np.divide(upsampled @ inside, totals, out=np.zeros(len(maps)), where=totals > 0)
    return {name: scores[name] for name in settings.names()}


def top_k_inside(
    values: np.ndarray, inside: np.ndarray, keep: int, threshold: np.ndarray | None
) -> np.ndarray:
    """For each row, how many of its `keep` highest entries (ties: first by position) are inside;
    `threshold` holds each row's keep-th largest value."""
    if keep <= 0 or threshold is None:
        return np.zeros(len(values))
    above = values > threshold[:, None]
    equal = values == threshold[:, None]
    found = (above & inside).sum(axis=1).astype(np.float64)
    needed = keep - above.sum(axis=1)  # how many of the tied entries are kept (≥ 1)
    tied = equal.sum(axis=1)
    found += np.where(tied == needed, (equal & inside).sum(axis=1), 0)
    for row in np.flatnonzero(tied > needed):  # more ties than places: first ones by position
        found[row] += inside[np.flatnonzero(equal[row])[: needed[row]]].sum()
    return found


def _values(
    image_id: str, model: str, keys: list[tuple[str, int, int]], scores: dict[str, np.ndarray]
) -> list[MetricValue]:
    return [
        MetricValue(image_id, model, method, layer, head, name, float(values[i]))
        for name, values in scores.items()
        for i, (method, layer, head) in enumerate(keys)
    ]


def score_vit_group(
    reader: AttentionStoreReader,
    catalog: CatalogReader,
    attrs: VitAttrs,
    image_id: str,
    row: int,
    frame: Frame,
    regions: Sequence[Region],
    settings: MetricSettings,
) -> list[MetricValue]:
    """A ViT image: every stored map method, fused and per head, on the patch grid; gradrollout:
    the map of the image's first done target (like a VLM's first done prompt), if any."""
    maps: list[np.ndarray] = []
    keys: list[tuple[str, int, int]] = []
    for method in attrs.methods:
        path = method_path(catalog, attrs, method, image_id)
        if path is None:
            continue
        fused = reader.read_row(attrs.key, path, row)
        for layer in range(fused.shape[0]):
            maps.append(fused[layer])
            keys.append((method, layer, FUSED))
        if method in attrs.per_head_methods:
            heads = reader.read_row(attrs.key, f"{method}/heads", row)
            for layer in range(heads.shape[0]):
                for head in range(heads.shape[1]):
                    maps.append(heads[layer, head])
                    keys.append((method, layer, head))
    return _values(image_id, attrs.key, keys, score_maps(np.stack(maps), frame, regions, settings))


def score_vlm_group(
    reader: AttentionStoreReader,
    catalog: CatalogReader,
    attrs: VlmAttrs,
    image_id: str,
    row: int,
    frame: Frame,
    regions: Sequence[Region],
    settings: MetricSettings,
) -> list[MetricValue]:
    """A VLM image: vision `mean`/`rollout` on the patch grid, and `text` (the answer's mean map of
    the image's first done prompt, all its tokens when it has no answer) on the merged grid."""
    done_prompts = catalog.vlm_samples(image_id, attrs.key)
    prompt_index = done_prompts[0].prompt_index if done_prompts else None
    key, sample = attrs.key, attrs.sample_path(row)
    values: list[MetricValue] = []

    def score(method: str, layered: np.ndarray, per_head: np.ndarray | None) -> None:
        maps = list(layered)
        keys = [(method, layer, FUSED) for layer in range(len(layered))]
        if per_head is not None:
            for layer in range(per_head.shape[0]):
                maps += list(per_head[layer])
                keys += [(method, layer, head) for head in range(per_head.shape[1])]
        values.extend(_values(image_id, key, keys, score_maps(np.stack(maps), frame, regions, settings)))

    for method in ("mean", "rollout"):
        heads = f"{sample}/{method}/heads" if method in attrs.per_head_methods else None
        score(
            method,
            reader.read_array(key, f"{sample}/{method}/fused"),
            reader.read_array(key, heads) if heads else None,
        )
    if prompt_index is not None:
        path = attrs.prompt_path(row, prompt_index)
        tokens = VlmPromptAttrs.from_attrs(reader.group_attrs(key, path)).tokens
        answer = [i for i, token in enumerate(tokens) if token.role == "answer"] or list(range(len(tokens)))
        span = slice(answer[0], answer[-1] + 1)

        def answer_mean(array: str) -> np.ndarray:
            return np.asarray(reader.read_array(key, f"{path}/{array}")[span], np.float32).mean(axis=0)

        per_head = answer_mean("text/heads") if "text" in attrs.per_head_methods else None
        score("text", answer_mean("text/fused"), per_head)
    return values


def baseline_metrics(
    image_id: str, frame: Frame, regions: Sequence[Region], settings: MetricSettings
) -> list[MetricValue]:
    maps = np.stack([centre_gaussian(BASELINE_GRID), uniform_random(BASELINE_GRID, image_id)])
    keys = [("centre", 0, FUSED), ("random", 0, FUSED)]
    return _values(image_id, BASELINE_MODEL, keys, score_maps(maps, frame, regions, settings))


@dataclass
class MetricsReport:
    pairs_scored: int = 0  # baselines included
    pairs_already: int = 0
    values: int = 0
    summaries: int = 0
    baselines_scored: int = 0  # of pairs_scored: an image's centre/random baselines
    annotated_images: int = 0  # images with ground truth in the catalog


def compute_metrics(
    store_url: str,
    catalog: CatalogWriter,
    *,
    models: Iterable[str] | None = None,
    settings: MetricSettings | None = None,
    progress: Callable[[int], object] | None = None,
) -> MetricsReport:
    """Score every annotated, precomputed (image, model) pair not scored yet, then refresh the summaries.

    Incremental and resumable: each pair is committed on its own, and pairs with metrics are skipped
    (they are dropped automatically when their maps are recomputed or their boxes change)."""
    settings = settings or MetricSettings()
    reader = AttentionStoreReader(store_url)
    stored: dict[str, GroupAttrs] = reader.models()
    wanted = [k for k in stored if models is None or k in set(models)]
    done = catalog.metric_pairs()
    report = MetricsReport()
    regions_by_image: dict[str, list[Region]] = {}
    for image_id in sorted(catalog.annotated_ids()):
        regions_by_image[image_id] = [
            Region((a.x0, a.y0, a.x1, a.y1), a.polygons, a.mask) for a in catalog.annotations(image_id)
        ]
    report.annotated_images = len(regions_by_image)
    for image_id, regions in regions_by_image.items():
        info = catalog.image(image_id)
        if info is None or not info.width or not info.height:
            continue  # not decoded yet: no frame to score on
        frame = Frame.for_image(info.width, info.height, settings.frame)
        pending: list[list[MetricValue]] = []
        if (image_id, BASELINE_MODEL) not in done:
            pending.append(baseline_metrics(image_id, frame, regions, settings))
        for key in wanted:
            row = catalog.row_of(image_id, key)
            if row is None:
                continue
            if (image_id, key) in done:
                report.pairs_already += 1
                continue
            attrs = stored[key]
            score = kind_of(attrs).hook("scorer")  # score_vit_group, score_vlm_group, ...
            pending.append(score(reader, catalog, attrs, image_id, row, frame, regions, settings))
        for values in pending:
            catalog.add_metrics(values)  # one (image, model) pair per transaction
            report.pairs_scored += 1
            report.baselines_scored += bool(values) and values[0].model == BASELINE_MODEL
            report.values += len(values)
            if progress is not None:
                progress(1)
    if report.pairs_scored == 0 and catalog.metric_names():
        return report  # nothing new: the summaries stand
    summaries = summarise(catalog.metric_values(), catalog.image_labels())
    catalog.replace_summaries(summaries)
    report.summaries = len(summaries)
    return report
