"""Read access to the SQL catalog, opened lazily and never created or migrated by the service."""

from __future__ import annotations

import threading

from app.backend.services.errors import Unavailable
from ssl_attention.store import catalog
from ssl_attention.store.catalog import (
    ImageEntry,
    ImageInfo,
    MetricSummary,
    MetricValue,
    ShiftSummary,
    ShiftValue,
    StoredAnnotation,
    VlmSample,
)


class CatalogReader:
    """The catalog as the service sees it: `ssl_attention.store.catalog.CatalogReader`, opened on
    first use. Thread-safe; every method may block on I/O and returns records only.

    A SQLite catalog that does not exist yet is reported as unavailable instead of being
    created empty (and looked for again on the next call); database errors surface as
    `SQLAlchemyError` (mapped to 503 by the app).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._catalog: catalog.CatalogReader | None = None
        self._lock = threading.Lock()

    def _get(self) -> catalog.CatalogReader:
        opened = self._catalog
        if opened is not None:
            return opened
        with self._lock:
            if self._catalog is None:
                try:
                    self._catalog = catalog.CatalogReader.open_existing(self.url, setting="SSL_ATTENTION_DB")
                except catalog.CatalogUnavailable as error:
                    raise Unavailable(error.message) from None
            return self._catalog

    def check(self) -> None:
        """Raise when the catalog cannot answer a query."""
        self._get().check()

    def images(self, *, limit: int, offset: int, query: str | None) -> tuple[list[ImageInfo], int]:
        return self._get().images(limit=limit, offset=offset, query=query)

    def image(self, image_id: str) -> ImageInfo | None:
        return self._get().image(image_id)

    def entry(self, image_id: str, model: str) -> ImageEntry | None:
        return self._get().entry(image_id, model)

    def vlm_samples(self, image_id: str, model: str) -> list[VlmSample]:
        """The prompts whose maps are written for an image and a VLM, by prompt index."""
        return self._get().vlm_samples(image_id, model)

    def annotations(self, image_id: str) -> list[StoredAnnotation]:
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
    ) -> list[MetricSummary]:
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

    def shift_summaries(self, model: str, base: str) -> list[ShiftSummary]:
        """How far `model` moved from `base`, per method × layer × head (`precompute --metrics`)."""
        return self._get().shift_summaries(model, base)

    def shift_values(self, model: str, base: str, *, method: str, layer: int, head: int) -> list[ShiftValue]:
        """Per image, the distance of one map of `model` from `base`'s."""
        return self._get().shift_values(model, base, method=method, layer=layer, head=head)

    def close(self) -> None:
        with self._lock:
            if self._catalog is not None:
                self._catalog.close()
                self._catalog = None
