"""The API's kind dispatch: every KINDS row's `api` hook is a complete `KindApi`, app/backend asks
it (never the attrs class) what differs, and a new kind needs nothing but its own object."""

from __future__ import annotations

import ast
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import app.backend
from app.backend.routers.models import model_info
from app.backend.services import kinds as api_kinds
from app.backend.services.attention import MapRequest, read_heads, read_map
from app.backend.services.errors import InvalidParameter
from app.backend.services.kinds import VIT, KindApi, PrefixTokens, api_of
from app.backend.services.slices import resolve_heads, resolve_slice
from app.backend.services.store import AttentionStore, StoredModel
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.kinds import KINDS, Kind
from ssl_attention.store.cnn_layout import CnnAttrs
from ssl_attention.store.layout import MAP_METHODS, GroupAttrs, VitAttrs, VlmAttrs
from ssl_attention.store.text_layout import LmAttrs
from tests.factories import model_attrs

BACKEND = Path(app.backend.__file__).parent
KIND_MODULES = {BACKEND / "services" / f"{kind}.py" for kind in ("vit", "vlm", "cnn")}


def vlm_attrs() -> VlmAttrs:
    return VlmAttrs(
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
        prompts=("Describe it.",),
    )


def cnn_attrs() -> CnnAttrs:
    vit = model_attrs(key="resnet", prefix_tokens=(), has_cls=False, layers=1, heads=0, patch=32)
    return CnnAttrs(**{f.name: getattr(vit, f.name) for f in fields(vit)}, target_class=3)


def lm_attrs() -> LmAttrs:
    return LmAttrs(
        key="sample-lm",
        family="llama",
        checkpoint="synthetic",
        weights="random",
        layers=4,
        heads=8,
        kv_heads=2,
        context=4096,
        per_head=True,
        keep_mass=0.99,
        max_keys=32,
    )


