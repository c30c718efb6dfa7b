"""Issue 16, item 11: with the web app mounted, only its own pages get index.html (unknown API
paths, traversal tricks and missing files answer JSON 404), and HEAD works wherever GET does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from tests.app.conftest import SECRET, Api

REPO = Path(__file__).resolve().parents[3]
INDEX = "<!doctype html><title>ssl-attention</title><div id=root></div>"
NOT_APP_PAGES = [
    "/images/..%2F..%2Fetc%2Fpasswd/file",
    "/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/images/%2e%2e%2f%2e%2e%2fsecret.txt/file",
    "/attention/nope/x/y",
    "/metrics/x/y/z/w",
    "/assets/missing.js",
    "/assets/sub/missing.css",
    "/robots.txt",
    "/%2e%2e/%2e%2e/secret.txt",
    "/..%2f..%2fsecret.txt",
    "/view/..%2f..%2fsecret.txt",
    "/view/%2e/x",
    "/view/a%5c..%5csecret.txt",
]
APP_PAGES = [
    "/",
    "/view/img_0",
    "/view/img_0?model=dinov2&layer=2",
    "/view/zoo__cat.v2",
    "/dashboard",
    "/compare",
]


def make_dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-1234.js").write_text("console.log('app')")
    return dist


@pytest.fixture(scope="module")
def spa(api: Api, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    dist = make_dist(tmp_path_factory.mktemp("spa"))
    return TestClient(create_app(ApiSettings(**{**api.settings.__dict__, "frontend_dist": dist})))


@pytest.mark.parametrize("path", NOT_APP_PAGES)
def test_paths_that_are_no_app_page_answer_json_404(spa: TestClient, path: str) -> None:
    response = spa.get(path)
    assert response.status_code == 404, (path, response.text[:100])
    assert response.headers["content-type"] == "application/json"
    assert INDEX not in response.text and SECRET not in response.text


@pytest.mark.parametrize("path", APP_PAGES)
def test_app_pages_still_get_the_index(spa: TestClient, path: str) -> None:
    response = spa.get(path)
    assert response.status_code == 200 and response.text == INDEX


HEAD_PATHS = [
    "/health",
    "/models",
    "/images?limit=2",
    "/images/img_0",
    "/images/img_0/file",
    "/images/img_0/thumbnail?size=20",
    "/attention/img_0/raw?model=dinov2&format=f16",
    "/attention/img_0/heatmap.png?model=dinov2&size=32",
    "/openapi.json",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
@pytest.mark.parametrize("mounted", [True, False])
def test_head_answers_like_get_without_a_body(
    spa: TestClient, client: TestClient, path: str, mounted: bool
) -> None:
    app = spa if mounted else client
    get, head = app.get(path), app.head(path)
    assert get.status_code == 200 and head.status_code == 200, (path, head.status_code)
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name
    if "etag" in get.headers:
        assert app.head(path, headers={"If-None-Match": get.headers["etag"]}).status_code == 304


def test_head_of_pages_assets_and_errors(spa: TestClient, client: TestClient) -> None:
    assert spa.head("/view/img_0").status_code == 200 and spa.head("/view/img_0").content == b""
    asset = spa.head("/assets/app-1234.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    for app in (spa, client):
        missing = app.head("/images/nope")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
        for path in ("/attention/img_0/raw?model=nope", "/attention/img_0/raw?model=dinov2&layer=99"):
            assert app.head(path).status_code == app.get(path).status_code >= 400
    assert spa.head("/assets/missing.js").status_code == 404
    assert client.post("/health").status_code == 405  # only HEAD is added, not other methods


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raw(base: str, method: str, target: str) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.fixture(scope="module")
def server(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server (uvicorn) with the web app mounted: requests go over a socket byte for byte."""
    dist = make_dist(tmp_path_factory.mktemp("spa_server"))
    port = free_port()
    env = {
        **os.environ,
        "SSL_ATTENTION_IMAGES": str(api.settings.images),
        "SSL_ATTENTION_STORE": api.settings.store,
        "SSL_ATTENTION_DB": api.settings.db,
        "SSL_ATTENTION_FRONTEND_DIST": str(dist),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.backend.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_over_a_socket(server: str) -> None:
    for target in [
        *NOT_APP_PAGES,
        "/images/../../../../etc/passwd",
        "/images/img_0/file/../../../secret.txt",
    ]:
        status, data = raw(server, "GET", target)
        assert status in (400, 404), (target, status)
        assert INDEX.encode() not in data and SECRET.encode() not in data
    status, data = raw(server, "HEAD", "/images/img_0/file")
    headers, _, body = data.partition(b"\r\n\r\n")
    assert status == 200 and body == b"" and b"content-length:" in headers.lower()
    assert raw(server, "HEAD", "/health")[0] == 200
    assert raw(server, "GET", "/view/img_0")[1].endswith(INDEX.encode())
