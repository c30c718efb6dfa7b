"""`/attention/{image_id}/...`: stored attention maps as JSON, float16 bytes, or a rendered PNG.

Every response names the weights (pretrained | random) that produced it: in the JSON body,
and in the `X-Weights` header of binary and PNG responses.

VLMs: `method=text` maps (per prompt and text token, on the image's merged grid) take `prompt`
and `token`; `/tokens` lists a prompt's text tokens with their share of attention on the image;
`method=mean|rollout` are the vision tower's maps.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.backend.dependencies import (
    HeadsSliceDep,
    HeadsSpanDep,
    ServicesDep,
    SliceDep,
    SpanDep,
    TargetDep,
    TokensRequestDep,
    VlmTargetDep,
    quoted,
)
from app.backend.errors import ApiError
from app.backend.responses import make_etag
from app.backend.schemas import ErrorBody, HeadMaps, MapSlice, PrefixShares, PromptRef, TextToken, TokenList
from app.backend.services.attention import (
    heatmap_png,
    read_heads,
    read_image_mass,
    read_map,
    read_prefix,
)
from app.backend.services.heatmap import Box, Colormap, HeatmapStyle, Interpolation
from app.backend.services.images import fit_within, open_rgb, resolve_gallery_file
from app.backend.services.slices import (
    Normalize,
    f16_bytes,
    json_float,
    json_float32s,
    json_floats,
    require_prefix,
)
from app.backend.services.vlm import TokenSpan, prompt_attrs, sample_attrs

router = APIRouter(prefix="/attention", tags=["attention"])

F16 = "application/octet-stream"
PNG = "image/png"
HEATMAP_MIN, HEATMAP_MAX, HEATMAP_DEFAULT = 16, 2048, 512

Format = Literal["json", "f16"]
FormatQuery = Annotated[
    Format, Query(description="json, or f16: row-major little-endian float16 bytes with X-Shape")
]
NormalizeQuery = Annotated[
    Normalize, Query(description="none: the stored probabilities; minmax: rescaled to [0, 1]")
]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a parameter this model or method does not allow"},
    404: {"model": ErrorBody, "description": "unknown image or model"},
    409: {"model": ErrorBody, "description": "the image is not precomputed yet for this model"},
    422: {"model": ErrorBody, "description": "an invalid parameter, or an image precompute could not use"},
    503: {"model": ErrorBody, "description": "the store or the catalog cannot be read"},
}


def binary_docs(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {F16: {"schema": {"type": "string", "format": "binary"}}},
            "description": f"{model.__name__} as JSON, or float16 bytes with `format=f16`",
        },
        **ERRORS,
    }


def array_headers(
    shape: tuple[int, ...], weights: str, low: float, high: float, span: TokenSpan | None = None
) -> dict[str, str]:
    headers = {
        "X-Shape": ",".join(str(n) for n in shape),
        "X-Dtype": "float16",
        "X-Weights": weights,
        "X-Min": repr(low),
        "X-Max": repr(high),
    }
    if span is not None:
        headers["X-Prompt"], headers["X-Token"] = str(span.prompt), span.label
    return headers


def span_parts(span: TokenSpan | None) -> tuple[object, ...]:
    """What a `method=text` selection adds to an ETag (nothing otherwise: ViT tags stay as they were)."""
    return () if span is None else (span,)


@router.get("/{image_id}/raw", response_model=MapSlice, responses=binary_docs(MapSlice))
def get_raw(
    request: Request,
    target: TargetDep,
    spec: SliceDep,
    span: SpanDep,
    services: ServicesDep,
    normalize: NormalizeQuery = "none",
    format: FormatQuery = "json",
) -> Response:
    """One map on the patch grid: a head, or the heads fused (mean is the stored fused map).
    VLM `method=text`: the map of one text token, or the mean over a range of tokens."""
    attrs = target.model.attrs
    etag = make_etag(
        "raw", target.model.fingerprint, target.row, target.sha256, spec, normalize, format, *span_parts(span)
    )
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    maps = read_map(services.store, target.model, target.row, target.sha256, spec, normalize, span)
    low, high = json_float(maps.low), json_float(maps.high)
    if format == "f16":
        headers = array_headers(maps.values.shape, attrs.weights, low, high, span)
        return services.http.content(request, f16_bytes(maps.values), F16, etag, headers)
    body = MapSlice(
        image_id=target.image_id,
        model=attrs.key,
        method=spec.method,
        layer=spec.layer,
        head=spec.head,
        fusion=spec.fusion,
        weights=attrs.weights,
        normalize=normalize,
        shape=list(maps.values.shape),
        data=json_floats(maps.values),
        min=low,
        max=high,
        prompt=None if span is None else span.prompt,
        token=None if span is None else span.label,
    )
    return services.http.json(request, body, etag)


@router.get("/{image_id}/heads", response_model=HeadMaps, responses=binary_docs(HeadMaps))
def get_heads(
    request: Request,
    target: TargetDep,
    spec: HeadsSliceDep,
    span: HeadsSpanDep,
    services: ServicesDep,
    normalize: NormalizeQuery = "none",
    format: FormatQuery = "json",
) -> Response:
    """Every head of one layer in one response: shape [heads, gh, gw] (VLM `method=text`: of one
    text token, or each head's mean over a range of tokens)."""
    attrs = target.model.attrs
    etag = make_etag(
        "heads",
        target.model.fingerprint,
        target.row,
        target.sha256,
        spec,
        normalize,
        format,
        *span_parts(span),
    )
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    maps, head_min, head_max = read_heads(
        services.store, target.model, target.row, target.sha256, spec, normalize, span
    )
    low, high = json_float(maps.low), json_float(maps.high)
    if format == "f16":
        headers = array_headers(maps.values.shape, attrs.weights, low, high, span)
        return services.http.content(request, f16_bytes(maps.values), F16, etag, headers)
    body = HeadMaps(
        image_id=target.image_id,
        model=attrs.key,
        method=spec.method,
        layer=spec.layer,
        weights=attrs.weights,
        normalize=normalize,
        shape=list(maps.values.shape),
        data=json_floats(maps.values),
        min=low,
        max=high,
        head_min=json_floats(head_min),
        head_max=json_floats(head_max),
        prompt=None if span is None else span.prompt,
        token=None if span is None else span.label,
    )
    return services.http.json(request, body, etag)


@router.get("/{image_id}/tokens", response_model=TokenList, responses=ERRORS)
def get_tokens(
    request: Request, target: VlmTargetDep, asked: TokensRequestDep, services: ServicesDep
) -> Response:
    """A VLM prompt's text tokens (those after the image, in sequence order) with, per token and
    layer, the share of its attention on the image (mean over heads, or one `head`)."""
    attrs = target.model.attrs
    etag = make_etag("tokens", target.model.fingerprint, target.row, target.sha256, asked.prompt, asked.head)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    sample = sample_attrs(services.store, target.model, target.row, target.sha256)
    prompt = prompt_attrs(services.store, target.model, target.row, target.sha256, asked.prompt)
    mass = read_image_mass(services.store, target.model, target.row, target.sha256, asked.prompt, asked.head)
    body = TokenList(
        image_id=target.image_id,
        model=attrs.key,
        weights=attrs.weights,
        prompt=asked.prompt,
        prompt_text=prompt.prompt,
        answer=prompt.answer,
        prompts=[PromptRef(index=s.prompt_index, text=s.prompt) for s in asked.done],
        grid=list(sample.grid),
        vision_grid=list(sample.vision_grid),
        resized=list(sample.resized),
        image_tokens=list(sample.image_tokens),
        layers=attrs.layers,
        heads=attrs.heads,
        head=asked.head,
        tokens=[
            TextToken(index=index, id=t.id, text=t.text, role=t.role, position=t.position)
            for index, t in enumerate(prompt.tokens)
        ],
        image_mass=[json_float32s(row) for row in mass],
    )
    return services.http.json(request, body, etag)


@router.get("/{image_id}/prefix", response_model=PrefixShares, responses=ERRORS)
def get_prefix(request: Request, target: TargetDep, services: ServicesDep) -> Response:
    """Per layer and head, the share of CLS attention on CLS itself and on each register token."""
    attrs = require_prefix(target.model.attrs)
    etag = make_etag("prefix", target.model.fingerprint, target.row, target.sha256)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    shares = read_prefix(services.store, target.model, target.row, target.sha256)
    body = PrefixShares(
        image_id=target.image_id,
        model=attrs.key,
        weights=attrs.weights,
        query="cls" if attrs.has_cls else "mean",
        tokens=list(attrs.prefix_tokens),
        shape=list(shares.shape),
        data=json_floats(shares),
    )
    return services.http.json(request, body, etag)


async def heatmap_style(
    colormap: Annotated[Colormap, Query(description="matplotlib colormap")] = "viridis",
    size: Annotated[
        int,
        Query(ge=HEATMAP_MIN, le=HEATMAP_MAX, description="longer side in pixels; the image's aspect ratio"),
    ] = HEATMAP_DEFAULT,
    normalize: Annotated[
        Normalize, Query(description="minmax: the map's own range; none: probabilities 0..1")
    ] = "minmax",
    vmin: Annotated[float | None, Query(ge=0, le=1, description="value at the colormap's low end")] = None,
    vmax: Annotated[float | None, Query(ge=0, le=1, description="value at the colormap's high end")] = None,
    overlay: Annotated[bool, Query(description="blend over the image (else a transparent RGBA map)")] = True,
    opacity: Annotated[float, Query(ge=0, le=1, description="weight of the heatmap colours")] = 0.6,
    boxes: Annotated[bool, Query(description="draw the image's annotation boxes")] = False,
    interpolation: Annotated[
        Interpolation, Query(description="how the patch grid is upsampled")
    ] = "bilinear",
) -> HeatmapStyle:
    """The drawing parameters of a heatmap (pure: `async`, so it costs no threadpool hop)."""
    return HeatmapStyle(colormap, size, normalize, vmin, vmax, overlay, opacity, boxes, interpolation)


@router.get(
    "/{image_id}/heatmap.png",
    response_class=Response,
    responses={200: {"content": {PNG: {}}, "description": "the rendered heatmap"}, **ERRORS},
)
def get_heatmap(
    request: Request,
    target: TargetDep,
    spec: SliceDep,
    span: SpanDep,
    style: Annotated[HeatmapStyle, Depends(heatmap_style)],
    services: ServicesDep,
) -> Response:
    """The map stretched over the whole image frame (maps cover the full image: no crop) as a PNG."""
    image = services.catalog.image(target.image_id)
    if image is None or image.width is None or image.height is None:
        raise ApiError(404, f"unknown image {quoted(target.image_id)}")
    boxes = [Box(a.label, a.x0, a.y0, a.x1, a.y1) for a in services.catalog.annotations(image.id)]
    drawn = boxes if style.boxes else []
    etag = make_etag(
        "heatmap",
        target.model.fingerprint,
        target.row,
        target.sha256,
        spec,
        style,
        tuple(drawn),
        *span_parts(span),
    )
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    frame = fit_within(image.width, image.height, style.size)
    background = None
    if style.overlay:
        background = open_rgb(resolve_gallery_file(services.settings.images, image.path).path, fit=style.size)
    png = heatmap_png(
        services.store, target.model, target.row, target.sha256, spec, style, frame, background, drawn, span
    )
    return services.http.content(request, png, PNG, etag, {"X-Weights": target.model.attrs.weights})
