"""Build the browser tests' fixture: a small gallery precomputed with tiny random checkpoints.

    .venv/bin/python app/frontend/e2e/make_fixture.py OUT_DIR

Writes OUT_DIR/images (6 good images, one nested, plus a truncated JPEG and a text file named
.png), OUT_DIR/attention.zarr and OUT_DIR/catalog.db, and prints one JSON line with the three
paths for the SSL_ATTENTION_* variables (and `db_many`: a copy of the catalog with 10,000 more
images, all pointing at one file and none precomputed, for the large-gallery test; `db_nometrics`:
a copy without any metrics, for the dashboard's empty state). Every family's tiny checkpoint (6x6 grid, 3 layers,
2 heads; SigLIP 4 heads) is precomputed with per-head maps; `mae` is built with
`--weights random` over the first three images only, so the app's "random weights" badge and its
"not precomputed for this model" states are exercised. Three images get annotation boxes, from a
COCO `annotations.json` in the gallery (as a user would ship them), and every run scores the maps
against them (`RunOptions.metrics`, i.e. `precompute --metrics`) for the dashboard.

A synthetic VLM group (`qwen2_5_vl`, random weights) is written through the real store writer and
catalog by `tests.factories.write_vlm_fixture` over img_0 (both prompts), img_1 and img_3 (prompt 0):
merged grids 3×4 and 4×3 (never square), text maps on 3 layers × 2 heads, the vision tower's
mean/rollout on its 6×8 / 8×6 grid with 2 layers × 3 heads, per-head maps and image mass. Its maps of
img_0 (annotated) are scored like the ViTs': vision mean/rollout, and text as the first prompt's answer.

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

# (file, label, x0, y0, x1, y1) with corners as fractions of the image's size
BOXES = [
    ("img_0.jpg", "cat", 0.1, 0.2, 0.6, 0.9),
    ("img_0.jpg", "dog", 0.5, 0.1, 0.95, 0.5),
    ("img_2.jpg", "cat", 0.3, 0.25, 0.8, 0.75),
    ("sub/nested_5.png", "thing", 0.05, 0.05, 0.95, 0.95),
]
RANDOM_MODEL = "mae"
RANDOM_LIMIT = 3
MANY = 10_000
VLM_MODEL = "qwen2_5_vl"
VLM_IMAGES = ("img_0", "img_1", "img_3")  # img_0 gets both prompts
VLM_ANSWERS = ("A red square on a grey field.", "In the top left corner.")
VLM_GRIDS = ((3, 4), (4, 3))


def write_coco(images: Path) -> None:
    """The boxes as a COCO annotations.json (bbox = [x, y, w, h] in pixels) in the gallery folder."""
    from PIL import Image

    files = sorted({name for name, *_ in BOXES})
    labels = sorted({label for _, label, *_ in BOXES})
    sizes: dict[str, tuple[int, int]] = {}
    for name in files:
        with Image.open(images / name) as image:
            sizes[name] = image.size
    coco = {
        "images": [
            {"id": i, "file_name": name, "width": sizes[name][0], "height": sizes[name][1]}
            for i, name in enumerate(files, start=1)
        ],
        "categories": [{"id": i, "name": label} for i, label in enumerate(labels, start=1)],
        "annotations": [
            {
                "id": n,
                "image_id": files.index(name) + 1,
                "category_id": labels.index(label) + 1,
                "bbox": [
                    x0 * sizes[name][0],
                    y0 * sizes[name][1],
                    (x1 - x0) * sizes[name][0],
                    (y1 - y0) * sizes[name][1],
                ],
            }
            for n, (name, label, x0, y0, x1, y1) in enumerate(BOXES, start=1)
        ],
    }
    (images / "annotations.json").write_text(json.dumps(coco, indent=1))


def main(out: Path) -> dict[str, str]:
    from precompute.runner import RunOptions, run
    from ssl_attention.metrics.compute import compute_metrics
    from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
    from tests.conftest import write_gallery
    from tests.factories import write_vlm_fixture
    from tests.tiny_models import IMAGE_SIZE, save_tiny_checkpoints

    out.mkdir(parents=True, exist_ok=True)
    images = out / "images"
    write_gallery(images)
    write_coco(images)
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
            metrics=True,
        )

    run(options([key for key in checkpoints if key != RANDOM_MODEL]))
    run(options([RANDOM_MODEL], weights="random", limit=RANDOM_LIMIT))
    write_vlm_fixture(store, db, VLM_IMAGES, key=VLM_MODEL, answers=VLM_ANSWERS, grids=VLM_GRIDS)
    # score the VLM's maps (img_0 is annotated: its vision mean/rollout and its first prompt's answer)
    # and refresh the metric summaries
    catalog = CatalogWriter.open(db, migrate=False)
    compute_metrics(store, catalog)
    catalog.close()
    # the same store before `--metrics`: the dashboard's empty state
    bare = out / "catalog_nometrics.db"
    with sqlite3.connect(out / "catalog.db") as source, sqlite3.connect(bare) as copy:
        source.backup(copy)
        copy.execute("DELETE FROM metric_summaries")
        copy.execute("DELETE FROM metrics")
    many = out / "catalog_many.db"
    with sqlite3.connect(out / "catalog.db") as source, sqlite3.connect(many) as copy:
        source.backup(copy)
    catalog = CatalogWriter.open(f"sqlite:///{many}", migrate=False)
    stat = (images / "img_0.jpg").stat()
    catalog.sync_images(
        [DiscoveredFile(f"many_{i:05d}", "img_0.jpg", stat.st_size, stat.st_mtime_ns) for i in range(MANY)]
    )
    catalog.close()
    return {
        "images": str(images),
        "store": store,
        "db": db,
        "db_many": f"sqlite:///{many}",
        "db_nometrics": f"sqlite:///{bare}",
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
