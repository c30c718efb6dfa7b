"""The ASGI app: `uvicorn app.backend.main:app` (configured by the environment, see `config.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from app.backend.config import ApiSettings
from app.backend.dependencies import Services
from app.backend.docs_ui import install_docs
from app.backend.errors import install_error_handlers
from app.backend.frontend import mount_frontend
from app.backend.head import HeadAsGet
from app.backend.routers import (
    attention,
    faithfulness,
    health,
    images,
    jobs,
    metrics,
    models,
    served,
    shift,
    texts,
)

# shift and faithfulness before metrics: `/metrics/{image_id}` would otherwise answer them.
ROUTERS = (
    health.router,
    served.router,
    models.router,
    images.router,
    attention.router,
    shift.router,
    faithfulness.router,
    metrics.router,
    jobs.router,
    texts.router,
)
GZIP_MINIMUM_BYTES = 1000
GZIP_LEVEL = 5

DESCRIPTION = """
Raw attention maps of vision transformers and vision-language models (text→image maps per
prompt and token), precomputed by `precompute` into a Zarr store and an SQL catalog, served as
JSON, float16 bytes or PNG. Maps are the stored attention
probabilities on the patch grid (no upsampling, no min-max) unless a request asks otherwise.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the app; nothing is opened until a request needs it, so a missing store or
    catalog gives 503 responses rather than a failed start."""
    settings = settings or ApiSettings.from_env()
    services = Services.create(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(
        title="ssl-attention",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs_ui.py serves /docs and /redoc with local assets (no CDN)
        redoc_url=None,
    )
    app.state.services = services
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(HeadAsGet)  # outermost: HEAD gets GET's status and headers, gzip included
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    docs_paths = install_docs(app)
    api_paths = [getattr(route, "path", None) for router in ROUTERS for route in router.routes]
    mount_frontend(app, settings.frontend_dist, [*api_paths, app.openapi_url, *docs_paths])
    return app


app = create_app()
