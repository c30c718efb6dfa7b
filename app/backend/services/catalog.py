"""Read access to the SQL catalog, opened lazily and never created or migrated by the service."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.backend.services.errors import Unavailable
from ssl_attention.store.catalog import (
    AnnotationRow,
    Catalog,
    ImageEntry,
    ImageInfo,
    MetricSummaryRow,
    MetricValue,
    VlmSample,
)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class CatalogReader:
    """The catalog as the service sees it. Thread-safe; every method may block on I/O.

    A SQLite catalog that does not exist yet is reported as unavailable instead of being
    created empty; database errors surface as `SQLAlchemyError` (mapped to 503 by the app).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()

    def _get(self) -> Catalog:
        catalog = self._catalog
        if catalog is not None:
            return catalog
        with self._lock:
            if self._catalog is None:
                self._catalog = self._open()
            return self._catalog

    def _open(self) -> Catalog:
        try:
            path = sqlite_file(self.url)
            if path is not None and not path.is_file():
                raise Unavailable(f"no catalog at {path}; run `precompute` first")
            return Catalog.open(self.url, migrate=False)
        except ArgumentError:
            raise Unavailable("SSL_ATTENTION_DB is not a valid SQLAlchemy URL") from None
        except ImportError as error:
            raise Unavailable(
                f"the database driver for SSL_ATTENTION_DB is not installed ({error.name})"
            ) from None
        except SQLAlchemyError as error:
            raise Unavailable(f"the catalog cannot be opened ({type(error).__name__})") from None

    def check(self) -> None:
        """Raise when the catalog cannot answer a query."""
        with self._get().engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM images LIMIT 1"))

    def images(self, *, limit: int, offset: int, query: str | None) -> tuple[list[ImageInfo], int]:
        return self._get().images(limit=limit, offset=offset, query=query)

    def image(self, image_id: str) -> ImageInfo | None:
        return self._get().image(image_id)

    def entry(self, image_id: str, model: str) -> ImageEntry | None:
        return self._get().entry(image_id, model)

    def vlm_samples(self, image_id: str, model: str) -> list[VlmSample]:
        """The prompts whose maps are written for an image and a VLM, by prompt index."""
        return self._get().vlm_samples(image_id, model)

    def annotations(self, image_id: str) -> list[AnnotationRow]:
        return self._get().annotations(image_id)

    def metric_names(self) -> list[str]:
        return self._get().metric_names()

    def summaries(
        self,
        *,
        metric: str,
        model: str | None = None,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
        label: str = "",
    ) -> list[MetricSummaryRow]:
        return self._get().summaries(
            metric=metric, model=model, method=method, layer=layer, head=head, label=label
        )

    def metric_values(
        self,
        *,
        image_id: str | None = None,
        model: str | None = None,
        metric: str | None = None,
        method: str | None = None,
        layer: int | None = None,
        head: int | None = None,
    ) -> list[MetricValue]:
        return self._get().metric_values(
            image_id=image_id, model=model, metric=metric, method=method, layer=layer, head=head
        )

    def image_labels(self) -> dict[str, set[str]]:
        return self._get().image_labels()

    def close(self) -> None:
        with self._lock:
            if self._catalog is not None:
                self._catalog.close()
                self._catalog = None
