"""The SQL catalog beside the Zarr store: images, runs, entries (image × model → row), annotations,
metrics, VLM samples and the shift of variants from their bases.

SQLAlchemy 2 with typed mappings (`schema.py`, used only inside this package); SQLite by default,
any SQLAlchemy URL works. The schema is owned by Alembic (`store/migrations/`); `CatalogWriter.open`
upgrades it to head. `CatalogReader` answers the API and the metrics with the plain records of
`records.py`; `CatalogWriter` (a reader too) is what precompute and the metrics step write through.
"""

from ssl_attention.store.catalog.engine import CatalogUnavailable, probe_catalog, sqlite_file, upgrade_schema
from ssl_attention.store.catalog.reader import CatalogReader
from ssl_attention.store.catalog.records import (
    AnnotationBox,
    DiscoveredFile,
    ImageEntry,
    ImageFacts,
    ImageInfo,
    MetricSummary,
    MetricValue,
    RunInfo,
    ShiftSummary,
    ShiftValue,
    StoredAnnotation,
    StorePairing,
    VlmSample,
)
from ssl_attention.store.catalog.writer import CatalogWriter

__all__ = [
    "AnnotationBox",
    "CatalogReader",
    "CatalogUnavailable",
    "CatalogWriter",
    "DiscoveredFile",
    "ImageEntry",
    "ImageFacts",
    "ImageInfo",
    "MetricSummary",
    "MetricValue",
    "RunInfo",
    "ShiftSummary",
    "ShiftValue",
    "StorePairing",
    "StoredAnnotation",
    "VlmSample",
    "probe_catalog",
    "sqlite_file",
    "upgrade_schema",
]
