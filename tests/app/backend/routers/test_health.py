"""/health."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_store_catalog_and_cache(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["ok"] and body["store"]["models"] == 6
    assert body["catalog"] == {"ok": True, "detail": None}
    assert body["cache"]["max_bytes"] == 256 * 1024 * 1024
    assert response.headers["cache-control"] == "no-store"
