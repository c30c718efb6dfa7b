"""`/docs` and `/redoc` work on an air-gapped machine: their assets come from the project, not a CDN.

The browser test renders `/docs` in Debian's Chromium with every host but 127.0.0.1 unresolvable
and asserts that every operation of the schema is listed in the rendered page."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.docs_ui import ASSETS_URL, docs_assets
from app.backend.main import create_app

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
EXTERNAL = re.compile(r"""(?:src|href)=["']?(https?:)?//""")

needs_assets = pytest.mark.skipif(
    docs_assets() is None, reason="fastapi-offline (the api extra) is not installed"
)


def bare_settings(tmp_path: Path) -> ApiSettings:
    """An API over nothing: the docs pages do not need a store or a catalog."""
    return ApiSettings(
        images=tmp_path / "images",
        store=str(tmp_path / "none.zarr"),
        db=f"sqlite:///{tmp_path / 'none.db'}",
        frontend_dist=tmp_path / "dist",
    )


@needs_assets
@pytest.mark.parametrize(
    ("page", "assets"),
    [("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")), ("/redoc", ("redoc.standalone.js",))],
)
def test_docs_pages_load_their_assets_from_the_api_itself(
    tmp_path: Path, page: str, assets: tuple[str, ...]
) -> None:
    with TestClient(create_app(bare_settings(tmp_path))) as client:
        html = client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert not EXTERNAL.search(html.text), "the page must load nothing from another host"
        for name in assets:
            assert f'"{ASSETS_URL}/{name}"' in html.text
            served = client.get(f"{ASSETS_URL}/{name}")
            assert served.status_code == 200 and len(served.content) > 100_000  # the real bundle
        assert client.get(f"{ASSETS_URL}/nope.js").status_code == 404


@needs_assets
def test_docs_pages_stay_the_apis_with_a_built_web_app(tmp_path: Path) -> None:
    """The web app's catch-all must not swallow the docs or their assets."""
    settings = bare_settings(tmp_path)
    settings.frontend_dist.mkdir()
    (settings.frontend_dist / "index.html").write_text("<html>the web app</html>")
    with TestClient(create_app(settings)) as client:
        assert "swagger-ui" in client.get("/docs").text
        assert client.get(f"{ASSETS_URL}/swagger-ui.css").status_code == 200
        assert client.get(f"{ASSETS_URL}/missing.js").status_code == 404
        assert "the web app" in client.get("/gallery").text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]),
        "SSL_ATTENTION_STORE": str(tmp_path / "none.zarr"),
        "SSL_ATTENTION_DB": f"sqlite:///{tmp_path / 'none.db'}",
        "SSL_ATTENTION_FRONTEND_DIST": str(tmp_path / "dist"),
    }
    cmd = [
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
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/openapi.json", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"the API did not start: {process.stderr.read()!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@needs_assets
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="no Chromium (CHROMIUM_PATH)")
def test_docs_render_every_operation_with_the_network_blocked(server: str, tmp_path: Path) -> None:
    with urllib.request.urlopen(f"{server}/openapi.json", timeout=5) as response:
        schema = json.load(response)
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert len(operations) >= 8
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            # every host but the API's is unresolvable: a CDN asset would fail to load
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"{server}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = result.stdout
    assert "swagger-ui" in dom and "opblock" in dom, f"Swagger UI did not render:\n{result.stderr[-2000:]}"
    rendered = set(
        re.findall(
            r'opblock-summary-method">(\w+)</span>.*?data-path="([^"]+)"',
            dom,
            flags=re.DOTALL,
        )
    )
    assert operations <= rendered, f"not rendered: {sorted(operations - rendered)}"
