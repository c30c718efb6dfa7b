"""`precompute --executor ray` on a real local Ray cluster (`ray.init(num_cpus=2)`, started once):
the store and catalog it leaves are those of `--executor local`, byte for byte (ViT and VLM); a
model actor SIGKILLed between its arrays and its catalog commit is restarted by Ray and the run
ends with every row done exactly once; a second run does nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sqlalchemy import func, select

from precompute import ray_executor
from precompute.cli import main
from precompute.kind import FAULT_ENV, FAULT_ONCE_ENV, Batch, RunPlan, WorkItem
from precompute.runner import RunOptions, run
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from ssl_attention.store.catalog.schema import EntryRow
from tests import s3_server as scale
from tests.conftest import write_gallery
from tests.precompute.test_cli import checkpoint_args, store_arrays
from tests.precompute.test_cli import options as vit_options
from tests.precompute.test_vlm import vlm_options
from tests.scale.test_s3 import client_for

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One local cluster for the module (each `ray.init` costs seconds), its workers not niced
    (as `precompute` starts one: on a busy machine niced workers crawl). Local runs in the tests
    use one torch thread, as each CPU actor does: CPU kernels' float32 reductions depend on the
    thread count (a VLM's image mass differs between 1 and 2 threads even in local runs)."""
    niceness = os.environ.get(ray_executor.NICENESS_ENV)
    os.environ[ray_executor.NICENESS_ENV] = "0"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        yield
    finally:
        ray.shutdown()
        torch.set_num_threads(threads)
        if niceness is None:
            del os.environ[ray_executor.NICENESS_ENV]
        else:
            os.environ[ray_executor.NICENESS_ENV] = niceness


def store_files(store: Path) -> dict[str, bytes]:
    """Every file of a store; the fresh ids blanked: the root's `store_id` (one per store) and a
    text's `written` (one per writing of a text, VLM texts included: data-contract.md)."""
    files = {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}
    root = json.loads(files["zarr.json"])
    root["attributes"]["store_id"] = ""
    for meta in root.get("consolidated_metadata", {}).get("metadata", {}).values():
        assert "store_id" not in meta.get("attributes", {})
        if "written" in meta.get("attributes", {}):
            meta["attributes"]["written"] = ""
    files["zarr.json"] = json.dumps(root, sort_keys=True).encode()
    for path, data in files.items():
        if "/texts/" in path and path.endswith("zarr.json"):
            meta = json.loads(data)
            if "written" in meta.get("attributes", {}):
                meta["attributes"]["written"] = ""
                files[path] = json.dumps(meta, sort_keys=True).encode()
    return files


def assert_same(local: RunOptions, on_ray: RunOptions, keys: list[str]) -> None:
    expected, got = store_files(Path(local.store)), store_files(Path(on_ray.store))
    assert sorted(expected) == sorted(got) and len(expected) > 20
    assert [path for path in expected if expected[path] != got[path]] == []
    a, b = CatalogWriter.open(local.db), CatalogWriter.open(on_ray.db)
    assert a.failed_ids() == b.failed_ids() != set()
    for key in keys:
        assert a.done_ids(key) == b.done_ids(key) != set()
        assert a.done_samples(key) == b.done_samples(key)
        assert {i: a.row_of(i, key) for i in a.done_ids(key)} == {
            i: b.row_of(i, key) for i in b.done_ids(key)
        }
        (run_row,) = b.runs(key)
        assert run_row.status == "done" and run_row.params["executor"] == "ray"
        assert run_row.images_done == len(b.done_ids(key))  # each image marked done once
    a.close()
    b.close()


def done_entries(db: str, key: str) -> list[tuple[str, int]]:
    catalog = CatalogWriter.open(db)
    with catalog.engine.connect() as connection:
        found = connection.execute(
            select(EntryRow.image_id, func.count())
            .where(EntryRow.model == key, EntryRow.done.is_(True))
            .group_by(EntryRow.image_id)
        ).all()
    catalog.close()
    return [(image_id, count) for image_id, count in found]


