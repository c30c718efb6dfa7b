"""Build the Ask browser test's fixture: a store a worker can add to, and a photo to upload.

    .venv/bin/python app/frontend/e2e/make_ask_fixture.py OUT_DIR

Writes OUT_DIR/images (one seed image), tiny random checkpoints (`dinov2`, tests/tiny_models.py,
and the VLM `qwen2_5_vl`, tests/tiny_vlms.py) under OUT_DIR/checkpoints, precomputes both models
over the seed image with `precompute`'s own run (so `/models` lists them and the worker adds to
groups precompute made), and writes OUT_DIR/upload/photo.png, the file the browser uploads (not in
the gallery). Prints one JSON line: the paths, `upload`, and `worker`: the flags that give
`precompute worker` the same models (checkpoints, image size, the VLM's pixel bounds and answer
length) — the flags the seed run used, so a job's maps are made like precompute's.
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

VIT, VLM = "dinov2", "qwen2_5_vl"
SEED_PROMPT = "Describe this image."
MAX_NEW_TOKENS = 4


def write_images(images: Path, upload: Path) -> None:
    from PIL import Image, ImageDraw

    images.mkdir(parents=True)
    seed = Image.new("RGB", (64, 48), (40, 90, 40))
    ImageDraw.Draw(seed).ellipse((16, 8, 48, 40), fill=(230, 200, 60))
    seed.save(images / "seed.png")
    upload.mkdir(parents=True)
    photo = Image.new("RGB", (96, 64), (30, 30, 90))
    draw = ImageDraw.Draw(photo)
    draw.rectangle((8, 8, 40, 40), fill=(220, 40, 40))  # a red flag on the left
    draw.line((8, 8, 8, 60), fill=(200, 200, 200), width=2)
    photo.save(upload / "photo.png")


def main(out: Path) -> dict[str, object]:
    from precompute.runner import RunOptions, run
    from tests.tiny_models import IMAGE_SIZE, save_tiny_checkpoints
    from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, save_tiny_vlms

    out.mkdir(parents=True, exist_ok=True)
    images, upload = out / "images", out / "upload"
    write_images(images, upload)
    checkpoints = {
        VIT: str(save_tiny_checkpoints(out / "checkpoints")[VIT]),
        VLM: str(save_tiny_vlms(out / "vlms")[VLM]),
    }
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"
    run(
        RunOptions(
            models=[VIT, VLM],
            images=images,
            store=store,
            db=db,
            checkpoints=checkpoints,
            image_size=IMAGE_SIZE,
            per_head=True,
            device="cpu",
            workers=1,
            prompts=(SEED_PROMPT,),
            max_new_tokens=MAX_NEW_TOKENS,
            min_pixels=MIN_PIXELS,
            max_pixels=MAX_PIXELS,
        )
    )
    worker = [
        *("--models", f"{VIT},{VLM}"),
        *(arg for key, path in checkpoints.items() for arg in ("--checkpoint", f"{key}={path}")),
        *("--image-size", str(IMAGE_SIZE), "--per-head", "--device", "cpu"),
        *("--max-new-tokens", str(MAX_NEW_TOKENS)),
        *("--min-pixels", str(MIN_PIXELS), "--max-pixels", str(MAX_PIXELS)),
    ]
    return {
        "images": str(images),
        "store": store,
        "db": db,
        "upload": str(upload / "photo.png"),
        "worker": worker,
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
