"""/served: what the server reads, so that the web app's suggested commands act on it."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.routers.served import mask_password, served
from ssl_attention.settings import DEFAULT_DB, DEFAULT_IMAGES, DEFAULT_STORE
from tests.app.conftest import Api


def test_the_flags_point_precompute_at_the_served_gallery_store_and_catalog(
    client: TestClient, api: Api
) -> None:
    response = client.get("/served")
    assert response.status_code == 200
    body = response.json()
    assert body["images"] == str(api.settings.images)
    assert body["store"] == api.settings.store and body["db"] == api.settings.db
    assert not body["password_hidden"]
    flags = shlex.split(body["precompute_flags"])
    assert flags == [
        "--images",
        str(api.settings.images),
        "--store",
        api.settings.store,
        "--db",
        api.settings.db,
    ]
    # the flags precompute's own parser reads back as the served locations
    from precompute.cli import build_parser

    options = build_parser().parse_args(["--models", "all", *flags])
    assert (options.images, options.store, options.db) == (
        str(api.settings.images),
        api.settings.store,
        api.settings.db,
    )


def test_defaults_need_no_flags_and_relative_ones_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    defaults = ApiSettings(images=Path(DEFAULT_IMAGES), store=DEFAULT_STORE, db=DEFAULT_DB)
    assert served(defaults).precompute_flags == ""
    own = ApiSettings(images=Path("my photos"), store=DEFAULT_STORE, db="sqlite:///cache/my.db")
    flags = shlex.split(served(own).precompute_flags)
    assert flags == [
        "--images",
        str(tmp_path / "my photos"),
        "--db",
        f"sqlite:///{tmp_path / 'cache' / 'my.db'}",
    ]


def test_a_postgresql_password_is_never_sent(tmp_path: Path) -> None:
    db = "postgresql+psycopg://ssl:S3cret-pw@db.example:5432/attention?sslmode=require"
    settings = ApiSettings(
        images=tmp_path, store="s3://bucket/attention.zarr", db=db, frontend_dist=tmp_path / "none"
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/served")
    assert response.status_code == 200
    assert "S3cret-pw" not in response.text
    body = response.json()
    assert body["db"] == "postgresql+psycopg://ssl:***@db.example:5432/attention?sslmode=require"
    assert body["password_hidden"]
    assert shlex.split(body["precompute_flags"])[-2:] == ["--db", body["db"]]


@pytest.mark.parametrize(
    ("url", "masked", "hidden"),
    [
        ("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db", True),
        ("postgresql://u@h/db", "postgresql://u@h/db", False),
        ("postgresql://h/db?user=u&password=pw", "postgresql://h/db?user=u&password=***", True),
        ("sqlite:////tmp/catalog.db", "sqlite:////tmp/catalog.db", False),
        ("data/cache/attention.zarr", "data/cache/attention.zarr", False),
    ],
)
def test_mask_password(url: str, masked: str, hidden: bool) -> None:
    assert mask_password(url) == (masked, hidden)
