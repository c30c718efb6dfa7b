"""Images and store on S3 (a real S3-compatible server: moto's standalone server): precompute → API
→ `/raw` works, sharded and not, and the stored maps equal those of a local store bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.runner import run
from tests.conftest import write_gallery
from tests.precompute.test_cli import options, store_arrays
from tests.scale.conftest import upload_folder

VIT = "dinov2"


def client_for(images: str | Path, store: str, db: str, tmp: Path) -> TestClient:
    settings = ApiSettings(images=images, store=store, db=db, frontend_dist=tmp / "none")
    return TestClient(create_app(settings))


@pytest.mark.parametrize("shard_size", [None, 2])
def test_precompute_and_serve_a_store_on_s3(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], bucket: str, shard_size: int | None
) -> None:
    write_gallery(tmp_path / "images")
    upload_folder(tmp_path / "images", f"s3://{bucket}/photos")
    local = options(
        tmp_path / "local", tiny_checkpoints, [VIT], images=tmp_path / "images", shard_size=shard_size
    )
    (tmp_path / "local").mkdir()
    remote = options(
        tmp_path / "remote",
        tiny_checkpoints,
        [VIT],
        images=f"s3://{bucket}/photos",
        store=f"s3://{bucket}/attention.zarr",
        shard_size=shard_size,
    )
    (tmp_path / "remote").mkdir()
    run(local)
    report = run(remote)
    summary = report.models[0]
    assert (summary.done, len(summary.failed)) == (6, 2), summary.failed
    expected, got = store_arrays(local.store), store_arrays(remote.store)
    assert expected.keys() == got.keys()
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path
    array = zarr.open_array(store=remote.store, path=f"{VIT}/cls/heads", mode="r")
    assert array.shards == (None if shard_size is None else (shard_size, *array.shape[1:]))

    # A second run finds everything done (chunk listing over S3) and writes nothing.
    again = run(remote)
    assert (again.models[0].done, again.models[0].already_done) == (0, 6)

    served = client_for(f"s3://{bucket}/photos", remote.store, remote.db, tmp_path)
    reference = client_for(local.images, local.store, local.db, tmp_path)
    with served, reference:
        models = served.get("/models").json()
        assert VIT in str(models)
        for image in ("img_0", "img_3", "sub__nested_5"):
            params = {"model": VIT, "method": "cls", "layer": 1, "head": 0, "format": "f16"}
            ours = served.get(f"/attention/{image}/raw", params=params)
            theirs = reference.get(f"/attention/{image}/raw", params=params)
            assert ours.status_code == 200, ours.text
            assert ours.content == theirs.content and ours.headers["etag"]
        file = served.get("/images/img_1/file")
        assert file.status_code == 200 and file.content == (tmp_path / "images" / "img_1.png").read_bytes()
        thumb = served.get("/images/img_1/thumbnail", params={"size": 64})
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        overlay = served.get("/attention/img_0/heatmap.png", params={"model": VIT, "overlay": "true"})
        assert overlay.status_code == 200, overlay.text
