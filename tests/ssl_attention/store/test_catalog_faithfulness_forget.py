"""Faithfulness curves are forgotten with the maps they were computed from (a rebuilt model, a
changed image file), so no stale curve is served until the next `precompute --faithfulness`."""

from __future__ import annotations

from pathlib import Path

from ssl_attention.metrics.faithfulness import summarise_faithfulness
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.faithfulness import FaithfulnessPair, FaithfulnessValue
from ssl_attention.values import DiscoveredFile

MTIME = 1_700_000_000_000_000_000


def value(image: str, model: str) -> FaithfulnessValue:
    return FaithfulnessValue(image, model, "cls", 0, -1, 0.25, 0.75, (1.0, 0.5, 0.0), (0.0, 0.5, 1.0))


def filled(tmp_path: Path) -> CatalogWriter:
    writer = CatalogWriter.open(f"sqlite:///{tmp_path / 'c.db'}")
    writer.sync_images([DiscoveredFile(i, f"{i}.jpg", 10, MTIME) for i in ("a", "b")])
    for model in ("m", "n"):
        values = [value(i, model) for i in ("a", "b")]
        for v in values:
            writer.add_faithfulness(FaithfulnessPair(v.image_id, model, "stamp", "embedding-cosine", 2), [v])
        writer.replace_faithfulness_summaries(model, summarise_faithfulness(values))
    return writer


def test_a_rebuilt_model_loses_its_curves_and_summaries_only(tmp_path: Path) -> None:
    writer = filled(tmp_path)
    writer.reset_model("m")
    assert writer.faithfulness_pairs("m") == {}
    assert writer.faithfulness_values() and {v.model for v in writer.faithfulness_values()} == {"n"}
    assert {s.model for s in writer.faithfulness_summaries()} == {"n"}
    writer.close()


def test_a_changed_image_loses_its_curves_and_every_summary(tmp_path: Path) -> None:
    writer = filled(tmp_path)
    writer.sync_images([DiscoveredFile("a", "a.jpg", 11, MTIME), DiscoveredFile("b", "b.jpg", 10, MTIME)])
    assert {(v.image_id, v.model) for v in writer.faithfulness_values()} == {("b", "m"), ("b", "n")}
    assert writer.faithfulness_summaries() == []
    writer.close()
