"""A precompute run over a gallery of odd files (issue 16, items 3–6): every usable image is
stored, everything else is skipped or recorded with a reason, and the run finishes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import zarr
from PIL import Image

from precompute.cli import main
from precompute.runner import run
from ssl_attention.data import gallery
from ssl_attention.data.limits import MAX_PIXELS_ENV
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.precompute.test_cli import checkpoint_args, cli
from tests.precompute.test_cli import options as vit_options
from tests.precompute.test_vlm import vlm_options
from tests.ssl_attention.data.test_odd_files import png_header_only

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def odd_gallery(tmp: Path) -> Path:
    images = tmp / "images"
    write_gallery(images, n_good=2)
    outside = tmp / "elsewhere"
    outside.mkdir()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(outside / "secret.png")
    (images / "link.png").symlink_to(outside / "secret.png")
    (images / "passwd.jpg").symlink_to("/etc/passwd")
    (images / "bomb.png").write_bytes(png_header_only(15_000, 15_000))  # 225 Mpx in 100 bytes
    gradient = np.linspace(0, 65535, 40 * 32).round().astype(np.uint16).reshape(32, 40)
    Image.fromarray(gradient).save(images / "deep16.png")
    scaled = np.round(gradient.astype(np.float64) * 255 / 65535).astype(np.uint8)
    Image.fromarray(scaled).save(images / "same8.png")  # what deep16 must look like to the model
    long_folder = images / ("d" * 200) / ("e" * 200)
    long_folder.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(long_folder / ("f" * 200 + ".png"))
    # (a file system that refuses names that are not UTF-8 cannot hold that case)
    with contextlib.suppress(OSError, UnicodeEncodeError):
        (images / os.fsdecode(b"caf\xe9.png")).write_bytes((images / "same8.png").read_bytes())
    return images


def test_a_run_over_odd_files_stores_everything_usable(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    odd_gallery(tmp_path)
    result = cli(tmp_path, *checkpoint_args(tiny_checkpoints, "dinov2"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "skipped link.png: a symlink leading outside the gallery folder" in out
    assert "skipped passwd.jpg: a symlink leading outside the gallery folder" in out
    assert "characters long; ids are at most 512" in out
    if (tmp_path / "images" / os.fsdecode(b"caf\xe9.png")).exists():
        assert "skipped caf\\xe9.png: the file name is not valid UTF-8" in out
    # PIL itself refuses above twice the limit before the size reaches us: no exact size then.
    assert "failed bomb: image too large: over 200 megapixels; the limit is 100 megapixels" in out

    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        assert catalog.image("link") is None and catalog.image("passwd") is None
        assert "image too large" in (catalog.image("bomb").error or "")  # type: ignore[union-attr]
        done = catalog.done_ids("dinov2")
        assert done == {"img_0", "sub__nested_1", "deep16", "same8"}
        deep, same = catalog.row_of("deep16", "dinov2"), catalog.row_of("same8", "dinov2")
    finally:
        catalog.close()
    # The 16-bit image is seen exactly as its correctly scaled 8-bit copy, not as a white square.
    assert deep is not None and same is not None
    group = zarr.open_group(str(tmp_path / "store.zarr" / "dinov2"), mode="r")
    arrays = [array for _, array in group.arrays()] + [
        a for _, inner in group.groups() for name, a in inner.arrays() if name not in ("image", "token")
    ]  # the maps (the id coordinates beside them name each image differently)
    assert arrays
    for array in arrays:
        assert np.array_equal(np.asarray(array[deep]), np.asarray(array[same]))


@pytest.mark.parametrize("model", ["dinov2", "qwen2_5_vl"])
def test_the_decoders_refuse_a_link_out_that_discovery_missed(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    tiny_vlms: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    model: str,
) -> None:
    """A file swapped for a link after discovery: the ViT and the VLM decoders check again."""
    images = tmp_path / "images"
    write_gallery(images, n_good=2)
    Image.new("RGB", (20, 20), (1, 2, 3)).save(tmp_path / "secret.png")
    (images / "link.png").symlink_to(tmp_path / "secret.png")
    monkeypatch.setattr(gallery, "unusable_reason", lambda *args: None)  # discovery lets it through
    if model == "dinov2":
        options = vit_options(tmp_path, tiny_checkpoints, [model])
    else:
        options = vlm_options(tmp_path, tiny_vlms, [model], prompts=("Describe this image.",))
    report = run(options)
    failed = dict(report.models[0].failed)
    assert "outside the gallery" in failed["link"]
    catalog = CatalogWriter.open(options.db)
    try:
        assert "outside the gallery" in (catalog.image("link").error or "")  # type: ignore[union-attr]
        assert catalog.image("link").sha256 is None  # type: ignore[union-attr]
        assert catalog.done_ids(model) == {"img_0", "sub__nested_1"}
    finally:
        catalog.close()


def test_a_bad_pixel_limit_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(MAX_PIXELS_ENV, "many")
    code = main(
        ["--quiet", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "s.zarr"),
         "--db", f"sqlite:///{tmp_path / 'catalog.db'}", *checkpoint_args(tiny_checkpoints, "dinov2")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"{MAX_PIXELS_ENV}='many' is not allowed" in err
    assert not (tmp_path / "s.zarr").exists() and not (tmp_path / "catalog.db").exists()
