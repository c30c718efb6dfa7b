"""Bad --store, --db, checkpoint files and --image-size: one line, exit 2, nothing created.

Each case runs the real command (`precompute.cli.main`) on a fresh folder and checks the folder
afterwards: no store, no catalog, no lock file appeared before the inputs were refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import zarr

from precompute.cli import main
from ssl_attention.store.catalog import CatalogReader
from tests.conftest import write_gallery
from tests.tiny_models import IMAGE_SIZE


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gallery") / "images"
    write_gallery(folder, n_good=2)
    return folder


def precompute(gallery: Path, checkpoint: Path, store: str, db: str, *extra: str) -> int:
    return main(
        [
            "--quiet", "--device", "cpu", "--images", str(gallery), "--models", "dinov2",
            "--checkpoint", f"dinov2={checkpoint}", "--image-size", str(IMAGE_SIZE),
            "--store", store, "--db", db, *extra,
        ]
    )  # fmt: skip


def listing(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def a_file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def half_written(tmp: Path, checkpoint: Path) -> Path:
    copy = tmp / "half"
    shutil.copytree(checkpoint, copy)
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return copy


# name -> (prepare(tmp, checkpoint) -> (store, db, checkpoint, extra args), what the error line says)
Case = Callable[[Path, Path], tuple[str, str, Path, list[str]]]
CASES: dict[str, tuple[Case, str]] = {
    "store under a file": (
        lambda tmp, ck: ("/dev/null/s.zarr", f"sqlite:///{tmp / 'c.db'}", ck, []),
        "--store /dev/null/s.zarr cannot be created: /dev/null is not a folder",
    ),
    "store is a file": (
        lambda tmp, ck: (str(a_file(tmp / "file.zarr", b"x")), f"sqlite:///{tmp / 'c.db'}", ck, []),
        "is a file, not a folder",
    ),
    "db not a URL": (
        lambda tmp, ck: (str(tmp / "s.zarr"), "garbage", ck, []),
        "--db 'garbage' is not a SQLAlchemy URL",
    ),
    "unsupported dialect": (
        lambda tmp, ck: (str(tmp / "s.zarr"), "nosuchdb://host/x", ck, []),
        "unsupported database 'nosuchdb'",
    ),
    "unreachable postgresql": (
        lambda tmp, ck: (
            str(tmp / "s.zarr"),
            f"postgresql+psycopg://u:pw@127.0.0.1:{closed_port()}/x",
            ck,
            [],
        ),
        "the database cannot be reached",
    ),
    "sqlite file of random bytes": (
        lambda tmp, ck: (str(tmp / "s.zarr"), f"sqlite:///{a_file(tmp / 'c.db', os.urandom(8192))}", ck, []),
        "is not a usable SQLite catalog (file is not a database)",
    ),
    "half-written safetensors": (
        lambda tmp, ck: (str(tmp / "s.zarr"), f"sqlite:///{tmp / 'c.db'}", half_written(tmp, ck), []),
        "model.safetensors for 'dinov2' is damaged (truncated",
    ),
    "store root metadata garbage": (
        lambda tmp, ck: (
            str(a_file(tmp / "s.zarr" / "zarr.json", b"{garbage").parent),
            f"sqlite:///{tmp / 'c.db'}",
            ck,
            ["--force"],  # --force rebuilds model groups, never a store that is not one
        ),
        "is not a usable attention store (zarr.json: JSONDecodeError",
    ),
    "image size beyond the bound": (
        lambda tmp, ck: (str(tmp / "s.zarr"), f"sqlite:///{tmp / 'c.db'}", ck, ["--image-size", "100002"]),
        "--image-size must be 1 to 4096 pixels, got 100002",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_inputs_exit_2_with_one_line_and_create_nothing(
    name: str,
    tmp_path: Path,
    gallery: Path,
    tiny_checkpoints: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    prepare, expected = CASES[name]
    store, db, checkpoint, extra = prepare(tmp_path, tiny_checkpoints["dinov2"])
    before = listing(tmp_path)
    rc = precompute(gallery, checkpoint, store, db, *extra)
    err = capsys.readouterr().err
    assert rc == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("precompute: error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err and "pw@" not in err  # no password echoed
    assert listing(tmp_path) == before  # no store, catalog, WAL or lock file appeared


def test_a_group_with_garbage_metadata_is_refused_and_force_rebuilds_it(
    tmp_path: Path, gallery: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, db = str(tmp_path / "s.zarr"), f"sqlite:///{tmp_path / 'c.db'}"
    checkpoint = tiny_checkpoints["dinov2"]
    assert precompute(gallery, checkpoint, store, db) == 0
    done = CatalogReader.open(db).done_ids("dinov2")
    assert len(done) == 2
    (tmp_path / "s.zarr" / "dinov2" / "zarr.json").write_text("not json")
    capsys.readouterr()

    assert precompute(gallery, checkpoint, store, db) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("precompute: error: ") and "\n" not in err
    assert "group of model 'dinov2' has unreadable metadata" in err and "--force" in err

    assert precompute(gallery, checkpoint, store, db, "--force") == 0
    group = zarr.open_group(store, mode="r")["dinov2"]
    assert json.loads((tmp_path / "s.zarr" / "dinov2" / "zarr.json").read_text())["node_type"] == "group"
    assert dict(group.attrs)["key"] == "dinov2"
    assert CatalogReader.open(db).done_ids("dinov2") == done  # every image recomputed and marked again
