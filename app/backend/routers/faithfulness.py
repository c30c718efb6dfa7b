"""`/metrics/faithfulness`: deletion and insertion AUCs of the stored maps (`precompute --faithfulness`).

Included before the metrics router, whose `/metrics/{image_id}` would otherwise answer
`/metrics/faithfulness`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.backend.dependencies import ImageDep, ModelKey, ServicesDep, lookup_model, quoted
from app.backend.errors import ApiError
from app.backend.schemas import ErrorBody
from app.backend.schemas_faithfulness import FaithfulnessImage, FaithfulnessSummaryBody
from app.backend.services.faithfulness import NO_FAITHFULNESS_HINT, image_curves, summaries

router = APIRouter(prefix="/metrics/faithfulness", tags=["faithfulness"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "an unknown image or model, or no curves computed for it"},
    422: {"model": ErrorBody, "description": "an invalid parameter"},
    503: {"model": ErrorBody, "description": "the store or the catalog cannot be read"},
}


@router.get("", response_model=FaithfulnessSummaryBody, responses=ERRORS)
def faithfulness_summary(
    request: Request,
    services: ServicesDep,
    model: Annotated[
        str | None, Query(max_length=200, description="only this model; default: every model")
    ] = None,
) -> Response:
    """Per model and per map (method × layer × head, fused maps as head null, and the `random` and
    `centre` baselines) the mean deletion and insertion AUC over images with bootstrap 95%
    intervals, the target score and the steps. Every model: an empty list until
    `precompute --faithfulness` has run; one model: 404 until it has run for that model."""
    stored = services.store.models()
    if model is not None:
        lookup_model(services, model)
    found = summaries(services.catalog, set(stored), model)
    if model is not None and not found:
        raise ApiError(
            404, f"no faithfulness curves for {quoted(model)}: {NO_FAITHFULNESS_HINT}", parameter="model"
        )
    return services.http.json(request, FaithfulnessSummaryBody(models=found))


@router.get("/{image_id}", response_model=FaithfulnessImage, responses=ERRORS)
def faithfulness_image(
    request: Request,
    image: ImageDep,
    services: ServicesDep,
    model: ModelKey,
    method: Annotated[str | None, Query(max_length=32, description="map method; default: every one")] = None,
    layer: Annotated[int | None, Query(ge=0, le=1000, description="only this layer")] = None,
    head: Annotated[
        int | None, Query(ge=-1, le=1000, description="only this head; -1: the fused maps only")
    ] = None,
) -> Response:
    """One image's deletion and insertion curves (steps + 1 target scores each, from the whole
    image to all cells removed, and from none revealed to all) and their AUCs, for every map
    scored (or those the filters keep)."""
    lookup_model(services, model)
    found = image_curves(services.catalog, image.id, model, method, layer, head)
    if found is None:
        raise ApiError(
            404,
            f"no faithfulness curves for image {quoted(image.id)} and {quoted(model)}: {NO_FAITHFULNESS_HINT}",
            parameter="model",
        )
    return services.http.json(request, found)
