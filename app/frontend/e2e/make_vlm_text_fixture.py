"""Build the browser test fixture of a VLM's prompt and answer texts (issue 12): a real `precompute`
of a tiny random Qwen2.5-VL checkpoint (`tests/tiny_vlms.py`, saved offline) over one image (`sub__nested_0`) and
two prompts, `--per-head`, so its store holds the prompts' text → image maps *and* their texts.

    .venv/bin/python app/frontend/e2e/make_vlm_text_fixture.py OUT_DIR

Prints one JSON line with the images folder, store and catalog paths.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

KEY = "qwen2_5_vl"
PROMPTS = ("Describe this image.", "What is left?")


def main(out: Path) -> dict[str, str]:
    from precompute.runner import RunOptions, run
    from tests.conftest import write_gallery
    from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, save_tiny_vlms

    out.mkdir(parents=True, exist_ok=True)
    images = out / "images"
    write_gallery(images, n_good=1)
    checkpoint = save_tiny_vlms(out / "checkpoints")[KEY]
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"
    run(
        RunOptions(
            models=[KEY],
            images=images,
            store=store,
            db=db,
            checkpoints={KEY: str(checkpoint)},
            per_head=True,
            device="cpu",
            prompts=PROMPTS,
            max_new_tokens=6,
            min_pixels=MIN_PIXELS,
            max_pixels=MAX_PIXELS,
        )
    )
    return {"images": str(images), "store": store, "db": db}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    started = time.perf_counter()
    paths = main(Path(sys.argv[1]).resolve())
    print(f"fixture built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(json.dumps(paths))
