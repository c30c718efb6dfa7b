"""The services of the app, created once per app and handed to every route by `ServicesDep`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.backend.config import ApiSettings
from app.backend.responses import CachePolicy
from app.backend.services.catalog import LazyCatalog
from app.backend.services.heatmap import RenderGate
from app.backend.services.images import Thumbnails
from app.backend.services.jobs import Jobs
from app.backend.services.store import AttentionStore
from app.backend.services.texts import TextStore


@dataclass
class Services:
    """Everything the routers use, created once per app (nothing is opened until first use)."""

    settings: ApiSettings
    store: AttentionStore
    catalog: LazyCatalog
    thumbnails: Thumbnails
    http: CachePolicy
    renders: RenderGate
    jobs: Jobs
    texts: TextStore

    @classmethod
    def create(cls, settings: ApiSettings) -> Services:
        store = AttentionStore(
            settings.store, cache_bytes=settings.cache_bytes, models_ttl=settings.models_ttl
        )
        catalog = LazyCatalog(settings.db, settings.store)
        return cls(
            settings=settings,
            store=store,
            catalog=catalog,
            thumbnails=Thumbnails(settings.thumbnail_cache_bytes),
            http=CachePolicy(settings.max_age),
            renders=RenderGate(settings.render_slots, settings.render_queue, settings.render_wait_s),
            jobs=Jobs(catalog, store, settings.images, settings.jobs),
            texts=TextStore(settings.store, settings.models_ttl),
        )

    def close(self) -> None:
        self.catalog.close()


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
