"""VLMs with a LoRA adapter and `--answer-from`: the adapted variant's stored maps (text→image and
vision tower) equal eager attention of the merged model over the same token ids, where those ids
are the base model's answer (teacher forcing); each model's own answer is kept beside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from peft import PeftModel
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from precompute.cli import main
from ssl_attention.attention.vlm import VlmMapExtractor
from ssl_attention.data.gallery import decode
from ssl_attention.models.registry import resolve_model
from ssl_attention.models.token_layout import TokenLayout
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs
from tests.conftest import write_gallery
from tests.reference import maps_from_attentions
from tests.ssl_attention.attention.test_vlm import WindowRecorder
from tests.tiny_adapters import save_lora
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS, MODEL_CLASSES

KEY = "qwen3_vl"  # every vision block attends globally: one eager call per block is the whole map
TARGETS = ["k_proj", "q_proj", "qkv"]  # language q/k and the vision tower's fused qkv
PROMPTS = ("Describe this image.", "What colour?")
IMAGES = ("img_0", "sub__nested_1")


def run_args(root: Path, tiny: Path, adapter: Path, *extra: str) -> list[str]:
    return [
        "--quiet", "--device", "cpu", "--images", str(root / "images"), "--store", str(root / "store.zarr"),
        "--db", f"sqlite:///{root / 'catalog.db'}", "--per-head", "--max-new-tokens", "3",
        "--min-pixels", str(MIN_PIXELS), "--max-pixels", str(MAX_PIXELS),
        "--prompt", PROMPTS[0], "--prompt", PROMPTS[1],
        "--variant", "qwen3-lora=qwen3_vl", "--checkpoint", f"qwen3_vl={tiny}", "--checkpoint", f"qwen3-lora={tiny}",
        "--adapter", f"qwen3-lora={adapter}", *extra,
    ]  # fmt: skip


def merged_eager(tiny: Path, adapter: Path) -> torch.nn.Module:
    """The reference model: the base checkpoint with eager attention, the adapter merged by PEFT."""
    model = MODEL_CLASSES[KEY].from_pretrained(tiny, attn_implementation="eager").eval()
    merged: torch.nn.Module = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return merged


@pytest.fixture(scope="module")
def lora(tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path]) -> Path:
    base = MODEL_CLASSES[KEY].from_pretrained(tiny_vlms[KEY])
    return save_lora(base, tmp_path_factory.mktemp("vlm_lora") / "lora", TARGETS, seed=5, scale=0.5)


@pytest.fixture(scope="module")
def forced_run(tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path], lora: Path) -> Path:
    root = tmp_path_factory.mktemp("forced")
    write_gallery(root / "images", n_good=2)
    # --models names the variant first: --answer-from still runs qwen3_vl before it.
    args = run_args(root, tiny_vlms[KEY], lora, "--models", "qwen3-lora,qwen3_vl", "--answer-from", KEY)
    assert main(args) == 0
    return root


def prompt_attrs(root: Path, name: str, image_id: str, index: int) -> VlmPromptAttrs:
    reader = AttentionStoreReader(str(root / "store.zarr"))
    row = CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}").row_of(image_id, name)
    assert row is not None
    return VlmPromptAttrs.from_attrs(reader.group_attrs(name, VlmAttrs.prompt_path(row, index)))


def test_forced_answers_are_the_teachers_and_own_answers_are_kept(
    forced_run: Path, tiny_vlms: dict[str, Path], lora: Path
) -> None:
    models = AttentionStoreReader(str(forced_run / "store.zarr")).models()
    teacher, variant = models[KEY], models["qwen3-lora"]
    assert isinstance(teacher, VlmAttrs) and isinstance(variant, VlmAttrs)
    assert (teacher.answer_from, variant.answer_from) == (None, KEY)
    assert teacher.adapter is None and variant.adapter is not None and variant.adapter["peft_type"] == "LORA"
    assert variant.adapter["target_modules"] == TARGETS and variant.adapter["merged"] is True
    model = resolve_model(KEY, str(tiny_vlms[KEY]), "pretrained")
    own = VlmMapExtractor(
        model.load_vlm(), min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, max_new_tokens=3, per_head=False
    )
    for image_id, path in zip(IMAGES, ("img_0.jpg", "sub/nested_1.png"), strict=True):
        image = decode(forced_run / "images" / path).image
        free = own(image, list(PROMPTS), with_vision=False)
        for index, prompt in enumerate(PROMPTS):
            base, forced = (
                prompt_attrs(forced_run, KEY, image_id, index),
                prompt_attrs(forced_run, "qwen3-lora", image_id, index),
            )
            base_answer = [t for t in base.tokens if t.role == "answer"]
            forced_answer = [t for t in forced.tokens if t.role == "answer"]
            assert base_answer and [t.id for t in forced_answer] == [t.id for t in base_answer]
            assert [t.position for t in forced_answer] == [t.position for t in base_answer]
            assert [t.id for t in forced.tokens if t.role != "answer"] == [
                t.id for t in base.tokens if t.role != "answer"
            ]
            assert base.prompt == forced.prompt == prompt
            assert (base.answer_from, base.own_answer) == (None, base.answer)
            assert free.prompts[index].answer == base.answer  # the teacher's answer is its free generation
            assert (forced.answer_from, forced.answer) == (KEY, base.answer)
            assert forced.own_answer is not None  # the adapted model's own answer: checked below


def _merged_own_answer(tiny: Path, lora: Path, image: object, prompt: str) -> str:
    adapter = resolve_model(KEY, str(tiny), "pretrained").load_vlm()
    adapter.model = PeftModel.from_pretrained(adapter.model, lora).merge_and_unload()
    extractor = VlmMapExtractor(
        adapter, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, max_new_tokens=3, per_head=False
    )
    return extractor(image, [prompt], with_vision=False).prompts[0].answer  # type: ignore[arg-type]


def test_own_answer_is_the_adapted_models_free_generation(
    forced_run: Path, tiny_vlms: dict[str, Path], lora: Path
) -> None:
    image = decode(forced_run / "images" / "img_0.jpg").image
    for index, prompt in enumerate(PROMPTS):
        forced = prompt_attrs(forced_run, "qwen3-lora", "img_0", index)
        assert forced.own_answer == _merged_own_answer(tiny_vlms[KEY], lora, image, prompt)


def test_forced_text_maps_equal_eager_attention_of_the_merged_model(
    forced_run: Path, tiny_vlms: dict[str, Path], lora: Path
) -> None:
    reference = merged_eager(tiny_vlms[KEY], lora)
    adapter = resolve_model(KEY, str(tiny_vlms[KEY]), "pretrained").load_vlm()
    reader = AttentionStoreReader(str(forced_run / "store.zarr"))
    catalog = CatalogWriter.open(f"sqlite:///{forced_run / 'catalog.db'}")
    image = decode(forced_run / "images" / "img_0.jpg").image
    row = catalog.row_of("img_0", "qwen3-lora")
    assert row is not None
    for index, prompt in enumerate(PROMPTS):
        forced = prompt_attrs(forced_run, "qwen3-lora", "img_0", index)
        inputs = adapter.prepare(image, prompt, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
        stored_ids = torch.tensor([[t.id for t in forced.tokens]])
        ids = torch.cat([inputs.input_ids[:, : inputs.image_tokens[1]], stored_ids], dim=1)
        with torch.no_grad():
            out = reference(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                mm_token_type_ids=inputs.token_types(ids.shape[1] - inputs.length),
                pixel_values=inputs.pixel_values,
                image_grid_thw=inputs.image_grid_thw,
                output_attentions=True,
            )
        rows = [t.position for t in forced.tokens]
        start, stop = inputs.image_tokens
        expected = np.stack(
            [a[0].double().numpy()[:, rows, start:stop] for a in out.attentions]
        )  # (L, H, T, n)
        expected = expected.transpose(2, 0, 1, 3).reshape(
            len(rows), adapter.n_layers, adapter.n_heads, *inputs.grid
        )
        path = VlmAttrs.prompt_path(row, index)
        stored = reader.read_array("qwen3-lora", f"{path}/text/heads").astype(np.float64)
        np.testing.assert_allclose(stored, expected, rtol=2**-10, atol=2**-14)
        base_row = catalog.row_of("img_0", KEY)
        assert base_row is not None
        base = reader.read_array(KEY, f"{VlmAttrs.prompt_path(base_row, index)}/text/heads")
        assert base.shape == stored.shape and not np.allclose(
            base, stored, atol=1e-3
        )  # the adapter moved them


@pytest.fixture
def vision_recorder() -> Iterator[WindowRecorder]:
    recorder = WindowRecorder()
    AttentionInterface.register("test_lora_record", recorder)
    yield recorder
    AttentionInterface.register("test_lora_record", sdpa_attention_forward)


def test_vision_maps_equal_eager_attention_of_the_merged_model(
    forced_run: Path, tiny_vlms: dict[str, Path], lora: Path, vision_recorder: WindowRecorder
) -> None:
    reference = merged_eager(tiny_vlms[KEY], lora)
    adapter = resolve_model(KEY, str(tiny_vlms[KEY]), "pretrained").load_vlm()
    image = decode(forced_run / "images" / "img_0.jpg").image
    inputs = adapter.prepare(image, PROMPTS[0], min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    visual = reference.model.visual
    visual.config._attn_implementation = "test_lora_record"
    with torch.no_grad():
        visual(inputs.pixel_values, grid_thw=inputs.image_grid_thw)
    assert len(vision_recorder.calls) == len(visual.blocks)  # one global call per block
    inverse = np.argsort(adapter.vision_raster_order(inputs.image_grid_thw).numpy())
    attentions = [
        torch.from_numpy(w.numpy()[:, inverse][:, :, inverse][None]) for _m, w in vision_recorder.calls
    ]
    expected = maps_from_attentions(attentions, TokenLayout((), inputs.vision_grid))
    reader = AttentionStoreReader(str(forced_run / "store.zarr"))
    catalog = CatalogWriter.open(f"sqlite:///{forced_run / 'catalog.db'}")
    row, base_row = catalog.row_of("img_0", "qwen3-lora"), catalog.row_of("img_0", KEY)
    assert row is not None and base_row is not None
    for path in ("mean/heads", "mean/fused", "rollout/fused"):
        stored = reader.read_array("qwen3-lora", f"{VlmAttrs.sample_path(row)}/{path}").astype(np.float64)
        np.testing.assert_allclose(stored, expected[path][0].reshape(stored.shape), rtol=2**-10, atol=2**-14)
        base = reader.read_array(KEY, f"{VlmAttrs.sample_path(base_row)}/{path}")
        assert not np.allclose(base, stored, atol=1e-4), path


def test_answer_from_is_part_of_the_groups_identity(
    forced_run: Path, tiny_vlms: dict[str, Path], lora: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    rerun = run_args(forced_run, tiny_vlms[KEY], lora, "--models", "qwen3-lora")
    assert main(rerun) == 2
    err = capsys.readouterr().err
    assert "model 'qwen3-lora'" in err and f"answer_from: {KEY} -> None" in err and err.count("\n") == 1, err
    same = run_args(forced_run, tiny_vlms[KEY], lora, "--models", f"{KEY},qwen3-lora", "--answer-from", KEY)
    assert main(same) == 0
    assert "nothing to do for 2 model(s) (qwen3_vl, qwen3-lora)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--models", KEY, "--answer-from", "qwen3-lora"],
            "--answer-from names 'qwen3-lora', which is not in --models",
        ),
        (
            ["--models", KEY, "--answer-from", "nobody"],
            "--answer-from names 'nobody', which is not in --models",
        ),
    ],
)
def test_bad_answer_from_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path,
    tiny_vlms: dict[str, Path],
    lora: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    assert main(run_args(tmp_path, tiny_vlms[KEY], lora, *extra)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "store.zarr").exists() and not (tmp_path / "catalog.db").exists()


def test_answer_from_a_vit_is_refused(
    tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write_gallery(tmp_path / "images", n_good=1)
    args = [
        "--quiet",
        "--device",
        "cpu",
        "--images",
        str(tmp_path / "images"),
        "--store",
        str(tmp_path / "s.zarr"),
    ]
    args += ["--db", f"sqlite:///{tmp_path / 'c.db'}", "--models", "dinov2", "--answer-from", "dinov2"]
    assert main([*args, "--checkpoint", f"dinov2={tiny_checkpoints['dinov2']}", "--image-size", "24"]) == 2
    err = capsys.readouterr().err
    assert (
        "--answer-from takes a VLM of the run; 'dinov2' is a vision transformer" in err
        and err.count("\n") == 1
    )
    assert not (tmp_path / "s.zarr").exists() and not (tmp_path / "c.db").exists()


def test_unmerged_vlm_adapter_gives_the_same_maps_within_float16(
    tmp_path: Path, forced_run: Path, tiny_vlms: dict[str, Path], lora: Path
) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    args = run_args(tmp_path, tiny_vlms[KEY], lora, "--models", f"{KEY},qwen3-lora", "--answer-from", KEY)
    assert main([*args, "--no-merge"]) == 0
    unmerged, merged = (
        AttentionStoreReader(str(tmp_path / "store.zarr")),
        AttentionStoreReader(str(forced_run / "store.zarr")),
    )
    attrs = unmerged.models()["qwen3-lora"]
    assert isinstance(attrs, VlmAttrs) and attrs.adapter is not None and attrs.adapter["merged"] is False
    catalogs = [CatalogWriter.open(f"sqlite:///{root / 'catalog.db'}") for root in (tmp_path, forced_run)]
    compared = 0
    for image_id in IMAGES:
        rows = [catalog.row_of(image_id, "qwen3-lora") for catalog in catalogs]
        assert rows[0] is not None and rows[1] is not None
        paths = [
            f"{VlmAttrs.sample_path(rows[0])}/{p}" for p in ("mean/heads", "mean/fused", "rollout/fused")
        ]
        pairs = [
            (p, p.replace(VlmAttrs.sample_path(rows[0]), VlmAttrs.sample_path(rows[1]), 1)) for p in paths
        ]
        for index in range(len(PROMPTS)):
            for array in ("text/heads", "text/fused", "image_mass"):
                pairs.append(
                    (
                        f"{VlmAttrs.prompt_path(rows[0], index)}/{array}",
                        f"{VlmAttrs.prompt_path(rows[1], index)}/{array}",
                    )
                )
        for mine, theirs in pairs:
            a = unmerged.read_array("qwen3-lora", mine).astype(np.float32)
            b = merged.read_array("qwen3-lora", theirs).astype(np.float32)
            np.testing.assert_allclose(a, b, rtol=2**-9, atol=2**-14, err_msg=mine)
            compared += 1
    assert compared == len(IMAGES) * (3 + 3 * len(PROMPTS))
