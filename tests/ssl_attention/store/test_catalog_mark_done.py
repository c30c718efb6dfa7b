"""`CatalogWriter.mark_done`: a batch's rows and its images' facts in one transaction, and
`runs.images_done` exact when a batch is marked again (a retried worker redoing a sharded unit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select

from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, ImageFacts, VlmSample
from ssl_attention.store.catalog.schema import EntryRow, ImageRow
from tests.ssl_attention.store.test_catalog import MTIME_NS, catalog_url


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CatalogWriter]:
    for url in catalog_url(request.param, tmp_path):
        writer = CatalogWriter.open(url)
        writer.sync_images([DiscoveredFile(i, f"{i}.jpg", 10, MTIME_NS) for i in "abcd"])
        writer.assign_rows("m", list("abcd"))
        yield writer
        writer.close()


def facts(ids: str) -> list[ImageFacts]:
    return [ImageFacts(i, i * 64, 10 + n, 20 + n) for n, i in enumerate(ids)]


def images_done(catalog: CatalogWriter, run_id: int) -> int:
    (run,) = [r for r in catalog.runs("m") if r.id == run_id]
    return run.images_done


def test_the_images_facts_are_recorded_with_the_rows_in_one_commit(catalog: CatalogWriter) -> None:
    catalog.record_image_error("a", "was broken once")
    run_id = catalog.start_run("m", "c", "random", {})
    commits: list[object] = []
    count = commits.append  # one bound method: the listener `event.remove` must find
    event.listen(catalog.engine, "commit", count)
    catalog.mark_done("m", ["a", "b"], run_id, facts("ab"))
    event.remove(catalog.engine, "commit", count)
    assert len(commits) == 1
    with catalog.engine.connect() as connection:
        rows = connection.execute(
            select(ImageRow.id, ImageRow.sha256, ImageRow.width, ImageRow.height, ImageRow.error).order_by(
                ImageRow.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("a", "a" * 64, 10, 20, None),  # the old error cleared, as `record_image` does
        ("b", "b" * 64, 11, 21, None),
        ("c", None, None, None, None),
        ("d", None, None, None, None),
    ]
    assert catalog.done_ids("m") == {"a", "b"} and images_done(catalog, run_id) == 2


def test_a_batch_marked_again_by_the_same_run_is_counted_once(catalog: CatalogWriter) -> None:
    """A sharded unit of batches (a, b) then (c, d): the worker is killed after the first batch's
    commit, and the retried unit marks (a, b) again before (c, d)."""
    run_id = catalog.start_run("m", "c", "random", {})
    catalog.mark_done("m", ["a", "b"], run_id, facts("ab"))
    catalog.mark_done("m", ["a", "b"], run_id, facts("ab"))  # the retry
    catalog.mark_done("m", ["c", "d"], run_id, facts("cd"))
    assert images_done(catalog, run_id) == 4 == len(catalog.done_ids("m"))
    # A later run that redoes a row (repairing a damaged chunk) counts it: it is that run's work.
    again = catalog.start_run("m", "c", "random", {})
    catalog.mark_done("m", ["b"], again)
    catalog.mark_done("m", ["b"], again)
    assert (images_done(catalog, again), images_done(catalog, run_id)) == (1, 4)
    with catalog.engine.connect() as connection:
        runs = dict(connection.execute(select(EntryRow.image_id, EntryRow.run_id)).all())
    assert runs == {"a": run_id, "b": again, "c": run_id, "d": run_id}


def test_a_vlm_image_is_recorded_with_its_samples(catalog: CatalogWriter) -> None:
    catalog.assign_rows("vlm", ["a"])
    run_id = catalog.start_run("vlm", "c", "random", {})
    sample = VlmSample("a", "vlm", 0, "Describe.", "A cat.", 3)
    catalog.mark_vlm_image_done("vlm", "a", [sample], run_id, ImageFacts("a", "f" * 64, 7, 5))
    catalog.mark_vlm_image_done("vlm", "a", [sample], run_id, ImageFacts("a", "f" * 64, 7, 5))
    entry = catalog.image("a")
    assert entry is not None and (entry.sha256, entry.width, entry.height) == ("f" * 64, 7, 5)
    assert [r.images_done for r in catalog.runs("vlm")] == [1]
