"""`/images`: the gallery as the catalog knows it, the files and their thumbnails."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from app.backend.dependencies import ImageDep, ServicesDep
from app.backend.errors import ApiError
from app.backend.responses import make_etag
from app.backend.schemas import Annotation, ErrorBody, ImageDetail, ImagePage, ImageSummary
from app.backend.services.images import GalleryFile, resolve_gallery_file
from ssl_attention.store.catalog import ImageInfo

router = APIRouter(prefix="/images", tags=["images"])

MAX_PAGE = 500
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
THUMBNAIL_MIN, THUMBNAIL_MAX, THUMBNAIL_DEFAULT = 16, 1024, 256

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "unknown image"}}
UNAVAILABLE: Responses = {503: {"model": ErrorBody, "description": "the catalog cannot be read"}}
UNREADABLE: Responses = {
    422: {"model": ErrorBody, "description": "the file is not a usable image, or is gone"}
}


def summary(image: ImageInfo) -> ImageSummary:
    return ImageSummary(
        id=image.id,
        path=image.path,
        width=image.width,
        height=image.height,
        sha256=image.sha256,
        error=image.error,
        models=list(image.models),
        annotations=image.annotations,
    )


def usable_file(services: ServicesDep, image: ImageInfo) -> GalleryFile:
    if image.error is not None:
        raise ApiError(422, f"image {image.id!r} is not a usable image: {image.error}")
    return resolve_gallery_file(services.settings.images, image.path)


@router.get("", response_model=ImagePage, responses=UNAVAILABLE)
def list_images(
    request: Request,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="images to skip")] = 0,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_CONTROL_CHARACTERS, description="substring of the id or path"),
    ] = None,
) -> Response:
    """A page of images ordered by id, optionally filtered by `q`; `total` counts every match."""
    images, total = services.catalog.images(limit=limit, offset=offset, query=q or None)
    body = ImagePage(total=total, limit=limit, offset=offset, items=[summary(image) for image in images])
    return services.http.json(request, body)


@router.get("/{image_id}", response_model=ImageDetail, responses={**NOT_FOUND, **UNAVAILABLE})
def get_image(request: Request, image: ImageDep, services: ServicesDep) -> Response:
    """One image: size, content hash, models whose maps are done, and its annotation boxes."""
    annotations = [
        Annotation(label=a.label, box=[a.x0, a.y0, a.x1, a.y1], source=a.source)
        for a in services.catalog.annotations(image.id)
    ]
    body = ImageDetail(**summary(image).model_dump(exclude={"annotations"}), annotations=annotations)
    return services.http.json(request, body)


@router.get(
    "/{image_id}/file",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/*": {}}, "description": "the original file"},
        **NOT_FOUND,
        **UNREADABLE,
        **UNAVAILABLE,
    },
)
def get_file(request: Request, image: ImageDep, services: ServicesDep) -> Response:
    """The original file, as it is in the gallery folder."""
    file = usable_file(services, image)
    etag = make_etag("file", image.id, file.version)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    if file.stat is None:  # an object of a gallery on object storage: its bytes
        with file.open() as body:
            return Response(body.read(), media_type=file.media_type, headers=services.http.headers(etag))
    return FileResponse(
        file.path,
        media_type=file.media_type,
        stat_result=file.stat,
        headers=services.http.headers(etag),
        content_disposition_type="inline",
        filename=file.path.name,
    )


@router.get(
    "/{image_id}/thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "a JPEG, the longer side `size` pixels at most"},
        **NOT_FOUND,
        **UNREADABLE,
        **UNAVAILABLE,
    },
)
def get_thumbnail(
    request: Request,
    image: ImageDep,
    services: ServicesDep,
    size: Annotated[
        int, Query(ge=THUMBNAIL_MIN, le=THUMBNAIL_MAX, description="longer side in pixels (never upscaled)")
    ] = THUMBNAIL_DEFAULT,
) -> Response:
    """A JPEG thumbnail (cached in memory)."""
    file = usable_file(services, image)
    etag = make_etag("thumbnail", image.id, file.version, size)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    return services.http.content(request, services.thumbnails.get(file, size), "image/jpeg", etag)
