"""Fixtures of the API suites: an app over the precomputed tiny store, with annotation boxes,
and one over a copy of it with a synthetic VLM group added (`vlm_api`, `vlm_client`)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from tests.conftest import Precomputed
from tests.factories import VlmFixture, write_vlm_fixture

SECRET = "TOP-SECRET-MARKER-7f3a"
GOOD_IDS = ("img_0", "img_1", "img_2", "img_3", "img_4", "sub__nested_5")
BAD_IDS = ("not_an_image", "truncated")
ESCAPES = {"sub__link_out": "sub/link_out.png", "dotdot": "../secret.txt", "absolute": "/etc/hostname"}
VLM = "qwen2_5_vl"
VLM_IDS = ("img_0", "img_1", "img_2")  # img_0 has both prompts; img_1, img_2 only prompt 0
VLM_PENDING = ("img_3",)  # a row, but not done: 409
BOXES = [
    ("img_0", "cat", 0.1, 0.2, 0.6, 0.9),
    ("img_0", "dog", 0.5, 0.1, 0.95, 0.5),
    ("sub__nested_5", "thing", 0.0, 0.0, 1.0, 1.0),
]


@dataclass(frozen=True)
class Api:
    """The precomputed gallery, store and catalog the app serves, and a secret beside them."""

    settings: ApiSettings
    data: Precomputed
    secret: Path

    def reader(self) -> AttentionStoreReader:
        return AttentionStoreReader(self.settings.store)

    def catalog(self) -> CatalogWriter:
        return CatalogWriter.open(self.settings.db, migrate=False)


def copy_sqlite(source_url: str, target: Path) -> str:
    """A consistent copy of a SQLite catalog (WAL included), so tests can add rows to it."""
    with sqlite3.connect(source_url.removeprefix("sqlite:///")) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def api(precomputed: Precomputed, tmp_path_factory: pytest.TempPathFactory) -> Api:
    root = tmp_path_factory.mktemp("api")
    db = copy_sqlite(precomputed.db, root / "catalog.db")
    catalog = CatalogWriter.open(db, migrate=False)
    catalog.replace_annotations(BOXES, source="tests")
    # Catalog rows whose paths lead out of the gallery (a symlink, a `..`): never served.
    catalog.sync_images([DiscoveredFile(image_id, path, 1, 1) for image_id, path in ESCAPES.items()])
    for image_id in ESCAPES:
        catalog.record_image(image_id, sha256="0" * 64, width=10, height=10)
    catalog.close()
    # The gallery, with files beside it that no request may ever reach.
    images = root / "images"
    shutil.copytree(precomputed.images, images)
    secret = root / "secret.txt"
    secret.write_text(SECRET)
    (root / "images_evil").mkdir()
    (root / "images_evil" / "img_0.png").write_text(SECRET)
    (images / "sub" / "link_out.png").symlink_to(secret)
    settings = ApiSettings(images=images, store=precomputed.store, db=db, frontend_dist=root / "no-frontend")
    return Api(settings, precomputed, secret)


@pytest.fixture(scope="session")
def app(api: Api) -> FastAPI:
    return create_app(api.settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class VlmApi:
    """A copy of the precomputed store and catalog with a synthetic VLM group (`VLM`) added."""

    settings: ApiSettings
    fixture: VlmFixture


@pytest.fixture(scope="session")
def vlm_api(api: Api, tmp_path_factory: pytest.TempPathFactory) -> VlmApi:
    root = tmp_path_factory.mktemp("vlm_api")
    store = root / "attention.zarr"
    shutil.copytree(api.settings.store, store)
    db = copy_sqlite(api.settings.db, root / "catalog.db")
    fixture = write_vlm_fixture(str(store), db, VLM_IDS, key=VLM, pending=VLM_PENDING)
    settings = ApiSettings(**{**api.settings.__dict__, "store": str(store), "db": db})
    return VlmApi(settings, fixture)


@pytest.fixture(scope="session")
def vlm_app(vlm_api: VlmApi) -> FastAPI:
    return create_app(vlm_api.settings)


@pytest.fixture(scope="session")
def vlm_client(vlm_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(vlm_app) as test_client:
        yield test_client
