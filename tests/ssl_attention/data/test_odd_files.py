"""Odd gallery files: names that are not UTF-8, ids too long, symlinks out of the gallery,
decompression bombs, 16-bit greyscale (issue 16, items 3–6)."""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from ssl_attention.data.gallery import (
    MAX_IMAGE_ID_CHARS,
    ImageDecodeError,
    ImageTooLarge,
    OutsideGallery,
    decode,
    discover,
    printable_path,
    real_path_inside,
    to_rgb,
)
from ssl_attention.data.limits import (
    DEFAULT_MAX_IMAGE_PIXELS,
    MAX_PIXELS_ENV,
    LimitError,
    max_image_pixels,
)
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.schema import ImageRow  # the column length the id limit follows

# PIL warns about the bombs these tests build; they are refused, which is what is tested.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


POSTGRES = os.environ.get("SSL_ATTENTION_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh catalog database: SQLite, and PostgreSQL when SSL_ATTENTION_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    if not POSTGRES:
        pytest.skip(
            "PostgreSQL: set SSL_ATTENTION_TEST_POSTGRES_URL (./dev.sh test does where it is installed)"
        )
    name = f"odd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width`×`height` greyscale pixels but holds one tiny compressed row:
    what a decompression bomb looks like to a decoder reading the header (a few hundred bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def small_png(path: Path, value: int = 100) -> Path:
    Image.new("RGB", (8, 6), (value, value, value)).save(path)
    return path


# --- item 3: names that are not UTF-8, ids over the catalog's 512 characters -----------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_name_that_is_not_utf8_is_skipped_with_a_reason(tmp_path: Path) -> None:
    small_png(tmp_path / "good.png")
    try:
        (tmp_path / os.fsdecode(b"caf\xe9.png")).write_bytes((tmp_path / "good.png").read_bytes())
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    found = discover(tmp_path)
    assert [f.id for f in found.files] == ["good"]
    assert found.skipped == [("caf\\xe9.png", found.skipped[0][1])]
    assert "not valid UTF-8" in found.skipped[0][1]
    # The skipped name is plain text: it can be printed and stored.
    found.skipped[0][0].encode("utf-8")


def test_printable_path_keeps_valid_names() -> None:
    assert printable_path("zoo/café.png") == "zoo/café.png"
    assert printable_path(os.fsdecode(b"a/caf\xe9.png")) == "a/caf\\xe9.png"


def test_an_id_over_the_catalog_limit_is_skipped(tmp_path: Path) -> None:
    # Each folder name stays under the file system's 255-byte limit; the id joins them with `__`.
    deep = tmp_path / ("d" * 200) / ("e" * 200)
    deep.mkdir(parents=True)
    small_png(deep / ("f" * 120 + ".png"))
    small_png(tmp_path / "ok.png")
    found = discover(tmp_path)
    assert [f.id for f in found.files] == ["ok"]
    [(path, why)] = found.skipped
    assert path.endswith("f" * 120 + ".png")
    assert f"{200 + 2 + 200 + 2 + 120} characters" in why and str(MAX_IMAGE_ID_CHARS) in why


def test_id_limit_matches_the_catalog_column() -> None:
    assert ImageRow.__table__.c.id.type.length == MAX_IMAGE_ID_CHARS


def test_the_catalog_stores_everything_discovery_keeps(tmp_path: Path, catalog_url: str) -> None:
    """On the test catalog (PostgreSQL when configured) the longest allowed id is stored."""
    gallery = tmp_path / "gallery"
    folder = gallery / ("d" * 200) / ("e" * 200)  # the id: 200 + 2 + 200 + 2 + the file's stem
    folder.mkdir(parents=True)
    small_png(folder / ("x" * (MAX_IMAGE_ID_CHARS - 404) + ".png"))
    small_png(folder / ("y" * (MAX_IMAGE_ID_CHARS - 403) + ".png"))  # one over
    found = discover(gallery)
    assert [len(f.id) for f in found.files] == [MAX_IMAGE_ID_CHARS] and len(found.skipped) == 1
    catalog = CatalogWriter.open(catalog_url)
    try:
        catalog.sync_images(found.files)
        assert catalog.image(found.files[0].id) is not None
    finally:
        catalog.close()


# --- item 4: only files whose real path is inside the gallery are read -------------------------


@pytest.fixture
def gallery_with_links(tmp_path: Path) -> Path:
    root = tmp_path / "gallery"
    (root / "sub").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    small_png(elsewhere / "secret.png", 7)
    small_png(root / "a.png", 50)
    (root / "link.png").symlink_to(elsewhere / "secret.png")
    (root / "passwd.jpg").symlink_to("/etc/passwd")
    (root / "sub" / "inside.png").symlink_to(root / "a.png")  # a link that stays inside: fine
    (root / "dangling.png").symlink_to(tmp_path / "gone.png")
    return root


def test_discovery_skips_links_leading_out(gallery_with_links: Path) -> None:
    found = discover(gallery_with_links)
    assert [f.id for f in found.files] == ["a", "sub__inside"]
    reasons = dict(found.skipped)
    assert set(reasons) == {"link.png", "passwd.jpg"}  # a dangling link is no file at all
    assert all("outside the gallery" in why for why in reasons.values())


def test_discovery_through_a_linked_gallery_folder(gallery_with_links: Path, tmp_path: Path) -> None:
    """The gallery folder itself may be a symlink: containment is judged on real paths."""
    alias = tmp_path / "alias"
    alias.symlink_to(gallery_with_links)
    assert [f.id for f in discover(alias).files] == ["a", "sub__inside"]


def test_decode_within_the_gallery_refuses_links_out(gallery_with_links: Path) -> None:
    root = gallery_with_links
    assert decode(root / "a.png", within=root).image.getpixel((0, 0)) == (50, 50, 50)
    assert decode(root / "sub" / "inside.png", within=root).width == 8
    for name in ("link.png", "passwd.jpg"):
        with pytest.raises(OutsideGallery, match="outside the gallery"):
            decode(root / name, within=root)
    with pytest.raises(OutsideGallery):
        decode(root / "dangling.png", within=root)
    with pytest.raises(OutsideGallery):
        decode(root.parent / "elsewhere" / "secret.png", within=root)


def test_a_file_swapped_for_a_link_after_discovery_is_not_read(gallery_with_links: Path) -> None:
    root = gallery_with_links
    [first, _] = discover(root).files
    (root / first.path).unlink()
    (root / first.path).symlink_to(root.parent / "elsewhere" / "secret.png")
    with pytest.raises(OutsideGallery):
        decode(root / first.path, within=root)


def test_real_path_inside(gallery_with_links: Path) -> None:
    root = gallery_with_links
    assert real_path_inside(root, "sub/inside.png") == (root / "a.png").resolve()
    for relative in ("link.png", "../elsewhere/secret.png", "/etc/passwd", "sub", "nope.png", "a\x00.png"):
        with pytest.raises(OutsideGallery):
            real_path_inside(root, relative)


# --- item 5: decompression bombs are refused above a configurable limit -------------------------


def test_the_limit_is_configurable_with_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert max_image_pixels({}) == DEFAULT_MAX_IMAGE_PIXELS == 100_000_000
    assert max_image_pixels({MAX_PIXELS_ENV: " 2_000 "}) == 2000
    for bad in ("0", "-5", "1e8", "lots"):
        with pytest.raises(LimitError, match=f"{MAX_PIXELS_ENV}=.* whole number of pixels"):
            max_image_pixels({MAX_PIXELS_ENV: bad})
    monkeypatch.setenv(MAX_PIXELS_ENV, "nope")
    with pytest.raises(LimitError):  # before anything is read, so a run stops before writing
        discover(Path(__file__).parent)


@pytest.mark.parametrize(
    ("side", "size"), [(13_500, "13500×13500 = 182.2"), (15_000, "over 200"), (18_900, "over 200")]
)
def test_bombs_between_179_and_358_megapixels_are_refused(tmp_path: Path, side: int, size: str) -> None:
    """PIL refuses above twice the limit by itself, before the exact size reaches the check."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(side, side))
    assert bomb.stat().st_size < 200
    message = f"image too large: {size} megapixels; the limit is 100 megapixels ({MAX_PIXELS_ENV})"
    with pytest.raises(ImageTooLarge) as refused:
        decode(bomb)
    assert str(refused.value) == message


def test_the_limit_is_exact_and_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "img.png"
    Image.new("RGB", (40, 25)).save(image)  # 1000 pixels
    monkeypatch.setenv(MAX_PIXELS_ENV, "1000")
    assert decode(image).width == 40
    monkeypatch.setenv(MAX_PIXELS_ENV, "999")
    with pytest.raises(ImageTooLarge, match="40×25"):
        decode(image)
    # Raising the limit above PIL's own (179 megapixels) lets PIL's backstop follow it.
    monkeypatch.setenv(MAX_PIXELS_ENV, str(400_000_000))
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(19_000, 19_000))  # 361 Mpx: PIL alone would refuse it
    with pytest.raises(ImageDecodeError) as refused:
        decode(bomb)
    assert not isinstance(refused.value, ImageTooLarge)  # got past both checks; its data is broken


# --- item 6: 16-bit greyscale is scaled, not clipped ---------------------------------------------


def test_a_16_bit_gradient_keeps_its_values(tmp_path: Path) -> None:
    gradient = np.linspace(0, 65535, 256 * 64).round().astype(np.uint16).reshape(64, 256)
    path = tmp_path / "deep.png"
    Image.fromarray(gradient).save(path)
    with Image.open(path) as reopened:
        assert reopened.mode.startswith("I")  # PIL reads it as 16-bit (I;16, or I)
    rgb = np.asarray(decode(path).image)
    assert rgb.dtype == np.uint8 and rgb.shape == (64, 256, 3)
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
    expected = np.round(gradient.astype(np.float64) * 255 / 65535)  # independent: plain float scaling
    assert np.array_equal(rgb[..., 0], expected)
    flat = rgb[..., 0].ravel()
    assert (np.diff(flat.astype(int)) >= 0).all()  # order kept
    assert flat.min() == 0 and flat.max() == 255 and len(np.unique(flat)) == 256
    assert (flat == 255).mean() < 0.01  # PIL's convert made 99.6% of it white


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_to_rgb_scales_each_16_bit_mode(mode: str) -> None:
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    if mode == "I":
        image = Image.fromarray(values.astype(np.int32))
    else:  # PIL's own convert() to I;16B clips, so the bytes are written as they are stored
        image = Image.frombytes(mode, (4, 1), values.astype("<u2" if mode == "I;16" else ">u2").tobytes())
    assert image.mode == mode
    assert np.asarray(to_rgb(image))[0, :, 0].tolist() == [0, 1, 128, 255]


def test_8_bit_images_are_unchanged() -> None:
    rgb = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    assert np.array_equal(np.asarray(to_rgb(rgb)), np.asarray(rgb))
    grey = Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4))
    assert np.array_equal(np.asarray(to_rgb(grey))[..., 1], np.asarray(grey))
