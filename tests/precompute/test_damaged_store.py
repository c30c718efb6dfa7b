"""A lost or damaged chunk of a finished image: the API refuses it (409, saying how to repair),
every rerun recomputes rows with a missing chunk, `--verify` also those that do not decode, and
the store ends byte-identical to the undamaged one."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import zarr
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.runner import RunOptions, run
from ssl_attention.store.arrays import AttentionStoreReader, DamagedMap
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.chunks import decode
from tests.conftest import write_gallery
from tests.precompute.test_cli import options
from tests.precompute.test_vlm import vlm_options

VIT = "dinov2"
VLM = "qwen2_5_vl"


def chunk_files(folder: Path) -> dict[str, bytes]:
    """Every chunk file under a model group (metadata aside), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "c" in p.parts
    }


def row_chunk(store: Path, key: str, array: str, row: int) -> Path:
    found = [p for p in (store / key / array / "c" / str(row)).rglob("*") if p.is_file()]
    assert len(found) == 1, found
    return found[0]


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(np.random.default_rng(1).bytes(len(data)))


def client_for(opts: RunOptions) -> TestClient:
    settings = ApiSettings(
        images=opts.images, store=opts.store, db=opts.db, frontend_dist=opts.images / "none"
    )
    return TestClient(create_app(settings))


def test_vit_damage_is_refused_then_repaired_bit_for_bit(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    opts = options(tmp_path, tiny_checkpoints, [VIT])
    run(opts)
    store = tmp_path / "store.zarr"
    reference = chunk_files(store / VIT)
    catalog = CatalogWriter.open(opts.db)
    rows = {image_id: catalog.row_of(image_id, VIT) for image_id in ("img_0", "img_1", "img_2", "img_3")}
    damaged = {
        "img_1": ("cls/fused", "delete"),
        "img_2": ("mean/heads", "truncate"),
        "img_3": ("rollout/fused", "garble"),
    }
    for image_id, (array, how) in damaged.items():
        row = rows[image_id]
        assert row is not None
        damage(row_chunk(store, VIT, array, row), how)
    untouched = row_chunk(store, VIT, "cls/fused", rows["img_0"] or 0)
    stamp = untouched.stat().st_mtime_ns

    def status(image_id: str, method: str) -> tuple[int, str]:
        with client_for(opts) as client:
            params: dict[str, object] = {"model": VIT, "method": method, "layer": 1}
            if method == "mean":
                params["head"] = 0  # mean/heads
            response = client.get(f"/attention/{image_id}/raw", params=params)
        return response.status_code, response.json().get("message", "") if response.status_code != 200 else ""

    for image_id, (array, _how) in damaged.items():
        code, message = status(image_id, array.split("/")[0])
        assert code == 409, (image_id, message)
        assert "damaged" in message and f"precompute --models {VIT} --verify" in message
    assert status("img_0", "cls")[0] == 200

    cheap = run(opts).models[0]  # every run: the missing chunk only
    assert (cheap.repaired, cheap.done, cheap.already_done) == (1, 1, 5)
    assert status("img_1", "cls")[0] == 200 and status("img_2", "mean")[0] == 409
    verified = run(replace(opts, verify=True)).models[0]
    assert (verified.repaired, verified.done) == (2, 2)
    assert status("img_2", "mean")[0] == 200 and status("img_3", "rollout")[0] == 200
    assert run(replace(opts, verify=True)).models[0].done == 0  # nothing left
    assert chunk_files(store / VIT) == reference
    assert untouched.stat().st_mtime_ns == stamp  # only the damaged rows were rewritten


def test_a_lost_id_coordinate_is_rewritten_from_the_catalog(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    opts = options(tmp_path, tiny_checkpoints, ["mae"])
    run(opts)
    coord = tmp_path / "store.zarr" / "mae" / "cls" / "image" / "c" / "0"
    expected = coord.read_bytes()
    damage(coord, "garble")
    summary = run(opts).models[0]
    assert summary.done == 0  # the maps are fine: nothing recomputed
    assert coord.read_bytes() == expected


def test_nan_in_an_array_without_checksums_is_damage(tmp_path: Path) -> None:
    array = zarr.create_array(str(tmp_path / "old.zarr"), shape=(2, 3), chunks=(1, 3), dtype="float16")
    array[0] = [0.1, np.nan, 0.2]
    array[1] = [0.1, 0.2, 0.3]
    with pytest.raises(DamagedMap, match="NaN"):
        decode(array, 0, "row 0")
    assert np.allclose(decode(array, 1, "row 1"), [0.1, 0.2, 0.3], atol=1e-3)


def test_vlm_damage_is_refused_then_repaired_bit_for_bit(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=3)
    opts = vlm_options(tmp_path, tiny_vlms, [VLM])
    run(opts)
    store = tmp_path / "store.zarr"
    shutil.copytree(store, tmp_path / "reference.zarr")
    reference = chunk_files(store / VLM)
    catalog = CatalogWriter.open(opts.db)
    row_1, row_2 = catalog.row_of("img_1", VLM), catalog.row_of("sub__nested_2", VLM)
    assert row_1 is not None and row_2 is not None
    (store / VLM / "samples" / str(row_1) / "prompts" / "0" / "image_mass" / "c" / "0" / "0" / "0").unlink()
    damage(store / VLM / "samples" / str(row_2) / "mean" / "fused" / "c" / "0" / "0" / "0", "garble")

    with client_for(opts) as client:
        tokens = client.get("/attention/img_1/tokens", params={"model": VLM, "prompt": 0})
        vision = client.get(
            "/attention/sub__nested_2/raw", params={"model": VLM, "method": "mean", "layer": 0}
        )
        fine = client.get("/attention/img_0/tokens", params={"model": VLM, "prompt": 0})
    assert (tokens.status_code, vision.status_code, fine.status_code) == (409, 409, 200), tokens.text
    assert "damaged" in tokens.json()["message"] and "--verify" in vision.json()["message"]

    cheap = run(opts).models[0]
    assert (cheap.repaired, cheap.done) == (1, 1)
    verified = run(replace(opts, verify=True)).models[0]
    assert (verified.repaired, verified.done) == (1, 1)
    assert run(replace(opts, verify=True)).models[0].done == 0
    assert chunk_files(store / VLM) == reference
    reader = AttentionStoreReader(str(store))
    prompt_0 = f"{reader.models()[VLM].sample_path(row_1)}/prompts/0/image_mass"  # type: ignore[union-attr]
    assert reader.read_array(VLM, prompt_0).shape[0] > 0
