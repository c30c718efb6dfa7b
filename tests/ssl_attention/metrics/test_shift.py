"""Shift metrics: the total variation distance (hand-worked), which maps of two models are compared,
the catalog's shift tables, and `precompute --metrics` on a tiny real variant filling /metrics/shift
(checked against distances computed independently from the stored arrays)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from ssl_attention.metrics.aggregate import bootstrap_ci
from ssl_attention.metrics.shift import (
    FUSED,
    MethodMaps,
    pair_values,
    shift_pairs,
    summarise_shift,
    total_variation,
)
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile, ShiftValue
from tests.conftest import write_gallery
from tests.factories import model_attrs
from tests.precompute.test_variants import base_args, fine_tuned
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

# --- the distance, by hand -----------------------------------------------------------------------


def test_total_variation_by_hand() -> None:
    one_hot = np.array([[1.0, 0.0], [0.0, 0.0]])
    other = np.array([[0.0, 1.0], [0.0, 0.0]])
    assert total_variation(one_hot, other) == 1.0  # disjoint
    assert total_variation(one_hot, one_hot) == 0.0
    half = np.array([[2.0, 2.0], [0.0, 0.0]])  # → ½, ½, 0, 0
    flat = np.ones((2, 2))  # → ¼ each
    assert total_variation(half, flat) == pytest.approx(0.5)  # ½·(¼ + ¼ + ¼ + ¼)
    assert total_variation(half * 7, flat * 0.01) == pytest.approx(0.5)  # each map normalised first
    assert total_variation(np.zeros((2, 2)), flat) == 0.0  # no mass: uniform
    assert total_variation(np.array([[-1.0, 1.0], [0, 0]]), other) == 0.0  # negatives count as 0


def test_total_variation_is_batched_over_leading_axes_and_refuses_other_grids() -> None:
    rng = np.random.default_rng(0)
    p, q = rng.random((3, 2, 4, 5)), rng.random((3, 2, 4, 5))
    batched = total_variation(p, q)
    assert batched.shape == (3, 2)
    for index in np.ndindex(3, 2):
        a, b = p[index] / p[index].sum(), q[index] / q[index].sum()
        assert batched[index] == pytest.approx(0.5 * np.abs(a - b).sum())
    with pytest.raises(ValueError, match="different grids"):
        total_variation(p, q[..., :4])


# --- which maps are compared ---------------------------------------------------------------------


def test_pair_values_compare_aligned_methods_on_the_same_grid_only() -> None:
    rng = np.random.default_rng(1)
    fused, heads = rng.random((2, 3, 3)), rng.random((2, 4, 3, 3))
    mine = [
        MethodMaps("mean", fused, heads),
        MethodMaps("rollout", fused),
        MethodMaps("text", fused, None, aligned=("p", ((1, "answer"),))),
        MethodMaps("pool", rng.random((1, 2, 2))),
    ]
    theirs = [
        MethodMaps("mean", fused * 2, None),  # no per-head maps: fused only
        MethodMaps("rollout", fused[::-1]),
        MethodMaps("text", fused, None, aligned=("p", ((2, "answer"),))),  # another answer
        MethodMaps("pool", rng.random((1, 3, 3))),  # another grid
    ]
    values = pair_values("a", "v", "b", mine, theirs)
    assert {(v.method, v.layer, v.head) for v in values} == {
        ("mean", 0, FUSED),
        ("mean", 1, FUSED),
        ("rollout", 0, FUSED),
        ("rollout", 1, FUSED),
    }
    by_key = {(v.method, v.layer): v.distance for v in values}
    assert by_key[("mean", 0)] == pytest.approx(0.0)  # the same map, scaled
    assert by_key[("rollout", 1)] == pytest.approx(total_variation(fused[1], fused[0]))


def test_summaries_are_the_mean_and_the_bootstrap_interval_per_map() -> None:
    found = [0.1, 0.4, 0.25, 0.3]
    values = [ShiftValue(f"i{k}", "v", "b", "cls", 2, FUSED, d) for k, d in enumerate(found)]
    values.append(ShiftValue("i0", "v", "b", "cls", 2, 1, 0.5))
    fused, head = summarise_shift(values)
    assert (fused.head, fused.n, head.head, head.n) == (FUSED, 4, 1, 1)
    assert fused.mean == pytest.approx(np.mean(found))
    assert (fused.ci_low, fused.ci_high) == bootstrap_ci(np.array(found))
    assert (head.mean, head.ci_low, head.ci_high) == (0.5, 0.5, 0.5)


def test_a_variant_is_compared_with_the_group_stored_under_its_base_key() -> None:
    stored = {
        "dinov2": model_attrs(key="dinov2"),
        "dinov2-ft": model_attrs(key="dinov2-ft", base_key="dinov2"),
        "clip-ft": model_attrs(key="clip-ft", base_key="clip"),  # its base is not stored
        "mae": model_attrs(key="mae"),
    }
    assert shift_pairs(stored) == [("dinov2-ft", "dinov2")]
    assert shift_pairs(stored, ["dinov2"]) == [("dinov2-ft", "dinov2")]  # named as the base
    assert shift_pairs(stored, ["mae"]) == []


# --- the catalog ---------------------------------------------------------------------------------


def test_shift_rows_go_when_either_model_is_rebuilt_or_the_image_changes(tmp_path: Path) -> None:
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert {"shift_pairs", "shift_values", "shift_summaries"} <= set(
        inspect(catalog.engine).get_table_names()
    )
    catalog.sync_images([DiscoveredFile(i, f"{i}.jpg", 1, 1) for i in ("a", "b")])
    for image_id in ("a", "b"):
        catalog.add_shift(image_id, "v", "b", "s1", [ShiftValue(image_id, "v", "b", "cls", 0, FUSED, 0.5)])
    catalog.replace_shift_summaries("v", "b", summarise_shift(catalog.shift_values("v", "b")))
    assert catalog.shift_stamps("v", "b") == {"a": "s1", "b": "s1"}
    catalog.add_shift("a", "v", "b", "s2", [])  # recomputed: replaced
    assert catalog.shift_stamps("v", "b")["a"] == "s2" and len(catalog.shift_values("v", "b")) == 1
    catalog.sync_images([DiscoveredFile("b", "b.jpg", 2, 1)])  # b changed on disk
    assert catalog.shift_stamps("v", "b") == {"a": "s2"} and catalog.shift_summaries("v", "b") == []
    catalog.add_shift("b", "v", "b", "s3", [ShiftValue("b", "v", "b", "cls", 0, FUSED, 0.5)])
    catalog.replace_shift_summaries("v", "b", summarise_shift(catalog.shift_values("v", "b")))
    catalog.reset_model("b")  # the base is rebuilt
    assert catalog.shift_stamps("v", "b") == {} and catalog.shift_values("v", "b") == []
    assert catalog.shift_summaries("v", "b") == []
    catalog.close()


# --- precompute --metrics on a tiny real variant -------------------------------------------------


def independent_distances(store: str, db: str, variant: str, base: str, path: str) -> dict[str, np.ndarray]:
    """Per image, (L, …) distances of the stored `path` arrays, computed with plain numpy."""
    reader, catalog = AttentionStoreReader(store), CatalogWriter.open(db, migrate=False)
    found = {}
    for image_id in sorted(catalog.done_ids(variant) & catalog.done_ids(base)):
        mine = reader.read_row(variant, path, catalog.row_of(image_id, variant) or 0).astype(np.float64)
        theirs = reader.read_row(base, path, catalog.row_of(image_id, base) or 0).astype(np.float64)
        mine /= mine.sum(axis=(-2, -1), keepdims=True)
        theirs /= theirs.sum(axis=(-2, -1), keepdims=True)
        found[image_id] = 0.5 * np.abs(mine - theirs).sum(axis=(-2, -1))
    catalog.close()
    return found


def test_precompute_metrics_fills_shift_for_a_tiny_variant(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write_gallery(tmp_path / "images")
    ft = fine_tuned(tiny_checkpoints["dinov2"], tmp_path / "ft", seed=1)
    declare = [*base_args(tmp_path), "--variant", "dinov2-ft=dinov2", "--metrics"]
    checkpoints = ["--checkpoint", f"dinov2={tiny_checkpoints['dinov2']}", "--checkpoint", f"dinov2-ft={ft}"]
    assert main([*declare, "--models", "dinov2,dinov2-ft", *checkpoints]) == 0
    assert "shift: 1 variant × base pair(s), 6 images compared" in capsys.readouterr().out
    store, db = str(tmp_path / "store.zarr"), f"sqlite:///{tmp_path / 'catalog.db'}"
    settings = ApiSettings(images=tmp_path / "images", store=store, db=db, frontend_dist=tmp_path / "none")
    with TestClient(create_app(settings)) as client:
        body = client.get("/metrics/shift", params={"model": "dinov2-ft", "method": "cls"}).json()
    fused = independent_distances(store, db, "dinov2-ft", "dinov2", "cls/fused")
    heads = independent_distances(store, db, "dinov2-ft", "dinov2", "cls/heads")
    assert body["methods"] == ["cls", "mean", "rollout"] and len(fused) == 6
    for cell in body["cells"]:
        source = fused if cell["head"] == FUSED else heads
        pick = (cell["layer"],) if cell["head"] == FUSED else (cell["layer"], cell["head"])
        expected = np.array([d[pick] for d in source.values()])
        assert cell["n"] == 6 and cell["mean"] == pytest.approx(expected.mean(), abs=1e-12)
        assert 0 < cell["ci_low"] <= cell["mean"] <= cell["ci_high"] < 1
    assert len(body["cells"]) == 3 * (1 + 2)  # 3 layers: fused and 2 heads
    last = {image_id: d[-1] for image_id, d in fused.items()}
    assert [i["image_id"] for i in body["images"]] == sorted(last, key=lambda i: -last[i])

    assert main([*declare, "--models", "dinov2-ft", *checkpoints]) == 0  # nothing changed
    assert "0 images compared (0 distances), 6 unchanged" in capsys.readouterr().out
    ft2 = fine_tuned(tiny_checkpoints["dinov2"], tmp_path / "ft2", seed=2)
    rebuilt = [*declare, "--models", "dinov2-ft", "--checkpoint", f"dinov2-ft={ft2}", "--force"]
    assert main(rebuilt) == 0  # the variant's maps are recomputed: so is its shift
    assert "6 images compared" in capsys.readouterr().out
    with TestClient(create_app(settings)) as client:
        after = client.get("/metrics/shift", params={"model": "dinov2-ft", "method": "cls"}).json()
    refreshed = independent_distances(store, db, "dinov2-ft", "dinov2", "cls/fused")
    cell = next(c for c in after["cells"] if (c["layer"], c["head"]) == (2, FUSED))
    assert cell["mean"] == pytest.approx(np.mean([d[2] for d in refreshed.values()]), abs=1e-12)
    assert cell["mean"] != pytest.approx(np.mean([d[2] for d in fused.values()]), abs=1e-9)


def test_a_vlm_variant_with_its_base_weights_has_zero_shift_in_every_map(
    tmp_path: Path, tiny_vlms: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A real tiny VLM precomputed twice, as itself and as a variant with the same weights: the same
    answers, so text maps line up token by token, and every distance is exactly 0."""
    write_gallery(tmp_path / "images")
    base = tiny_vlms["qwen2_5_vl"]
    args = [
        "--quiet", "--device", "cpu", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr"),
        "--db", f"sqlite:///{tmp_path / 'catalog.db'}", "--per-head", "--max-new-tokens", "3",
        "--min-pixels", str(MIN_PIXELS), "--max-pixels", str(MAX_PIXELS), "--prompt", "Describe this image.",
        "--variant", "qwen-same=qwen2_5_vl", "--models", "qwen2_5_vl,qwen-same", "--metrics",
        "--checkpoint", f"qwen2_5_vl={base}", "--checkpoint", f"qwen-same={base}",
    ]  # fmt: skip
    assert main(args) == 0
    assert "shift: 1 variant × base pair(s), 6 images compared" in capsys.readouterr().out
    settings = ApiSettings(
        images=tmp_path / "images",
        store=str(tmp_path / "store.zarr"),
        db=f"sqlite:///{tmp_path / 'catalog.db'}",
        frontend_dist=tmp_path / "none",
    )
    with TestClient(create_app(settings)) as client:
        info = client.get("/models/qwen-same").json()
        methods = client.get("/metrics/shift", params={"model": "qwen-same"}).json()["methods"]
        assert methods == ["text", "mean", "rollout"]
        for method in methods:
            body = client.get("/metrics/shift", params={"model": "qwen-same", "method": method}).json()
            heads = {c["head"] for c in body["cells"]}
            per_head = set() if method == "rollout" else set(range(info["method_heads"][method]))
            assert heads == {-1, *per_head} and {c["n"] for c in body["cells"]} == {6}
            assert all(c["mean"] == 0.0 for c in body["cells"]), method
        text = client.get(
            "/attention/img_0/shift", params={"model": "qwen-same", "method": "text", "head": 1}
        ).json()
        assert text["distance"] == 0.0 and not any(text["data"]) and text["token"] is not None
