"""The writer's group setup step by step (the subprocess crash tests are in tests/precompute):
a group is incomplete until its attrs are written last, and the root's consolidated metadata is
dropped before a structural change and written again after it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssl_attention.store.arrays import AttentionStoreReader, AttentionStoreWriter
from ssl_attention.store.chunks import is_consolidated
from tests.ssl_attention.store.test_arrays import attrs


class Stop(Exception):
    pass


def stop_at(point: str, index: int):  # type: ignore[no-untyped-def]
    def step(at: str, n: int) -> None:
        if (at, n) == (point, index):
            raise Stop

    return step


@pytest.mark.parametrize(
    ("point", "index"), [("kill-in-create", 0), ("kill-in-create", 3), ("kill-after-unmark", 0)]
)
def test_a_group_stopped_during_setup_is_incomplete_and_rebuilt(
    tmp_path: Path, point: str, index: int
) -> None:
    url = str(tmp_path / "store.zarr")
    writer = AttentionStoreWriter(url)
    if point == "kill-after-unmark":
        writer.prepare(attrs(), 2, rebuild=True)
    with pytest.raises(Stop):
        writer.prepare(attrs(), 2, rebuild=True, step=stop_at(point, index))
    assert writer.existing_attrs("dinov2") is None
    assert AttentionStoreReader(url).models() == {}  # readers skip an incomplete group
    writer.prepare(attrs(), 2, rebuild=False)  # what the next run asks for: it rebuilds
    assert writer.existing_attrs("dinov2") == attrs()
    group = writer.root["dinov2"]
    assert {f"{m}/{name}" for m, sub in group.groups() for name, _a in sub.arrays()} == {
        *(spec.path for spec in attrs().array_specs()),
        "cls/image", "mean/image", "rollout/image", "prefix/image", "prefix/token",
    }  # fmt: skip


def test_a_resize_stopped_halfway_is_finished_by_the_next_prepare(tmp_path: Path) -> None:
    writer = AttentionStoreWriter(str(tmp_path / "store.zarr"))
    writer.prepare(attrs(), 2, rebuild=True)
    with pytest.raises(Stop):
        writer.prepare(attrs(), 5, rebuild=False, step=stop_at("kill-in-resize", 2))
    assert writer.existing_attrs("dinov2") == attrs()  # still complete: its rows are all there
    writer.prepare(attrs(), 5, rebuild=False)
    assert all(writer.root[f"dinov2/{spec.path}"].shape[0] == 5 for spec in attrs().array_specs())
    assert writer.root["dinov2/cls/image"].shape == (5,)


def test_consolidated_metadata_is_dropped_before_changes_and_written_after(tmp_path: Path) -> None:
    url = str(tmp_path / "store.zarr")
    root_json = tmp_path / "store.zarr" / "zarr.json"
    writer = AttentionStoreWriter(url)
    writer.prepare(attrs(), 2, rebuild=True)
    assert not is_consolidated(url)
    writer.consolidate()
    assert is_consolidated(url)
    stamp = root_json.stat().st_mtime_ns
    AttentionStoreWriter(url).consolidate()  # a run that changed nothing: left as it is
    assert root_json.stat().st_mtime_ns == stamp
    grower = AttentionStoreWriter(url)
    grower.prepare(attrs(), 7, rebuild=False)
    assert not is_consolidated(url)  # no reader is handed the old shapes meanwhile
    grower.consolidate()
    consolidated = json.loads(root_json.read_text())["consolidated_metadata"]["metadata"]
    assert consolidated["dinov2/cls/fused"]["shape"][0] == 7
    assert consolidated["dinov2"]["attributes"]["checkpoint"] == attrs().checkpoint
