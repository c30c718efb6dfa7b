"""`/attention/{image_id}/...`: stored attention maps as JSON, float16 bytes, or a rendered PNG.

Every response names the weights (pretrained | random) that produced it: in the JSON body,
and in the `X-Weights` header of binary and PNG responses.

VLMs: `method=text` maps (per prompt and text token, on the image's merged grid) take `prompt`
and `token`; `/tokens` lists a prompt's text tokens with their share of attention on the image;
`method=mean|rollout` are the vision tower's maps.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from fastapi import APIRouter, Request, Response

from app.backend.dependencies import ServicesDep, SizedImageDep, TargetDep
from app.backend.map_requests import (
    FormatQuery,
    HeadsRequestDep,
    HeatmapStyleDep,
    MapRequestDep,
    NormalizeQuery,
    TokensRequestDep,
    map_etag,
)
from app.backend.responses import F16, make_etag, send_array
from app.backend.schemas import ErrorBody, HeadMaps, MapSlice, PrefixShares, PromptRef, TextToken, TokenList
from app.backend.services.attention import (
    MapRequest,
    Maps,
    PerHeadMaps,
    heatmap_png,
    heatmap_scene,
    read_heads,
    read_map,
)
from app.backend.services.kinds import api_of
from app.backend.services.slices import Normalize, json_float, json_float32s, json_floats
from app.backend.services.vlm import prompt_attrs, read_image_mass, sample_attrs
from ssl_attention.store.layout import VlmPromptAttrs, VlmToken

router = APIRouter(prefix="/attention", tags=["attention"])

PNG = "image/png"

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a parameter this model or method does not allow"},
    404: {"model": ErrorBody, "description": "unknown image or model"},
    409: {
        "model": ErrorBody,
        "description": "the image is not precomputed yet for this model, or its stored maps are damaged "
        "(the message names the precompute command that recomputes them)",
    },
    422: {"model": ErrorBody, "description": "an invalid parameter, or an image precompute could not use"},
    503: {"model": ErrorBody, "description": "the store or the catalog cannot be read"},
}
RENDER_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    503: {
        "model": ErrorBody,
        "description": "the store or the catalog cannot be read, or too many heatmaps are being "
        "drawn (retry after the `Retry-After` seconds)",
    },
}


def binary_docs(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {F16: {"schema": {"type": "string", "format": "binary"}}},
            "description": f"{model.__name__} as JSON, or float16 bytes with `format=f16`",
        },
        **ERRORS,
    }


def map_slice(asked: MapRequest, normalize: Normalize, maps: Maps) -> MapSlice:
    target, spec, span = asked.target, asked.spec, asked.span
    return MapSlice(
        image_id=target.image_id,
        model=target.model.attrs.key,
        method=spec.method,
        layer=spec.layer,
        head=spec.head,
        fusion=spec.fusion,
        weights=target.model.attrs.weights,
        normalize=normalize,
        shape=list(maps.values.shape),
        data=json_floats(maps.values),
        min=json_float(maps.low),
        max=json_float(maps.high),
        prompt=None if span is None else span.prompt,
        token=None if span is None else span.label,
    )


def head_maps(asked: MapRequest, normalize: Normalize, maps: PerHeadMaps) -> HeadMaps:
    target, spec, span = asked.target, asked.spec, asked.span
    return HeadMaps(
        image_id=target.image_id,
        model=target.model.attrs.key,
        method=spec.method,
        layer=spec.layer,
        weights=target.model.attrs.weights,
        normalize=normalize,
        shape=list(maps.values.shape),
        data=json_floats(maps.values),
        min=json_float(maps.low),
        max=json_float(maps.high),
        head_min=json_floats(maps.head_low),
        head_max=json_floats(maps.head_high),
        prompt=None if span is None else span.prompt,
        token=None if span is None else span.label,
    )


@router.get("/{image_id}/raw", response_model=MapSlice, responses=binary_docs(MapSlice))
def get_raw(
    request: Request,
    asked: MapRequestDep,
    services: ServicesDep,
    normalize: NormalizeQuery = "none",
    format: FormatQuery = "json",
) -> Response:
    """One map on the patch grid: a head, or the heads fused (mean is the stored fused map).
    VLM `method=text`: the map of one text token, or the mean over a range of tokens."""
    return send_array(
        request,
        services.http,
        asked,
        map_etag("raw", asked, normalize, format),
        format,
        lambda: read_map(services.store, asked, normalize),
        lambda maps: map_slice(asked, normalize, maps),
    )


@router.get("/{image_id}/heads", response_model=HeadMaps, responses=binary_docs(HeadMaps))
def get_heads(
    request: Request,
    asked: HeadsRequestDep,
    services: ServicesDep,
    normalize: NormalizeQuery = "none",
    format: FormatQuery = "json",
) -> Response:
    """Every head of one layer in one response: shape [heads, gh, gw] (VLM `method=text`: of one
    text token, or each head's mean over a range of tokens)."""
    return send_array(
        request,
        services.http,
        asked,
        map_etag("heads", asked, normalize, format),
        format,
        lambda: read_heads(services.store, asked, normalize),
        lambda maps: head_maps(asked, normalize, maps),
    )


def prompt_fields(prompt: VlmPromptAttrs) -> dict[str, Any]:
    """What /tokens says of the prompt: `prompt_text`, `answer`, and every other field of the
    stored prompt attrs that `TokenList` declares under the same name — a field added to both
    (say, which model an answer was teacher-forced from) needs no code here."""
    found = {f.name: getattr(prompt, f.name) for f in fields(prompt) if f.name not in ("prompt", "tokens")}
    return {**{k: v for k, v in found.items() if k in TokenList.model_fields}, "prompt_text": prompt.prompt}


def text_token(index: int, token: VlmToken) -> TextToken:
    """A stored token as /tokens lists it: every field of `VlmToken` that `TextToken` declares."""
    stored = {k: v for k, v in asdict(token).items() if k in TextToken.model_fields}
    return TextToken(index=index, **stored)


@router.get("/{image_id}/tokens", response_model=TokenList, responses=ERRORS)
def get_tokens(request: Request, asked: TokensRequestDep, services: ServicesDep) -> Response:
    """A VLM prompt's text tokens (those after the image, in sequence order) with, per token and
    layer, the share of its attention on the image (mean over heads, or one `head`)."""
    target, attrs = asked.target, asked.target.model.attrs
    etag = make_etag("tokens", target.model.fingerprint, target.row, target.sha256, asked.prompt, asked.head)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    sample = sample_attrs(services.store, target)
    prompt = prompt_attrs(services.store, target, asked.prompt)
    mass = read_image_mass(services.store, target, asked.prompt, asked.head)
    body = TokenList(
        image_id=target.image_id,
        model=attrs.key,
        weights=attrs.weights,
        prompt=asked.prompt,
        **prompt_fields(prompt),
        prompts=[PromptRef(index=s.prompt_index, text=s.prompt) for s in asked.done],
        grid=list(sample.grid),
        vision_grid=list(sample.vision_grid),
        resized=list(sample.resized),
        image_tokens=list(sample.image_tokens),
        layers=attrs.layers,
        heads=attrs.heads,
        head=asked.head,
        tokens=[text_token(index, t) for index, t in enumerate(prompt.tokens)],
        image_mass=[json_float32s(row) for row in mass],
    )
    return services.http.json(request, body, etag)


@router.get("/{image_id}/prefix", response_model=PrefixShares, responses=ERRORS)
def get_prefix(request: Request, target: TargetDep, services: ServicesDep) -> Response:
    """Per layer and head, the share of CLS attention on CLS itself and on each register token."""
    attrs, api = target.model.attrs, api_of(target.model.attrs)
    prefix = api.prefix(attrs)
    etag = make_etag("prefix", target.model.fingerprint, target.row, target.sha256)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    shares = api.read_prefix(services.store, target)
    body = PrefixShares(
        image_id=target.image_id,
        model=attrs.key,
        weights=attrs.weights,
        query=prefix.query,
        tokens=list(prefix.tokens),
        shape=list(shares.shape),
        data=json_floats(shares),
    )
    return services.http.json(request, body, etag)


@router.get(
    "/{image_id}/heatmap.png",
    response_class=Response,
    responses={200: {"content": {PNG: {}}, "description": "the rendered heatmap"}, **RENDER_ERRORS},
)
def get_heatmap(
    request: Request,
    asked: MapRequestDep,
    style: HeatmapStyleDep,
    image: SizedImageDep,
    services: ServicesDep,
) -> Response:
    """The map stretched over the whole image frame (maps cover the full image: no crop) as a PNG."""
    scene = heatmap_scene(services.catalog, image, style)
    etag = map_etag("heatmap", asked, style, scene.boxes)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    with services.renders.slot():  # a bounded number at once: a burst gets 503s, not a stalled API
        png = heatmap_png(services.store, services.settings.images, asked, style, scene)
    return services.http.content(request, png, PNG, etag, {"X-Weights": asked.target.model.attrs.weights})
