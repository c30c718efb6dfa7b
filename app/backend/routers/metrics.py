"""`/metrics/...`: how well attention lands on the ground-truth boxes (`precompute --metrics`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.backend.dependencies import ImageDep, ModelDep, ServicesDep
from app.backend.schemas import (
    ErrorBody,
    HeadRanking,
    ImageMetric,
    ImageMetrics,
    ImageRanking,
    ImageScore,
    LayerProgression,
    Leaderboard,
    MetricStat,
)
from app.backend.services.metrics import (
    NO_METRICS_HINT,
    baselines,
    head_rows,
    layer_rows,
    leaderboard_rows,
    ranked_images,
    require_method,
    require_metric,
    require_no_label,
)
from ssl_attention.metrics.compute import FUSED
from ssl_attention.store.catalog.records import MetricSummary

router = APIRouter(prefix="/metrics", tags=["metrics"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a metric or method that does not exist"},
    404: {"model": ErrorBody, "description": "unknown image or model"},
    422: {"model": ErrorBody, "description": "an invalid parameter"},
    503: {"model": ErrorBody, "description": "the store or the catalog cannot be read"},
}

MetricQuery = Annotated[
    str | None, Query(max_length=64, description="metric name; default: the first available")
]
MethodFilter = Annotated[str | None, Query(max_length=32, description="map method; default: all")]
LabelQuery = Annotated[str, Query(max_length=128, description="only images with boxes of this label")]


def stat(row: MetricSummary) -> MetricStat:
    return MetricStat(
        model=row.model,
        method=row.method,
        layer=row.layer,
        head=None if row.head == FUSED else row.head,
        mean=row.mean,
        std=row.std,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        count=row.count,
    )


@dataclass(frozen=True)
class MetricChoice:
    """The metric a request reports (None when nothing is scored yet), with what every answer carries."""

    name: str | None
    available: list[str]
    baselines: list[MetricStat]

    def fields(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "metrics": self.available,
            "baselines": self.baselines,
            "hint": None if self.name else NO_METRICS_HINT,
        }


def get_metric_choice(
    services: ServicesDep, metric: MetricQuery = None, label: LabelQuery = ""
) -> MetricChoice:
    name, available = require_metric(services.catalog, metric)
    found = [] if name is None else [stat(row) for row in baselines(services.catalog, name, label)]
    return MetricChoice(name, available, found)


MetricDep = Annotated[MetricChoice, Depends(get_metric_choice)]
LayerFilter = Annotated[int | None, Query(ge=0, le=1000, description="0-based layer")]


@router.get("/leaderboard", response_model=Leaderboard, responses=ERRORS)
def leaderboard(
    request: Request,
    services: ServicesDep,
    choice: MetricDep,
    method: MethodFilter = None,
    layer: LayerFilter = None,
    label: LabelQuery = "",
) -> Response:
    """Every model's fused maps, best first, with the baselines; `layer` defaults to each model's last."""
    rows = (
        []
        if choice.name is None
        else leaderboard_rows(services.catalog, services.store.models(), choice.name, method, layer, label)
    )
    body = Leaderboard(
        **choice.fields(), label=label, method=method, layer=layer, rows=[stat(row) for row in rows]
    )
    return services.http.json(request, body)


@router.get("/model/{model}/layers", response_model=LayerProgression, responses=ERRORS)
def layers(
    request: Request,
    model: ModelDep,
    services: ServicesDep,
    choice: MetricDep,
    method: MethodFilter = None,
    label: LabelQuery = "",
) -> Response:
    """The metric of the fused maps at every layer: where in depth localisation appears."""
    chosen = require_method(model, method)
    found = [] if choice.name is None else layer_rows(services.catalog, model, choice.name, chosen, label)
    body = LayerProgression(
        **choice.fields(),
        label=label,
        model=model.attrs.key,
        method=chosen,
        layers=[stat(row) for row in found],
    )
    return services.http.json(request, body)


@router.get("/model/{model}/heads", response_model=HeadRanking, responses=ERRORS)
def heads(
    request: Request,
    model: ModelDep,
    services: ServicesDep,
    choice: MetricDep,
    method: MethodFilter = None,
    layer: LayerFilter = None,
    label: LabelQuery = "",
) -> Response:
    """Every head of every layer (or of `layer`), best first (needs `--per-head` maps)."""
    require_no_label(label)
    chosen = require_method(model, method)
    found = [] if choice.name is None else head_rows(services.catalog, model, choice.name, chosen, layer)
    body = HeadRanking(
        **choice.fields(),
        model=model.attrs.key,
        method=chosen,
        layer=layer,
        heads=[stat(row) for row in found],
    )
    return services.http.json(request, body)


@router.get("/model/{model}/images", response_model=ImageRanking, responses=ERRORS)
def images(
    request: Request,
    model: ModelDep,
    services: ServicesDep,
    choice: MetricDep,
    method: MethodFilter = None,
    layer: LayerFilter = None,
    head: Annotated[int | None, Query(ge=0, le=1000, description="0-based head; omitted: fused")] = None,
    label: LabelQuery = "",
) -> Response:
    """The images ranked by one map's score, best first (`layer` defaults to the last):
    where the model looks right, and where it looks wrong."""
    chosen = require_method(model, method) or model.attrs.methods[0]
    last = model.attrs.method_layers(chosen) - 1
    wanted_layer = last if layer is None else min(layer, last)
    found = (
        []
        if choice.name is None
        else ranked_images(services.catalog, model, choice.name, chosen, wanted_layer, head, label)
    )
    body = ImageRanking(
        **choice.fields(),
        label=label,
        model=model.attrs.key,
        method=chosen,
        layer=wanted_layer,
        head=head,
        images=[ImageScore(image_id=image_id, value=value) for image_id, value in found],
    )
    return services.http.json(request, body)


@router.get("/{image_id}", response_model=ImageMetrics, responses=ERRORS)
def image_metrics(
    request: Request,
    image: ImageDep,
    services: ServicesDep,
    heads: Annotated[bool, Query(description="include per-head values (many)")] = False,
    model: Annotated[str | None, Query(max_length=200, description="only this model")] = None,
    method: MethodFilter = None,
) -> Response:
    """Every metric of one image (fused maps; per head too with `heads=true`), optionally of one
    model and method."""
    values = [
        ImageMetric(
            model=v.model,
            method=v.method,
            layer=v.layer,
            head=None if v.head == FUSED else v.head,
            metric=v.metric,
            value=v.value,
        )
        for v in services.catalog.metric_values(image_id=image.id, model=model, method=method)
        if heads or v.head == FUSED
    ]
    values.sort(key=lambda v: (v.model, v.method, v.layer, -1 if v.head is None else v.head, v.metric))
    return services.http.json(request, ImageMetrics(image_id=image.id, values=values))
