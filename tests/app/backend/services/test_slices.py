"""Slice selection, fusion over heads, normalisation and number encodings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.backend.services.errors import InvalidParameter
from app.backend.services.slices import (
    SliceSpec,
    f16_bytes,
    fuse_layer,
    json_floats,
    normalize,
    resolve_heads,
    resolve_slice,
    select_slice,
)
from ssl_attention.store.layout import VitAttrs, VlmAttrs
from tests.factories import model_attrs


def attrs(**changes: object) -> VitAttrs:
    return model_attrs(**changes)


def test_defaults_are_last_layer_and_mean_fusion() -> None:
    spec = resolve_slice(attrs(), "cls", None, None, None)
    assert spec == SliceSpec("cls", 2, None, "mean")
    assert spec.array_path == "cls/fused"


def test_head_reads_the_heads_array() -> None:
    spec = resolve_slice(attrs(), "mean", 0, 1, None)
    assert spec == SliceSpec("mean", 0, 1, None)
    assert spec.array_path == "mean/heads"
    assert resolve_slice(attrs(), "mean", 0, 1, "mean") == spec  # the default fusion is accepted


def test_max_and_min_fusion_read_heads() -> None:
    assert resolve_slice(attrs(), "cls", 1, None, "max").array_path == "cls/heads"


def test_pool_has_one_layer() -> None:
    siglip = attrs(has_cls=False, has_pool=True, prefix_tokens=())
    assert resolve_slice(siglip, "pool", None, None, None).layer == 0
    with pytest.raises(InvalidParameter) as error:
        resolve_slice(siglip, "pool", 1, None, None)
    assert error.value.allowed == {"min": 0, "max": 0}


@pytest.mark.parametrize(
    ("model", "method", "layer", "head", "fusion", "parameter", "allowed"),
    [
        (attrs(has_cls=False), "cls", None, None, None, "method", ["mean", "rollout"]),
        (attrs(), "pool", None, None, None, "method", ["cls", "mean", "rollout"]),
        (attrs(), "cls", 3, None, None, "layer", {"min": 0, "max": 2}),
        (attrs(), "cls", None, 2, None, "head", {"min": 0, "max": 1}),
        (attrs(), "rollout", None, 0, None, "head", ["cls", "mean"]),
        (attrs(), "rollout", None, None, "max", "fusion", ["cls", "mean"]),
        (attrs(per_head=False), "cls", None, 0, None, "head", []),
        (attrs(per_head=False), "cls", None, None, "min", "fusion", []),
        (attrs(), "cls", None, 0, "max", "fusion", ["mean"]),
    ],
)
def test_invalid_requests_say_what_is_allowed(
    model: VitAttrs,
    method: str,
    layer: int | None,
    head: int | None,
    fusion: str | None,
    parameter: str,
    allowed: object,
) -> None:
    with pytest.raises(InvalidParameter) as error:
        resolve_slice(model, method, layer, head, fusion)  # type: ignore[arg-type]
    assert error.value.parameter == parameter
    assert error.value.allowed == allowed


def test_not_precomputed_per_head_names_the_fix() -> None:
    with pytest.raises(InvalidParameter, match="--per-head"):
        resolve_heads(attrs(per_head=False), "cls", None)


def test_select_and_fuse() -> None:
    rng = np.random.default_rng(0)
    heads = rng.random((3, 2, 4, 4)).astype(np.float16)
    fused = heads.mean(axis=1).astype(np.float16)
    assert np.array_equal(select_slice(fused, SliceSpec("cls", 1, None, "mean")), fused[1])
    assert np.array_equal(select_slice(heads, SliceSpec("cls", 2, 1, None)), heads[2, 1])
    assert np.array_equal(select_slice(heads, SliceSpec("cls", 0, None, "max")), heads[0].max(axis=0))
    assert np.array_equal(select_slice(heads, SliceSpec("cls", 0, None, "min")), heads[0].min(axis=0))


def test_minmax_normalisation() -> None:
    values = np.array([[0.25, 0.5], [0.75, 0.5]], dtype=np.float16)
    assert normalize(values, "none") is values
    assert normalize(values, "minmax").tolist() == [[0.0, 0.5], [1.0, 0.5]]
    assert normalize(np.full((2, 2), 0.3, np.float16), "minmax").tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_json_floats_round_trip_every_finite_float16_and_are_short() -> None:
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    finite = every[np.isfinite(every)]
    parsed = np.array(json.loads(json.dumps(json_floats(finite))), dtype=np.float16)
    assert np.array_equal(parsed.view(np.uint16), finite.view(np.uint16))
    assert json.dumps(json_floats(np.array([0.01862], np.float16))) == "[0.01862]"


def test_f16_bytes_are_little_endian_row_major() -> None:
    values = np.arange(6, dtype=np.float16).reshape(2, 3)
    assert np.frombuffer(f16_bytes(values), dtype="<f2").reshape(2, 3).tolist() == values.tolist()
    assert f16_bytes(np.array([1.0], dtype=">f2")) == b"\x00\x3c"


def vlm_attrs(**changes: object) -> VlmAttrs:
    values: dict[str, object] = dict(
        key="qwen",
        family="qwen2_5_vl",
        checkpoint="toy",
        weights="random",
        layers=4,
        heads=2,
        vision_layers=3,
        vision_heads=5,
        patch=14,
        merge=2,
        min_pixels=1,
        max_pixels=10_000,
        max_new_tokens=8,
        per_head=True,
    )
    values.update(changes)
    return VlmAttrs(**values)  # type: ignore[arg-type]


def test_vlm_ranges_follow_the_method() -> None:
    vlm = vlm_attrs()
    assert resolve_slice(vlm, "text", None, 1, None) == SliceSpec("text", 3, 1, None)
    assert resolve_slice(vlm, "mean", None, 4, None) == SliceSpec("mean", 2, 4, None)
    with pytest.raises(InvalidParameter) as error:
        resolve_slice(vlm, "text", None, 2, None)
    assert error.value.allowed == {"min": 0, "max": 1} and "qwen/text" in error.value.message
    with pytest.raises(InvalidParameter) as error:
        resolve_slice(vlm, "mean", 3, None, None)
    assert error.value.allowed == {"min": 0, "max": 2}
    with pytest.raises(InvalidParameter) as error:
        resolve_heads(vlm_attrs(per_head=False), "text", None)
    assert error.value.allowed == []


def test_text_is_for_vlms_only() -> None:
    with pytest.raises(InvalidParameter, match="VLMs only") as error:
        resolve_slice(attrs(), "text", None, None, None)
    assert error.value.allowed == ["cls", "mean", "rollout"]


def test_fuse_layer_is_select_slice_on_one_layer() -> None:
    heads = np.random.default_rng(1).random((2, 3, 4, 5)).astype(np.float16)
    for spec in (SliceSpec("text", 1, 2, None), SliceSpec("text", 1, None, "max")):
        assert np.array_equal(fuse_layer(heads[1], spec), select_slice(heads, spec))
