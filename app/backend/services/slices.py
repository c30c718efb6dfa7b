"""Which stored array answers a request, the slice of it, fusion over heads, and number encodings.

Everything here is pure: it takes a model's attributes and decoded chunks, and raises
`InvalidParameter` (with what is allowed) for requests the model cannot answer. Where a kind
differs (how a head error names its scope), its `kinds.KindApi` object says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

import numpy as np

from app.backend.services.errors import InvalidParameter
from app.backend.services.kinds import api_of
from ssl_attention.store.cnn_layout import CNN_METHODS
from ssl_attention.store.layout import MAP_METHODS, VLM_GRADIENT_METHODS, VLM_METHODS, GroupAttrs
from ssl_attention.store.target_layout import GRADROLLOUT

MapMethod = Literal["cls", "mean", "rollout", "pool", "text", "gradrollout", "gradcam"]
Fusion = Literal["mean", "max", "min"]
Normalize = Literal["none", "minmax"]

assert set(get_args(MapMethod)) == {
    *MAP_METHODS,
    *VLM_METHODS,
    *VLM_GRADIENT_METHODS,
    GRADROLLOUT,
    *CNN_METHODS,
}, "MapMethod must list the store's map methods"


@dataclass(frozen=True)
class SliceSpec:
    """A resolved request for one map: `head` None means fused over heads with `fusion`."""

    method: str
    layer: int
    head: int | None
    fusion: Fusion | None  # None exactly when a single head is asked for

    @property
    def array_path(self) -> str:
        """The stored array that answers it: mean fusion is the stored fused array."""
        kind = "fused" if self.head is None and self.fusion == "mean" else "heads"
        return f"{self.method}/{kind}"


def _layer_range(attrs: GroupAttrs, method: str) -> dict[str, int]:
    return {"min": 0, "max": attrs.method_layers(method) - 1}


def check_method(attrs: GroupAttrs, method: str) -> None:
    if method in attrs.methods:
        return
    why = {
        "cls": f"{attrs.key} has no CLS token",
        "pool": f"{attrs.key} has no attention-pooling head",
        "text": f"{attrs.key} is a vision transformer (text-to-image maps exist for VLMs only)",
        GRADROLLOUT: f"{attrs.key} has no gradrollout target (precompute --target-text for CLIP/SigLIP)",
    }.get(method, f"{attrs.key} has no '{method}' maps")
    raise InvalidParameter(
        "method",
        f"method '{method}' is not available: {why}; allowed: {', '.join(attrs.methods)}",
        list(attrs.methods),
    )


def resolve_layer(attrs: GroupAttrs, method: str, layer: int | None) -> int:
    """The requested layer, or the last one; raises when out of range."""
    n_layers = attrs.method_layers(method)
    if layer is None:
        return n_layers - 1
    if not 0 <= layer < n_layers:
        raise InvalidParameter(
            "layer",
            f"layer {layer} is out of range for {attrs.key}/{method} ({n_layers} layers): "
            f"allowed 0..{n_layers - 1}",
            _layer_range(attrs, method),
        )
    return layer


def require_per_head(attrs: GroupAttrs, method: str, parameter: str, asked: str) -> None:
    """Raise unless `method` has per-head arrays; `asked` says what needed them."""
    if method in attrs.per_head_methods:
        return
    if method == "rollout":
        why = "rollout is defined on the mean over heads only, so it has no per-head maps"
    elif not attrs.per_head:
        why = (
            f"per-head maps of {attrs.key} were not precomputed "
            f"(rerun `precompute --models {attrs.key} --per-head --force`)"
        )
    else:
        why = f"{attrs.key}/{method} has no per-head maps"
    allowed = list(attrs.per_head_methods)
    raise InvalidParameter(
        parameter,
        f"{asked} needs per-head data: {why}; methods with per-head data: {', '.join(allowed) or 'none'}",
        allowed,
    )


def resolve_slice(
    attrs: GroupAttrs, method: str, layer: int | None, head: int | None, fusion: Fusion | None
) -> SliceSpec:
    """Validate a map request against the model and fill in the defaults."""
    check_method(attrs, method)
    resolved_layer = resolve_layer(attrs, method, layer)
    if head is None:
        chosen: Fusion = fusion or "mean"
        if chosen != "mean":
            require_per_head(attrs, method, "fusion", f"fusion={chosen}")
        return SliceSpec(method, resolved_layer, None, chosen)
    if fusion not in (None, "mean"):
        raise InvalidParameter(
            "fusion",
            f"fusion={fusion} combines heads; it cannot be used with head={head}: "
            "omit head for a fused map, or omit fusion for one head",
            ["mean"],
        )
    require_per_head(attrs, method, "head", f"head={head}")
    check_head(attrs, method, head)
    return SliceSpec(method, resolved_layer, head, None)


def check_head(attrs: GroupAttrs, method: str, head: int) -> None:
    """Raise unless `head` is one of the heads of `method`'s arrays."""
    n_heads = attrs.method_heads(method)
    if not 0 <= head < n_heads:
        where = api_of(attrs).head_scope(attrs, method)
        raise InvalidParameter(
            "head",
            f"head {head} is out of range for {where} ({n_heads} heads): allowed 0..{n_heads - 1}",
            {"min": 0, "max": n_heads - 1},
        )


