"""The API over odd gallery files (issue 16, items 4–6): decompression bombs answer 422 in every
path that decodes an image, decodes are bounded, 16-bit images are scaled, and a file swapped for
a symlink out of the gallery is never read."""

from __future__ import annotations

import io
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.services import images as image_service
from app.backend.services.errors import ImageUnreadable, Unavailable
from app.backend.services.images import DecodeBudget, open_rgb, resolve_gallery_file
from ssl_attention.data.limits import MAX_PIXELS_ENV, LimitError
from tests.app.conftest import SECRET, Api, copy_sqlite
from tests.ssl_attention.data.test_odd_files import png_header_only

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

GRADIENT = np.linspace(0, 65535, 64 * 48).round().astype(np.uint16).reshape(48, 64)


@pytest.fixture(scope="module")
def odd(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The test app over a copy of the gallery in which img_0 (done for every model) became a
    225-megapixel PNG bomb and img_2 a 16-bit greyscale gradient."""
    root = tmp_path_factory.mktemp("odd_api")
    images = root / "images"
    shutil.copytree(api.settings.images, images, symlinks=True)
    (images / "img_0.jpg").write_bytes(png_header_only(15_000, 15_000))
    Image.fromarray(GRADIENT).save(images / "img_2.jpg", format="PNG")
    settings = ApiSettings(
        **{**api.settings.__dict__, "images": images, "db": copy_sqlite(api.settings.db, root / "c.db")}
    )
    with TestClient(create_app(settings)) as client:
        yield client


def assert_too_large(response: object) -> None:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert response.json()["message"].startswith("image too large")  # type: ignore[attr-defined]


def test_every_path_that_decodes_refuses_a_bomb(odd: TestClient) -> None:
    assert_too_large(odd.get("/images/img_0/thumbnail"))
    assert_too_large(odd.get("/attention/img_0/heatmap.png", params={"model": "dinov2"}))
    # Paths that do not decode the image still answer.
    assert (
        odd.get("/attention/img_0/heatmap.png", params={"model": "dinov2", "overlay": False}).status_code
        == 200
    )
    assert odd.get("/images/img_0/file").status_code == 200


def test_eight_concurrent_bombs_answer_422(odd: TestClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda size: odd.get("/images/img_0/thumbnail", params={"size": size}), range(100, 108))
        )
    for response in responses:
        assert_too_large(response)


def test_a_16_bit_image_is_scaled_not_saturated(odd: TestClient) -> None:
    response = odd.get("/images/img_2/thumbnail", params={"size": 64})
    assert response.status_code == 200, response.text
    thumbnail = np.asarray(Image.open(io.BytesIO(response.content)).convert("L")).astype(float)
    expected = GRADIENT.astype(float) * 255 / 65535  # independent: the gradient's own values, scaled
    assert thumbnail.shape == expected.shape
    assert np.abs(thumbnail - expected).mean() < 3  # JPEG noise only (clipping: mean error ~125)
    overlay = odd.get("/attention/img_2/heatmap.png", params={"model": "dinov2", "size": 64, "opacity": 0})
    assert overlay.status_code == 200, overlay.text
    seen = np.asarray(Image.open(io.BytesIO(overlay.content)).convert("L")).astype(float)
    # The overlay's frame has the catalog's aspect ratio (the file was replaced): compare resized.
    frame = Image.fromarray(expected.astype(np.float32)).resize(seen.shape[::-1], Image.Resampling.BILINEAR)
    assert np.abs(seen - np.asarray(frame)).mean() < 3


def test_a_file_swapped_for_a_link_out_is_not_decoded(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    Image.new("RGB", (10, 10)).save(gallery / "a.png")
    Image.new("RGB", (10, 10), (255, 0, 0)).save(tmp_path / "secret.png")
    file = resolve_gallery_file(gallery, "a.png")
    (gallery / "a.png").unlink()
    (gallery / "a.png").symlink_to(tmp_path / "secret.png")  # after the check, before the decode
    with pytest.raises(ImageUnreadable, match="missing"):
        open_rgb(file.path)
    (gallery / "a.png").unlink()
    (gallery / "a.png").mkdir()  # not a regular file any more
    with pytest.raises(ImageUnreadable, match="missing"):
        open_rgb(file.path)


def test_the_service_refuses_a_bad_pixel_limit_at_start(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_PIXELS_ENV, "-1")
    with pytest.raises(LimitError, match=f"{MAX_PIXELS_ENV}='-1' is not allowed"):
        create_app(api.settings)


def test_decodes_never_exceed_the_pixel_budget() -> None:
    budget = DecodeBudget(pixels=100, wait_s=10)
    peak, lock = [0], threading.Lock()

    def decode(pixels: int) -> None:
        with budget.slot(pixels):
            with lock:
                peak[0] = max(peak[0], budget.in_use)
            time.sleep(0.01)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(decode, [60, 60, 30, 30, 10, 500, 40, 60]))
    assert 60 <= peak[0] <= 100 and budget.in_use == 0  # 500 was clipped to the budget: it ran alone


def test_a_decode_that_waits_too_long_is_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_service, "DECODES", DecodeBudget(pixels=1000, wait_s=0.05))
    client = TestClient(create_app(api.settings))
    with image_service.DECODES.slot(1000):  # someone else is decoding a huge image
        busy = client.get("/images/img_4/thumbnail", params={"size": 17})
        with pytest.raises(Unavailable), image_service.DECODES.slot(1):
            pass
    assert busy.status_code == 503 and busy.headers["retry-after"]
    assert "busy decoding" in busy.json()["message"]
    assert client.get("/images/img_4/thumbnail", params={"size": 17}).status_code == 200


def test_secret_never_served_through_the_odd_app(odd: TestClient) -> None:
    for url in ("/images/sub__link_out/file", "/images/sub__link_out/thumbnail"):
        response = odd.get(url)
        assert response.status_code == 422 and SECRET not in response.text
