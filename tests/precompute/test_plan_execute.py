"""The seam between planning and executing a run: a plan is made without weights or a device,
is plain (picklable) data, and executing its batches one by one — as a distributed executor
would — leaves the same store and catalog as a normal run, bit for bit."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from precompute.kind import ModelSummary, RunPlan
from precompute.ledger import RunLedger
from precompute.options import RunOptions, resolve_models, run_params
from precompute.pipeline import execute
from precompute.runner import run, runner_of
from ssl_attention.data.gallery import discover
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.precompute.test_cli import options as vit_options
from tests.precompute.test_vlm import _all_arrays, vlm_options


def plan_then_execute(options: RunOptions, monkeypatch: pytest.MonkeyPatch) -> list[RunPlan]:
    """What a distributed executor does: plan every model on the driver, execute batch by batch."""
    files = discover(options.images).files
    catalog, store = CatalogWriter.open(options.db), AttentionStoreWriter(options.store)
    catalog.sync_images(files)
    plans = []
    for model in resolve_models(options):
        runner = runner_of(model)
        with monkeypatch.context() as patched:  # planning never loads weights
            for loader in ("load", "load_vlm"):
                patched.setattr(ResolvedModel, loader, _no_weights)
            plan = runner.plan(model, files, options, store, catalog)
        assert plan is not None
        plan = pickle.loads(pickle.dumps(plan))  # plain data: it can travel to a worker
        plans.append(plan)
        engine = runner.load(model, options, torch.device("cpu"), torch.float32)
        summary = ModelSummary(model.name)
        params = run_params(options, torch.device("cpu"), torch.float32)
        with RunLedger(
            catalog, store, model, params, summary, time.perf_counter(), plan.bytes_before
        ) as run_id:
            for batch in reversed(plan.batches):  # any order: each batch owns its rows
                execute(runner, engine, plan, batch, store, catalog, run_id, summary)
        assert summary.done == sum(len(b.items) for b in plan.batches) - len(summary.failed)
    catalog.close()
    return plans


def _no_weights(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("plan() loaded the weights")


def assert_same_store_and_catalog(normal: RunOptions, seam: RunOptions, keys: list[str]) -> None:
    expected, got = _all_arrays(Path(normal.store)), _all_arrays(Path(seam.store))
    assert expected.keys() == got.keys() and expected
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path
    a, b = CatalogWriter.open(normal.db), CatalogWriter.open(seam.db)
    for key in keys:
        assert a.done_ids(key) == b.done_ids(key) and a.done_samples(key) == b.done_samples(key)
        for image_id in a.done_ids(key):
            assert a.row_of(image_id, key) == b.row_of(image_id, key)
        assert a.failed_ids() == b.failed_ids()
        assert [r.status for r in b.runs(key)] == ["done"]


def test_vit_plan_executed_batch_by_batch_equals_a_normal_run(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ["dinov2", "siglip"]
    for name in ("normal", "seam"):
        write_gallery(tmp_path / name / "images")
    normal = vit_options(tmp_path / "normal", tiny_checkpoints, keys, batch_size=4)
    seam = vit_options(tmp_path / "seam", tiny_checkpoints, keys, batch_size=4)
    run(normal)
    plans = plan_then_execute(seam, monkeypatch)
    # 8 files (6 good, 2 unreadable) in batches of 4, in row order.
    assert [[item.row for item in batch.items] for batch in plans[0].batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert_same_store_and_catalog(normal, seam, keys)
    # Planned again once done: nothing to do, nothing written.
    catalog, store = CatalogWriter.open(seam.db), AttentionStoreWriter(seam.store)
    model = resolve_models(seam)[0]
    assert runner_of(model).plan(model, discover(seam.images).files, seam, store, catalog) is None


def test_vlm_plan_executed_batch_by_batch_equals_a_normal_run(
    tmp_path: Path, tiny_vlms: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ["qwen3_vl"]
    for name in ("normal", "seam"):
        write_gallery(tmp_path / name / "images", n_good=3)
    normal = vlm_options(tmp_path / "normal", tiny_vlms, keys, max_new_tokens=2)
    seam = vlm_options(tmp_path / "seam", tiny_vlms, keys, max_new_tokens=2)
    run(normal)
    plans = plan_then_execute(seam, monkeypatch)
    assert all(len(batch.items) == 1 for batch in plans[0].batches)  # one image per batch
    assert {item.prompts for batch in plans[0].batches for item in batch.items} == {seam.prompts}
    assert_same_store_and_catalog(normal, seam, keys)


def test_a_group_with_no_finished_row_is_rebuilt_without_force(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    """Planning writes the group before the weights load; when the load (or the run) fails before
    any row is finished, other settings next time are not refused: there is nothing to lose."""
    write_gallery(tmp_path / "images", n_good=2)
    first = vit_options(tmp_path, tiny_checkpoints, ["clip"])
    catalog, store = CatalogWriter.open(first.db), AttentionStoreWriter(first.store)
    files = discover(first.images).files
    catalog.sync_images(files)
    (model,) = resolve_models(first)
    assert runner_of(model).plan(model, files, first, store, catalog) is not None  # never executed
    assert store.existing_attrs("clip") is not None and not catalog.done_ids("clip")
    catalog.close()
    other = vit_options(tmp_path, tiny_checkpoints, ["clip"], image_size=32)
    assert run(other).models[0].done == 2
    attrs = AttentionStoreWriter(other.store).existing_attrs("clip")
    assert attrs is not None and attrs.identity()["image_size"] == 32
