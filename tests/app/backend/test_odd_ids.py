"""A NUL character in an id is an unknown id (404), never a database error (503): it is refused
before any SQL (PostgreSQL rejects it in a query; SQLite just finds nothing)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.backend.main import create_app
from tests.app.conftest import Api


@pytest.mark.parametrize(
    "path",
    [
        "/images/img_0%00",
        "/images/%00",
        "/images/img_0%00/file",
        "/images/img_0%00/thumbnail",
        "/attention/img_0%00/raw?model=dinov2",
        "/attention/img_0%00/heatmap.png?model=dinov2",
    ],
)
def test_an_id_with_a_nul_character_is_not_found(api: Api, path: str) -> None:
    with TestClient(create_app(api.settings)) as client:
        answer = client.get(path)
        assert answer.status_code == 404, answer.text
        assert answer.json()["message"].startswith("unknown image")
