"""The lookups every router needs: a model by key, an image by id, an image's maps for a model.

Lookups raise `ApiError` (404 for an unknown model or image, 409 for maps not precomputed yet,
422 for an image precompute could not decode). They block on I/O, so they are plain `def`s and
FastAPI runs them in its threadpool. A model key is whatever name the store holds a group under
(a registry key, or a variant's name): it is looked up in the store, never in the model registry.
The service container is `container.py` (`Services` and `ServicesDep` are importable from here
too); map requests (slices, text tokens) are `map_requests.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from app.backend.container import Services, ServicesDep
from app.backend.errors import ApiError
from app.backend.services.store import StoredModel
from app.backend.services.targets import Target
from ssl_attention.store.catalog import ImageInfo

MAX_ECHO = 80  # characters of a client-supplied id quoted back in an error message

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


def get_sized_image(image_id: ImageId, services: ServicesDep) -> ImageInfo:
    """An image whose width and height are known (what a heatmap's frame needs)."""
    image = services.catalog.image(image_id)
    if image is None or image.width is None or image.height is None:
        raise ApiError(404, f"unknown image {quoted(image_id)}")
    return image


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


def get_target(image_id: ImageId, model: ModelKey, services: ServicesDep) -> Target:
    return lookup_target(services, image_id, lookup_model(services, model))


TargetDep = Annotated[Target, Depends(get_target)]
ImageDep = Annotated[ImageInfo, Depends(get_image)]
SizedImageDep = Annotated[ImageInfo, Depends(get_sized_image)]
ModelDep = Annotated[StoredModel, Depends(get_model)]
