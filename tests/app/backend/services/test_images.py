"""Resolving gallery files safely, decoding and thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.backend.services.errors import ImageUnreadable
from app.backend.services.images import Thumbnails, fit_within, open_rgb, resolve_gallery_file


@pytest.fixture
def gallery(tmp_path: Path) -> Path:
    root = tmp_path / "gallery"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (300, 200), (10, 20, 30)).save(root / "sub" / "a.jpg")
    (tmp_path / "outside.png").write_text("secret")
    (root / "escape.png").symlink_to(tmp_path / "outside.png")
    (root / "broken.png").write_text("not a png")
    return root


def test_resolves_a_file_inside(gallery: Path) -> None:
    found = resolve_gallery_file(gallery, "sub/a.jpg")
    assert found.path == (gallery / "sub" / "a.jpg").resolve()
    assert found.media_type == "image/jpeg"


@pytest.mark.parametrize(
    "relative",
    [
        "../outside.png",
        "escape.png",
        "/etc/hostname",
        "sub",
        "missing.png",
        "sub/../../outside.png",
        "a\x00b",
    ],
)
def test_refuses_anything_outside_or_not_a_file(gallery: Path, relative: str) -> None:
    with pytest.raises(ImageUnreadable):
        resolve_gallery_file(gallery, relative)


def test_missing_gallery_folder_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ImageUnreadable):
        resolve_gallery_file(tmp_path / "nope", "a.jpg")


def test_broken_file_is_unreadable(gallery: Path) -> None:
    with pytest.raises(ImageUnreadable, match="not an image"):
        open_rgb(gallery / "broken.png")


def test_fit_within_keeps_aspect() -> None:
    assert fit_within(300, 200, 150) == (150, 100)
    assert fit_within(200, 300, 30) == (20, 30)
    assert fit_within(1000, 1, 16) == (16, 1)


def test_thumbnails_are_bounded_jpegs_and_cached(gallery: Path) -> None:
    thumbnails = Thumbnails(cache_bytes=1 << 20)
    file = resolve_gallery_file(gallery, "sub/a.jpg")
    first = thumbnails.get(file, 64)
    assert thumbnails.get(file, 64) is first
    image = Image.open(io.BytesIO(first))
    assert image.format == "JPEG" and image.size == (64, 43)
    assert Image.open(io.BytesIO(thumbnails.get(file, 1000))).size == (300, 200)  # never upscaled


def test_a_tall_portraits_thumbnail_is_the_whole_image(tmp_path: Path) -> None:
    """The gallery shows thumbnails letterboxed (CSS `object-fit: contain`), so the thumbnail itself
    must be the whole image: a 180×720 portrait keeps its aspect, top and bottom included."""
    portrait = Image.new("RGB", (180, 720), (128, 128, 128))
    portrait.paste((255, 0, 0), (0, 0, 180, 90))  # the top eighth
    portrait.paste((0, 0, 255), (0, 630, 180, 720))  # the bottom eighth
    portrait.save(tmp_path / "tall.png")
    data = Thumbnails(cache_bytes=1 << 20).get(resolve_gallery_file(tmp_path, "tall.png"), 320)
    thumbnail = Image.open(io.BytesIO(data)).convert("RGB")
    assert thumbnail.size == (80, 320)
    red, green, blue = thumbnail.getpixel((40, 5))
    assert red > 200 and green < 60 and blue < 60, "the top band is in the thumbnail"
    red, green, blue = thumbnail.getpixel((40, 314))
    assert blue > 200 and red < 60 and green < 60, "the bottom band is in the thumbnail"
