"""Build the gradrollout browser test's fixture: a tiny full CLIP (text tower + tokenizer) with two targets.

    .venv/bin/python app/frontend/e2e/make_gradrollout_fixture.py OUT_DIR

Three small generated photos and a tiny random-init CLIP saved with its tokenizer
(tests/tiny_gradients.py), run by `precompute --models clip --target-text "a photo of a cat"
--target-text "a dog"`. Prints one JSON line with the paths.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def main(out: Path) -> dict[str, str]:
    from precompute.cli import main as precompute
    from tests.conftest import write_gallery
    from tests.tiny_gradients import save_tiny_clip

    images = out / "images"
    write_gallery(images, n_good=3)
    checkpoint = save_tiny_clip(out / "clip")
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"
    args = [
        "--quiet", "--device", "cpu", "--images", str(images), "--store", store, "--db", db,
        "--image-size", "16", "--models", "clip", "--checkpoint", f"clip={checkpoint}",
        "--target-text", "a photo of a cat", "--target-text", "a dog",
    ]  # fmt: skip
    if precompute(args) != 0:
        raise SystemExit("precompute failed")
    return {"images": str(images), "store": store, "db": db}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
