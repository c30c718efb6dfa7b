"""Shared dependencies: the services of the app, and the lookups every router needs.

Lookups raise `ApiError` (404 for an unknown model or image, 409 for maps not precomputed yet,
422 for an image precompute could not decode); parameter checks against a model raise
`InvalidParameter` (400). Those that block on I/O are plain `def`s, so FastAPI runs them in
its threadpool; pure ones are `async def` and cost no thread hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from app.backend.config import ApiSettings
from app.backend.errors import ApiError
from app.backend.responses import CachePolicy
from app.backend.services.catalog import CatalogReader
from app.backend.services.images import Thumbnails
from app.backend.services.slices import Fusion, MapMethod, SliceSpec, resolve_heads, resolve_slice
from app.backend.services.store import AttentionStore, StoredModel
from ssl_attention.store.catalog import ImageInfo

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
    stored = lookup_model(services, model)
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
