"""Reading while a precompute run writes: only rows the catalog marks done are ever served."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.backend.config import ApiSettings
from app.backend.main import create_app
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from tests.factories import model_attrs

TOY = model_attrs(image_size=8, grid=(2, 2), layers=2, prefix_tokens=("cls",))
N_IMAGES = 12


def row_data(value: float) -> dict[str, np.ndarray]:
    """Every array of one row filled with `value`, so a reader can tell whose row it got."""
    return {spec.path: np.full((1, *spec.shape), value, dtype=np.float16) for spec in TOY.array_specs()}


def value_of(index: int) -> float:
    return float(np.float16((index + 1) / 64))


def as_f16(values: list[float]) -> list[float]:
    return np.array(values, dtype=np.float16).astype(float).tolist()


def test_rows_appear_only_once_written_and_marked_done(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    ids = [f"im{i:02d}" for i in range(N_IMAGES)]
    for image_id in ids:
        Image.new("RGB", (8, 8)).save(images / f"{image_id}.png")
    store, db = str(tmp_path / "store.zarr"), f"sqlite:///{tmp_path / 'catalog.db'}"
    writer = AttentionStoreWriter(store)
    catalog = CatalogWriter.open(db)
    catalog.sync_images([DiscoveredFile(i, f"{i}.png", 1, 1) for i in ids])
    for image_id in ids:
        catalog.record_image(image_id, sha256=image_id * 4, width=8, height=8)
    run_id = catalog.start_run("toy", "toy", "random", {})
    rows = catalog.assign_rows("toy", ids[:4])
    writer.prepare(TOY, n_rows=4, rebuild=True)

    settings = ApiSettings(images=images, store=store, db=db, models_ttl=0.0, frontend_dist=tmp_path / "none")
    seen: list[tuple[str, int, float | None]] = []
    stop = threading.Event()

    def hammer(client: TestClient) -> None:
        while not stop.is_set():
            for image_id in ids:
                response = client.get(f"/attention/{image_id}/raw?model=toy&head=1&format=f16")
                value = (
                    float(np.frombuffer(response.content, "<f2")[0]) if response.status_code == 200 else None
                )
                seen.append((image_id, response.status_code, value))

    with TestClient(create_app(settings)) as client:
        # Written but not marked done: not served.
        writer.write_rows("toy", [rows["im00"]], row_data(value_of(0)))
        assert client.get("/attention/im00/raw?model=toy").status_code == 409
        catalog.mark_done("toy", ["im00"], run_id)
        assert as_f16(client.get("/attention/im00/raw?model=toy&head=1").json()["data"]) == [value_of(0)] * 4

        reader = threading.Thread(target=hammer, args=(client,))
        reader.start()
        try:
            # The run goes on: more rows (the arrays grow), each written and then marked done.
            rows = catalog.assign_rows("toy", ids)
            writer.prepare(TOY, n_rows=N_IMAGES, rebuild=False)
            for index, image_id in enumerate(ids[1:], start=1):
                writer.write_rows("toy", [rows[image_id]], row_data(value_of(index)))
                catalog.mark_done("toy", [image_id], run_id)
        finally:
            stop.set()
            reader.join()

        for index, image_id in enumerate(ids):
            body = client.get(f"/attention/{image_id}/raw?model=toy&layer=0&head=0").json()
            assert as_f16(body["data"]) == [value_of(index)] * 4

    statuses = {status for _, status, _ in seen}
    assert statuses <= {200, 409} and 200 in statuses
    for image_id, status, value in seen:
        if status == 200:  # never zeros (fill value) or another image's row
            assert value == value_of(ids.index(image_id)), (image_id, value)
    catalog.close()
