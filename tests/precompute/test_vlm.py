"""`precompute` with VLMs: store and catalog contents, resume after SIGKILL, prompts added later,
idempotent reruns, random weights without a tokenizer, and strict flags."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import zarr
from PIL import Image

from precompute.cli import main
from precompute.runner import FAULT_ENV, RunOptions, run
from ssl_attention.attention.vlm import VlmMapExtractor
from ssl_attention.models.registry import resolve_keys, resolve_model
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs, VlmSampleAttrs
from tests.conftest import write_gallery
from tests.precompute.test_cli import cli
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

KEYS = ["qwen2_5_vl", "qwen3_vl"]
GOOD = ["img_0", "img_1", "img_2", "img_3", "img_4", "sub__nested_5"]
TEXT_ARRAYS = (
    6 + 7 * 2
)  # a prompt's text → text attention (`<vlm>/texts/<id>`): 5 token arrays, stats, 7 per layer


def vlm_options(tmp: Path, tiny_vlms: dict[str, Path], models: list[str], **changes: object) -> RunOptions:
    values: dict[str, object] = dict(
        models=models,
        images=tmp / "images",
        store=str(tmp / "store.zarr"),
        db=f"sqlite:///{tmp / 'catalog.db'}",
        checkpoints={k: str(tiny_vlms[k]) for k in models},
        per_head=True,
        device="cpu",
        prompts=("Describe this image.", "What colour?"),
        max_new_tokens=3,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
    )
    values.update(changes)
    return RunOptions(**values)  # type: ignore[arg-type]


def vlm_args(tiny_vlms: dict[str, Path], key: str) -> list[str]:
    return [
        "--models", key, "--checkpoint", f"{key}={tiny_vlms[key]}", "--per-head", "--max-new-tokens", "3",
        "--min-pixels", str(MIN_PIXELS), "--max-pixels", str(MAX_PIXELS),
        "--prompt", "Describe this image.", "--prompt", "What colour?",
    ]  # fmt: skip


def test_store_and_catalog_hold_every_image_and_prompt(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images")
    report = run(vlm_options(tmp_path, tiny_vlms, KEYS))
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    reader = AttentionStoreReader(str(tmp_path / "store.zarr"))
    models = reader.models()
    for key, summary in zip(KEYS, report.models, strict=True):
        assert (summary.done, len(summary.failed), summary.already_done) == (6, 2, 0)
        assert summary.tokens > 0 and summary.unit == "tok"
        attrs = models[key]
        assert isinstance(attrs, VlmAttrs)
        assert attrs.prompts == ("Describe this image.", "What colour?") and attrs.per_head
        assert catalog.done_ids(key) == set(GOOD)
        assert catalog.done_samples(key) == {(i, p) for i in GOOD for p in (0, 1)}
        for image_id in GOOD:
            row = catalog.row_of(image_id, key)
            assert row is not None
            sample = VlmSampleAttrs.from_attrs(reader.group_attrs(key, attrs.sample_path(row)))
            assert sample.image_id == image_id
            gh, gw = sample.grid
            assert sample.vision_grid == (2 * gh, 2 * gw)
            assert reader.read_array(key, f"{attrs.sample_path(row)}/mean/heads").shape == (
                attrs.vision_layers,
                attrs.vision_heads,
                2 * gh,
                2 * gw,
            )
            for index, done in enumerate(catalog.vlm_samples(image_id, key)):
                prompt = VlmPromptAttrs.from_attrs(reader.group_attrs(key, attrs.prompt_path(row, index)))
                assert done.prompt == prompt.prompt == attrs.prompts[index]
                assert done.answer == prompt.answer and done.n_tokens == len(prompt.tokens)
                path = attrs.prompt_path(row, index)
                heads = reader.read_array(key, f"{path}/text/heads")
                fused = reader.read_array(key, f"{path}/text/fused")
                mass = reader.read_array(key, f"{path}/image_mass")
                assert heads.shape == (len(prompt.tokens), attrs.layers, attrs.heads, gh, gw)
                assert fused.dtype == np.float16 and mass.dtype == np.float32
                np.testing.assert_allclose(fused, heads.astype(np.float32).mean(axis=2), atol=2e-3, rtol=2e-3)
                np.testing.assert_allclose(
                    mass, heads.astype(np.float32).sum(axis=(-2, -1)), atol=2e-3, rtol=2e-3
                )
                assert reader.read_array(key, f"{path}/text/fused", 0).shape == (attrs.layers, gh, gw)
    assert catalog.vlm_samples("truncated", KEYS[0]) == []


def test_stored_maps_are_the_extractor_maps_in_float16(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=3)
    key = "qwen2_5_vl"
    run(vlm_options(tmp_path, tiny_vlms, [key]))
    adapter = resolve_model(key, str(tiny_vlms[key]), "pretrained").load_vlm()
    extractor = VlmMapExtractor(
        adapter, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, max_new_tokens=3, per_head=True
    )
    maps = extractor(Image.open(tmp_path / "images" / "img_1.png"), ["What colour?"], with_vision=True)
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    reader = AttentionStoreReader(str(tmp_path / "store.zarr"))
    row = catalog.row_of("img_1", key)
    assert row is not None and maps.vision is not None
    base = VlmAttrs.sample_path(row)
    for path, values in maps.vision.items():
        assert np.array_equal(reader.read_array(key, f"{base}/{path}"), values.numpy().astype(np.float16)), (
            path
        )
    for path, values in maps.prompts[0].arrays.items():
        stored = reader.read_array(key, f"{VlmAttrs.prompt_path(row, 1)}/{path}")
        assert np.array_equal(stored, values.numpy().astype(stored.dtype)), path


@pytest.mark.parametrize("fault", ["kill-after-write:2", "kill-after-commit:1"])
def test_killed_run_resumes_to_identical_arrays(
    tmp_path: Path, tiny_vlms: dict[str, Path], fault: str
) -> None:
    key = "qwen3_vl"
    reference = tmp_path / "reference"
    write_gallery(reference / "images")
    run(vlm_options(reference, tiny_vlms, [key]))

    killed = tmp_path / "killed"
    write_gallery(killed / "images")
    first = cli(killed, *vlm_args(tiny_vlms, key), env={FAULT_ENV: fault})
    assert first.returncode == -9, first.stderr
    catalog = CatalogWriter.open(f"sqlite:///{killed / 'catalog.db'}")
    partial = catalog.done_ids(key)
    assert 0 < len(partial) < 6
    second = cli(killed, *vlm_args(tiny_vlms, key))
    assert second.returncode == 0, second.stderr
    assert f"{len(partial)} already done" in second.stdout
    assert catalog.done_ids(key) == set(GOOD)
    assert [r.status for r in catalog.runs(key)] == ["killed", "done"]
    expected = _all_arrays(reference / "store.zarr")
    got = _all_arrays(killed / "store.zarr")
    assert expected.keys() == got.keys() and len(expected) == 6 * (3 + 2 * 3 + 2 * TEXT_ARRAYS)
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path


def _all_arrays(store: Path) -> dict[str, np.ndarray]:
    root = zarr.open_group(str(store), mode="r")
    found: dict[str, np.ndarray] = {}

    def walk(group: zarr.Group, prefix: str) -> None:
        for name, array in group.arrays():
            found[f"{prefix}{name}"] = np.asarray(array[...])
        for name, sub in group.groups():
            walk(sub, f"{prefix}{name}/")

    walk(root, "")
    return found


def test_a_new_prompt_runs_alone_and_keeps_the_rest(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    key = "qwen2_5_vl"
    write_gallery(tmp_path / "images", n_good=3)
    run(vlm_options(tmp_path, tiny_vlms, [key]))
    before = _all_arrays(tmp_path / "store.zarr")
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "store.zarr" / key / "samples").rglob("c/*")}

    again = run(vlm_options(tmp_path, tiny_vlms, [key]))
    assert (again.models[0].done, again.models[0].already_done) == (0, 3)  # nothing to do, weights not loaded
    assert again.models[0].load_seconds == 0

    added = run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Count the objects.",)))
    assert added.models[0].done == 3
    reader = AttentionStoreReader(str(tmp_path / "store.zarr"))
    attrs = reader.models()[key]
    assert isinstance(attrs, VlmAttrs)
    assert attrs.prompts == ("Describe this image.", "What colour?", "Count the objects.")
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert {s.prompt_index for s in catalog.vlm_samples("img_0", key)} == {0, 1, 2}
    after = _all_arrays(tmp_path / "store.zarr")
    for path, values in before.items():
        assert np.array_equal(after[path], values), path
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # vision and old prompts untouched
    assert len(after) == len(before) + 3 * (3 + TEXT_ARRAYS)


def test_changed_image_is_redone_for_vlms(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    key = "qwen3_vl"
    write_gallery(tmp_path / "images", n_good=2)
    run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Hi",)))
    Image.fromarray(np.full((70, 30, 3), 200, np.uint8)).save(tmp_path / "images" / "img_0.jpg")
    redo = run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Hi",)))
    assert redo.models[0].done == 1
    reader = AttentionStoreReader(str(tmp_path / "store.zarr"))
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    row = catalog.row_of("img_0", key)
    assert row is not None
    sample = VlmSampleAttrs.from_attrs(reader.group_attrs(key, VlmAttrs.sample_path(row)))
    assert sample.grid[0] > sample.grid[1]  # the new, tall image


def test_random_weights_without_a_tokenizer_use_the_byte_level_stand_in(
    tmp_path: Path, tiny_vlms: dict[str, Path]
) -> None:
    folder = tmp_path / "config_only"
    folder.mkdir()
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copy(tiny_vlms["qwen2_5_vl"] / name, folder / name)
    write_gallery(tmp_path / "images", n_good=1)
    report = run(
        vlm_options(
            tmp_path, tiny_vlms, ["qwen2_5_vl"], checkpoints={"qwen2_5_vl": str(folder)}, weights="random"
        )
    )
    assert report.models[0].done == 1
    reader = AttentionStoreReader(str(tmp_path / "store.zarr"))
    attrs = reader.models()["qwen2_5_vl"]
    assert isinstance(attrs, VlmAttrs) and attrs.weights == "random"
    row = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}").row_of("sub__nested_0", "qwen2_5_vl")
    assert row is not None
    prompt = VlmPromptAttrs.from_attrs(reader.group_attrs("qwen2_5_vl", VlmAttrs.prompt_path(row, 0)))
    assert "".join(t.text for t in prompt.tokens if t.role == "prompt") == "Describe this image."


def test_model_groups() -> None:
    assert resolve_keys("vlm") == ["qwen2_5_vl", "qwen3_vl"]
    assert "qwen2_5_vl" not in resolve_keys("vit")
    assert resolve_keys("all")[-2:] == ["qwen2_5_vl", "qwen3_vl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--max-pixels", "100"],
            "--max-pixels 100 is below one image token of qwen2_5_vl (28×28 = 784 pixels)",
        ),
        (["--min-pixels", "99999999"], "--min-pixels must be between 1 and --max-pixels"),
        (["--max-new-tokens", "-1"], "--max-new-tokens must be 0 or more"),
        (["--prompt", "  "], "a prompt is empty"),
        (["--prompt", "Find <|image_pad|> here"], "a prompt contains the chat marker <|image_pad|>"),
        (["--prompts", "/nonexistent/prompts.txt"], "cannot read --prompts /nonexistent/prompts.txt"),
    ],
)
def test_bad_vlm_flags_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path,
    tiny_vlms: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    base = ["--quiet", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr")]
    base += ["--db", f"sqlite:///{tmp_path / 'catalog.db'}", "--models", "qwen2_5_vl"]
    base += ["--checkpoint", f"qwen2_5_vl={tiny_vlms['qwen2_5_vl']}"]
    code = main([*base, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("precompute: error:") and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


def test_prompts_file_and_repeats(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Where is the cat?\n\n  What colour?  \nWhere is the cat?\n")
    write_gallery(tmp_path / "images", n_good=1)
    base = ["--quiet", "--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr")]
    base += ["--db", f"sqlite:///{tmp_path / 'catalog.db'}", "--device", "cpu", "--max-new-tokens", "1"]
    base += ["--models", "qwen3_vl", "--checkpoint", f"qwen3_vl={tiny_vlms['qwen3_vl']}"]
    base += ["--min-pixels", str(MIN_PIXELS), "--max-pixels", str(MAX_PIXELS)]
    assert main([*base, "--prompt", "What colour?", "--prompts", str(prompts)]) == 0
    attrs = AttentionStoreReader(str(tmp_path / "store.zarr")).models()["qwen3_vl"]
    assert isinstance(attrs, VlmAttrs)
    assert attrs.prompts == ("What colour?", "Where is the cat?")


def test_metrics_score_vlm_maps(tmp_path: Path, tiny_vlms: dict[str, Path]) -> None:
    import json

    write_gallery(tmp_path / "images", n_good=3)
    size = Image.open(tmp_path / "images" / "img_1.png").size
    coco = {
        "images": [{"id": 1, "file_name": "img_1.png", "width": size[0], "height": size[1]}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 20, 15]}],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (tmp_path / "images" / "annotations.json").write_text(json.dumps(coco))
    report = run(vlm_options(tmp_path, tiny_vlms, ["qwen2_5_vl"], metrics=True))
    assert report.metrics is not None and report.metrics.pairs_scored == 2  # the model and the baselines
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    methods = {(v.method, v.head == -1) for v in catalog.metric_values(model="qwen2_5_vl", metric="energy")}
    assert methods == {("text", True), ("text", False), ("mean", True), ("mean", False), ("rollout", True)}
    assert all(0 <= v.value <= 1 for v in catalog.metric_values(model="qwen2_5_vl", metric="energy"))


def test_changed_settings_need_force_and_are_refused_before_loading(
    tmp_path: Path, tiny_vlms: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssl_attention.models.registry import ResolvedModel
    from ssl_attention.store.arrays import StoreError

    key = "qwen3_vl"
    write_gallery(tmp_path / "images", n_good=1)
    run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Hi",)))

    def no_loading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the weights were loaded before the settings were checked")

    monkeypatch.setattr(ResolvedModel, "load_vlm", no_loading)
    with pytest.raises(StoreError, match=r"max_new_tokens: 3 -> 5.*--force"):
        run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Hi",), max_new_tokens=5))
    monkeypatch.undo()
    forced = run(vlm_options(tmp_path, tiny_vlms, [key], prompts=("Hi",), max_new_tokens=5, force=True))
    assert forced.models[0].done == 1
