"""The attention store's layout, written down as data.

One Zarr v3 group per model key. Every array is float16, its first axis is the catalog's
row for an image, and it is chunked one image per chunk so that a writer always owns whole
chunks and a reader decodes exactly one image per request.

    <store>/
      <model>/                     attrs: ModelAttrs (checkpoint, weights, grid, layers, ...)
        cls/fused     (n, L, gh, gw)       A[CLS, patches], mean over heads
        cls/heads     (n, L, H, gh, gw)    per head (only with --per-head)
        mean/fused    (n, L, gh, gw)       mean over all query rows of A[:, patches]
        mean/heads    (n, L, H, gh, gw)    per head (only with --per-head)
        rollout/fused (n, L, gh, gw)       attention rollout up to layer l
        pool/fused    (n, 1, gh, gw)       attention-pooling head (SigLIP's MAP probe)
        pool/heads    (n, 1, H, gh, gw)    per head (only with --per-head)
        prefix/heads  (n, L, H, n_prefix)  share of CLS (or mean-query) attention on each prefix token

Nothing here imports torch: the API reads the same description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
STORE_DTYPE = "float16"

# Methods in display order. `prefix` is a diagnostic, not a map on the patch grid.
MAP_METHODS: tuple[str, ...] = ("cls", "mean", "rollout", "pool")
DIAGNOSTIC_METHODS: tuple[str, ...] = ("prefix",)


@dataclass(frozen=True)
class ArraySpec:
    """One array of a model group."""

    method: str
    kind: str  # "fused" or "heads"
    shape: tuple[int, ...]  # without the leading image axis
    dims: tuple[str, ...]  # names of the axes, image axis included

    @property
    def path(self) -> str:
        return f"{self.method}/{self.kind}"

    @property
    def chunks(self) -> tuple[int, ...]:
        return (1, *self.shape)


@dataclass(frozen=True)
class ModelAttrs:
    """The attributes of one model group: everything a reader needs to interpret its arrays."""

    key: str
    family: str
    checkpoint: str
    weights: str  # "pretrained" or "random"
    image_size: int
    patch: int
    grid: tuple[int, int]
    layers: int
    heads: int
    prefix_tokens: tuple[str, ...]  # e.g. ("cls", "reg0", "reg1", "reg2", "reg3"); () for SigLIP
    has_cls: bool
    has_pool: bool
    per_head: bool
    revision: str | None = None
    dtype: str = STORE_DTYPE
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def registers(self) -> int:
        return sum(1 for name in self.prefix_tokens if name.startswith("reg"))

    @property
    def methods(self) -> tuple[str, ...]:
        """Map methods this model has, in display order."""
        available = {"mean", "rollout"}
        if self.has_cls:
            available.add("cls")
        if self.has_pool:
            available.add("pool")
        return tuple(m for m in MAP_METHODS if m in available)

    @property
    def per_head_methods(self) -> tuple[str, ...]:
        """Map methods with per-head arrays (rollout is defined on the head mean only)."""
        if not self.per_head:
            return ()
        return tuple(m for m in self.methods if m != "rollout")

    def method_layers(self, method: str) -> int:
        """Number of layers a method's arrays have (the pooling head is a single layer)."""
        return 1 if method == "pool" else self.layers

    def array_specs(self) -> list[ArraySpec]:
        gh, gw = self.grid
        specs: list[ArraySpec] = []
        for method in self.methods:
            n_layers = self.method_layers(method)
            specs.append(ArraySpec(method, "fused", (n_layers, gh, gw), ("image", "layer", "y", "x")))
            if method in self.per_head_methods:
                specs.append(
                    ArraySpec(
                        method, "heads", (n_layers, self.heads, gh, gw), ("image", "layer", "head", "y", "x")
                    )
                )
        if self.prefix_tokens:
            specs.append(
                ArraySpec(
                    "prefix",
                    "heads",
                    (self.layers, self.heads, len(self.prefix_tokens)),
                    ("image", "layer", "head", "token"),
                )
            )
        return specs

    def to_attrs(self) -> dict[str, Any]:
        attrs = asdict(self)
        attrs["grid"] = list(self.grid)
        attrs["prefix_tokens"] = list(self.prefix_tokens)
        attrs["methods"] = list(self.methods)
        attrs["per_head_methods"] = list(self.per_head_methods)
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> ModelAttrs:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in attrs.items() if k in known}
        values["grid"] = tuple(values["grid"])
        values["prefix_tokens"] = tuple(values["prefix_tokens"])
        return cls(**values)

    def identity(self) -> dict[str, Any]:
        """What must match for a store group to be extended rather than rebuilt."""
        return {
            "family": self.family,
            "checkpoint": self.checkpoint,
            "weights": self.weights,
            "image_size": self.image_size,
            "grid": list(self.grid),
            "layers": self.layers,
            "heads": self.heads,
            "per_head": self.per_head,
            "schema_version": self.schema_version,
        }
