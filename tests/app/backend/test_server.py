"""The real server: uvicorn on a free loopback port, spoken to over HTTP (and raw sockets)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.app.conftest import SECRET, Api

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(api: Api) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "SSL_ATTENTION_IMAGES": str(api.settings.images),
        "SSL_ATTENTION_STORE": api.settings.store,
        "SSL_ATTENTION_DB": api.settings.db,
        # hermetic: no built web app, whatever the checkout holds (its SPA fallback answers 200 with index.html)
        "SSL_ATTENTION_FRONTEND_DIST": str(api.settings.frontend_dist),
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
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"uvicorn did not start:\n{output}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def raw_request(base: str, target: str) -> tuple[int, bytes]:
    """Send `GET target` byte for byte (no client-side normalisation of `..` or `%2F`)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_serves_json_f16_gzip_and_304_over_http(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        params = {"model": "dinov2", "method": "cls", "layer": 1, "head": 0}
        body = client.get("/attention/img_0/raw", params=params).json()
        binary = client.get("/attention/img_0/raw", params={**params, "format": "f16"})
        assert binary.headers["x-shape"] == "6,6"
        values = np.frombuffer(binary.content, "<f2")
        assert np.array_equal(values, np.array(body["data"], np.float16))
        heads = client.get("/attention/img_0/heads", params={"model": "siglip", "method": "mean"})
        assert heads.headers["content-encoding"] == "gzip" and heads.json()["shape"] == [4, 6, 6]
        etag = binary.headers["etag"]
        again = client.get(
            "/attention/img_0/raw", params={**params, "format": "f16"}, headers={"If-None-Match": etag}
        )
        assert again.status_code == 304
        assert client.get("/images/img_0/file").content[:2] == b"\xff\xd8"


def test_no_gzip_unless_asked(server: str) -> None:
    status, data = raw_request(server, "/attention/img_0/heads?model=siglip&method=mean")
    headers, _, payload = data.partition(b"\r\n\r\n")
    assert status == 200 and b"content-encoding" not in headers.lower()
    assert json.loads(payload)["shape"] == [4, 6, 6]


@pytest.mark.parametrize(
    "target",
    [
        "/images/../secret.txt",
        "/images/..%2fsecret/file",
        "/images/..%2F..%2Fsecret.txt/file",
        "/images/%2e%2e%2fsecret/file",
        "/images/%2e%2e/file",
        "/images/..%5csecret/file",
        "/images/img_0%00/file",
        "/images/%00/file",
        "/images/../../../../etc/passwd",
        "/images/dotdot/file",
        "/images/sub__link_out/file",
        "/images/absolute/file",
        "/images/%252e%252e%252fsecret/file",
        "/../secret.txt",
        "/attention/..%2f..%2fsecret/raw?model=dinov2",
        "/images/img_0/file/../../../secret.txt",
    ],
)
def test_traversal_attempts_never_leave_the_gallery(server: str, target: str) -> None:
    status, data = raw_request(server, target)
    assert status in (400, 404, 422), (status, data[:300])
    assert SECRET.encode() not in data
