"""What lands in the store equals eager attention on the same preprocessed images (float16 tolerance)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssl_attention.data.gallery import decode
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import resolve_model
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import Precomputed
from tests.reference import maps_from_attentions
from tests.ssl_attention.attention.test_capture import FAMILIES, eager_attentions
from tests.tiny_models import NORMALIZATION


@pytest.mark.parametrize("key", FAMILIES)
def test_stored_maps_equal_eager_reference(precomputed: Precomputed, key: str) -> None:
    reader = AttentionStoreReader(precomputed.store)
    catalog = CatalogWriter.open(precomputed.db)
    attrs = reader.models()[key]
    assert (attrs.weights, attrs.checkpoint, attrs.grid, attrs.per_head) == (
        "pretrained",
        str(precomputed.checkpoints[key]),
        (6, 6),
        True,
    )
    assert attrs.extra["normalization"] == {
        "mean": NORMALIZATION["image_mean"],
        "std": NORMALIZATION["image_std"],
    }

    resolved = resolve_model(key, str(precomputed.checkpoints[key]), "pretrained")
    adapter = resolved.load()
    layout = adapter.layout(precomputed.image_size)
    images, _ = catalog.images(limit=100)
    done = [info for info in images if key in info.models]
    assert len(done) == 6 and all(info.error is None for info in done)
    pixels = torch.from_numpy(
        np.stack(
            [
                to_pixels(
                    decode(precomputed.images / info.path).image,
                    precomputed.image_size,
                    resolved.normalization,
                )
                for info in done
            ]
        )
    )
    reference = maps_from_attentions(eager_attentions(key, adapter.model, pixels), layout)
    for path, expected in reference.items():
        for index, info in enumerate(done):
            row = catalog.row_of(info.id, key)
            assert row is not None
            stored = reader.read_row(key, path, row).astype(np.float64)
            want = expected[index]
            if path != "prefix/heads":
                want = want.reshape(*want.shape[:-1], *attrs.grid)
            # float16 keeps 11 significant bits: relative error ≤ 2⁻¹¹.
            np.testing.assert_allclose(
                stored, want, rtol=2**-10, atol=2**-24, err_msg=f"{key} {path} {info.id}"
            )


def test_bad_images_have_no_rows_but_a_recorded_reason(precomputed: Precomputed) -> None:
    catalog = CatalogWriter.open(precomputed.db)
    for image_id, reason in (("truncated", "broken image data"), ("not_an_image", "not an image")):
        info = catalog.image(image_id)
        assert info is not None and info.models == () and reason in (info.error or "")
