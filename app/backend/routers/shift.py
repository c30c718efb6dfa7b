"""Comparing a variant with its base: `/attention/{image_id}/shift` (variant − base of one map)
and `/metrics/shift` (how far every layer and head moved over the images, `precompute --metrics`).

Included before the metrics router, whose `/metrics/{image_id}` would otherwise answer
`/metrics/shift`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.backend.dependencies import ModelKey, ServicesDep, lookup_model, lookup_target
from app.backend.errors import ApiError
from app.backend.map_requests import FormatQuery, MapRequestDep
from app.backend.responses import F16, array_headers, make_etag
from app.backend.routers.attention import ERRORS, binary_docs, map_slice
from app.backend.schemas import ErrorBody, ShiftCell, ShiftImage, ShiftMetricsBody, ShiftSlice
from app.backend.services.attention import MapRequest
from app.backend.services.shift import (
    NO_SHIFT_HINT,
    NotComparable,
    Shift,
    ShiftRequest,
    base_key_of,
    base_slice,
    base_span,
    check_comparable,
    read_shift,
    shift_metrics,
)
from app.backend.services.slices import f16_bytes

router = APIRouter(tags=["shift"])

SHIFT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {
        "model": ErrorBody,
        "description": "an image not precomputed yet for either model, or maps that do not line up "
        "(other grids; for VLMs, other answer tokens: use --answer-from)",
    },
}
BaseQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="the model to subtract, as listed by /models; default: the model's base_key "
        "(for a named variant)",
    ),
]


def get_shift_request(asked: MapRequestDep, services: ServicesDep, base: BaseQuery = None) -> ShiftRequest:
    """The variant's map request (`model` and the slice parameters, as on /raw) and the same map
    of `base`: 404 for an unknown base, 400 when it lacks the slice, 409 when it does not line up."""
    variant = asked.target.model
    other = lookup_model(services, base_key_of(variant, base))
    check_comparable(variant, other)
    spec = base_slice(other, asked.spec)
    target = lookup_target(services, asked.target.image_id, other)
    try:
        span = base_span(services.store, services.catalog, asked, target)
    except NotComparable as error:
        raise ApiError(409, error.message, parameter=error.parameter) from None
    return ShiftRequest(asked, MapRequest(target, spec, span))


ShiftRequestDep = Annotated[ShiftRequest, Depends(get_shift_request)]


def shift_slice(asked: ShiftRequest, shift: Shift) -> ShiftSlice:
    fields = map_slice(asked.variant, "none", shift).model_dump()
    base = asked.base.target.model.attrs
    return ShiftSlice(
        **fields,
        base=base.key,
        base_weights=base.weights,
        base_prompt=None if asked.base.span is None else asked.base.span.prompt,
        distance=shift.distance,
    )


@router.get("/attention/{image_id}/shift", response_model=ShiftSlice, responses=binary_docs(ShiftSlice))
def get_shift(
    request: Request, asked: ShiftRequestDep, services: ServicesDep, format: FormatQuery = "json"
) -> Response:
    """`model` − `base` of one map of the image (parameters as on /raw), on the same grid, with
    the total variation distance of the two maps. f16: the difference's bytes with /raw's headers,
    plus `X-Distance`, `X-Base` and `X-Base-Weights`."""
    etag = make_etag("shift", *asked.cache_parts(), format)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        shift = read_shift(services.store, asked)
    except NotComparable as error:
        raise ApiError(409, error.message) from None
    if format == "json":
        return services.http.json(request, shift_slice(asked, shift), etag)
    base = asked.base.target.model.attrs
    headers = {
        **array_headers(asked.variant, shift),
        "X-Distance": repr(shift.distance),
        "X-Base": base.key,
        "X-Base-Weights": base.weights,
    }
    return services.http.content(request, f16_bytes(shift.values), F16, etag, headers)


@router.get("/metrics/shift", response_model=ShiftMetricsBody, responses=SHIFT_ERRORS)
def get_shift_metrics(
    request: Request,
    services: ServicesDep,
    model: ModelKey,
    base: BaseQuery = None,
    method: Annotated[
        str | None, Query(max_length=32, description="map method; default: the first with shift metrics")
    ] = None,
    layer: Annotated[
        int | None, Query(ge=0, le=1000, description="the layer that ranks the images; default: the last")
    ] = None,
    head: Annotated[
        int | None, Query(ge=0, le=1000, description="the head that ranks the images; default: fused")
    ] = None,
) -> Response:
    """Per layer × head (and fused: head −1) the mean distance of `model` from `base` over every
    image both have, with a bootstrap 95% interval, and the images ranked by the distance of one
    map (largest first). Computed by `precompute --metrics`; 404 until it has run."""
    variant = lookup_model(services, model)
    other = lookup_model(services, base_key_of(variant, base))
    found = shift_metrics(services.catalog, variant, other, method, layer, head)
    if found is None:
        raise ApiError(
            404,
            f"no shift metrics for {variant.attrs.key} against {other.attrs.key}: {NO_SHIFT_HINT}",
            parameter="base",
        )
    body = ShiftMetricsBody(
        model=variant.attrs.key,
        base=other.attrs.key,
        method=found.method,
        methods=found.methods,
        cells=[
            ShiftCell(layer=c.layer, head=c.head, mean=c.mean, ci_low=c.ci_low, ci_high=c.ci_high, n=c.n)
            for c in found.cells
        ],
        images_layer=found.layer,
        images_head=found.head,
        images=[ShiftImage(image_id=v.image_id, distance=v.distance) for v in found.images],
    )
    return services.http.json(request, body)
