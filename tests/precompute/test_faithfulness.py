"""`precompute --faithfulness` on tiny real models: what is stored per image × map, that the stored
AUCs are the areas of the stored curves, that a rerun does nothing, that a killed run resumes,
that other settings recompute, and that bad flags stop the run before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from precompute.cli import main
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.faithfulness import FaithfulnessWrites
from tests.conftest import write_gallery
from tests.tiny_models import IMAGE_SIZE

GOOD_IMAGES = 6


def args_for(
    root: Path, checkpoints: dict[str, Path], *extra: str, models: str = "dinov2,siglip"
) -> list[str]:
    return [
        "--quiet", "--device", "cpu", "--images", str(root / "images"), "--store", str(root / "store.zarr"),
        "--db", f"sqlite:///{root / 'catalog.db'}", "--image-size", str(IMAGE_SIZE), "--batch-size", "4",
        "--per-head", "--models", models,
        "--checkpoint", f"dinov2={checkpoints['dinov2']}", "--checkpoint", f"siglip={checkpoints['siglip']}",
        *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoints: dict[str, Path]) -> Path:
    root = tmp_path_factory.mktemp("faithfulness")
    write_gallery(root / "images")
    assert main(args_for(root, tiny_checkpoints, "--faithfulness", "--steps", "4")) == 0
    return root


def open_catalog(root: Path) -> CatalogWriter:
    return CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}")


def test_every_image_has_the_default_map_set_and_the_baselines(computed: Path) -> None:
    catalog = open_catalog(computed)
    reader = AttentionStoreReader(str(computed / "store.zarr"))
    stored = reader.models()
    for model in ("dinov2", "siglip"):
        attrs = stored[model]
        per_head = [m for m in attrs.methods if m in attrs.per_head_methods]
        layers = {m: reader.read_row(model, f"{m}/fused", 0).shape[0] for m in attrs.methods}  # pool: 1
        heads = {m: reader.read_row(model, f"{m}/heads", 0).shape[1] for m in per_head}
        expected = sum(layers.values()) + sum(heads.values()) + 2
        values = catalog.faithfulness_values(model=model)
        images = {v.image_id for v in values}
        assert len(images) == GOOD_IMAGES
        assert len(values) == GOOD_IMAGES * expected
        keys = {(v.method, v.layer, v.head) for v in values}
        assert ("random", 0, -1) in keys and ("centre", 0, -1) in keys
        assert {(m, layers[m] - 1, h) for m in per_head for h in range(heads[m])} <= keys
        assert all(layer == layers[method] - 1 for method, layer, head in keys if head >= 0)  # last layer
        pairs = catalog.faithfulness_pairs(model)
        assert {p.target for p in pairs.values()} == {"embedding-cosine"}
        assert {p.steps for p in pairs.values()} == {4}
        for v in values:
            assert len(v.deletion) == len(v.insertion) == 5
            # the unperturbed image is its own embedding: cosine 1 where a curve shows the whole image
            assert v.deletion[0] == pytest.approx(1.0, abs=1e-4)
            assert v.insertion[-1] == pytest.approx(1.0, abs=1e-4)
            trapezoid = lambda c: (sum(c) - c[0] / 2 - c[-1] / 2) / (len(c) - 1)  # noqa: E731
            assert v.deletion_auc == pytest.approx(trapezoid(v.deletion))
            assert v.insertion_auc == pytest.approx(trapezoid(v.insertion))
        summaries = catalog.faithfulness_summaries(model)
        assert len(summaries) == expected
        cls_last = next(s for s in summaries if (s.method, s.layer, s.head) == ("mean", attrs.layers - 1, -1))
        aucs = [
            v.deletion_auc for v in values if (v.method, v.layer, v.head) == ("mean", attrs.layers - 1, -1)
        ]
        assert cls_last.n == GOOD_IMAGES
        assert cls_last.deletion_mean == pytest.approx(np.mean(aucs))
        assert cls_last.deletion_low <= cls_last.deletion_mean <= cls_last.deletion_high
    catalog.close()


def test_a_rerun_does_nothing(
    computed: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = open_catalog(computed).faithfulness_values()
    assert main(args_for(computed, tiny_checkpoints, "--faithfulness", "--steps", "4")) == 0
    out = capsys.readouterr().out
    assert "faithfulness: 0 image × model pairs computed" in out
    assert f"{2 * GOOD_IMAGES} pairs already computed" in out
    assert open_catalog(computed).faithfulness_values() == before


def test_a_killed_run_resumes_and_other_settings_recompute(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_gallery(tmp_path / "images")
    original = FaithfulnessWrites.add_faithfulness
    calls = []

    def killed_after_three(self: FaithfulnessWrites, pair: object, values: object) -> None:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(pair)
        original(self, pair, values)  # type: ignore[arg-type]

    monkeypatch.setattr(FaithfulnessWrites, "add_faithfulness", killed_after_three)
    assert (
        main(args_for(tmp_path, tiny_checkpoints, "--faithfulness", "--steps", "3", models="dinov2")) == 130
    )
    assert len(open_catalog(tmp_path).faithfulness_pairs()) == 3
    monkeypatch.setattr(FaithfulnessWrites, "add_faithfulness", original)
    capsys.readouterr()
    assert main(args_for(tmp_path, tiny_checkpoints, "--faithfulness", "--steps", "3", models="dinov2")) == 0
    out = capsys.readouterr().out
    assert f"faithfulness: {GOOD_IMAGES - 3} image × model pairs computed" in out
    assert "3 pairs already computed" in out
    catalog = open_catalog(tmp_path)
    assert len(catalog.faithfulness_pairs()) == GOOD_IMAGES
    # another map set: every pair again, and only the last layer's fused maps (+ 2 baselines)
    assert (
        main(
            args_for(
                tmp_path, tiny_checkpoints, "--faithfulness", "--faithfulness-maps", "last", models="dinov2"
            )
        )
        == 0
    )
    assert f"faithfulness: {GOOD_IMAGES} image × model pairs computed" in capsys.readouterr().out
    stored = AttentionStoreReader(str(tmp_path / "store.zarr")).models()
    values = catalog.faithfulness_values(model="dinov2")
    assert len(values) == GOOD_IMAGES * (len(stored["dinov2"].methods) + 2)
    assert {len(v.deletion) for v in values} == {11}  # --steps back at its default, 10
    catalog.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--faithfulness", "--steps", "0"], "--steps must be between 1 and 100, got 0"),
        (["--faithfulness", "--steps", "101"], "--steps must be between 1 and 100, got 101"),
        (["--steps", "5"], "--steps and --faithfulness-maps apply to --faithfulness; add --faithfulness"),
    ],
)
def test_bad_flags_stop_before_anything_is_written(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    write_gallery(tmp_path / "images")
    assert main(args_for(tmp_path, tiny_checkpoints, *extra)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"precompute: error: {message}"]
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


def test_an_unknown_map_set_is_refused_by_the_parser(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args_for(tmp_path, tiny_checkpoints, "--faithfulness", "--faithfulness-maps", "every"))
    assert exit_.value.code == 2
