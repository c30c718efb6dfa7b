"""Sharded ViT groups (`--shard-size`): the same maps as unsharded, one object per N images, batches
that never cross a shard, a lost shard object recomputed as all of its rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr

from precompute.kind import WorkItem, batched
from precompute.runner import FAULT_ENV, RunError, run
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import DiscoveredFile
from ssl_attention.store.shards import shard_of, shard_rows
from tests.conftest import write_gallery
from tests.precompute.test_cli import checkpoint_args, cli, options, store_arrays

VIT = "dinov2"


def stored_maps(store: str, key: str) -> dict[str, np.ndarray]:
    group = zarr.open_group(store=store, path=key, mode="r")
    return {
        path: np.asarray(group[path][:]) for path in ("cls/fused", "cls/heads", "rollout/fused", "mean/heads")
    }


def test_batches_never_cross_a_shard() -> None:
    rows = [0, 1, 2, 5, 6, 7, 8, 9, 13]
    items = [WorkItem(row, DiscoveredFile(f"i{row}", f"i{row}.png", 1, 1)) for row in rows]
    sharded = [[item.row for item in batch.items] for batch in batched(items, 2, 4)]
    assert sharded == [[0, 1], [2], [5, 6], [7], [8, 9], [13]]
    assert [b.index for b in batched(items, 2, 4)] == list(range(6))
    plain = [[item.row for item in batch.items] for batch in batched(items, 4)]
    assert plain == [[0, 1, 2, 5], [6, 7, 8, 9], [13]]
    assert [shard_of(r, 4) for r in (0, 3, 4, 13)] == [0, 0, 1, 3]
    assert shard_of(13, None) == 13 and list(shard_rows(2, 4)) == [8, 9, 10, 11]


def test_sharded_group_holds_the_same_maps_one_object_per_shard(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images", n_good=7)
    plain = options(tmp_path / "plain", tiny_checkpoints, [VIT], images=tmp_path / "images")
    sharded = options(tmp_path / "sharded", tiny_checkpoints, [VIT], images=tmp_path / "images", shard_size=3)
    for opts in (plain, sharded):
        Path(opts.store).parent.mkdir(parents=True, exist_ok=True)
        run(opts)
    expected, got = stored_maps(plain.store, VIT), stored_maps(sharded.store, VIT)
    for path in expected:
        np.testing.assert_array_equal(got[path], expected[path])
    attrs = AttentionStoreReader(sharded.store).models()[VIT]
    assert attrs.to_attrs()["shard_images"] == 3
    array = zarr.open_array(store=sharded.store, path=f"{VIT}/cls/fused", mode="r")
    assert array.shards == (3, *array.shape[1:]) and array.chunks[0] == 1
    objects = sorted(p.name for p in (Path(sharded.store) / VIT / "cls/fused/c").iterdir())
    assert objects == ["0", "1", "2"]  # 7 images (+2 unreadable rows, never written): rows 0-6

    # A lost shard object is all of its rows: the next run recomputes exactly those, to the same bytes.
    shard = Path(sharded.store) / VIT / "rollout/fused/c/1/0/0/0"
    before = shard.read_bytes()
    shard.unlink()
    report = run(sharded)
    assert report.models[0].repaired == 3 and report.models[0].done == 3
    assert shard.read_bytes() == before
    repaired = stored_maps(sharded.store, VIT)
    for path in expected:
        np.testing.assert_array_equal(repaired[path], expected[path])


def test_another_shard_size_is_refused_without_force(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    run(options(tmp_path, tiny_checkpoints, [VIT], shard_size=2))
    with pytest.raises(Exception, match="shard_images: 2 -> 4"):
        run(options(tmp_path, tiny_checkpoints, [VIT], shard_size=4))
    with pytest.raises(RunError, match="--shard-size must be 1 to"):
        run(options(tmp_path, tiny_checkpoints, [VIT], shard_size=0))


def test_a_killed_sharded_run_resumes_and_grows_to_the_arrays_of_one_run(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    args = [*checkpoint_args(tiny_checkpoints, VIT), "--shard-size", "3"]
    for folder in ("reference", "killed"):
        write_gallery(tmp_path / folder / "images")
    assert cli(tmp_path / "reference", *args).returncode == 0  # the same run, never interrupted
    first = cli(tmp_path / "killed", *args, env={FAULT_ENV: "kill-after-write:1"})
    assert first.returncode == -9, first.stderr
    second = cli(tmp_path / "killed", *args)
    assert second.returncode == 0, second.stderr
    for folder in ("reference", "killed"):  # the gallery grows by two images: the last shard is extended
        write_gallery(tmp_path / folder / "images" / "more", n_good=2, seed=5)
        grown = cli(tmp_path / folder, *args)
        assert grown.returncode == 0, grown.stderr
    expected = store_arrays(str(tmp_path / "reference" / "store.zarr"))
    got = store_arrays(str(tmp_path / "killed" / "store.zarr"))
    assert expected.keys() == got.keys()
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path
    array = zarr.open_array(store=str(tmp_path / "killed" / "store.zarr"), path=f"{VIT}/cls/fused", mode="r")
    assert array.shape[0] == 12 and array.shards is not None and array.shards[0] == 3
