"""`/health`: can the service read the store and the catalog?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.backend.dependencies import ServicesDep
from app.backend.schemas import CacheHealth, ComponentHealth, Health, StoreHealth
from app.backend.services.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the store or the catalog cannot be read"}},
)
def health(services: ServicesDep) -> JSONResponse:
    """200 when the store and the catalog can both be read, else 503 saying which cannot and why."""
    store = StoreHealth(ok=True, url=services.settings.store)
    try:
        store.models = services.store.check()
    except Unavailable as error:
        store.ok, store.detail = False, error.message
    catalog = ComponentHealth(ok=True)
    try:
        services.catalog.check()
    except Unavailable as error:
        catalog.ok, catalog.detail = False, error.message
    except SQLAlchemyError as error:
        catalog.ok, catalog.detail = False, f"the catalog cannot be queried ({type(error).__name__})"
    stats = services.store.cache_stats()
    body = Health(
        status="ok" if store.ok and catalog.ok else "unavailable",
        store=store,
        catalog=catalog,
        cache=CacheHealth(
            items=stats.items,
            bytes=stats.bytes,
            max_bytes=stats.max_bytes,
            hits=stats.hits,
            misses=stats.misses,
        ),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200 if body.status == "ok" else 503,
        headers={"Cache-Control": "no-store"},
    )
