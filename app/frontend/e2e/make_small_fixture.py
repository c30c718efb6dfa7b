"""Build the small-screen tests' fixture: a gallery of one's own, served from non-default paths.

    .venv/bin/python app/frontend/e2e/make_small_fixture.py OUT_DIR

Writes OUT_DIR/my photos (a 320×240 photo `wide_ok`, a 180×720 portrait `tall` — a red band at the
top, a blue band at the bottom, grey between — an 800×200 panorama `panorama`, and a truncated
JPEG `broken`; a COCO `annotations.json` boxes the first three), OUT_DIR/attention.zarr and
OUT_DIR/catalog.db, and prints one JSON line with the paths and `db_nometrics` (a copy of the
catalog without metrics: the dashboard's "No metrics yet"). Tiny random checkpoints: `dinov2` and `clip`
over every image and `mae` with `--weights random` (the RANDOM WEIGHTS badge), per head, scored with
`--metrics`; a synthetic VLM (`qwen2_5_vl`) on the panorama (VLMs keep the aspect: no warning for
it). The gallery folder's name has a space, so the suggested commands must quote it.
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

MODELS = ("dinov2", "clip")  # clip sorts first, dinov2 is the registry's first: the default
RANDOM_MODEL = "mae"
VLM_MODEL = "qwen2_5_vl"


def write_images(folder: Path) -> None:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True)
    photo = Image.new("RGB", (320, 240), (40, 90, 40))
    ImageDraw.Draw(photo).ellipse((100, 60, 220, 180), fill=(230, 200, 60))
    photo.save(folder / "wide_ok.jpg", quality=92)
    tall = Image.new("RGB", (180, 720), (128, 128, 128))
    draw = ImageDraw.Draw(tall)
    draw.rectangle((0, 0, 179, 89), fill=(255, 0, 0))  # the top eighth: red
    draw.rectangle((0, 630, 179, 719), fill=(0, 0, 255))  # the bottom eighth: blue
    tall.save(folder / "tall.png")
    panorama = Image.new("RGB", (800, 200), (60, 60, 140))
    ImageDraw.Draw(panorama).rectangle((350, 50, 450, 150), fill=(240, 240, 240))
    panorama.save(folder / "panorama.png")
    data = (folder / "wide_ok.jpg").read_bytes()
    (folder / "broken.jpg").write_bytes(data[: len(data) // 3])
    sizes = {"wide_ok.jpg": (320, 240), "tall.png": (180, 720), "panorama.png": (800, 200)}
    coco = {
        "images": [
            {"id": i, "file_name": n, "width": w, "height": h}
            for i, (n, (w, h)) in enumerate(sizes.items(), 1)
        ],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {"id": i, "image_id": i, "category_id": 1, "bbox": [w * 0.25, h * 0.25, w * 0.5, h * 0.5]}
            for i, (w, h) in enumerate(sizes.values(), 1)
        ],
    }
    (folder / "annotations.json").write_text(json.dumps(coco))


def main(out: Path) -> dict[str, str]:
    from precompute.runner import RunOptions, run
    from ssl_attention.metrics.compute import compute_metrics
    from ssl_attention.store.catalog import CatalogWriter
    from tests.factories import write_vlm_fixture
    from tests.tiny_models import IMAGE_SIZE, save_tiny_checkpoints

    out.mkdir(parents=True, exist_ok=True)
    images = out / "my photos"
    write_images(images)
    checkpoints = {key: str(path) for key, path in save_tiny_checkpoints(out / "checkpoints").items()}
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"

    def options(models: list[str], weights: str = "pretrained") -> RunOptions:
        return RunOptions(
            models=models,
            images=images,
            store=store,
            db=db,
            checkpoints={key: checkpoints[key] for key in models},
            weights=weights,
            image_size=IMAGE_SIZE,
            batch_size=4,
            per_head=True,
            device="cpu",
            workers=1,
            metrics=True,
        )

    run(options(list(MODELS)))
    run(options([RANDOM_MODEL], weights="random"))
    write_vlm_fixture(store, db, ["panorama"], key=VLM_MODEL, grids=((2, 8),))
    catalog = CatalogWriter.open(db, migrate=False)
    compute_metrics(store, catalog)  # the VLM's too, and the summaries
    catalog.close()
    bare = out / "catalog_nometrics.db"
    with sqlite3.connect(out / "catalog.db") as source, sqlite3.connect(bare) as copy:
        source.backup(copy)
        copy.execute("DELETE FROM metric_summaries")
        copy.execute("DELETE FROM metrics")
    return {"images": str(images), "store": store, "db": db, "db_nometrics": f"sqlite:///{bare}"}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
