"""Build the variant browser test's fixture: a model and a named variant of it, for a ViT and a VLM.

    .venv/bin/python app/frontend/e2e/make_variant_fixture.py OUT_DIR

Synthetic groups (random maps, labelled as such in their checkpoint) written through the real store
writer and catalog by `tests.factories` — no checkpoint is run, so it takes seconds:

- `dinov2` (6×6 grid, 3 layers × 2 heads, per-head maps) and `dinov2-lora`, stored with
  `base_key="dinov2"` as a variant of it (what `precompute --variant dinov2-lora=dinov2` writes),
  over img_0, img_1, img_2; `dinov2-lora` also has img_3, which its base lacks.
- `qwen2_5_vl` and `qwen-lora` (`base_key="qwen2_5_vl"`) over img_0 and img_1 (merged grids 3×4
  and 4×3, text maps on 3 layers × 2 heads, two prompts on img_0).

Then `compute_metrics` and `compute_shift` run as `precompute --metrics` would, so the fixture has
`/metrics/shift` too. Prints one JSON line with the
paths for the SSL_ATTENTION_* variables.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VIT_BASE, VIT_VARIANT = "dinov2", "dinov2-lora"
VLM_BASE, VLM_VARIANT = "qwen2_5_vl", "qwen-lora"
VIT_IDS = ("img_0", "img_1", "img_2")
VARIANT_ONLY = "img_3"
VLM_IDS = ("img_0", "img_1")
SIZE = 96  # the synthetic images' side in pixels (the grid stays 6×6)


def main(out: Path) -> dict[str, str]:
    from ssl_attention.metrics.compute import compute_metrics
    from ssl_attention.metrics.shift import compute_shift
    from ssl_attention.store.catalog import CatalogWriter
    from tests.factories import model_attrs, write_vit_fixture, write_vlm_fixture

    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"
    base = model_attrs(
        key=VIT_BASE,
        checkpoint="synthetic/dinov2 (random maps)",
        image_size=SIZE,
        patch=SIZE // 6,
        grid=(6, 6),
    )
    variant = replace(
        base, key=VIT_VARIANT, base_key=VIT_BASE, checkpoint="synthetic LoRA on dinov2 (random maps)"
    )
    write_vit_fixture(store, db, VIT_IDS, base, images=images, seed=1)
    write_vit_fixture(store, db, (*VIT_IDS, VARIANT_ONLY), variant, images=images, seed=2)
    write_vlm_fixture(store, db, VLM_IDS, key=VLM_BASE, images=images, seed=1)
    write_vlm_fixture(store, db, VLM_IDS, key=VLM_VARIANT, base_key=VLM_BASE, images=images, seed=2)
    catalog = CatalogWriter.open(db, migrate=False)
    compute_metrics(store, catalog)
    compute_shift(store, catalog)
    catalog.close()
    return {"images": str(images), "store": store, "db": db}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
