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


class Served(BaseModel):
    """What this server serves, so that the commands the web app suggests act on it."""

    images: str = Field(description="the gallery folder, as configured")
    store: str = Field(description="the Zarr store's path or URL (a password in it is masked)")
    db: str = Field(description="the catalog's SQLAlchemy URL (a password in it is masked as ***)")
    precompute_flags: str = Field(
        description="`--images`, `--store` and `--db` for whichever of them is not precompute's default, "
        "shell-quoted (absolute paths); empty when all three are the defaults"
    )
    password_hidden: bool = Field(description="a password was masked in `store`, `db` and the flags")


class ModelInfo(BaseModel):
    key: str = Field(description="the name the store holds the model under: the `model` parameter")
    base_key: str = Field(
        description="the registry key the model is built like; differs from `key` for a named variant "
        "(e.g. a fine-tuned copy stored beside its base)"
    )
    kind: Literal["vit", "vlm", "lm", "cnn"] = Field(
        description="vit: a vision transformer; vlm: a vision-language model (per-image grids, prompts); "
        "lm: a text language model (no image maps: see /texts); cnn: Grad-CAM, 1 layer, 0 heads"
    )
    family: str
    checkpoint: str
    revision: str | None
    weights: Weights = Field(
        description="pretrained | random: which weights produced every map of this model"
    )
    image_size: int | None = Field(description="input side in pixels; null for VLMs (dynamic resolution)")
    patch: int
    grid: list[int] | None = Field(
        description="[gh, gw]: the patch grid every map lives on; null for VLMs, whose grid differs "
        "from image to image (every map response carries its shape)"
    )
    layers: int = Field(description="transformer layers (of the language model for VLMs)")
    heads: int = Field(description="attention heads (of the language model for VLMs)")
    methods: list[str] = Field(description="map methods, in display order")
    per_head_methods: list[str] = Field(description="methods with per-head maps (head=..., fusion=max|min)")
    method_layers: dict[str, int] = Field(
        description="layers per method (the pooling head has one; a VLM's mean and rollout: the vision tower's)"
    )
    method_heads: dict[str, int] = Field(
        description="heads per method (a VLM's text: the language model's; mean, rollout: the vision tower's)"
    )
    prompts: list[str] = Field(
        description="VLM prompts ever run, or a ViT's gradrollout targets; index = the `prompt` parameter"
    )
    merge: int | None = Field(
        description="VLM spatial merge (one image token = merge×merge patches); null for ViTs"
    )
    min_pixels: int | None = Field(description="VLM processor's smallest image area in pixels; null for ViTs")
    max_pixels: int | None = Field(description="VLM processor's largest image area in pixels; null for ViTs")
    max_new_tokens: int | None = Field(description="VLM answer length limit; null for ViTs")
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
    prompt: int | None = Field(None, description="text, gradrollout: the VLM prompt index; else null")
    token: str | None = Field(
        None,
        description="text: the token `t` or range `a-b` averaged; gradrollout: the token explained; else null",
    )


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
    prompt: int | None = Field(None, description="text, gradrollout: the VLM prompt index; else null")
    token: str | None = Field(
        None,
        description="text: the token `t` or range `a-b` averaged; gradrollout: the token explained; else null",
    )


class PromptRef(BaseModel):
    index: int = Field(description="the `prompt` parameter")
    text: str


class TextToken(BaseModel):
    index: int = Field(description="the `token` parameter: 0-based among the stored text tokens")
    id: int = Field(description="the tokenizer's id")
    text: str
    role: str = Field(description="template (chat scaffolding, markers), prompt (the user's text) or answer")
    position: int = Field(description="position in the model's input sequence")


class TokenList(BaseModel):
    """The text tokens of one VLM prompt on one image, with each token's share of attention on the image."""

    image_id: str
    model: str
    weights: Weights
    prompt: int
    prompt_text: str
    answer: str = Field(
        description="the answer whose tokens are listed (another model's when teacher-forced)"
    )
    answer_from: str | None = Field(
        default=None,
        description="the model whose answer ids this one was teacher-forced through (precompute --answer-from); "
        "null: it generated its own",
    )
    own_answer: str | None = Field(
        default=None,
        description="the answer this model generated by itself (equals `answer` when not forced)",
    )
    text_id: str | None = Field(
        default=None,
        description="its tokens' text → text attention: GET /texts/{text_id}?model (null: none stored)",
    )
    prompts: list[PromptRef] = Field(description="the prompts done for this image")
    grid: list[int] = Field(
        description="[gh, gw] of the text maps: the merged grid, one cell per image token"
    )
    vision_grid: list[int] = Field(description="[gh, gw] of the vision tower's maps (mean, rollout)")
    resized: list[int] = Field(description="[height, width] in pixels the model saw")
    image_tokens: list[int] = Field(description="[start, stop) positions of the image tokens in the sequence")
    layers: int
    heads: int
    head: int | None = Field(description="null: image_mass is the mean over heads")
    tokens: list[TextToken] = Field(description="the text tokens after the image, in sequence order")
    image_mass: list[list[float]] = Field(
        description="[token][layer]: Σ over image tokens of the token's attention (mean over heads, or `head`)"
    )


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


class ShiftSlice(MapSlice):
    """A variant's map minus its base's map of the same image on the same grid (`/shift`).

    Every field of `MapSlice` (of the variant's map request), with `data`, `min` and `max` those of
    the difference, plus the base and the distance between the two maps."""

    data: list[float] = Field(
        description="gh*gw values of variant − base, row-major, float16 precision (signed)"
    )
    min: float = Field(description="smallest value of the difference (most attention lost)")
    max: float = Field(description="largest value of the difference (most attention gained)")
    base: str = Field(description="the model subtracted")
    base_weights: Weights = Field(description="pretrained | random: the weights of the base's maps")
    base_prompt: int | None = Field(
        None, description="method=text: the base's index of the same prompt (indices are per model)"
    )
    distance: float = Field(
        description="total variation ½·Σ|p − q| of the two maps, each normalised to sum 1: 0 = the same "
        "distribution of attention, 1 = disjoint"
    )


class ShiftCell(BaseModel):
    """The distance of one map (a layer's head, or the fused heads) over the images both models have."""

    layer: int
    head: int = Field(description="-1: the heads fused (the stored mean)")
    mean: float = Field(description="mean distance over the images")
    ci_low: float = Field(description="bootstrap 95% interval of the mean")
    ci_high: float
    n: int = Field(description="images")


class ShiftImage(BaseModel):
    image_id: str
    distance: float


class ShiftMetricsBody(BaseModel):
    """How far a variant moved from its base, per layer × head, and the images that moved most."""

    model: str = Field(description="the variant")
    base: str
    method: str
    methods: list[str] = Field(description="methods with shift metrics for this pair")
    cells: list[ShiftCell] = Field(description="by layer, then head (-1, fused, first)")
    images_layer: int = Field(description="the layer of the map that ranks `images`")
    images_head: int = Field(description="the head of the map that ranks `images` (-1: fused)")
    images: list[ShiftImage] = Field(description="every image both models have, largest distance first")