def test_sharded_vit_through_the_cli_equals_local_and_a_rerun_does_nothing(
    cluster: None, tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Shards of 4 rows, batches of 2: two units of two batches, one per actor (8 files: rows 0-7)."""
    for name in ("local", "ray"):
        write_gallery(tmp_path / name / "images")
    local = vit_options(tmp_path / "local", tiny_checkpoints, ["dinov2"], shard_size=4)
    on_ray = vit_options(tmp_path / "ray", tiny_checkpoints, ["dinov2"], shard_size=4, executor="ray")
    run(local)

    root = tmp_path / "ray"
    args = ["--quiet", "--device", "cpu", "--images", str(root / "images"), "--store", on_ray.store]
    args += ["--db", on_ray.db, *checkpoint_args(tiny_checkpoints, "dinov2"), "--shard-size", "4"]
    assert main([*args, "--executor", "ray", "--ray-actors", "2"]) == 0
    out = capsys.readouterr().out
    assert "dinov2: 6 images" in out and "2 failed" in out, out
    assert_same(local, on_ray, ["dinov2"])

    stamps = {p: p.stat().st_mtime_ns for p in Path(on_ray.store).rglob("*") if p.is_file()}
    assert main([*args, "--executor", "ray"]) == 0
    out = capsys.readouterr().out
    assert "nothing to do for 1 model(s) (dinov2): all 6 images already done" in out, out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing rewritten
    assert len(CatalogWriter.open(on_ray.db).runs("dinov2")) == 1  # and no run recorded


def test_vlm_on_ray_equals_local(cluster: None, tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    keys = ["qwen3_vl"]
    for name in ("local", "ray"):
        write_gallery(tmp_path / name / "images", n_good=3)
    local = vlm_options(tmp_path / "local", tiny_vlms, keys, max_new_tokens=2)
    on_ray = vlm_options(tmp_path / "ray", tiny_vlms, keys, max_new_tokens=2, executor="ray", ray_actors=2)
    run(local)
    report = run(on_ray)
    assert (report.models[0].done, len(report.models[0].failed)) == (3, 2)
    assert report.models[0].tokens == run_tokens(local)
    assert_same(local, on_ray, keys)


def run_tokens(options: RunOptions) -> int:
    catalog = CatalogWriter.open(options.db)
    tokens = sum(s.n_tokens for i in catalog.done_ids("qwen3_vl") for s in catalog.vlm_samples(i, "qwen3_vl"))
    catalog.close()
    return tokens


def test_an_actor_killed_mid_run_is_retried_by_ray_and_every_row_is_done_once(
    cluster: None, tmp_path: Path, tiny_checkpoints: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("local", "ray"):
        write_gallery(tmp_path / name / "images")
    local = vit_options(tmp_path / "local", tiny_checkpoints, ["dinov2"])
    on_ray = vit_options(tmp_path / "ray", tiny_checkpoints, ["dinov2"], executor="ray", ray_actors=2)
    run(local)
    # The actor writing batch 1 SIGKILLs itself between its arrays and its catalog commit, once.
    marker = tmp_path / "killed-once"
    monkeypatch.setenv(FAULT_ENV, "kill-after-write:1")
    monkeypatch.setenv(FAULT_ONCE_ENV, str(marker))
    # One pipeline only: finishing proves Ray restarted the actor and retried its batch (the
    # driver's second plan would otherwise have found the batch's rows undone and failed the run).
    monkeypatch.setattr(ray_executor, "MAX_ROUNDS", 1)
    report = run(on_ray)
    assert marker.exists()  # the kill happened
    assert report.models[0].done == 6
    assert done_entries(on_ray.db, "dinov2") == [
        (i, 1) for i in sorted(CatalogWriter.open(local.db).done_ids("dinov2"))
    ]
    assert_same(local, on_ray, ["dinov2"])
    monkeypatch.delenv(FAULT_ENV)
    again = run(on_ray)
    assert (again.models[0].done, again.models[0].already_done) == (0, 6)


def test_a_sharded_store_on_s3_through_ray_equals_local_and_is_served(
    cluster: None, tmp_path: Path, tiny_checkpoints: dict[str, Path], bucket: str
) -> None:
    """Images and store on a real S3-compatible server (moto), a sharded group written by two actors
    (whole shards each): the same maps as a local run, served by the API from S3. The cluster was
    started before the server's AWS_* variables were set: the driver forwards them to its workers."""
    write_gallery(tmp_path / "images")
    scale.upload_folder(tmp_path / "images", f"s3://{bucket}/photos")
    for name in ("local", "remote"):
        (tmp_path / name).mkdir()
    local = vit_options(
        tmp_path / "local", tiny_checkpoints, ["dinov2"], images=tmp_path / "images", shard_size=4
    )
    remote = vit_options(
        tmp_path / "remote", tiny_checkpoints, ["dinov2"], images=f"s3://{bucket}/photos",
        store=f"s3://{bucket}/attention.zarr", shard_size=4, executor="ray", ray_actors=2,
    )  # fmt: skip
    run(local)
    summary = run(remote).models[0]
    assert (summary.done, len(summary.failed)) == (6, 2), summary.failed
    expected, got = store_arrays(local.store), store_arrays(remote.store)
    assert expected.keys() == got.keys() and len(expected) == 11
    assert [path for path in expected if not np.array_equal(expected[path], got[path])] == []
    params = {"model": "dinov2", "method": "cls", "layer": 1, "head": 0, "format": "f16"}
    served = client_for(remote.images, remote.store, remote.db, tmp_path)
    reference = client_for(local.images, local.store, local.db, tmp_path)
    with served, reference:
        for image in ("img_0", "img_3", "sub__nested_5"):
            ours = served.get(f"/attention/{image}/raw", params=params)
            assert ours.status_code == 200, ours.text
            assert ours.content == reference.get(f"/attention/{image}/raw", params=params).content


def _plan(rows: list[list[int]], shard: int | None) -> RunPlan:
    file = DiscoveredFile(id="x", path="x.png", size=1, mtime_ns=0)
    batches = tuple(Batch(i, tuple(WorkItem(row, file) for row in batch)) for i, batch in enumerate(rows))
    attrs = SimpleNamespace(shard_images=shard)
    return RunPlan("m", attrs, batches, 0, 0)  # type: ignore[arg-type]


def test_units_hand_each_writer_whole_shards() -> None:
    # Batches of 3 over shards of 4 rows (a resumed run: rows 5 and 9 done already).
    rows = [[0, 1, 2], [3, 4, 6], [7, 8, 10], [11, 12, 13], [16, 17, 18], [19]]
    units = ray_executor.units(_plan(rows, 4))
    shards = [{row // 4 for batch in unit for item in batch.items for row in [item.row]} for unit in units]
    for i, a in enumerate(shards):  # no shard in two units
        assert all(not a & b for b in shards[i + 1 :])
    assert [batch.index for unit in units for batch in unit] == list(
        range(len(rows))
    )  # every batch, in order
    assert [len(unit) for unit in units] == [4, 2]  # rows 0-13 (shards 0-3), rows 16-19 (shard 4)
    assert [len(unit) for unit in ray_executor.units(_plan(rows, None))] == [1] * len(rows)  # unsharded


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ray-address", "auto"], "--ray-address applies to --executor ray only"),
        (["--ray-actors", "2"], "--ray-actors applies to --executor ray only"),
        (["--executor", "ray", "--ray-actors", "0"], "--ray-actors must be at least 1, got 0"),
    ],
)
def test_bad_executor_flags_say_what_is_allowed(
    tmp_path: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    args = ["--images", str(tmp_path / "images"), "--store", str(tmp_path / "s.zarr")]
    args += ["--db", f"sqlite:///{tmp_path / 'c.db'}", "--models", "dinov2", "--weights", "random"]
    assert main([*args, *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s.zarr").exists() and not (tmp_path / "c.db").exists()  # nothing written


def test_an_executor_that_is_not_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--executor", "spark"])
    assert exit_.value.code == 2
    assert (
        "argument --executor: invalid choice: 'spark' (choose from 'local', 'ray')" in capsys.readouterr().err
    )
