"""Time to compute every metric for the sample gallery × all ViTs × all layers × all heads, and its growth.

    python bench/bench_metrics.py                 # 10, 20, 40 images (copies of the sample photos)

The maps are precomputed once (random weights, 224 px, --per-head) over 40 copies of the sample
photos with their boxes; then, for each N, a fresh copy of the catalog keeps the boxes of the
first N images only, and `compute_metrics` scores everything from scratch (summaries included).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from precompute.runner import RunOptions, run
from ssl_attention.metrics.compute import compute_metrics
from ssl_attention.store.catalog import CatalogWriter

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def make_gallery(folder: Path, copies: int) -> int:
    coco = json.loads((SAMPLES / "annotations.json").read_text())
    images, annotations = [], []
    for copy in range(copies):
        for image in coco["images"]:
            name = f"c{copy:02d}_{image['file_name']}"
            shutil.copy(SAMPLES / image["file_name"], folder / name)
            images.append({**image, "id": copy * 1000 + image["id"], "file_name": name})
        for ann in coco["annotations"]:
            annotations.append(
                {**ann, "id": copy * 10000 + ann["id"], "image_id": copy * 1000 + ann["image_id"]}
            )
    (folder / "annotations.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": coco["categories"]})
    )
    return len(images)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,20,40")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "images").mkdir()
        per_copy = len(list(SAMPLES.glob("*.jpg")))
        make_gallery(root / "images", -(-max(sizes) // per_copy))
        options = RunOptions(
            models=["dinov2", "dinov3", "mae", "clip", "siglip", "siglip2"],
            images=root / "images",
            store=str(root / "store.zarr"),
            db=f"sqlite:///{root / 'catalog.db'}",
            weights="random",
            per_head=True,
            batch_size=16,
        )
        run(options)
        print("| images | maps scored | values | seconds | ms per map |")
        print("|---|---|---|---|---|")
        for n in sizes:
            db = root / f"catalog_{n}.db"
            with sqlite3.connect(root / "catalog.db") as source, sqlite3.connect(db) as target:
                source.backup(target)
            with sqlite3.connect(db) as connection:
                keep = [
                    row[0]
                    for row in connection.execute(
                        "SELECT DISTINCT image_id FROM annotations ORDER BY image_id"
                    )
                ][:n]
                marks = ",".join("?" * len(keep))
                connection.execute(f"DELETE FROM annotations WHERE image_id NOT IN ({marks})", keep)
                connection.execute("DELETE FROM metrics")
            catalog = CatalogWriter.open(f"sqlite:///{db}")
            start = time.perf_counter()
            report = compute_metrics(options.store, catalog)
            seconds = time.perf_counter() - start
            maps = report.values // 6
            print(f"| {n} | {maps} | {report.values} | {seconds:.1f} | {1000 * seconds / maps:.2f} |")
            catalog.close()


if __name__ == "__main__":
    main()
