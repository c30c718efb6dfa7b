"""Where the gallery, the store and the catalog live (environment first, then defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_IMAGES = "data/samples"
DEFAULT_STORE = "data/cache/attention.zarr"
DEFAULT_DB = "sqlite:///data/cache/catalog.db"


@dataclass(frozen=True)
class Settings:
    images: str
    store: str
    db: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            images=os.environ.get("SSL_ATTENTION_IMAGES", DEFAULT_IMAGES),
            store=os.environ.get("SSL_ATTENTION_STORE", DEFAULT_STORE),
            db=os.environ.get("SSL_ATTENTION_DB", DEFAULT_DB),
        )
