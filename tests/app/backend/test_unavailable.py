"""A missing, broken or late store or catalog: 503 from /health and the affected endpoints, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from tests.app.conftest import Api

CATALOG_URLS = ["/images", "/images/img_0", "/images/img_0/file", "/images/img_0/thumbnail"]
STORE_URLS = [
    "/models",
    "/models/dinov2",
    "/attention/img_0/raw?model=dinov2",
    "/attention/img_0/heads?model=dinov2",
    "/attention/img_0/prefix?model=dinov2",
    "/attention/img_0/heatmap.png?model=dinov2",
]


def settings_with(api: Api, **changes: object) -> ApiSettings:
    return ApiSettings(**{**api.settings.__dict__, "models_ttl": 0.0, **changes})


def assert_503(client: TestClient, url: str, *words: str) -> None:
    response = client.get(url)
    assert response.status_code == 503, (url, response.text)
    assert response.headers["retry-after"]
    for word in words:
        assert word in response.json()["message"]


def test_nothing_there_yet(api: Api, tmp_path: Path) -> None:
    db_file = tmp_path / "cache" / "catalog.db"
    settings = settings_with(api, store=str(tmp_path / "cache" / "attention.zarr"), db=f"sqlite:///{db_file}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert not body["store"]["ok"] and "run `precompute` first" in body["store"]["detail"]
        assert not body["catalog"]["ok"] and "no catalog" in body["catalog"]["detail"]
        for url in CATALOG_URLS:
            assert_503(client, url, "catalog")
        for url in STORE_URLS:
            assert_503(client, url)
    assert not db_file.exists() and not db_file.parent.exists()  # the service never creates them


def test_store_missing_catalog_present(api: Api, tmp_path: Path) -> None:
    with TestClient(create_app(settings_with(api, store=str(tmp_path / "none.zarr")))) as client:
        assert client.get("/health").json()["catalog"]["ok"]
        for url in CATALOG_URLS:
            assert client.get(url).status_code == 200
        for url in STORE_URLS:
            assert_503(client, url, "attention store")


def test_catalog_missing_store_present(api: Api, tmp_path: Path) -> None:
    with TestClient(create_app(settings_with(api, db=f"sqlite:///{tmp_path / 'none.db'}"))) as client:
        assert client.get("/health").json()["store"]["ok"]
        assert client.get("/models").status_code == 200
        for url in [*CATALOG_URLS, *STORE_URLS[2:]]:
            assert_503(client, url, "catalog")


@pytest.mark.parametrize("content", [b"", b"this is not sqlite at all, just text" * 10])
def test_catalog_that_is_not_a_catalog(api: Api, tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(content)
    with TestClient(create_app(settings_with(api, db=f"sqlite:///{db}"))) as client:
        health = client.get("/health")
        assert health.status_code == 503 and not health.json()["catalog"]["ok"]
        for url in [*CATALOG_URLS, STORE_URLS[2]]:
            response = client.get(url)
            assert response.status_code == 503 and str(tmp_path) not in response.text


@pytest.mark.parametrize(
    ("url", "words"),
    [("postgresql+nosuchdriver://u@127.0.0.1:1/x", "not a valid"), ("not a url at all", "not a valid")],
)
def test_unusable_database_url(api: Api, url: str, words: str) -> None:
    with TestClient(create_app(settings_with(api, db=url))) as client:
        assert client.get("/health").status_code == 503
        assert_503(client, "/images", words)


def test_database_driver_not_installed(api: Api) -> None:
    settings = settings_with(api, db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 503
        assert client.get("/images").status_code == 503


def test_store_appears_after_start(api: Api, tmp_path: Path) -> None:
    store = tmp_path / "late.zarr"
    with TestClient(create_app(settings_with(api, store=str(store)))) as client:
        assert client.get("/health").status_code == 503
        assert_503(client, "/attention/img_0/raw?model=dinov2")
        shutil.copytree(api.settings.store, store)
        assert client.get("/health").status_code == 200
        assert client.get("/attention/img_0/raw?model=dinov2").status_code == 200


def test_store_deleted_while_serving(api: Api, tmp_path: Path) -> None:
    store = tmp_path / "gone.zarr"
    shutil.copytree(api.settings.store, store)
    with TestClient(create_app(settings_with(api, store=str(store)))) as client:
        assert client.get("/attention/img_0/raw?model=dinov2").status_code == 200
        shutil.rmtree(store)
        assert client.get("/health").status_code == 503
        assert_503(client, "/attention/img_1/raw?model=dinov2")
        assert_503(client, "/models")
