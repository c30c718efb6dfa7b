"""Shift: a variant's map minus its base's map of the same image, on the same grid, and the shift
metrics `precompute --metrics` stored (`ssl_attention.metrics.shift`).

A shift request is two map requests that must line up: the same method, layer, head and fusion
for both models (checked against the base too: 400 naming it), the same grid (409 otherwise: the
models saw the image at different sizes), and for a kind with text tokens the same prompt text
and the same tokens at the requested indices — prompt tokens always line up, answer tokens only
when one model was teacher-forced through the other's answer, or both answered alike (409
saying to use `--answer-from` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.backend.services.attention import MapRequest, Maps, read_map
from app.backend.services.catalog import LazyCatalog
from app.backend.services.errors import InvalidParameter, ServiceError
from app.backend.services.kinds import api_of
from app.backend.services.slices import (
    SliceSpec,
    check_head,
    check_method,
    require_per_head,
    resolve_layer,
)
from app.backend.services.store import AttentionStore, StoredModel
from app.backend.services.targets import Target, TokenSpan
from app.backend.services.vlm import prompt_attrs
from ssl_attention.metrics.shift import FUSED, total_variation
from ssl_attention.store.catalog import ShiftSummary, ShiftValue
from ssl_attention.store.layout import VlmToken

NO_SHIFT_HINT = "run `precompute --metrics` (it compares every stored variant with its base)"


class NotComparable(ServiceError):
    """The two models' maps of the image do not line up (409): other grids, other tokens;
    `parameter` names the query parameter that chose what does not line up, if one did."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class ShiftRequest:
    """The variant's map request and the base's, resolved so that they name the same map."""

    variant: MapRequest
    base: MapRequest

    def cache_parts(self) -> tuple[object, ...]:
        """What identifies both maps, for an ETag."""
        return (
            *self.variant.cache_parts(),
            *self.variant.span_parts(),
            *self.base.cache_parts(),
            *self.base.span_parts(),
        )


@dataclass(frozen=True)
class Shift(Maps):
    """`values` = variant − base (float16), `low`/`high` their range, `distance` the total
    variation of the two maps each normalised to sum 1."""

    distance: float


def base_key_of(variant: StoredModel, base: str | None) -> str:
    """The base to compare with: `base`, or the variant's `base_key` when it is a named variant."""
    if base is not None:
        return base
    attrs = variant.attrs
    if attrs.base_key == attrs.key:
        raise InvalidParameter(
            "base",
            f"{attrs.key} is not a named variant (no base_key of its own): give base=MODEL, "
            "the model to subtract",
            [],
        )
    return attrs.base_key


def check_comparable(variant: StoredModel, base: StoredModel) -> None:
    """Both of the same kind (400 otherwise)."""
    mine, theirs = api_of(variant.attrs), api_of(base.attrs)
    if mine.name != theirs.name:
        raise InvalidParameter(
            "base",
            f"{variant.attrs.key} is {mine.noun} and {base.attrs.key} is {theirs.noun}: "
            "only models of the same kind can be subtracted",
            [],
        )


def base_slice(base: StoredModel, spec: SliceSpec) -> SliceSpec:
    """`spec` (resolved against the variant) checked against the base: 400 naming the base when
    it lacks the method, the layer, the head or the per-head maps a fusion needs."""
    attrs = base.attrs
    check_method(attrs, spec.method)
    resolve_layer(attrs, spec.method, spec.layer)
    if spec.head is not None:
        require_per_head(attrs, spec.method, "head", f"head={spec.head} of the base {attrs.key}")
        check_head(attrs, spec.method, spec.head)
    elif spec.fusion not in (None, "mean"):
        require_per_head(attrs, spec.method, "fusion", f"fusion={spec.fusion} of the base {attrs.key}")
    return spec


def _shown(token: VlmToken | None) -> str:
    return "nothing" if token is None else f"{token.text!r} ({token.role})"


