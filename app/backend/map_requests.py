"""Map requests: the typed, bounded query parameters of `/attention/...` resolved into a
`MapRequest` (which model's maps of which image, which slice, which text tokens) or a
`TokensRequest`, with the defaults filled in and checked against the model.

Parameter checks against a model raise `InvalidParameter` (400), text-token parameters on a
kind without text tokens included. What differs by kind is asked of `kinds.api_of(attrs)`.
Dependencies that block on I/O are plain `def`s (FastAPI runs them in its threadpool); pure
ones are `async def` and cost no thread hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query
from starlette.concurrency import run_in_threadpool

from app.backend.container import Services, ServicesDep
from app.backend.dependencies import ImageId, ModelKey, TargetDep, lookup_model, lookup_target
from app.backend.responses import make_etag
from app.backend.services.attention import MapRequest
from app.backend.services.errors import InvalidParameter
from app.backend.services.heatmap import (
    HEATMAP_DEFAULT,
    HEATMAP_MAX,
    HEATMAP_MIN,
    Colormap,
    HeatmapStyle,
    Interpolation,
)
from app.backend.services.kinds import api_of
from app.backend.services.slices import (
    Fusion,
    MapMethod,
    Normalize,
    SliceSpec,
    check_head,
    resolve_heads,
    resolve_slice,
)
from app.backend.services.targets import Target, TokenSpan
from app.backend.services.vlm import prompt_attrs, resolve_prompt, resolve_tokens
from app.backend.services.vlm_relevance import explained_span
from ssl_attention.store.catalog import VlmSample
from ssl_attention.store.layout import VLM_GRADIENT_METHODS

Format = Literal["json", "f16"]

MethodQuery = Annotated[
    MapMethod | None, Query(description="map method; default: the model's first (cls, or mean without CLS)")
]
LayerQuery = Annotated[int | None, Query(ge=0, description="0-based layer; default: the last")]
HeadQuery = Annotated[int | None, Query(ge=0, description="0-based head; omitted: fused over heads")]
FusionQuery = Annotated[
    Fusion | None,
    Query(description="how heads are fused when head is omitted (default mean; max|min need per-head data)"),
]
PromptQuery = Annotated[
    int | None,
    Query(
        ge=0,
        description="an index into the model's `prompts`: a VLM's prompt (method=text or gradrollout; "
        "/tokens lists those done for the image) or a ViT's gradrollout target (method=gradrollout); "
        "default: the first done for the image",
    ),
]
TokenQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="method=text: a token index `t` or an inclusive range `a-b` (indices as in "
        "/tokens); a range gives the mean of those tokens' maps. Default: the answer tokens. "
        "method=gradrollout: only the token its map explains (the default)",
    ),
]
FormatQuery = Annotated[
    Format, Query(description="json, or f16: row-major little-endian float16 bytes with X-Shape")
]
NormalizeQuery = Annotated[
    Normalize, Query(description="none: the stored probabilities; minmax: rescaled to [0, 1]")
]


def map_etag(route: str, asked: MapRequest, *parts: object) -> str:
    """The ETag of a map response: the route, what identifies the maps, the route's own parts."""
    return make_etag(route, *asked.cache_parts(), *parts, *asked.span_parts())


# --- text tokens ---------------------------------------------------------------------------------


def text_model_keys(services: Services) -> list[str]:
    """Models in the store whose kind has text tokens."""
    models = services.store.models().items()
    return sorted(key for key, model in models if api_of(model.attrs).span_methods)


def done_prompts(services: Services, target: Target) -> list[VlmSample]:
    return services.catalog.vlm_samples(target.image_id, target.model.attrs.key)


def read_span(
    services: Services, target: Target, prompt: int | None, token: str | None, method: str = "text"
) -> TokenSpan:
    """The prompt and tokens of a text request (reads the catalog and the prompt's attrs); of a
    gradrollout request, the prompt and the one answer token its map explains."""
    index = resolve_prompt(done_prompts(services, target), target.image_id, target.model.attrs.key, prompt)
    if method in VLM_GRADIENT_METHODS:
        return explained_span(services.store, target, index, token)
    tokens = prompt_attrs(services.store, target, index).tokens
    first, last = resolve_tokens(token, tokens)
    return TokenSpan(index, first, last)


def target_request(
    services: Services, target: Target, spec: SliceSpec, prompt: int | None, token: str | None
) -> MapRequest:
    """A per-target method (a ViT's gradrollout): `prompt` is the target's index, done for the
    image (default: the first done); `token` has no meaning there."""
    if token is not None:
        raise InvalidParameter(
            "token",
            f"token selects text tokens of a VLM; method={spec.method} has one map per target "
            "(pick it with prompt): omit token",
            [],
        )
    attrs = target.model.attrs
    index = resolve_prompt(done_prompts(services, target), target.image_id, attrs.key, prompt)
    return MapRequest(target, spec, TokenSpan(index, 0, 0))


