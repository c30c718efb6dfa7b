"""The built web app at `/`: static files, SPA fallback, and API routes that always win."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from tests.app.conftest import Api

INDEX = "<!doctype html><title>ssl-attention</title><div id=root></div>"


@pytest.fixture(scope="module")
def spa(api: Api, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text(INDEX)
    (dist / "assets").mkdir()
    (dist / "assets" / "app-1234.js").write_text("console.log('app')")
    (dist / "favicon.svg").write_text("<svg/>")
    settings = ApiSettings(**{**api.settings.__dict__, "frontend_dist": dist})
    return TestClient(create_app(settings))


def test_index_and_assets(spa: TestClient) -> None:
    root = spa.get("/")
    assert root.status_code == 200 and root.text == INDEX and "text/html" in root.headers["content-type"]
    asset = spa.get("/assets/app-1234.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert spa.get("/favicon.svg").text == "<svg/>"


@pytest.mark.parametrize(
    "path", ["/view/img_0", "/view/img_0?model=dinov2&layer=2", "/compare", "/dashboard/x/y"]
)
def test_app_routes_fall_back_to_index(spa: TestClient, path: str) -> None:
    response = spa.get(path)
    assert response.status_code == 200 and response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


def test_api_routes_win(spa: TestClient) -> None:
    assert spa.get("/health").json()["status"] == "ok"
    assert spa.get("/images?limit=1").json()["limit"] == 1
    assert spa.get("/attention/img_0/raw?model=dinov2").json()["model"] == "dinov2"
    assert "openapi" in spa.get("/openapi.json").json()


@pytest.mark.parametrize(
    "path", ["/attention/img_0/nope", "/images/img_0/file/extra", "/models/dinov2/x", "/docs/x"]
)
def test_unknown_api_paths_stay_json_404(spa: TestClient, path: str) -> None:
    response = spa.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_static_files_never_escape_dist(spa: TestClient, api: Api) -> None:
    for path in ["/..%2f..%2fsecret.txt", "/assets/..%2f..%2fsecret.txt", "/%2e%2e/%2e%2e/secret.txt"]:
        response = spa.get(path)
        assert api.secret.read_text() not in response.text


def test_no_dist_no_mount(client: TestClient) -> None:
    assert client.get("/").status_code == 404
    assert client.get("/view/img_0").status_code == 404