def base_span(
    store: AttentionStore, catalog: LazyCatalog, variant: MapRequest, base: Target
) -> TokenSpan | None:
    """The base's prompt and tokens for the variant's text selection (None without one): the
    prompt with the same text, done for the image, and the same tokens at the same indices."""
    span = variant.span
    if span is None:
        return None
    image_id, mine, theirs = variant.target.image_id, variant.target.model.attrs.key, base.model.attrs.key
    prompt = prompt_attrs(store, variant.target, span.prompt)
    found = [s.prompt_index for s in catalog.vlm_samples(image_id, theirs) if s.prompt == prompt.prompt]
    if not found:
        raise NotComparable(
            f"prompt {prompt.prompt!r} is not done for image {image_id!r} with {theirs}; "
            f"run `precompute --models {theirs} --prompt {prompt.prompt!r}`",
            "prompt",
        )
    other = prompt_attrs(store, base, found[0])
    for index in span.tokens:
        a = prompt.tokens[index]
        b = other.tokens[index] if index < len(other.tokens) else None
        if b is not None and (a.id, a.role) == (b.id, b.role):
            continue
        if a.role == "answer" or (b is not None and b.role == "answer"):
            raise NotComparable(
                f"the answers differ ({mine}: {prompt.answer!r}, {theirs}: {other.answer!r}), so answer "
                f"token {index} is {_shown(a)} in {mine} and {_shown(b)} in {theirs}: answer tokens line "
                f"up only when one model was teacher-forced through the other's answer; rerun "
                f"`precompute --models {mine} --answer-from {theirs}`, or choose prompt tokens",
                "token",
            )
        raise NotComparable(
            f"text token {index} is {_shown(a)} in {mine} and {_shown(b)} in {theirs}: "
            "the two models did not see the same text",
            "token",
        )
    return TokenSpan(found[0], span.first, span.last)


def _grids_differ(asked: ShiftRequest, mine: tuple[int, ...], theirs: tuple[int, ...]) -> NotComparable:
    variant, base = asked.variant.target.model.attrs, asked.base.target.model.attrs
    why = []
    a, b = api_of(variant).info(variant), api_of(base).info(base)
    for name in ("image_size", "min_pixels", "max_pixels"):
        if a.get(name) != b.get(name):
            why.append(f"{name} {a.get(name)} and {b.get(name)}")
    said = f" ({'; '.join(why)})" if why else ""
    shape = "×".join(str(n) for n in mine), "×".join(str(n) for n in theirs)
    return NotComparable(
        f"{variant.key} and {base.key} map image {asked.variant.target.image_id!r} on different grids "
        f"({shape[0]} and {shape[1]}): they saw it at different sizes{said}, so their maps cannot be subtracted"
    )


def read_shift(store: AttentionStore, asked: ShiftRequest) -> Shift:
    """variant − base of the request's map (409 when the grids differ)."""
    mine, theirs = read_map(store, asked.variant, "none"), read_map(store, asked.base, "none")
    if mine.values.shape != theirs.values.shape:
        raise _grids_differ(asked, mine.values.shape, theirs.values.shape)
    difference = (mine.values.astype(np.float32) - theirs.values.astype(np.float32)).astype(np.float16)
    distance = float(total_variation(mine.values, theirs.values))
    return Shift(difference, difference.min(), difference.max(), distance)


# --- shift metrics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftMetrics:
    method: str
    methods: list[str]  # methods with summaries for the pair
    cells: list[ShiftSummary]
    layer: int  # the map that ranks the images
    head: int
    images: list[ShiftValue]  # largest distance first


def shift_metrics(
    catalog: LazyCatalog,
    variant: StoredModel,
    base: StoredModel,
    method: str | None,
    layer: int | None,
    head: int | None,
) -> ShiftMetrics | None:
    """The pair's summaries of `method` (default: the first of the variant's methods that has
    some) and the images ranked by the distance of one map (default: the fused map of the last
    layer); None when nothing is stored for the pair."""
    key, other = variant.attrs.key, base.attrs.key
    if method is not None:
        check_method(variant.attrs, method)
    every = catalog.shift_summaries(key, other)
    if not every:
        return None
    methods = [m for m in variant.attrs.methods if any(row.method == m for row in every)]
    chosen = method or methods[0]
    cells = [row for row in every if row.method == chosen]
    layers = sorted({row.layer for row in cells})
    wanted_layer = layers[-1] if layer is None and layers else layer or 0
    wanted_head = FUSED if head is None else head
    values = catalog.shift_values(key, other, method=chosen, layer=wanted_layer, head=wanted_head)
    ranked = sorted(values, key=lambda v: (-v.distance, v.image_id))
    return ShiftMetrics(chosen, methods, cells, wanted_layer, wanted_head, ranked)
