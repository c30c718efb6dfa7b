"""Pydantic models of every response body (they are also the OpenAPI schema at /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.backend.services.slices import Fusion, Normalize

Weights = str  # "pretrained" or "random": which weights produced the maps


class ErrorBody(BaseModel):
    """Every error: `detail` as FastAPI gives it, `message` one readable line, `allowed` when known."""

    detail: str | list[dict[str, Any]]
    message: str
    parameter: str | None = Field(None, description="the query parameter at fault, when there is one")
    allowed: list[str] | list[int] | dict[str, int] | None = Field(
        None, description="the values that would have worked: a list, or an inclusive {min, max} range"
    )


class ComponentHealth(BaseModel):
    ok: bool
    detail: str | None = None


class StoreHealth(ComponentHealth):
    url: str
    models: int | None = None


class CacheHealth(BaseModel):
    items: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    store: StoreHealth
    catalog: ComponentHealth
    cache: CacheHealth


class ModelInfo(BaseModel):
    key: str
    family: str
    checkpoint: str
    revision: str | None
    weights: Weights = Field(
        description="pretrained | random: which weights produced every map of this model"
    )
    image_size: int
    patch: int
    grid: list[int] = Field(description="[gh, gw]: the patch grid every map lives on")
    layers: int
    heads: int
    methods: list[str] = Field(description="map methods, in display order")
    per_head_methods: list[str] = Field(description="methods with per-head maps (head=..., fusion=max|min)")
    method_layers: dict[str, int] = Field(description="layers per method (the pooling head has one)")
    has_cls: bool
    has_pool: bool
    registers: int
    prefix_tokens: list[str] = Field(description="names of the tokens before the patches, e.g. cls, reg0")
    per_head: bool
    dtype: str
    schema_version: int


class ModelList(BaseModel):
    models: list[ModelInfo]


class ImageBase(BaseModel):
    id: str
    path: str = Field(description="path relative to the gallery folder")
    width: int | None
    height: int | None
    sha256: str | None
    error: str | None = Field(description="why precompute could not use the file, if it could not")
    models: list[str] = Field(description="models whose maps for this image are complete")


class ImageSummary(ImageBase):
    annotations: int = Field(description="how many ground-truth regions the image has")


class ImagePage(BaseModel):
    total: int = Field(description="images matching the query, over all pages")
    limit: int
    offset: int
    items: list[ImageSummary]


class Annotation(BaseModel):
    label: str
    box: list[float] = Field(
        description="[x0, y0, x1, y1] normalised to [0, 1] by the image width and height"
    )
    source: str | None


class ImageDetail(ImageBase):
    annotations: list[Annotation]


class MapSlice(BaseModel):
    """One attention map on the patch grid: raw probabilities unless `normalize` says otherwise."""

    image_id: str
    model: str
    method: str
    layer: int
    head: int | None = Field(description="null: fused over heads")
    fusion: Fusion | None = Field(description="how heads were fused; null for a single head")
    weights: Weights
    normalize: Normalize
    shape: list[int] = Field(description="[gh, gw]")
    data: list[float] = Field(description="gh*gw values, row-major, float16 precision")
    min: float = Field(description="smallest stored value of this map (before normalize)")
    max: float = Field(description="largest stored value of this map (before normalize)")


class HeadMaps(BaseModel):
    """Every head of one layer."""

    image_id: str
    model: str
    method: str
    layer: int
    weights: Weights
    normalize: Normalize
    shape: list[int] = Field(description="[heads, gh, gw]")
    data: list[float] = Field(description="heads*gh*gw values, row-major, float16 precision")
    min: float = Field(description="smallest stored value over all heads (before normalize)")
    max: float = Field(description="largest stored value over all heads (before normalize)")
    head_min: list[float] = Field(description="smallest stored value of each head")
    head_max: list[float] = Field(description="largest stored value of each head")


class PrefixShares(BaseModel):
    """Per layer and head, the share of the query's attention that goes to each prefix token."""

    image_id: str
    model: str
    weights: Weights
    query: Literal["cls", "mean"] = Field(description="cls: the CLS row; mean: the mean over all query rows")
    tokens: list[str] = Field(description="prefix token names, the last axis of data")
    shape: list[int] = Field(description="[layers, heads, tokens]")
    data: list[float] = Field(description="layers*heads*tokens shares in [0, 1], row-major")


class MetricStat(BaseModel):
    """A metric over the annotated images: mean, standard deviation, bootstrap 95% CI, count."""

    model: str
    method: str
    layer: int
    head: int | None = Field(None, description="None: the heads fused (mean)")
    mean: float
    std: float
    ci_low: float
    ci_high: float
    count: int


class MetricsBody(BaseModel):
    metric: str | None = Field(None, description="None when no metrics exist yet")
    metrics: list[str] = Field(description="every metric with results")
    label: str = Field(default="", description="annotation label the images were restricted to; empty = all")
    baselines: list[MetricStat] = Field(
        description="centre Gaussian and uniform random maps, scored the same way"
    )
    hint: str | None = None


class Leaderboard(MetricsBody):
    method: str | None
    layer: int | None = Field(description="None: each model's last layer")
    rows: list[MetricStat]


class LayerProgression(MetricsBody):
    model: str
    method: str | None
    layers: list[MetricStat]


class HeadRanking(MetricsBody):
    model: str
    method: str | None
    layer: int | None
    heads: list[MetricStat] = Field(description="per-head results, best first")


class ImageMetric(BaseModel):
    model: str
    method: str
    layer: int
    head: int | None
    metric: str
    value: float


class ImageMetrics(BaseModel):
    image_id: str
    values: list[ImageMetric]


class ImageScore(BaseModel):
    image_id: str
    value: float


class ImageRanking(MetricsBody):
    model: str
    method: str
    layer: int
    head: int | None
    images: list[ImageScore] = Field(description="best first")
