"""Read access to the SQL catalog, opened lazily and never created or migrated by the service.

The catalog must describe the store the service serves: when both record an identity
(`ssl_attention.store.identity`) and they differ, the catalog is reported unavailable (503 on
every route that needs it, and on /health) instead of answering for another store's rows."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

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
from ssl_attention.store.catalog.faithfulness import (
    FaithfulnessPair,
    FaithfulnessSummary,
    FaithfulnessValue,
)
from ssl_attention.store.catalog.texts import TextRecord
from ssl_attention.store.identity import read_store_id


def unmatchable(*values: str | None) -> bool:
    """Whether a client-supplied value can match no catalog row: a NUL character is in no id,
    path or name (file names cannot hold one) and PostgreSQL refuses it in a query, so such a
    value never reaches SQL: the lookup answers "none" (404) on every database alike."""
    return any(value is not None and "\x00" in value for value in values)


class LazyCatalog:
    """The catalog as the service sees it: `ssl_attention.store.catalog.CatalogReader`, opened on
    first use. Thread-safe; every method may block on I/O and returns records only.

    A SQLite catalog that does not exist yet is reported as unavailable instead of being
    created empty (and looked for again on the next call); database errors surface as
    `SQLAlchemyError` (mapped to 503 by the app).
    """

    def __init__(self, url: str, store_url: str | None = None) -> None:
        self.url = url
        self.store_url = store_url  # the store served beside it: the pair is checked on opening
        self._catalog: catalog.CatalogReader | None = None
        self._lock = threading.Lock()

    def _get(self) -> catalog.CatalogReader:
        opened = self._catalog
        if opened is not None:
            return opened
        with self._lock:
            if self._catalog is None:
                try:
                    opened = catalog.CatalogReader.open_existing(self.url, setting="SSL_ATTENTION_DB")
                except catalog.CatalogUnavailable as error:
                    raise Unavailable(error.message) from None
                try:
                    self._check_pair(opened)
                except BaseException:
                    opened.close()  # looked at again on the next call (a rerun may pair them)
                    raise
                self._catalog = opened
            return self._catalog

    def _check_pair(self, opened: catalog.CatalogReader) -> None:
        """Raise Unavailable when the catalog and the store record different identities."""
        if self.store_url is None:
            return
        described = opened.pairing().store_id
        served = read_store_id(self.store_url)
        if described is not None and served is not None and described != served:
            raise Unavailable(
                f"SSL_ATTENTION_DB describes another store (id {described[:8]}) than the one at "
                f"SSL_ATTENTION_STORE (id {served[:8]}); point SSL_ATTENTION_DB at this store's catalog"
            )

    def engine(self) -> Engine:
        """The opened catalog's engine (for the jobs queue, `services/jobs.py`)."""
        return self._get().engine

    def check(self) -> None:
        """Raise when the catalog cannot answer a query, or describes another store."""
        opened = self._get()
        opened.check()
        self._check_pair(opened)

    def images(self, *, limit: int, offset: int, query: str | None) -> tuple[list[ImageInfo], int]:
        if unmatchable(query):
            return [], 0
        return self._get().images(limit=limit, offset=offset, query=query)

    def image(self, image_id: str) -> ImageInfo | None:
        if unmatchable(image_id):
            return None
        return self._get().image(image_id)

    def entry(self, image_id: str, model: str) -> ImageEntry | None:
        if unmatchable(image_id, model):
            return None
        return self._get().entry(image_id, model)

    def vlm_samples(self, image_id: str, model: str) -> list[VlmSample]:
        """The prompts whose maps are written for an image and a VLM, by prompt index."""
        if unmatchable(image_id, model):
            return []
        return self._get().vlm_samples(image_id, model)

    def annotations(self, image_id: str) -> list[StoredAnnotation]:
        if unmatchable(image_id):
            return []
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
        if unmatchable(metric, model, method, label):
            return []
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
        if unmatchable(image_id, model, metric, method):
            return []
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

    def texts(
        self, *, model: str | None, category: str | None, query: str | None, limit: int, offset: int
    ) -> tuple[list[TextRecord], int]:
        """A page of the precomputed texts (`precompute --texts`), and how many match."""
        if unmatchable(model, category, query):
            return [], 0
        return self._get().list_texts(model=model, category=category, q=query, limit=limit, offset=offset)

    def text_categories(self) -> list[str]:
        return self._get().categories()

    def faithfulness_summaries(self, model: str | None = None) -> list[FaithfulnessSummary]:
        """Mean deletion/insertion AUCs per model × method × layer × head (`precompute --faithfulness`)."""
        if unmatchable(model):
            return []
        return self._get().faithfulness_summaries(model)

    def faithfulness_pairs(self, model: str) -> dict[tuple[str, str], FaithfulnessPair]:
        if unmatchable(model):
            return {}
        return self._get().faithfulness_pairs(model)

    def faithfulness_values(
        self, *, model: str, image_id: str, method: str | None, layer: int | None, head: int | None
    ) -> list[FaithfulnessValue]:
        if unmatchable(model, image_id, method):
            return []
        return self._get().faithfulness_values(
            model=model, image_id=image_id, method=method, layer=layer, head=head
        )

    def close(self) -> None:
        with self._lock:
            if self._catalog is not None:
                self._catalog.close()
                self._catalog = None
