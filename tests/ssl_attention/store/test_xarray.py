"""The data contract's "Reading with xarray" example, run as written against a precomputed store:
named dims, image ids as a coordinate, consolidated metadata (no warning), the same values the
store's own reader returns."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogReader
from tests.conftest import Precomputed

xr = pytest.importorskip("xarray")
DOC = Path(__file__).resolve().parents[3] / "docs" / "data-contract.md"


def example() -> str:
    text = DOC.read_text()
    section = text[text.index("### Reading with xarray") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


def test_the_documented_xarray_example_runs(precomputed: Precomputed) -> None:
    code = example().replace('"data/cache/attention.zarr"', repr(precomputed.store))
    code = code.replace('"chelsea_cat"', '"img_1"')
    scope: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "consolidated metadata" warning, no other
        exec(compile(code, str(DOC), "exec"), scope)
    catalog = CatalogReader.open_existing(precomputed.db)
    row = catalog.row_of("img_1", "dinov2")
    assert row is not None
    reader = AttentionStoreReader(precomputed.store)
    cat = scope["cat"]
    assert cat.dims == ("layer", "y", "x")  # type: ignore[attr-defined]
    assert np.array_equal(cat.values, reader.read_row("dinov2", "cls/fused", row))  # type: ignore[attr-defined]
    assert np.array_equal(
        scope["last_layer"], reader.read_row("dinov2", "cls/fused", row)[-1].astype("float32")
    )
    prefix = reader.read_row("dinov2", "prefix/heads", row)
    on_cls = scope["on_cls"]
    assert on_cls.dims == ("layer", "head")  # type: ignore[attr-defined]
    assert np.array_equal(on_cls.values, prefix[:, :, 0])  # type: ignore[attr-defined]


def test_every_row_of_every_vit_group_is_named(precomputed: Precomputed) -> None:
    catalog = CatalogReader.open_existing(precomputed.db)
    reader = AttentionStoreReader(precomputed.store)
    for key, attrs in reader.models().items():
        done = {catalog.row_of(image_id, key): image_id for image_id in catalog.done_ids(key)}
        for method in {spec.method for spec in attrs.array_specs()}:  # type: ignore[union-attr]
            dataset = xr.open_zarr(precomputed.store, group=f"{key}/{method}")
            ids = dataset["image"].values
            assert {row: ids[row] for row in done} == done, (key, method)
            assert all(ids[row] == "" for row in range(len(ids)) if row not in done)
