"""Images and store on S3 (a real S3-compatible server: moto's standalone server): precompute → API
→ `/raw` works, sharded and not, and the stored maps equal those of a local store bit for bit."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import numpy as np
import pytest
import zarr
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.services.errors import ImageUnreadable
from app.backend.services.images import resolve_gallery_file
from precompute.runner import run
from ssl_attention.data.gallery import OutsideGallery, decode_in, discover
from ssl_attention.data.remote import safe_relative
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.identity import read_store_id
from tests.conftest import write_gallery
from tests.precompute.test_cli import ROOT, checkpoint_args, cli, options, store_arrays
from tests.s3_server import upload_folder
from tests.ssl_attention.store.test_catalog import POSTGRES, catalog_url

VIT = "dinov2"


def client_for(images: str | Path, store: str, db: str, tmp: Path) -> TestClient:
    settings = ApiSettings(images=images, store=store, db=db, frontend_dist=tmp / "none")
    return TestClient(create_app(settings))


@pytest.fixture
def remote_db(tmp_path: Path) -> Iterator[str]:
    """The catalog of the S3 runs: PostgreSQL where SSL_ATTENTION_TEST_POSTGRES_URL is set (as a
    deployment would), SQLite otherwise."""
    yield from catalog_url("postgresql" if POSTGRES else "sqlite", tmp_path / "db")


@pytest.mark.parametrize("shard_size", [None, 2])
def test_precompute_and_serve_a_store_on_s3(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], bucket: str, shard_size: int | None, remote_db: str
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
        db=remote_db,
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
        expected_raw = {
            image: reference.get(f"/attention/{image}/raw", params=RAW).content
            for image in ("img_0", "img_4")
        }
    if shard_size is not None:
        # Several stateless worker processes serve the same store and catalog, with the same ETags.
        with uvicorn_workers(f"s3://{bucket}/photos", remote.store, remote.db, tmp_path) as base:
            etags = set()
            for _ in range(3):
                for image, content in expected_raw.items():
                    answer = httpx.get(f"{base}/attention/{image}/raw", params=RAW, timeout=30)
                    assert answer.status_code == 200 and answer.content == content
                    etags.add((image, answer.headers["etag"]))
            assert len(etags) == 2

        # A lost shard object on S3 is all of its rows: the next run recomputes them to the same bytes.
        key = f"attention.zarr/{VIT}/cls/heads/c/1/0/0/0/0"
        boto3.client("s3").delete_object(Bucket=bucket, Key=key)
        repaired = run(dataclasses.replace(remote, verify=True)).models[0]  # --verify decodes over S3 too
        assert (repaired.repaired, repaired.done) == (2, 2)
        catalog = CatalogWriter.open(remote.db)
        try:  # the store's identity lives in its root attrs on S3, paired with the catalog
            assert read_store_id(remote.store) == catalog.pairing().store_id is not None
        finally:
            catalog.close()
        got = store_arrays(remote.store)
        for path in expected:
            assert np.array_equal(expected[path], got[path]), path


RAW = {"model": VIT, "method": "cls", "layer": 1, "head": 0, "format": "f16"}


@contextmanager
def uvicorn_workers(images: str, store: str, db: str, tmp: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "SSL_ATTENTION_IMAGES": images,
        "SSL_ATTENTION_STORE": store,
        "SSL_ATTENTION_DB": db,
        "SSL_ATTENTION_FRONTEND_DIST": str(tmp / "none"),
    }
    command = [sys.executable, "-m", "uvicorn", "app.backend.main:app", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "uvicorn did not start"
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_nothing_outside_the_gallery_prefix_is_read(bucket: str) -> None:
    client = boto3.client("s3")
    client.put_object(Bucket=bucket, Key="photos/a.png", Body=b"inside")
    client.put_object(Bucket=bucket, Key="secret.png", Body=b"outside")
    client.put_object(Bucket=bucket, Key="photos-other/b.png", Body=b"a sibling prefix")
    gallery = f"s3://{bucket}/photos"
    found = resolve_gallery_file(gallery, "a.png")
    assert found.remote is not None and found.open().read() == b"inside"
    for relative in (
        "../secret.png",
        "/secret.png",
        "./a.png",
        "x/../a.png",
        "..\\secret.png",
        "a.png\x00",
        "",
    ):
        assert safe_relative(relative) is None
        with pytest.raises(ImageUnreadable):
            resolve_gallery_file(gallery, relative)
        with pytest.raises(OutsideGallery):
            decode_in(gallery, relative)
    assert [f.path for f in discover(gallery).files] == ["a.png"]  # not photos-other/


def test_a_store_in_a_missing_bucket_is_one_line(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], bucket: str
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    args = checkpoint_args(tiny_checkpoints, VIT)
    result = cli(tmp_path, *args, "--store", f"s3://{bucket}-missing/attention.zarr")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and "cannot be reached" in line and "bucket" in line, line
