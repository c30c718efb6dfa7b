"""The SQL catalog: migrations, stable rows, done marks, changed files, search.

Every test runs on SQLite and, when `SSL_ATTENTION_TEST_POSTGRES_URL` points at a server
(`./dev.sh test` starts a throwaway one where PostgreSQL is installed), on PostgreSQL too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, VlmSample

POSTGRES = os.environ.get("SSL_ATTENTION_TEST_POSTGRES_URL")
MTIME_NS = 1_763_800_000_123_456_789  # a real file's st_mtime_ns: beyond a 32-bit INTEGER


def catalog_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'catalog.db'}"
        return
    if not POSTGRES:
        pytest.skip(
            "PostgreSQL: set SSL_ATTENTION_TEST_POSTGRES_URL (./dev.sh test does where it is installed)"
        )
    name = f"catalog_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from catalog_url(request.param, tmp_path)


@pytest.fixture
def catalog(url: str) -> Iterator[CatalogWriter]:
    opened = CatalogWriter.open(url)
    yield opened
    opened.close()


def files(*ids: str, size: int = 10) -> list[DiscoveredFile]:
    return [DiscoveredFile(i, f"{i}.jpg", size, MTIME_NS) for i in ids]


def test_migrations_create_every_table_and_are_idempotent(url: str) -> None:
    CatalogWriter.open(url).close()
    again = CatalogWriter.open(url)  # upgrading an up-to-date database is a no-op
    tables = set(inspect(again.engine).get_table_names())
    again.close()
    assert {
        "images",
        "runs",
        "entries",
        "annotations",
        "metrics",
        "metric_summaries",
        "vlm_samples",
        "alembic_version",
    } <= tables


def test_rows_are_stable_and_new_images_append(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("b", "a"))
    assert catalog.assign_rows("m", ["a", "b"]) == {"a": 0, "b": 1}
    catalog.sync_images(files("c"))
    assert catalog.assign_rows("m", ["c", "a", "b"]) == {"a": 0, "b": 1, "c": 2}
    assert catalog.assign_rows("other", ["c"]) == {"c": 0}


def test_rows_count_only_once_marked_done(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("a", "b"))
    catalog.assign_rows("m", ["a", "b"])
    run = catalog.start_run("m", "ckpt", "random", {"image_size": 224})
    assert catalog.row_of("a", "m") is None
    catalog.mark_done("m", ["a"], run)
    assert catalog.row_of("a", "m") == 0 and catalog.done_ids("m") == {"a"}
    catalog.finish_run(run, status="done", seconds=1.5, bytes_written=10)
    (recorded,) = catalog.runs("m")
    assert (recorded.status, recorded.images_done, recorded.params["image_size"]) == ("done", 1, 224)
    info = catalog.image("a")
    assert info is not None and info.models == ("m",)


def test_a_changed_file_is_recomputed(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("a"))
    catalog.assign_rows("m", ["a"])
    catalog.mark_done("m", ["a"], catalog.start_run("m", "c", "random", {}))
    catalog.sync_images(files("a"))  # unchanged
    assert catalog.done_ids("m") == {"a"}
    catalog.sync_images(files("a", size=11))  # replaced on disk
    assert catalog.done_ids("m") == set()
    assert catalog.assign_rows("m", ["a"]) == {"a": 0}  # same row, recomputed in place


def test_vlm_samples_mark_images_done_and_go_with_changes_and_resets(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("a", "b"))
    catalog.assign_rows("vlm", ["a", "b"])
    run = catalog.start_run("vlm", "ckpt", "random", {})
    samples = [
        VlmSample("a", "vlm", 0, "Describe.", "A cat.", 9),
        VlmSample("a", "vlm", 1, "Where?", "Left.", 5),
    ]
    catalog.mark_vlm_image_done("vlm", "a", samples, run)
    catalog.mark_vlm_image_done("vlm", "a", samples[:1], run)  # rewritten: no duplicate, counted once
    assert catalog.done_ids("vlm") == {"a"} and catalog.row_of("a", "vlm") == 0
    assert catalog.vlm_samples("a", "vlm") == samples
    assert catalog.done_samples("vlm") == {("a", 0), ("a", 1)}
    assert catalog.runs("vlm")[0].images_done == 1
    catalog.sync_images(files("a", size=11))  # the file changed: its samples are gone
    assert catalog.done_samples("vlm") == set() and catalog.done_ids("vlm") == set()
    catalog.mark_vlm_image_done("vlm", "b", [VlmSample("b", "vlm", 0, "Describe.", "", 3)], run)
    catalog.replace_summaries(
        [
            dict(model=m, method="mean", layer=0, head=-1, metric="iou", label="", mean=0.5, std=0.1,
                 ci_low=0.4, ci_high=0.6, count=3)
            for m in ("vlm", "dinov2")
        ]
    )  # fmt: skip
    catalog.reset_model("vlm")
    assert catalog.done_samples("vlm") == set() and catalog.done_ids("vlm") == set()
    assert [row.model for row in catalog.summaries()] == ["dinov2"]  # other models' summaries stay


def test_search_and_paging_treat_wildcards_literally(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("cat_1", "cat%2", "dog", "catalogue"))
    page, total = catalog.images(limit=2, offset=0, query="cat")
    assert total == 3 and [i.id for i in page] == ["cat%2", "cat_1"]
    assert [i.id for i in catalog.images(query="%")[0]] == ["cat%2"]
    assert [i.id for i in catalog.images(query="_")[0]] == ["cat_1"]
    assert catalog.images(limit=10, offset=10)[0] == []


def test_image_errors_are_recorded_and_cleared(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("a"))
    catalog.record_image_error("a", "broken image data")
    assert catalog.image("a").error == "broken image data"  # type: ignore[union-attr]
    catalog.record_image("a", sha256="0" * 64, width=3, height=2)
    info = catalog.image("a")
    assert info is not None and (info.error, info.width, info.height) == (None, 3, 2)


def test_annotations_replace_by_source(catalog: CatalogWriter) -> None:
    catalog.sync_images(files("a"))
    assert (
        catalog.replace_annotations([("a", "cat", 0.1, 0.2, 0.5, 0.6), ("zzz", "dog", 0, 0, 1, 1)], "gt") == 1
    )
    assert catalog.replace_annotations([("a", "cup", 0.0, 0.0, 0.5, 0.5)], "gt") == 1
    assert [a.label for a in catalog.annotations("a")] == ["cup"]


def test_outlines_and_masks_round_trip_and_keep_metrics_when_unchanged(catalog: CatalogWriter) -> None:
    from ssl_attention.store.catalog import AnnotationBox, MetricValue

    catalog.sync_images(files("a"))
    box = AnnotationBox("a", "roof", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),), (2, 2, (1, 2, 1)))
    catalog.replace_annotations([box], "gt")
    (row,) = catalog.annotations("a")
    assert row.polygons == ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),) and row.mask == (2, 2, (1, 2, 1))
    assert row.box() == box and row.source == "gt"
    catalog.add_metrics([MetricValue("a", "m", "cls", 0, -1, "energy", 0.5)])
    catalog.replace_annotations([box], "gt")  # the same regions: metrics stay
    assert catalog.metric_pairs() == {("a", "m")}
    catalog.replace_annotations([box._replace(mask=(2, 2, (0, 4, 0)))], "gt")  # another mask: rescored
    assert catalog.metric_pairs() == set()