def resolve_heads(attrs: GroupAttrs, method: str, layer: int | None) -> SliceSpec:
    """Validate a request for every head of one layer."""
    check_method(attrs, method)
    resolved_layer = resolve_layer(attrs, method, layer)
    require_per_head(attrs, method, "method", "all heads of a layer")
    return SliceSpec(method, resolved_layer, None, None)


def select_slice(chunk: np.ndarray, spec: SliceSpec) -> np.ndarray:
    """The (gh, gw) map of `spec` from the chunk of `spec.array_path`, as float16."""
    return fuse_layer(chunk[spec.layer], spec)


def fuse_layer(values: np.ndarray, spec: SliceSpec) -> np.ndarray:
    """The (gh, gw) map of `spec` from one layer of `spec.array_path`: (gh, gw) for the stored
    fused array, (H, gh, gw) for the heads array."""
    if spec.head is not None:
        return values[spec.head]
    if spec.fusion == "mean":
        return values
    fused = values.max(axis=0) if spec.fusion == "max" else values.min(axis=0)
    return fused.astype(np.float16, copy=False)


def normalize(values: np.ndarray, mode: Normalize, axes: tuple[int, ...] | None = None) -> np.ndarray:
    """`minmax` rescales to [0, 1] (over `axes`, default all); a constant map becomes zeros."""
    if mode == "none":
        return values
    wide = values.astype(np.float32)
    low = wide.min(axis=axes, keepdims=True)
    span = wide.max(axis=axes, keepdims=True) - low
    scaled = np.divide(wide - low, span, out=np.zeros_like(wide), where=span > 0)
    return scaled.astype(np.float16)


@cache
def _shortest_floats() -> np.ndarray:
    """For every float16 bit pattern, the float64 with the shortest decimal that rounds back to it."""
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    return every.astype(str).astype(np.float64)


def json_floats(values: np.ndarray) -> list[float]:
    """Float16 values as Python floats whose JSON text is short (`0.01862`, not `0.018615722...`).

    Each parses back to exactly the same float16, so JSON and `format=f16` bodies agree.
    """
    bits = np.ascontiguousarray(values, dtype=np.float16).view(np.uint16)
    floats: list[float] = _shortest_floats()[bits.ravel()].tolist()
    return floats


def json_float32s(values: np.ndarray) -> list[float]:
    """Float32 values as the shortest decimals that parse back to the same float32."""
    floats: list[float] = np.asarray(values, dtype=np.float32).astype(str).astype(np.float64).tolist()
    return floats


def json_float(value: np.floating | float) -> float:
    return json_floats(np.asarray([value], dtype=np.float16))[0]


def f16_bytes(values: np.ndarray) -> bytes:
    """Row-major little-endian float16 bytes."""
    return np.ascontiguousarray(values, dtype="<f2").tobytes()
