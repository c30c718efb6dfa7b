"""Build the browser tests' fixture: a small gallery precomputed with tiny random checkpoints.

    .venv/bin/python app/frontend/e2e/make_fixture.py OUT_DIR

Writes OUT_DIR/images (6 good images, one nested, plus a truncated JPEG and a text file named
.png), OUT_DIR/attention.zarr and OUT_DIR/catalog.db, and prints one JSON line with the three
paths for the SSL_ATTENTION_* variables (and `db_many`: a copy of the catalog with 10,000 more
images, all pointing at one file and none precomputed, for the large-gallery test). Every family's tiny checkpoint (6x6 grid, 3 layers,
2 heads; SigLIP 4 heads) is precomputed with per-head maps; `mae` is built with
`--weights random` over the first three images only, so the app's "random weights" badge and its
"not precomputed for this model" states are exercised. Two images get annotation boxes.

It reuses the Python suites' fixtures (tests/tiny_models.py, tests/conftest.py::write_gallery),
so the browser tests see exactly the store layout the API tests see.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

BOXES = [
    ("img_0", "cat", 0.1, 0.2, 0.6, 0.9),
    ("img_0", "dog", 0.5, 0.1, 0.95, 0.5),
    ("sub__nested_5", "thing", 0.05, 0.05, 0.95, 0.95),
]
RANDOM_MODEL = "mae"
RANDOM_LIMIT = 3
MANY = 10_000


def main(out: Path) -> dict[str, str]:
    from precompute.runner import RunOptions, run
    from ssl_attention.store.catalog import Catalog, DiscoveredFile
    from tests.conftest import write_gallery
    from tests.tiny_models import IMAGE_SIZE, save_tiny_checkpoints

    out.mkdir(parents=True, exist_ok=True)
    images = out / "images"
    write_gallery(images)
    checkpoints = {key: str(path) for key, path in save_tiny_checkpoints(out / "checkpoints").items()}
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"

    def options(models: list[str], weights: str = "pretrained", limit: int | None = None) -> RunOptions:
        return RunOptions(
            models=models,
            images=images,
            store=store,
            db=db,
            checkpoints=checkpoints,
            weights=weights,
            image_size=IMAGE_SIZE,
            batch_size=4,
            limit=limit,
            per_head=True,
            device="cpu",
            workers=1,
        )

    run(options([key for key in checkpoints if key != RANDOM_MODEL]))
    run(options([RANDOM_MODEL], weights="random", limit=RANDOM_LIMIT))
    catalog = Catalog.open(db)
    catalog.replace_annotations(BOXES, source="e2e")
    catalog.close()
    many = out / "catalog_many.db"
    with sqlite3.connect(out / "catalog.db") as source, sqlite3.connect(many) as copy:
        source.backup(copy)
    catalog = Catalog.open(f"sqlite:///{many}", migrate=False)
    stat = (images / "img_0.jpg").stat()
    catalog.sync_images(
        [DiscoveredFile(f"many_{i:05d}", "img_0.jpg", stat.st_size, stat.st_mtime_ns) for i in range(MANY)]
    )
    catalog.close()
    return {"images": str(images), "store": store, "db": db, "db_many": f"sqlite:///{many}"}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
