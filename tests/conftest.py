"""Shared fixtures: tiny checkpoints, a small gallery with bad files, and a precomputed store."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.s3_server import bucket, s3_endpoint  # noqa: F401  (fixtures: one S3 server per session)
from tests.tiny_models import IMAGE_SIZE, save_tiny_checkpoints

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def write_gallery(folder: Path, n_good: int = 6, seed: int = 0) -> dict[str, str]:
    """`n_good` small photos-like images (JPEG and PNG, one nested) plus a truncated JPEG, a text
    file named .png and a stray .txt. Returns {image id: why it is bad} for the bad ones."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_good):
        h, w = 30 + 3 * i, 40 + 5 * (i % 3)
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 / w, yy * 255 / h, np.full((h, w), 40 * i % 255)], axis=-1)
        pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        if i == n_good - 1:
            (folder / "sub").mkdir(exist_ok=True)
            image.save(folder / "sub" / f"nested_{i}.png")
        elif i % 2:
            image.save(folder / f"img_{i}.png")
        else:
            image.save(folder / f"img_{i}.jpg", quality=95)
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 128).save(buffer, format="JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "not_an_image.png").write_text("this is text, not a PNG")
    (folder / "readme.txt").write_text("ignored: not an image suffix")
    return {"truncated": "broken image data", "not_an_image": "not an image"}


@pytest.fixture(scope="session")
def tiny_vlms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.tiny_vlms import save_tiny_vlms

    return save_tiny_vlms(tmp_path_factory.mktemp("vlms"))


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return save_tiny_checkpoints(tmp_path_factory.mktemp("checkpoints"))


@dataclass(frozen=True)
class Precomputed:
    images: Path
    store: str
    db: str
    checkpoints: dict[str, Path]
    image_size: int


@pytest.fixture(scope="session")
def precomputed(
    tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]
) -> Iterator[Precomputed]:
    """Every tiny model precomputed with --per-head over a small gallery (read-only for tests)."""
    from precompute.runner import RunOptions, run

    root = tmp_path_factory.mktemp("precomputed")
    write_gallery(root / "images")
    options = RunOptions(
        models=list(tiny_checkpoints),
        images=root / "images",
        store=str(root / "attention.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={k: str(v) for k, v in tiny_checkpoints.items()},
        image_size=IMAGE_SIZE,
        batch_size=3,
        per_head=True,
        device="cpu",
    )
    run(options)
    yield Precomputed(options.images, options.store, options.db, tiny_checkpoints, IMAGE_SIZE)