async def resolve_request(
    services: Services, target: Target, spec: SliceSpec, prompt: int | None, token: str | None
) -> MapRequest:
    """The request of `spec`; a text method reads its span (in the threadpool), other methods
    take neither `prompt` nor `token` and cost no thread hop."""
    api = api_of(target.model.attrs)
    span_methods = api.span_methods
    if spec.method in api.target_methods:
        return await run_in_threadpool(target_request, services, target, spec, prompt, token)
    if spec.method in span_methods:
        span = await run_in_threadpool(read_span, services, target, prompt, token, spec.method)
        return MapRequest(target, spec, span)
    given = "prompt" if prompt is not None else "token" if token is not None else None
    if given is not None:
        named = (*span_methods, *(api.target_methods if given == "prompt" else ()))
        takes = [m for m in named if m in target.model.attrs.methods]
        raise InvalidParameter(
            given,
            f"{given} selects a VLM's text tokens or a gradrollout target: it goes with "
            f"method={' or '.join(takes) or 'text'} only "
            f"(this request is method={spec.method} of {target.model.attrs.key}); omit it",
            takes,
        )
    return MapRequest(target, spec)


# --- the requests --------------------------------------------------------------------------------


async def get_slice(
    target: TargetDep,
    method: MethodQuery = None,
    layer: LayerQuery = None,
    head: HeadQuery = None,
    fusion: FusionQuery = None,
) -> SliceSpec:
    """One map: a head, or the heads fused (checked before `prompt` and `token` are read)."""
    attrs = target.model.attrs
    return resolve_slice(attrs, method or attrs.methods[0], layer, head, fusion)


async def get_heads_slice(
    target: TargetDep, method: MethodQuery = None, layer: LayerQuery = None
) -> SliceSpec:
    """Every head of one layer (`head` and `fusion` None)."""
    attrs = target.model.attrs
    return resolve_heads(attrs, method or attrs.methods[0], layer)


async def get_map_request(
    target: TargetDep,
    spec: Annotated[SliceSpec, Depends(get_slice)],
    services: ServicesDep,
    prompt: PromptQuery = None,
    token: TokenQuery = None,
) -> MapRequest:
    """One map; for a text method, of one token or the mean over a range of tokens."""
    return await resolve_request(services, target, spec, prompt, token)


async def get_heads_request(
    target: TargetDep,
    spec: Annotated[SliceSpec, Depends(get_heads_slice)],
    services: ServicesDep,
    prompt: PromptQuery = None,
    token: TokenQuery = None,
) -> MapRequest:
    """Every head of one layer; for a text method, of one token or each head's mean over a range."""
    return await resolve_request(services, target, spec, prompt, token)


MapRequestDep = Annotated[MapRequest, Depends(get_map_request)]
HeadsRequestDep = Annotated[MapRequest, Depends(get_heads_request)]


def get_text_target(image_id: ImageId, model: ModelKey, services: ServicesDep) -> Target:
    """Like `get_target`, for requests only a kind with text tokens answers (400 otherwise,
    naming the models that have them)."""
    stored = lookup_model(services, model)
    api = api_of(stored.attrs)
    if not api.span_methods:
        available = text_model_keys(services)
        raise InvalidParameter(
            "model",
            f"{stored.attrs.key} is {api.noun}: text tokens exist for VLMs only; "
            f"VLMs in the store: {', '.join(available) or 'none (run precompute --models vlm)'}",
            available,
        )
    return lookup_target(services, image_id, stored)


TextTargetDep = Annotated[Target, Depends(get_text_target)]


@dataclass(frozen=True)
class TokensRequest:
    """A resolved /tokens request: the prompt done for the image, and a head or None (fused),
    with every prompt done for the image (the body lists them)."""

    target: Target
    prompt: int
    head: int | None
    done: list[VlmSample]


def get_tokens_request(
    target: TextTargetDep,
    services: ServicesDep,
    prompt: Annotated[
        int | None,
        Query(
            ge=0,
            description="an index into the model's `prompts` that is done for the image; "
            "default: the first done (0)",
        ),
    ] = None,
    head: Annotated[
        int | None, Query(ge=0, description="0-based head of the language model; omitted: mean over heads")
    ] = None,
) -> TokensRequest:
    attrs = target.model.attrs
    if head is not None:
        check_head(attrs, api_of(attrs).span_methods[0], head)
    done = done_prompts(services, target)
    return TokensRequest(target, resolve_prompt(done, target.image_id, attrs.key, prompt), head, done)


TokensRequestDep = Annotated[TokensRequest, Depends(get_tokens_request)]


async def get_heatmap_style(
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


HeatmapStyleDep = Annotated[HeatmapStyle, Depends(get_heatmap_style)]
