"""The catalog package's seams: the reader hands out plain frozen records (never ORM rows), the
writer is a reader too, and an existing catalog is opened without being created or migrated."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from ssl_attention.metrics.faithfulness import summarise_faithfulness
from ssl_attention.store.catalog import (
    AnnotationBox,
    CatalogReader,
    CatalogUnavailable,
    CatalogWriter,
    DiscoveredFile,
    ImageEntry,
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
from ssl_attention.store.catalog.faithfulness import FaithfulnessPair, FaithfulnessValue
from ssl_attention.store.catalog.schema import Base
from tests.ssl_attention.store.test_catalog import MTIME_NS, catalog_url

SUMMARY = MetricSummary("m", "cls", 0, -1, "energy", "", 0.5, 0.1, 0.4, 0.6, 2)
SHIFT = ShiftValue("a", "m-ft", "m", "cls", 0, -1, 0.125)
SHIFT_SUMMARY = ShiftSummary("m-ft", "m", "cls", 0, -1, 0.125, 0.125, 0.125, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from catalog_url(request.param, tmp_path)


FAITHFUL = FaithfulnessValue("a", "m", "cls", 0, -1, 0.25, 0.75, (1.0, 0.5, 0.0), (0.0, 0.5, 1.0))


def fill(url: str) -> None:
    """A catalog with one of everything, written through the writer."""
    writer = CatalogWriter.open(url)
    writer.sync_images([DiscoveredFile(i, f"{i}.jpg", 10, MTIME_NS) for i in ("a", "b", "broken")])
    writer.record_image("a", sha256="0" * 64, width=4, height=3)
    writer.record_image_error("broken", "not an image PIL can read")
    writer.assign_rows("m", ["a", "b"])
    writer.assign_rows("vlm", ["a"])
    run = writer.start_run("m", "ckpt", "pretrained", {"image_size": 224})
    writer.mark_done("m", ["a"], run)
    writer.finish_run(run, status="done", seconds=2.5, bytes_written=100)
    vlm_run = writer.start_run("vlm", "ckpt", "random", {})
    writer.mark_vlm_image_done("vlm", "a", [VlmSample("a", "vlm", 0, "Describe.", "A cat.", 7)], vlm_run)
    outline = ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),)
    writer.replace_annotations(
        [AnnotationBox("a", "cat", 0.1, 0.1, 0.5, 0.5, outline, (2, 2, (1, 2, 1))), ("b", "dog", 0, 0, 1, 1)],
        "gt",
    )
    writer.add_metrics([MetricValue("a", "m", "cls", 0, -1, "energy", 0.25)])
    writer.replace_summaries([SUMMARY])
    writer.add_shift("a", "m-ft", "m", "stamp", [SHIFT])
    writer.replace_shift_summaries("m-ft", "m", [SHIFT_SUMMARY])
    writer.add_faithfulness(FaithfulnessPair("a", "m", "stamp", "embedding-cosine", 2), [FAITHFUL])
    writer.replace_faithfulness_summaries("m", summarise_faithfulness([FAITHFUL]))
    writer.add_text(
        "lm", "t1", category="math", n_tokens=5, n_generated=0, content="1+1=2", digest="d", run_id=None
    )
    writer.close()


def reads(reader: CatalogReader) -> dict[str, Any]:
    """Every public read of the reader (the test below checks none is missing)."""
    return {
        "failed_ids": reader.failed_ids(),
        "image": reader.image("a"),
        "images": reader.images(limit=10, offset=0, query=None),
        "done_ids": reader.done_ids("m"),
        "row_of": reader.row_of("a", "m"),
        "entry": reader.entry("a", "m"),
        "done_samples": reader.done_samples("vlm"),
        "vlm_samples": reader.vlm_samples("a", "vlm"),
        "runs": reader.runs(),
        "annotated_ids": reader.annotated_ids(),
        "annotations": reader.annotations("a"),
        "image_labels": reader.image_labels(),
        "metric_pairs": reader.metric_pairs(),
        "metric_values": reader.metric_values(),
        "metric_names": reader.metric_names(),
        "summaries": reader.summaries(),
        "entry_stamps": reader.entry_stamps("m"),
        "shift_stamps": reader.shift_stamps("m-ft", "m"),
        "shift_values": reader.shift_values("m-ft", "m"),
        "shift_summaries": reader.shift_summaries("m-ft", "m"),
        "faithfulness_pairs": reader.faithfulness_pairs(),
        "faithfulness_values": reader.faithfulness_values(),
        "faithfulness_summaries": reader.faithfulness_summaries(),
        "list_texts": reader.list_texts(),
        "text_record": reader.text_record("lm", "t1"),
        "text_digests": reader.text_digests("lm"),
        "categories": reader.categories(),
        "pairing": reader.pairing(),
    }


def leaves(value: Any) -> Iterator[Any]:
    """Every value inside tuples, lists, sets, dicts and dataclasses, the containers included."""
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from leaves(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(key)
            yield from leaves(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from leaves(item)


def test_every_read_returns_records_not_rows(url: str) -> None:
    fill(url)
    reader = CatalogReader.open(url)
    found = reads(reader)
    public = {
        name
        for name in dir(CatalogReader)
        if not name.startswith("_") and callable(getattr(CatalogReader, name))
    }
    assert public - {"open", "open_existing", "close", "check"} == set(found)
    reader.close()  # records stay readable once the engine is gone: nothing is loaded lazily
    for name, value in found.items():
        rows = [leaf for leaf in leaves(value) if isinstance(leaf, Base)]
        assert not rows, f"{name} returned ORM rows: {rows}"
        for leaf in leaves(value):
            if dataclasses.is_dataclass(leaf) and not isinstance(leaf, type):
                assert type(leaf).__dataclass_params__.frozen, name  # type: ignore[attr-defined]

    assert found["failed_ids"] == {"broken"}
    assert found["pairing"] == StorePairing(None, None, True)  # rows, no store recorded yet
    assert found["image"] == ImageInfo("a", "a.jpg", "0" * 64, 4, 3, None, ("m", "vlm"), 1)
    page, total = found["images"]
    assert total == 3 and [i.id for i in page] == ["a", "b", "broken"] and page[1].models == ()
    assert (found["done_ids"], found["row_of"]) == ({"a"}, 0)
    assert found["entry"] == ImageEntry("a", "0" * 64, None, 0)
    assert found["done_samples"] == {("a", 0)}
    assert found["vlm_samples"] == [VlmSample("a", "vlm", 0, "Describe.", "A cat.", 7)]
    m_run, vlm_run = found["runs"]
    assert isinstance(m_run, RunInfo) and isinstance(m_run.started_at, dt.datetime)
    assert (m_run.model, m_run.status, m_run.images_done, m_run.seconds, m_run.bytes_written) == (
        "m",
        "done",
        1,
        2.5,
        100,
    )
    assert dict(m_run.params) == {"image_size": 224} and m_run.finished_at is not None
    assert (vlm_run.model, vlm_run.status, vlm_run.images_done, vlm_run.finished_at) == (
        "vlm",
        "running",
        1,
        None,
    )
    assert found["annotated_ids"] == {"a", "b"}
    (cat,) = found["annotations"]
    assert isinstance(cat, StoredAnnotation) and cat.source == "gt"
    assert cat.box() == AnnotationBox(
        "a", "cat", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),), (2, 2, (1, 2, 1))
    )
    assert found["image_labels"] == {"a": {"cat"}, "b": {"dog"}}
    assert found["metric_pairs"] == {("a", "m")}
    assert found["metric_values"] == [MetricValue("a", "m", "cls", 0, -1, "energy", 0.25)]
    assert found["metric_names"] == ["energy"]
    assert found["summaries"] == [SUMMARY]
    assert list(found["entry_stamps"]) == ["a"] and found["entry_stamps"]["a"][0] == 0
    assert found["shift_stamps"] == {"a": "stamp"}
    assert found["shift_values"] == [SHIFT] and found["shift_summaries"] == [SHIFT_SUMMARY]


def test_summaries_may_be_written_as_records_or_dicts(url: str) -> None:
    writer = CatalogWriter.open(url)
    other = dataclasses.replace(SUMMARY, model="n", label="cat")
    writer.replace_summaries([SUMMARY, dataclasses.asdict(other)])
    assert writer.summaries() == [SUMMARY] and writer.summaries(label="cat") == [other]
    writer.replace_summaries([])
    assert writer.summaries() == [] and writer.metric_names() == []
    writer.close()


def test_the_writer_is_a_reader(tmp_path: Path) -> None:
    assert issubclass(CatalogWriter, CatalogReader)
    for write in (
        "sync_images",
        "assign_rows",
        "mark_done",
        "reset_model",
        "add_metrics",
        "replace_summaries",
    ):
        assert hasattr(CatalogWriter, write) and not hasattr(CatalogReader, write)
    opened = CatalogWriter.open(f"sqlite:///{tmp_path / 'new' / 'catalog.db'}")  # creates and migrates
    assert isinstance(opened, CatalogWriter) and opened.images() == ([], 0)
    opened.close()


def test_an_existing_catalog_is_opened_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "catalog.db"
    with pytest.raises(CatalogUnavailable, match=r"no catalog at .*run `precompute` first"):
        CatalogReader.open_existing(f"sqlite:///{missing}")
    assert not missing.parent.exists()
    with pytest.raises(CatalogUnavailable, match=r"^SSL_ATTENTION_DB is not a valid SQLAlchemy URL$"):
        CatalogReader.open_existing("not a url at all", setting="SSL_ATTENTION_DB")
    if importlib.util.find_spec("pymysql") is None:  # a known dialect whose driver is missing
        with pytest.raises(
            CatalogUnavailable, match=r"the database driver for --db is not installed \(pymysql\)"
        ):
            CatalogReader.open_existing("mysql+pymysql://u@127.0.0.1:1/x", setting="--db")
    empty = tmp_path / "empty.db"
    empty.touch()
    reader = CatalogReader.open_existing(f"sqlite:///{empty}")  # opened, but not migrated:
    with pytest.raises(OperationalError, match="no such table"):
        reader.check()
    reader.close()
    fill(f"sqlite:///{tmp_path / 'full.db'}")
    reader = CatalogReader.open_existing(f"sqlite:///{tmp_path / 'full.db'}")
    reader.check()
    assert reader.row_of("a", "m") == 0
    reader.close()
