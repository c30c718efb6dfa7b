"""Shared dependencies: the services of the app, and the lookups every router needs.

Lookups raise `ApiError` (404 for an unknown model or image, 409 for maps not precomputed yet,
422 for an image precompute could not decode); parameter checks against a model raise
`InvalidParameter` (400), VLM-only requests on a ViT included. Those that block on I/O are
plain `def`s, so FastAPI runs them in its threadpool; pure ones are `async def` and cost no
thread hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from app.backend.config import ApiSettings
from app.backend.errors import ApiError
from app.backend.responses import CachePolicy
from app.backend.services.catalog import CatalogReader
from app.backend.services.errors import InvalidParameter
from app.backend.services.images import Thumbnails
from app.backend.services.slices import (
    Fusion,
    MapMethod,
    SliceSpec,
    check_head,
    resolve_heads,
    resolve_slice,
)
from app.backend.services.store import AttentionStore, StoredModel
from app.backend.services.vlm import TokenSpan, prompt_attrs, resolve_prompt, resolve_tokens
from ssl_attention.store.catalog import ImageInfo, VlmSample
from ssl_attention.store.layout import VlmAttrs

MAX_ECHO = 80  # characters of a client-supplied id quoted back in an error message


@dataclass
class Services:
    """Everything the routers use, created once per app (nothing is opened until first use)."""

    settings: ApiSettings
    store: AttentionStore
    catalog: CatalogReader
    thumbnails: Thumbnails
    http: CachePolicy

    @classmethod
    def create(cls, settings: ApiSettings) -> Services:
        return cls(
            settings=settings,
            store=AttentionStore(
                settings.store, cache_bytes=settings.cache_bytes, models_ttl=settings.models_ttl
            ),
            catalog=CatalogReader(settings.db),
            thumbnails=Thumbnails(settings.thumbnail_cache_bytes),
            http=CachePolicy(settings.max_age),
        )

    def close(self) -> None:
        self.catalog.close()


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

ImageId = Annotated[
    str, Path(description="image id: its path in the gallery without extension, `/` replaced by `__`")
]
ModelKey = Annotated[str, Query(description="model key, as listed by /models", max_length=200)]


def quoted(value: str) -> str:
    return repr(value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…")


def lookup_model(services: Services, key: str) -> StoredModel:
    models = services.store.models()
    model = models.get(key)
    if model is None:
        available = sorted(models)
        raise ApiError(
            404,
            f"unknown model {quoted(key)}; available: {', '.join(available) or 'none (run precompute)'}",
            parameter="model",
            allowed=available,
        )
    return model


def get_model(
    model: Annotated[str, Path(description="model key, as listed by /models")], services: ServicesDep
) -> StoredModel:
    return lookup_model(services, model)


def get_image(image_id: ImageId, services: ServicesDep) -> ImageInfo:
    image = services.catalog.image(image_id)
    if image is None:
        raise ApiError(404, f"unknown image {quoted(image_id)}")
    return image


@dataclass(frozen=True)
class Target:
    """An image whose maps for a model are complete: where they are and what identifies them."""

    image_id: str
    model: StoredModel
    row: int
    sha256: str


def get_target(image_id: ImageId, model: ModelKey, services: ServicesDep) -> Target:
    return lookup_target(services, image_id, lookup_model(services, model))


def lookup_target(services: Services, image_id: str, stored: StoredModel) -> Target:
    model = stored.attrs.key
    entry = services.catalog.entry(image_id, model)
    if entry is None:
        raise ApiError(404, f"unknown image {quoted(image_id)}")
    if entry.error is not None:
        raise ApiError(
            422, f"image {quoted(image_id)} has no maps: precompute could not use it ({entry.error})"
        )
    if entry.row is None or entry.sha256 is None:
        raise ApiError(
            409,
            f"image {quoted(image_id)} is not precomputed yet for {model}; "
            f"run `precompute --models {model}` (a running one will get to it)",
        )
    return Target(image_id, stored, entry.row, entry.sha256)


TargetDep = Annotated[Target, Depends(get_target)]

MethodQuery = Annotated[
    MapMethod | None, Query(description="map method; default: the model's first (cls, or mean without CLS)")
]
LayerQuery = Annotated[int | None, Query(ge=0, description="0-based layer; default: the last")]


async def get_slice(
    target: TargetDep,
    method: MethodQuery = None,
    layer: LayerQuery = None,
    head: Annotated[int | None, Query(ge=0, description="0-based head; omitted: fused over heads")] = None,
    fusion: Annotated[
        Fusion | None,
        Query(
            description="how heads are fused when head is omitted (default mean; max|min need per-head data)"
        ),
    ] = None,
) -> SliceSpec:
    attrs = target.model.attrs
    return resolve_slice(attrs, method or attrs.methods[0], layer, head, fusion)


async def get_heads_slice(
    target: TargetDep, method: MethodQuery = None, layer: LayerQuery = None
) -> SliceSpec:
    attrs = target.model.attrs
    return resolve_heads(attrs, method or attrs.methods[0], layer)


SliceDep = Annotated[SliceSpec, Depends(get_slice)]
HeadsSliceDep = Annotated[SliceSpec, Depends(get_heads_slice)]
ImageDep = Annotated[ImageInfo, Depends(get_image)]
ModelDep = Annotated[StoredModel, Depends(get_model)]

# --- VLMs -------------------------------------------------------------------------------------

PromptQuery = Annotated[
    int | None,
    Query(
        ge=0,
        description="VLM prompt: an index into the model's `prompts` (see /tokens for those done "
        "for the image); default: the first done for the image (0). Only with method=text",
    ),
]
TokenQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="method=text: a token index `t` or an inclusive range `a-b` (indices as in "
        "/tokens); a range gives the mean of those tokens' maps. Default: the answer tokens",
    ),
]


def vlm_keys(services: Services) -> list[str]:
    return sorted(key for key, model in services.store.models().items() if isinstance(model.attrs, VlmAttrs))


def get_vlm_target(image_id: ImageId, model: ModelKey, services: ServicesDep) -> Target:
    """Like `get_target`, for requests only a VLM answers (400 on a ViT, naming the VLMs)."""
    stored = lookup_model(services, model)
    if not isinstance(stored.attrs, VlmAttrs):
        available = vlm_keys(services)
        raise InvalidParameter(
            "model",
            f"{stored.attrs.key} is a vision transformer: text tokens exist for VLMs only; "
            f"VLMs in the store: {', '.join(available) or 'none (run precompute --models vlm)'}",
            available,
        )
    return lookup_target(services, image_id, stored)


VlmTargetDep = Annotated[Target, Depends(get_vlm_target)]


def done_prompts(services: Services, target: Target) -> list[VlmSample]:
    return services.catalog.vlm_samples(target.image_id, target.model.attrs.key)


def read_span(services: Services, target: Target, prompt: int | None, token: str | None) -> TokenSpan:
    """The prompt and tokens of a `method=text` request (reads the catalog and the prompt's attrs)."""
    index = resolve_prompt(done_prompts(services, target), target.image_id, target.model.attrs.key, prompt)
    tokens = prompt_attrs(services.store, target.model, target.row, target.sha256, index).tokens
    first, last = resolve_tokens(token, tokens)
    return TokenSpan(index, first, last)


async def resolve_span(
    services: Services, target: Target, spec: SliceSpec, prompt: int | None, token: str | None
) -> TokenSpan | None:
    """`read_span` for `method=text` (in the threadpool); other methods take neither parameter
    and cost no thread hop."""
    if spec.method == "text":
        return await run_in_threadpool(read_span, services, target, prompt, token)
    given = "prompt" if prompt is not None else "token" if token is not None else None
    if given is not None:
        allowed = ["text"] if isinstance(target.model.attrs, VlmAttrs) else []
        raise InvalidParameter(
            given,
            f"{given} selects text tokens of a VLM: it goes with method=text only "
            f"(this request is method={spec.method} of {target.model.attrs.key}); omit it",
            allowed,
        )
    return None


async def get_span(
    target: TargetDep,
    spec: SliceDep,
    services: ServicesDep,
    prompt: PromptQuery = None,
    token: TokenQuery = None,
) -> TokenSpan | None:
    return await resolve_span(services, target, spec, prompt, token)


async def get_heads_span(
    target: TargetDep,
    spec: HeadsSliceDep,
    services: ServicesDep,
    prompt: PromptQuery = None,
    token: TokenQuery = None,
) -> TokenSpan | None:
    return await resolve_span(services, target, spec, prompt, token)


SpanDep = Annotated[TokenSpan | None, Depends(get_span)]
HeadsSpanDep = Annotated[TokenSpan | None, Depends(get_heads_span)]


@dataclass(frozen=True)
class TokensRequest:
    """A resolved /tokens request: the prompt done for the image, and a head or None (fused),
    with every prompt done for the image (the body lists them)."""

    prompt: int
    head: int | None
    done: list[VlmSample]


def get_tokens_request(
    target: VlmTargetDep,
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
    if head is not None:
        check_head(target.model.attrs, "text", head)
    done = done_prompts(services, target)
    return TokensRequest(resolve_prompt(done, target.image_id, target.model.attrs.key, prompt), head, done)


TokensRequestDep = Annotated[TokensRequest, Depends(get_tokens_request)]
