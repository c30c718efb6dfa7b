"""The Zarr writer and reader: layout as documented, whole-chunk rows, safe rebuilds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from ssl_attention.store.arrays import AttentionStoreReader, AttentionStoreWriter, DamagedMap, StoreError
from ssl_attention.store.layout import VitAttrs
from tests.factories import model_attrs


def attrs(**changes: object) -> VitAttrs:
    defaults: dict[str, object] = dict(
        key="dinov2",
        family="dinov2",
        checkpoint="facebook/dinov2-with-registers-base",
        image_size=56,
        patch=14,
        prefix_tokens=("cls", "reg0", "reg1", "reg2", "reg3"),
    )
    return model_attrs(**{**defaults, **changes})


def test_layout_lists_the_documented_arrays() -> None:
    specs = {spec.path: spec for spec in attrs().array_specs()}
    assert set(specs) == {
        "cls/fused",
        "cls/heads",
        "mean/fused",
        "mean/heads",
        "rollout/fused",
        "prefix/heads",
    }
    assert specs["cls/heads"].shape == (3, 2, 4, 4)
    assert specs["prefix/heads"].shape == (3, 2, 5)
    assert all(spec.chunks[0] == 1 and spec.chunks[1:] == spec.shape for spec in specs.values())
    siglip = attrs(prefix_tokens=(), has_cls=False, has_pool=True, per_head=False)
    assert {s.path for s in siglip.array_specs()} == {"mean/fused", "rollout/fused", "pool/fused"}
    assert siglip.methods == ("mean", "rollout", "pool") and siglip.per_head_methods == ()
    assert attrs().per_head_methods == ("cls", "mean")


def test_rows_round_trip_with_one_chunk_per_image(tmp_path: Path) -> None:
    url = str(tmp_path / "store.zarr")
    writer = AttentionStoreWriter(url)
    writer.prepare(attrs(), 5, rebuild=True)
    rng = np.random.default_rng(0)
    values = rng.random((3, 3, 4, 4)).astype(np.float32)
    writer.write_rows("dinov2", [0, 1, 3], {"cls/fused": values})

    reader = AttentionStoreReader(url)
    assert reader.models()["dinov2"] == attrs()
    np.testing.assert_array_equal(reader.read_row("dinov2", "cls/fused", 3), values[2].astype(np.float16))
    with pytest.raises(DamagedMap, match="no chunk"):  # never written: no data, not zeros
        reader.read_row("dinov2", "cls/fused", 2)

    meta = json.loads((tmp_path / "store.zarr" / "dinov2" / "cls" / "heads" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [1, 3, 2, 4, 4]
    assert meta["data_type"] == "float16"
    blosc = [c for c in meta["codecs"] if c["name"] == "blosc"]
    assert blosc and blosc[0]["configuration"]["cname"] == "zstd"
    assert meta["dimension_names"] == ["image", "layer", "head", "y", "x"]
    # One file per written row: rows 0, 1, 3 → chunk keys c/0, c/1, c/3 only.
    chunks = tmp_path / "store.zarr" / "dinov2" / "cls" / "fused" / "c"
    written = sorted(p.relative_to(chunks).parts for p in chunks.rglob("*") if p.is_file())
    assert written == [("0", "0", "0", "0"), ("1", "0", "0", "0"), ("3", "0", "0", "0")]


def test_growing_the_gallery_resizes_and_reader_follows(tmp_path: Path) -> None:
    url = str(tmp_path / "store.zarr")
    writer = AttentionStoreWriter(url)
    writer.prepare(attrs(), 2, rebuild=True)
    writer.write_rows("dinov2", [1], {"mean/fused": np.zeros((1, 3, 4, 4))})
    reader = AttentionStoreReader(url)
    assert not reader.read_row("dinov2", "mean/fused", 1).any()  # all zeros, written: data
    writer.prepare(attrs(), 4, rebuild=False)
    writer.write_rows("dinov2", [3], {"mean/fused": np.ones((1, 3, 4, 4))})
    assert reader.read_row("dinov2", "mean/fused", 3).min() == 1.0
    with pytest.raises(StoreError, match="outside"):
        reader.read_row("dinov2", "mean/fused", 4)


def test_other_settings_need_force(tmp_path: Path) -> None:
    writer = AttentionStoreWriter(str(tmp_path / "store.zarr"))
    writer.prepare(attrs(), 2, rebuild=True)
    with pytest.raises(StoreError, match=r"image_size: 56 -> 112.*--force"):
        writer.check_compatible(attrs(image_size=112, grid=(8, 8)))
    writer.check_compatible(attrs())  # same settings: fine
    writer.prepare(attrs(image_size=112, grid=(8, 8)), 2, rebuild=True)
    assert writer.existing_attrs("dinov2") == attrs(image_size=112, grid=(8, 8))


def test_model_lock_refuses_a_second_writer(tmp_path: Path) -> None:
    first = AttentionStoreWriter(str(tmp_path / "store.zarr"))
    second = AttentionStoreWriter(str(tmp_path / "store.zarr"))
    with first.model_lock("dinov2"):
        with pytest.raises(StoreError, match="another precompute run"), second.model_lock("dinov2"):
            pass
        with second.model_lock("clip"):  # other models are independent
            pass


def test_reader_without_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `precompute` first"):
        AttentionStoreReader(str(tmp_path / "missing.zarr"))


def test_variant_groups_record_their_base_key_and_older_groups_still_match(tmp_path: Path) -> None:
    writer = AttentionStoreWriter(str(tmp_path / "store.zarr"))
    variant = attrs(key="dinov2-ft", base_key="dinov2", checkpoint="./ft")
    writer.prepare(variant, 2, rebuild=True)
    writer.prepare(attrs(), 2, rebuild=True)
    stored = AttentionStoreReader(str(tmp_path / "store.zarr")).models()
    assert stored["dinov2-ft"] == variant and stored["dinov2"] == attrs()
    assert (stored["dinov2-ft"].base_key, stored["dinov2"].base_key) == ("dinov2", "dinov2")
    assert (
        variant.identity()["base_key"] == "dinov2" and variant.identity() != attrs(key="dinov2-ft").identity()
    )
    # The same name built like another key is another model: refused without --force.
    with pytest.raises(StoreError, match=r"base_key: dinov2 -> dinov3.*--force"):
        writer.check_compatible(attrs(key="dinov2-ft", base_key="dinov3", checkpoint="./ft"))
    # A group written before variants has no base_key attribute: it reads as its own key and extends.
    group = zarr.open_group(str(tmp_path / "store.zarr"), mode="a")["dinov2"]
    written = dict(group.attrs)
    del written["base_key"]
    group.attrs.clear()
    group.attrs.update(written)
    assert writer.existing_attrs("dinov2") == attrs()
    writer.check_compatible(attrs())
