"""A catalog describes one store: a second store on the same catalog is refused instead of
resetting the first one's rows, and the API refuses to serve a store with another store's catalog.

The rules themselves (`identity.decide`) are checked row by row; then whole runs: a second
store, stores and catalogs from before identities (adopted), a lost stamp (finished), a deleted
store (re-paired), concurrent runs (one identity), and the API on a mismatched pair.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import fsspec
import pytest
import zarr
from fastapi.testclient import TestClient
from sqlalchemy import delete

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from ssl_attention.store.arrays import StoreError
from ssl_attention.store.catalog import CatalogWriter, StorePairing
from ssl_attention.store.catalog.schema import CatalogInfoRow
from ssl_attention.store.identity import (
    STORE_ID,
    StoreState,
    decide,
    location,
    pair_store,
    read_store_id,
    write_store_id,
)
from tests.conftest import write_gallery
from tests.ssl_attention.store.test_catalog import catalog_url
from tests.tiny_models import IMAGE_SIZE

NEW = "n" * 36


def fresh() -> str:
    return NEW


# --- the rules ---------------------------------------------------------------------------------


def test_a_pair_goes_on_and_records_where_the_store_is_now(tmp_path: Path) -> None:
    url = str(tmp_path / "moved.zarr")
    chosen, before, after = decide(url, StorePairing("a", "/old/place", True), StoreState(True, "a"), fresh)
    assert chosen == StorePairing("a", location(url), True) and (before, after) == (None, None)


def test_two_identities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="describes another store"):
        decide(str(tmp_path / "b"), StorePairing("a", "/x", True), StoreState(True, "b", ("m",)), fresh)


def test_a_pair_from_before_identities_is_adopted(tmp_path: Path) -> None:
    url = str(tmp_path / "s")
    chosen, before, after = decide(url, StorePairing(None, None, True), StoreState(True, None, ("m",)), fresh)
    assert chosen.store_id == NEW and (before, after) == (None, NEW)  # catalog first, then the store
    chosen, _, after = decide(url, StorePairing(None, None, False), StoreState(False), fresh)
    assert chosen.store_id == NEW and after == NEW


def test_an_unpaired_catalog_with_rows_and_an_empty_store_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="holds maps of another store"):
        decide(str(tmp_path / "new"), StorePairing(None, None, True), StoreState(False), fresh)


def test_a_paired_store_takes_an_empty_catalog_under_a_new_identity(tmp_path: Path) -> None:
    chosen, before, after = decide(
        str(tmp_path / "s"), StorePairing(None, None, False), StoreState(True, "old", ("m",)), fresh
    )
    # The store is stamped first: its previous catalog (id "old") no longer matches it.
    assert chosen.store_id == NEW and (before, after) == (NEW, None)
    with pytest.raises(StoreError, match="belongs to another catalog"):
        decide(str(tmp_path / "s"), StorePairing(None, None, True), StoreState(True, "old", ("m",)), fresh)


def test_a_catalog_whose_store_was_here_finishes_the_stamp(tmp_path: Path) -> None:
    url = str(tmp_path / "s")
    chosen, before, after = decide(
        url, StorePairing("a", location(url), True), StoreState(True, None, ("m",)), fresh
    )
    assert chosen.store_id == "a" and (before, after) == (None, "a")


def test_a_catalog_whose_store_is_gone_pairs_with_a_new_empty_store(tmp_path: Path) -> None:
    gone = str(tmp_path / "gone.zarr")  # nothing there any more
    chosen, _, after = decide(str(tmp_path / "new"), StorePairing("a", gone, True), StoreState(False), fresh)
    assert chosen.store_id == NEW and after == NEW


def test_a_catalog_whose_store_is_still_there_refuses_another(tmp_path: Path) -> None:
    there = str(tmp_path / "a.zarr")
    write_store_id(there, "a")
    with pytest.raises(StoreError, match=r"describes the store at .*a\.zarr"):
        decide(str(tmp_path / "b"), StorePairing("a", location(there), False), StoreState(False), fresh)


# --- whole runs --------------------------------------------------------------------------------


@pytest.fixture
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gallery") / "images"
    write_gallery(folder, n_good=2)
    return folder


def run(gallery: Path, checkpoint: Path, store: Path, db: str) -> int:
    return main(
        [
            "--quiet", "--device", "cpu", "--images", str(gallery), "--models", "dinov2",
            "--checkpoint", f"dinov2={checkpoint}", "--image-size", str(IMAGE_SIZE),
            "--store", str(store), "--db", db,
        ]
    )  # fmt: skip


def catalog_id(db: str) -> str | None:
    catalog = CatalogWriter.open(db, migrate=False)
    try:
        return catalog.pairing().store_id
    finally:
        catalog.close()


def done(db: str) -> set[str]:
    catalog = CatalogWriter.open(db, migrate=False)
    try:
        return catalog.done_ids("dinov2")
    finally:
        catalog.close()


def forget_identities(store: Path, db: str) -> None:
    catalog = CatalogWriter.open(db, migrate=False)
    with catalog.engine.begin() as connection:
        connection.execute(delete(CatalogInfoRow))
    catalog.close()
    root = zarr.open_group(str(store), mode="a")
    root.attrs.__delitem__(STORE_ID)


def test_a_second_store_on_a_catalog_is_refused_and_the_first_keeps_its_rows(
    tmp_path: Path, gallery: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint, db = tiny_checkpoints["dinov2"], f"sqlite:///{tmp_path / 'catalog.db'}"
    a, b = tmp_path / "a.zarr", tmp_path / "b.zarr"
    assert run(gallery, checkpoint, a, db) == 0
    rows = done(db)
    assert len(rows) == 2 and read_store_id(str(a)) == catalog_id(db) is not None
    capsys.readouterr()

    assert run(gallery, checkpoint, b, db) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("precompute: error: --db describes the store at") and "\n" not in err
    assert not b.exists() and done(db) == rows  # nothing written to B, nothing reset in A's rows

    # The API on A still serves A's maps (before the fix: 409 "not precomputed yet").
    settings = ApiSettings(images=gallery, store=str(a), db=db, frontend_dist=tmp_path / "none")
    with TestClient(create_app(settings)) as client:
        image = sorted(rows)[0]
        assert client.get(f"/attention/{image}/raw", params={"model": "dinov2"}).status_code == 200

    # A pair from before identities is adopted as it is: nothing recomputed, both stamped alike.
    forget_identities(a, db)
    assert read_store_id(str(a)) is None and catalog_id(db) is None
    assert run(gallery, checkpoint, a, db) == 0
    assert "nothing to do for 1 model(s) (dinov2)" in capsys.readouterr().out and done(db) == rows
    assert read_store_id(str(a)) == catalog_id(db) is not None

    # A stamp lost between the catalog's commit and the store's write is finished by the next run.
    root = zarr.open_group(str(a), mode="a")
    root.attrs.__delitem__(STORE_ID)
    assert run(gallery, checkpoint, a, db) == 0
    assert read_store_id(str(a)) == catalog_id(db)

    # A deleted store: its catalog pairs with a new one elsewhere (a new identity) and recomputes.
    old = catalog_id(db)
    shutil.rmtree(a)
    c = tmp_path / "c.zarr"
    assert run(gallery, checkpoint, c, db) == 0
    assert "2 images in" in capsys.readouterr().out
    assert read_store_id(str(c)) == catalog_id(db) != old and done(db) == rows


def test_the_api_refuses_a_store_with_another_stores_catalog(
    tmp_path: Path, gallery: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    checkpoint = tiny_checkpoints["dinov2"]
    a, b = tmp_path / "a.zarr", tmp_path / "b.zarr"
    db_a, db_b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert run(gallery, checkpoint, a, db_a) == 0
    assert run(gallery, checkpoint, b, db_b) == 0
    image = sorted(done(db_a))[0]
    settings = ApiSettings(images=gallery, store=str(b), db=db_a, frontend_dist=tmp_path / "none")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "describes another store" in health.json()["catalog"]["detail"]
        answer = client.get(f"/attention/{image}/raw", params={"model": "dinov2"})
        assert answer.status_code == 503 and "describes another store" in answer.json()["message"]
        assert client.get(f"/images/{image}").status_code == 503


def pair_in_threads(db: str, store: str, n: int) -> tuple[list[str], list[BaseException]]:
    """`n` threads, each with its own catalog connection, pairing the store at once."""
    found: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def pair() -> None:
        try:
            catalog = CatalogWriter.open(db)
        except BaseException as error:
            errors.append(error)
            start.abort()
            return
        try:
            start.wait(timeout=60)
            found.append(pair_store(catalog, store))
        except BaseException as error:
            errors.append(error)
        finally:
            catalog.close()

    threads = [threading.Thread(target=pair) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found, errors


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_runs_on_a_fresh_pair_agree_on_one_identity(backend: str, tmp_path: Path) -> None:
    for db in catalog_url(backend, tmp_path):
        store = str(tmp_path / "s.zarr")
        CatalogWriter.open(db).close()
        found, errors = pair_in_threads(db, store, 6)
        assert not errors, errors
        assert len(found) == 6 and len(set(found)) == 1
        assert read_store_id(store) == found[0] == catalog_id(db)


def test_a_remote_store_is_read_for_its_identity_and_paired(tmp_path: Path) -> None:
    url = f"memory://pairing-{tmp_path.name}"
    memory = fsspec.filesystem("memory")  # its top folders stand for buckets: they must exist
    memory.mkdir(f"pairing-{tmp_path.name}")
    memory.mkdir(f"other-{tmp_path.name}")
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        first = pair_store(catalog, url)
        assert read_store_id(url) == first == pair_store(catalog, url)  # the pair goes on
        zarr.open_group(store=url, mode="a").create_group("m")
        other = f"memory://other-{tmp_path.name}"
        write_store_id(other, "another")
        with pytest.raises(StoreError, match="describes another store"):
            pair_store(catalog, other)
    finally:
        catalog.close()
