"""Settings of the HTTP service, read from the environment once at start-up.

The locations of the gallery, the store and the catalog are the library's own settings
(`SSL_ATTENTION_IMAGES`, `SSL_ATTENTION_STORE`, `SSL_ATTENTION_DB`); the rest tunes the service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ssl_attention.data.remote import is_remote
from ssl_attention.settings import Settings

DEFAULT_FRONTEND_DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"
DEFAULT_RENDER_SLOTS = max(1, min(4, os.cpu_count() or 1))


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _env_number(name: str, default: float, *, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:  # also refuses NaN
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


@dataclass(frozen=True)
class ApiSettings:
    """Everything the service is configured with.

    images, store, db: where the gallery folder, the Zarr store and the SQL catalog are.
    cache_mb: memory budget of the decoded-chunk LRU cache (`SSL_ATTENTION_CACHE_MB`, default 256).
    thumbnail_cache_mb: memory budget of the encoded-thumbnail cache (`SSL_ATTENTION_THUMBNAIL_CACHE_MB`).
    max_age: seconds a client may reuse a data response without asking again
        (`SSL_ATTENTION_MAX_AGE`); 0, the default, means `Cache-Control: no-cache`: clients
        revalidate every time with the ETag and get a bodiless 304 when nothing changed.
    models_ttl: seconds the store's model attributes are reused before they are read again
        (`SSL_ATTENTION_MODELS_TTL`); a model added by a running precompute appears within it.
    frontend_dist: the built web app, served at `/` when the folder exists
        (`SSL_ATTENTION_FRONTEND_DIST`, default app/frontend/dist).
    render_slots: heatmap PNGs drawn at once (`SSL_ATTENTION_RENDER_SLOTS`, default: the CPU
        count, at most 4); render_queue: how many more may wait for a slot
        (`SSL_ATTENTION_RENDER_QUEUE`, default 8), each at most render_wait_s seconds
        (`SSL_ATTENTION_RENDER_WAIT_S`, default 5). Beyond that: 503 with Retry-After.
    """

    images: Path | str  # a folder, or the URL of a prefix on object storage (s3://bucket/photos)
    store: str
    db: str
    cache_mb: float = 256
    thumbnail_cache_mb: float = 32
    max_age: int = 0
    models_ttl: float = 2.0
    frontend_dist: Path = field(default=DEFAULT_FRONTEND_DIST)
    render_slots: int = DEFAULT_RENDER_SLOTS
    render_queue: int = 8
    render_wait_s: float = 5.0

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 1024 * 1024)

    @property
    def thumbnail_cache_bytes(self) -> int:
        return int(self.thumbnail_cache_mb * 1024 * 1024)

    @classmethod
    def from_env(cls) -> ApiSettings:
        base = Settings.from_env()
        return cls(
            images=base.images if is_remote(base.images) else Path(base.images),
            store=base.store,
            db=base.db,
            cache_mb=_env_number("SSL_ATTENTION_CACHE_MB", 256, minimum=0),
            thumbnail_cache_mb=_env_number("SSL_ATTENTION_THUMBNAIL_CACHE_MB", 32, minimum=0),
            max_age=int(_env_number("SSL_ATTENTION_MAX_AGE", 0, minimum=0)),
            models_ttl=_env_number("SSL_ATTENTION_MODELS_TTL", 2.0, minimum=0),
            frontend_dist=Path(os.environ.get("SSL_ATTENTION_FRONTEND_DIST") or DEFAULT_FRONTEND_DIST),
            render_slots=int(_env_number("SSL_ATTENTION_RENDER_SLOTS", DEFAULT_RENDER_SLOTS, minimum=1)),
            render_queue=int(_env_number("SSL_ATTENTION_RENDER_QUEUE", 8, minimum=0)),
            render_wait_s=_env_number("SSL_ATTENTION_RENDER_WAIT_S", 5.0, minimum=0),
        )
