"""`/jobs`: every route, every limit, who may write, and uploads stored content-addressed inside
the gallery (over a copy of the precomputed tiny store, with a VLM group: `vlm_api`)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.backend.config import ApiSettings, JobLimits
from app.backend.main import create_app
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.jobs import JobQueue
from tests.app.conftest import VLM, VlmApi, copy_sqlite

LOCAL = ("127.0.0.1", 40000)
REMOTE = ("203.0.113.7", 40000)
VIT = "dinov2"


def png(seed: int = 0, size: tuple[int, int] = (24, 32)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def settings(vlm_api: VlmApi, tmp_path: Path) -> ApiSettings:
    """A fresh gallery and catalog copy per test (jobs and uploads change them)."""
    images = tmp_path / "images"
    shutil.copytree(vlm_api.settings.images, images, symlinks=True)
    db = copy_sqlite(vlm_api.settings.db, tmp_path / "catalog.db")
    return dataclasses.replace(vlm_api.settings, images=images, db=db)


def client_for(settings: ApiSettings, where: tuple[str, int] = LOCAL, **limits: object) -> TestClient:
    jobs = dataclasses.replace(settings.jobs, **limits)  # type: ignore[arg-type]
    return TestClient(create_app(dataclasses.replace(settings, jobs=jobs)), client=where)


@pytest.fixture
def client(settings: ApiSettings) -> Iterator[TestClient]:
    with client_for(settings) as test_client:
        yield test_client


def submit(client: TestClient, *, image: bytes | None = None, **fields: object) -> dict[str, object]:
    files = {"image": ("photo.png", image, "image/png")} if image is not None else None
    response = client.post("/jobs", data=fields, files=files)
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_job_is_queued_read_listed_and_cancelled(client: TestClient) -> None:
    first = submit(client, image_id="img_0", model=[VIT])
    assert first == {"id": first["id"], "status": "queued", "position": 1, "image_id": "img_0"}
    second = submit(client, image_id="img_1", model=[VLM], prompt=["What is this?", "Where is it?"])
    assert second["position"] == 2
    job = client.get(f"/jobs/{second['id']}")
    assert job.status_code == 200 and job.headers["cache-control"] == "no-store"
    body = job.json()
    assert (
        body["status"] == "queued" and body["position"] == 2 and body["progress"] == {"done": 0, "total": 1}
    )
    assert body["models"] == [VLM] and body["prompts"] == ["What is this?", "Where is it?"]
    assert body["error"] is None and body["started_at"] is None and body["finished_at"] is None
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")
    listed = client.get("/jobs", params={"limit": 5}).json()["jobs"]
    assert [j["id"] for j in listed] == [second["id"], first["id"]]  # newest first
    cancelled = client.delete(f"/jobs/{first['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    assert client.get(f"/jobs/{second['id']}").json()["position"] == 1  # moved up
    assert client.delete(f"/jobs/{first['id']}").json()["status"] == "cancelled"  # unchanged


def test_unknown_jobs_and_bad_ids_are_4xx(client: TestClient) -> None:
    for call in (client.get, client.delete):
        response = call("/jobs/987654")
        assert response.status_code == 404 and response.json()["message"] == "unknown job 987654"
        assert call("/jobs/zero").status_code == 422
        assert call("/jobs/0").status_code == 422
    assert client.get("/jobs", params={"limit": 0}).status_code == 422
    assert client.get("/jobs", params={"limit": 10_000}).status_code == 422


def test_an_upload_is_stored_once_inside_the_gallery(client: TestClient, settings: ApiSettings) -> None:
    data = png(1)
    digest = hashlib.sha256(data).hexdigest()
    first = submit(client, image=data, model=[VIT])
    second = submit(client, image=data, model=[VIT])
    assert first["image_id"] == second["image_id"] == f"uploads__{digest[:16]}"
    stored = sorted(
        p.relative_to(settings.images).as_posix() for p in (settings.images / "uploads").iterdir()
    )
    assert stored == [f"uploads/{digest[:16]}.png"]  # one file, no temporary left, the client's name unused
    assert (settings.images / stored[0]).read_bytes() == data
    other = submit(client, image=png(2), model=[VIT])
    assert other["image_id"] != first["image_id"]


def test_a_file_name_never_chooses_where_an_upload_goes(client: TestClient, settings: ApiSettings) -> None:
    files = {"image": ("../../escape.png", png(3), "image/png")}
    response = client.post("/jobs", data={"model": VIT}, files=files)
    assert response.status_code == 202
    assert not (settings.images.parent / "escape.png").exists()
    assert [p.name for p in (settings.images / "uploads").iterdir()] == [
        f"{hashlib.sha256(png(3)).hexdigest()[:16]}.png"
    ]


@pytest.mark.parametrize(
    ("fields", "image", "status", "says"),
    [
        ({"model": "nope"}, None, 400, "unknown model 'nope'"),
        ({"image_id": "img_0"}, None, 400, "at least one model"),
        ({"image_id": "img_0", "model": VIT, "prompt": "hi"}, None, 400, "takes no prompt"),
        ({"image_id": "img_0", "model": VLM}, None, 400, "send at least one"),
        ({"image_id": "img_0", "model": VLM, "prompt": "x" * 1001}, None, 400, "the limit is 1000"),
        ({"image_id": "img_0", "model": VLM, "prompt": [f"p{k}" for k in range(9)]}, None, 400, "at most 8"),
        ({"image_id": "no_such_image", "model": VIT}, None, 404, "unknown image"),
        ({"image_id": "not_an_image", "model": VIT}, None, 422, "not a usable image"),
        ({"model": VIT}, None, 400, "either an image file"),
        ({"image_id": "img_0", "model": VIT}, b"", 400, "either an image file"),
        ({"model": VIT}, b"this is text, not a picture", 415, "not an image"),
    ],
)
def test_bad_requests_are_refused_with_one_line(
    client: TestClient,
    settings: ApiSettings,
    fields: dict[str, object],
    image: bytes | None,
    status: int,
    says: str,
) -> None:
    files = {"image": ("x.png", image, "image/png")} if image is not None else None
    if image == b"":  # both an upload and an image id
        files = {"image": ("x.png", png(0), "image/png")}
    response = client.post("/jobs", data=fields, files=files)
    assert response.status_code == status, response.text
    assert says in response.json()["message"]
    assert client.get("/jobs").json()["jobs"] == []  # nothing queued
    uploads = settings.images / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())  # refused before anything is stored


def test_size_and_pixel_limits(settings: ApiSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    with client_for(settings, upload_mb=0.01) as client:  # 10 KiB
        big = png(4, size=(200, 200))  # random pixels: ~120 KB
        response = client.post("/jobs", data={"model": VIT}, files={"image": ("a.png", big, "image/png")})
        assert response.status_code == 413 and "SSL_ATTENTION_UPLOAD_MB" in response.json()["message"]
    monkeypatch.setenv("SSL_ATTENTION_MAX_IMAGE_PIXELS", "100")
    with client_for(settings) as client:
        response = client.post("/jobs", data={"model": VIT}, files={"image": ("a.png", png(5), "image/png")})
        assert response.status_code == 413 and "image too large" in response.json()["message"]
    assert not (settings.images / "uploads").exists() or not list((settings.images / "uploads").iterdir())


def test_queue_limits_per_client_and_in_total(settings: ApiSettings) -> None:
    with client_for(settings, per_client=2, queued=3) as client:
        submit(client, image_id="img_0", model=[VIT])
        submit(client, image_id="img_1", model=[VIT])
        response = client.post("/jobs", data={"image_id": "img_2", "model": VIT})
        assert response.status_code == 429 and "at most 2 per client" in response.json()["message"]
    with client_for(settings, per_client=2, queued=3, where=("127.0.0.2", 1)) as other:
        submit(other, image_id="img_2", model=[VIT])
        response = other.post("/jobs", data={"image_id": "img_3", "model": VIT})
        assert response.status_code == 429 and "the queue is full" in response.json()["message"]


def test_without_a_token_only_loopback_clients_may_write(settings: ApiSettings) -> None:
    with client_for(settings, where=REMOTE) as remote:
        response = remote.post("/jobs", data={"image_id": "img_0", "model": VIT})
        assert response.status_code == 403 and "SSL_ATTENTION_API_TOKEN" in response.json()["message"]
        assert remote.delete("/jobs/1").status_code == 403
        assert remote.get("/jobs").status_code == 200  # reads stay open
    with client_for(settings, where=("::1", 1)) as local6:
        assert local6.post("/jobs", data={"image_id": "img_0", "model": VIT}).status_code == 202


def test_with_a_token_writes_need_it(settings: ApiSettings) -> None:
    with client_for(settings, where=REMOTE, token="s3cret") as remote:
        data = {"image_id": "img_0", "model": VIT}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
            response = remote.post("/jobs", data=data, headers=headers)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        created = remote.post("/jobs", data=data, headers={"Authorization": "Bearer s3cret"})
        assert created.status_code == 202
        job = created.json()["id"]
        assert remote.delete(f"/jobs/{job}").status_code == 401
        assert remote.delete(f"/jobs/{job}", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    with client_for(settings, where=LOCAL, token="s3cret") as local:  # a token binds loopback too
        assert local.post("/jobs", data={"image_id": "img_0", "model": VIT}).status_code == 401


def test_a_catalog_without_the_jobs_table_is_503(settings: ApiSettings) -> None:
    catalog = CatalogWriter.open(settings.db, migrate=False)
    with catalog.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE jobs")
    catalog.close()
    with client_for(settings) as client:
        assert client.get("/jobs").status_code == 503
        assert client.post("/jobs", data={"image_id": "img_0", "model": VIT}).status_code == 503


def test_job_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_ATTENTION_API_TOKEN", "t")
    monkeypatch.setenv("SSL_ATTENTION_UPLOAD_MB", "2")
    monkeypatch.setenv("SSL_ATTENTION_JOBS_PER_CLIENT", "3")
    limits = JobLimits.from_env()
    assert limits.token == "t" and limits.upload_bytes == 2 * 2**20 and limits.per_client == 3
    assert JobLimits().upload_mb == 20 and JobLimits().token is None


def test_the_queue_the_api_fills_is_the_catalog_table(client: TestClient, settings: ApiSettings) -> None:
    job = submit(client, image_id="img_0", model=[VIT])
    queue = JobQueue(CatalogWriter.open(settings.db, migrate=False).engine)
    found = queue.job(int(str(job["id"])))
    assert found is not None and found.image_path == "img_0.jpg" and found.client == LOCAL[0]


def test_the_jobs_routes_never_import_torch(settings: ApiSettings) -> None:
    code = (
        "import sys, json\n"
        "from fastapi.testclient import TestClient\n"
        "from app.backend.main import app\n"
        "client = TestClient(app, client=('127.0.0.1', 1))\n"
        "made = client.post('/jobs', data={'model': 'dinov2'}, files={'image': ('a.png', sys.stdin.buffer.read())})\n"
        "read = client.get('/jobs/%d' % made.json()['id'])\n"
        "print(json.dumps([made.status_code, read.status_code, 'torch' in sys.modules]))\n"
    )
    env = {
        "SSL_ATTENTION_IMAGES": str(settings.images),
        "SSL_ATTENTION_STORE": settings.store,
        "SSL_ATTENTION_DB": settings.db,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": ":".join(sys.path),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], input=png(7), env=env, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == [202, 200, False]
