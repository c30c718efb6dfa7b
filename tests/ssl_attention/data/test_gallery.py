"""Gallery discovery and safe decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ssl_attention.data.gallery import ImageDecodeError, decode, discover, image_id_for
from tests.conftest import write_gallery


def test_ids_follow_the_design() -> None:
    assert image_id_for("cat.jpg") == "cat"
    assert image_id_for("zoo/big/cat.v2.png") == "zoo__big__cat.v2"


def test_discovery_finds_images_only_in_id_order(tmp_path: Path) -> None:
    write_gallery(tmp_path)
    (tmp_path / ".hidden").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / ".hidden" / "x.png")
    Image.new("RGB", (4, 4)).save(tmp_path / "img_0.png")  # same id as img_0.jpg
    found = discover(tmp_path)
    ids = [f.id for f in found.files]
    assert ids == sorted(ids)
    assert "sub__nested_5" in ids and "readme" not in ids and not any("hidden" in i for i in ids)
    assert {"truncated", "not_an_image"} <= set(ids)  # bad files are found, and fail at decode
    assert found.skipped == [("img_0.png", "same id 'img_0' as img_0.jpg")]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--images"):
        discover(tmp_path / "nope")


def test_decode_reports_bad_files(tmp_path: Path) -> None:
    write_gallery(tmp_path)
    with pytest.raises(ImageDecodeError, match="broken image data"):
        decode(tmp_path / "truncated.jpg")
    with pytest.raises(ImageDecodeError, match="not an image"):
        decode(tmp_path / "not_an_image.png")
    good = decode(tmp_path / "img_0.jpg")
    assert good.image.mode == "RGB" and (good.width, good.height) == (40, 30) and len(good.sha256) == 64