SAMPLES: dict[str, GroupAttrs] = {
    "vit": model_attrs(),
    "vlm": vlm_attrs(),
    "cnn": cnn_attrs(),
    "lm": lm_attrs(),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_row_names_a_complete_api_object(name: str) -> None:
    row = KINDS[name]
    api = row.hook("api")
    assert isinstance(api, KindApi), f"{row.api} lacks part of KindApi"
    assert api.name == name and api is getattr(api_kinds, name.upper())
    assert set(api.span_methods) <= set(row.methods)
    assert set(api.target_methods) <= set(row.methods) and not set(api.target_methods) & set(api.span_methods)
    attrs = SAMPLES[name]
    assert api_of(attrs) is api
    info = model_info(StoredModel(attrs, "fingerprint"))  # the kind's fields complete a /models entry
    assert info.kind == name and info.key == attrs.key and info.base_key == attrs.base_key


def test_what_differs_by_kind() -> None:
    vit, vlm = SAMPLES["vit"], SAMPLES["vlm"]
    assert api_of(vit).span_methods == () and api_of(vlm).span_methods == ("text", "gradrollout")
    assert api_of(vit).prefix(vit) == PrefixTokens("cls", ("cls", "reg0"))
    with pytest.raises(InvalidParameter, match="no CLS token, no registers"):
        api_of(vit).prefix(model_attrs(prefix_tokens=(), has_cls=False))
    with pytest.raises(InvalidParameter, match="is a VLM"):
        api_of(vlm).prefix(vlm)
    assert api_of(vit).head_scope(vit, "cls") == "toy" and api_of(vlm).head_scope(vlm, "mean") == "qwen/mean"
    assert model_info(StoredModel(vlm, "f")).prompts == ["Describe it."]
    assert model_info(StoredModel(vit, "f")).grid == [4, 4]
    cnn = SAMPLES["cnn"]
    with pytest.raises(InvalidParameter, match="is a CNN"):
        api_of(cnn).prefix(cnn)
    info = model_info(StoredModel(cnn, "f"))
    assert (info.kind, info.methods, info.layers, info.heads, info.per_head_methods) == (
        "cnn",
        ["gradcam"],
        1,
        0,
        [],
    )


def isinstance_of_attrs(node: ast.AST) -> bool:
    """`isinstance(x, SomethingAttrs)` or `isinstance(x, (…Attrs, …))`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"):
        return False
    classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
    return any(isinstance(c, ast.Name) and c.id.endswith("Attrs") for c in classes)


def test_no_kind_branches_outside_the_kind_modules() -> None:
    found = []
    for path in sorted(BACKEND.rglob("*.py")):
        if path in KIND_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            is_vlm = isinstance(node, (ast.Attribute, ast.Name)) and "is_vlm" in ast.unparse(node)
            if isinstance_of_attrs(node) or is_vlm:
                found.append(f"{path.relative_to(BACKEND)}:{getattr(node, 'lineno', '?')}")
    assert found == [], f"kind checks outside services/vit.py and services/vlm.py: {found}"
    assert any(isinstance_of_attrs(n) for n in ast.walk(ast.parse((BACKEND / "services/vit.py").read_text())))


# --- a third kind: one row and one object, nothing else -------------------------------------------


@dataclass(frozen=True)
class ToyAttrs(VitAttrs):
    """A made-up kind whose groups are laid out like a ViT's (so the real attrs code serves it)."""

    kind: ClassVar[str] = "toy"


@dataclass
class ToyApi:
    """A kind's API object, written apart from the app: its maps come from memory."""

    maps: dict[str, np.ndarray]
    name: str = "toy"
    noun: str = "a toy"
    span_methods: tuple[str, ...] = ()
    target_methods: tuple[str, ...] = ()  # no per-target maps (gradrollout is a ViT's)

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        return {**VIT.info(attrs), "kind": "vit", "grid": [9, 9], "prefix_tokens": ["toy"]}

    def head_scope(self, attrs: GroupAttrs, method: str) -> str:
        return f"toy model {attrs.key}"

    def read_layer(
        self,
        store: AttentionStore,
        target: Target,
        method: str,
        layer: int,
        array_path: str,
        span: TokenSpan | None,
    ) -> np.ndarray:
        return self.maps[array_path][layer]

    def prefix(self, attrs: GroupAttrs) -> PrefixTokens:
        return PrefixTokens("mean", ("toy",))

    def read_prefix(self, store: AttentionStore, target: Target) -> np.ndarray:
        return np.zeros((1, 1, 1), np.float16)


rng = np.random.default_rng(3)
TOY = ToyApi(
    {
        "cls/heads": rng.random((3, 2, 4, 4)).astype(np.float16),
        "cls/fused": rng.random((3, 4, 4)).astype(np.float16),
    }
)


def test_a_new_kind_needs_only_its_row_and_its_object(monkeypatch: pytest.MonkeyPatch) -> None:
    row = Kind("toy", ToyAttrs, MAP_METHODS, "a toy", "-", f"{__name__}:TOY", "-", "-")
    monkeypatch.setitem(KINDS, "toy", row)
    attrs = ToyAttrs(**{**model_attrs().__dict__, "key": "toy-1"})
    assert isinstance(TOY, KindApi) and api_of(attrs) is TOY
    stored = StoredModel(attrs, "f")
    store = AttentionStore("memory://never-opened", cache_bytes=0, models_ttl=0)
    target = Target("img", stored, 0, "0" * 64)

    spec = resolve_slice(attrs, "cls", 1, None, "max")
    got = read_map(store, MapRequest(target, spec), "minmax")
    fused = TOY.maps["cls/heads"][1].astype(np.float32).max(axis=0)
    expected = (fused - fused.min()) / (fused.max() - fused.min())
    np.testing.assert_allclose(got.values.astype(np.float32), expected, atol=1e-3)
    assert got.low == fused.min() and got.high == fused.max()

    heads = read_heads(store, MapRequest(target, resolve_heads(attrs, "cls", 2)), "none")
    assert np.array_equal(heads.values, TOY.maps["cls/heads"][2])
    assert np.array_equal(heads.head_high, TOY.maps["cls/heads"][2].max(axis=(1, 2)))

    with pytest.raises(InvalidParameter, match="out of range for toy model toy-1"):
        resolve_slice(attrs, "cls", 0, 5, None)
    info = model_info(stored)
    assert (info.key, info.grid, info.prefix_tokens) == ("toy-1", [9, 9], ["toy"])
