"""The attention store's layout, written down as data.

One Zarr v3 group per model key. Every array is float16, its first axis is the catalog's
row for an image, and it is chunked one image per chunk so that a writer always owns whole
chunks and a reader decodes exactly one image per request.

    <store>/
      <model>/                     attrs: VitAttrs (checkpoint, weights, grid, layers, ...)
        cls/fused     (n, L, gh, gw)       A[CLS, patches], mean over heads
        cls/heads     (n, L, H, gh, gw)    per head (only with --per-head)
        mean/fused    (n, L, gh, gw)       mean over all query rows of A[:, patches]
        mean/heads    (n, L, H, gh, gw)    per head (only with --per-head)
        rollout/fused (n, L, gh, gw)       attention rollout up to layer l
        pool/fused    (n, 1, gh, gw)       attention-pooling head (SigLIP's MAP probe)
        pool/heads    (n, 1, H, gh, gw)    per head (only with --per-head)
        prefix/heads  (n, L, H, n_prefix)  share of CLS (or mean-query) attention on each prefix token

VLM groups (`kind: vlm`, attrs: VlmAttrs) have one subgroup per image, because token counts
and grids differ from image to image (see `VlmAttrs` below).

Nothing here imports torch: the API reads the same description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

from ssl_attention.store.adapter_record import adapter_identity as adapter_identity  # re-exported
from ssl_attention.store.target_layout import GRADROLLOUT, target_methods
from ssl_attention.store.text_layout import LmAttrs
from ssl_attention.values import IMAGE_MASS as IMAGE_MASS  # re-exported: the layout names its arrays
from ssl_attention.values import VlmToken

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
class VitAttrs:
    """The attributes of one ViT model group: everything a reader needs to interpret its arrays."""

    kind: ClassVar[str] = "vit"

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
    base_key: str = ""  # the registry key it is built like; `key` is the name it is stored under
    adapter: dict[str, Any] | None = None  # a PEFT adapter on `checkpoint`'s weights (see adapter_identity)
    shard_images: int | None = None  # images per shard (`store/shards.py`); None: one object per image
    targets: tuple[
        str, ...
    ] = ()  # gradrollout's targets, index k = `gradrollout/<k>` (store/target_layout.py)

    def __post_init__(self) -> None:
        if not self.base_key:  # a model stored under its own registry key (and stores before variants)
            object.__setattr__(self, "base_key", self.key)

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
        return tuple(m for m in MAP_METHODS if m in available) + ((GRADROLLOUT,) if self.targets else ())

    @property
    def per_head_methods(self) -> tuple[str, ...]:
        """Map methods with per-head arrays (rollout is defined on the head mean only)."""
        if not self.per_head:
            return ()
        return tuple(m for m in self.methods if m not in ("rollout", GRADROLLOUT))

    def method_layers(self, method: str) -> int:
        """Number of layers a method's arrays have (the pooling head is a single layer)."""
        return 1 if method in ("pool", GRADROLLOUT) else self.layers

    def method_heads(self, method: str) -> int:
        return self.heads

    def array_specs(self) -> list[ArraySpec]:
        gh, gw = self.grid
        specs: list[ArraySpec] = []
        for method in (m for m in self.methods if m != GRADROLLOUT):  # its arrays are per target
            n_layers = self.method_layers(method)
            specs.append(ArraySpec(method, "fused", (n_layers, gh, gw), ("image", "layer", "y", "x")))
            if method in self.per_head_methods:
                specs.append(
                    ArraySpec(
                        method, "heads", (n_layers, self.heads, gh, gw), ("image", "layer", "head", "y", "x")
                    )
                )
        specs += [
            ArraySpec(m, "fused", (1, gh, gw), ("image", "layer", "y", "x"))
            for m in target_methods(self.targets)
        ]
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
        attrs["kind"] = self.kind
        attrs["grid"] = list(self.grid)
        attrs["prefix_tokens"] = list(self.prefix_tokens)
        attrs["targets"] = list(self.targets)
        attrs["methods"] = list(self.methods)
        attrs["per_head_methods"] = list(self.per_head_methods)
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> VitAttrs:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in attrs.items() if k in known}
        values["grid"] = tuple(values["grid"])
        values["prefix_tokens"] = tuple(values["prefix_tokens"])
        values["targets"] = tuple(values.get("targets", ()))
        return cls(**values)

    def identity(self) -> dict[str, Any]:
        """What must match for a store group to be extended rather than rebuilt."""
        return {
            "base_key": self.base_key,
            "family": self.family,
            "checkpoint": self.checkpoint,
            "weights": self.weights,
            "image_size": self.image_size,
            "grid": list(self.grid),
            "layers": self.layers,
            "heads": self.heads,
            "per_head": self.per_head,
            "schema_version": self.schema_version,
            "adapter": adapter_identity(self.adapter),
            "shard_images": self.shard_images,
        }


# --- VLMs --------------------------------------------------------------------------------------
#
#     <store>/<model>/                          attrs: VlmAttrs (kind "vlm", prompts, ...)
#       samples/<row>/                          attrs: VlmImageAttrs (image id, grids, resized size)
#         mean/fused     (Lv, vgh, vgw)         vision tower: mean over query rows (pre-merge grid)
#         mean/heads     (Lv, Hv, vgh, vgw)     per head (only with --per-head)
#         rollout/fused  (Lv, vgh, vgw)         vision tower rollout (no CLS: mean over rows)
#         prompts/<k>/                          attrs: VlmPromptAttrs (prompt, answer, tokens)
#           text/fused   (T, L, gh, gw)         A[t, image tokens] on the merged grid, mean over heads
#           text/heads   (T, L, H, gh, gw)      per head (only with --per-head)
#           image_mass   (T, L, H)  float32     Σ over image tokens of A[t, ·]: the share on the image
#
# <row> is the catalog's row for the image, <k> the prompt's index in VlmAttrs.prompts. Text
# arrays are chunked one token per chunk, so a map request decodes one token's layers; the
# vision arrays are one chunk each. A writer owns a whole `samples/<row>` group.

VLM_METHODS: tuple[str, ...] = ("text", "mean", "rollout")
VLM_GRADIENT_METHODS: tuple[str, ...] = ("gradrollout",)  # with --answer-token (store/vlm_relevance.py)
TOKEN_ROLES: tuple[str, ...] = ("template", "prompt", "answer")


@dataclass(frozen=True)
class VlmAttrs:
    """The attributes of one VLM model group (language model + vision tower)."""

    kind: ClassVar[str] = "vlm"

    key: str
    family: str
    checkpoint: str
    weights: str
    layers: int  # language-model layers (method `text`)
    heads: int  # language-model query heads
    vision_layers: int  # vision-tower blocks (methods `mean`, `rollout`)
    vision_heads: int
    patch: int
    merge: int  # spatial merge: one image token = merge × merge patches
    min_pixels: int
    max_pixels: int
    max_new_tokens: int
    per_head: bool
    prompts: tuple[str, ...] = ()  # every prompt ever run for this group; index = `prompts/<k>`
    revision: str | None = None
    dtype: str = STORE_DTYPE
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    base_key: str = ""  # the registry key it is built like; `key` is the name it is stored under
    adapter: dict[str, Any] | None = None  # a PEFT adapter on `checkpoint`'s weights (see adapter_identity)
    answer_from: str | None = None  # the model whose answers this one is teacher-forced through
    answer_token: int | None = None  # gradrollout explains this answer token (None: no gradrollout)

    def __post_init__(self) -> None:
        if not self.base_key:  # a model stored under its own registry key (and stores before variants)
            object.__setattr__(self, "base_key", self.key)

    @property
    def methods(self) -> tuple[str, ...]:
        return VLM_METHODS if self.answer_token is None else VLM_METHODS + VLM_GRADIENT_METHODS

    @property
    def per_head_methods(self) -> tuple[str, ...]:
        return ("text", "mean") if self.per_head else ()

    def method_layers(self, method: str) -> int:
        return (
            self.layers if method == "text" else 1 if method in VLM_GRADIENT_METHODS else self.vision_layers
        )

    def method_heads(self, method: str) -> int:
        return self.heads if method == "text" else 0 if method in VLM_GRADIENT_METHODS else self.vision_heads

    def with_prompts(self, prompts: tuple[str, ...]) -> VlmAttrs:
        """These attrs with `prompts` appended to the known ones (order kept, no duplicates)."""
        known = list(self.prompts)
        known += [p for p in prompts if p not in known]
        return replace(self, prompts=tuple(known))

    def prompt_index(self, prompt: str) -> int:
        return self.prompts.index(prompt)

    def to_attrs(self) -> dict[str, Any]:
        attrs = asdict(self)
        attrs["kind"] = self.kind
        attrs["prompts"] = list(self.prompts)
        attrs["methods"] = list(self.methods)
        attrs["per_head_methods"] = list(self.per_head_methods)
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> VlmAttrs:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in attrs.items() if k in known}
        values["prompts"] = tuple(values.get("prompts", ()))
        return cls(**values)

    def identity(self) -> dict[str, Any]:
        """What must match for a group to be extended (new images, new prompts) rather than rebuilt."""
        return {
            "base_key": self.base_key,
            "family": self.family,
            "checkpoint": self.checkpoint,
            "weights": self.weights,
            "layers": self.layers,
            "heads": self.heads,
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
            "max_new_tokens": self.max_new_tokens,
            "per_head": self.per_head,
            "schema_version": self.schema_version,
            "adapter": adapter_identity(self.adapter),
            "answer_from": self.answer_from,
            "answer_token": self.answer_token,
        }

    # --- where things are -------------------------------------------------------------------

    @staticmethod
    def sample_path(row: int) -> str:
        return f"samples/{row}"

    @staticmethod
    def prompt_path(row: int, prompt_index: int) -> str:
        return f"samples/{row}/prompts/{prompt_index}"

    def vision_specs(self, vision_grid: tuple[int, int]) -> list[ArraySpec]:
        """Arrays of `samples/<row>` (no image axis: the group is the image)."""
        vgh, vgw = vision_grid
        specs = [ArraySpec("mean", "fused", (self.vision_layers, vgh, vgw), ("layer", "y", "x"))]
        if self.per_head:
            specs.append(
                ArraySpec(
                    "mean",
                    "heads",
                    (self.vision_layers, self.vision_heads, vgh, vgw),
                    ("layer", "head", "y", "x"),
                )
            )
        specs.append(ArraySpec("rollout", "fused", (self.vision_layers, vgh, vgw), ("layer", "y", "x")))
        return specs

    def text_specs(self, n_tokens: int, grid: tuple[int, int]) -> list[ArraySpec]:
        """Arrays of `samples/<row>/prompts/<k>`; the first axis is the token."""
        gh, gw = grid
        specs = [ArraySpec("text", "fused", (n_tokens, self.layers, gh, gw), ("token", "layer", "y", "x"))]
        if self.per_head:
            specs.append(
                ArraySpec(
                    "text",
                    "heads",
                    (n_tokens, self.layers, self.heads, gh, gw),
                    ("token", "layer", "head", "y", "x"),
                )
            )
        return specs


def vlm_chunks(spec: ArraySpec) -> tuple[int, ...]:
    """Text arrays: one token per chunk; vision arrays: one chunk."""
    if spec.method == "text":
        return (1, *spec.shape[1:])
    return spec.shape


@dataclass(frozen=True)
class VlmSampleAttrs:
    """The attrs of `samples/<row>` (per image) and of `prompts/<k>` (per prompt) together."""

    image_id: str
    grid: tuple[int, int]  # merged grid of the text maps (image tokens in raster order)
    vision_grid: tuple[int, int]  # patch grid of the vision-tower maps (= merge × grid)
    resized: tuple[int, int]  # (height, width) in pixels the processor fed the model
    image_tokens: tuple[int, int] = (0, 0)  # [start, stop) positions of the image tokens in the sequence

    def to_attrs(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "grid": list(self.grid),
            "vision_grid": list(self.vision_grid),
            "resized": list(self.resized),
            "image_tokens": list(self.image_tokens),
        }

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> VlmSampleAttrs:
        return cls(
            image_id=str(attrs["image_id"]),
            grid=(int(attrs["grid"][0]), int(attrs["grid"][1])),
            vision_grid=(int(attrs["vision_grid"][0]), int(attrs["vision_grid"][1])),
            resized=(int(attrs["resized"][0]), int(attrs["resized"][1])),
            image_tokens=(int(attrs["image_tokens"][0]), int(attrs["image_tokens"][1])),
        )


@dataclass(frozen=True)
class VlmPromptAttrs:
    """`answer`: the text of the stored answer tokens — with `answer_from` set, the ids that model
    generated (this one was teacher-forced through them); `own_answer`: this model's own answer."""

    prompt: str
    answer: str
    tokens: tuple[VlmToken, ...]
    answer_from: str | None = None
    own_answer: str | None = None
    text_id: str | None = None  # its prompt and answer tokens' text → text attention (`<vlm>/texts/<id>`)

    def __post_init__(self) -> None:
        if self.own_answer is None:
            object.__setattr__(self, "own_answer", self.answer)

    def to_attrs(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "answer": self.answer,
            "tokens": [asdict(t) for t in self.tokens],
            "answer_from": self.answer_from,
            "own_answer": self.own_answer,
            "text_id": self.text_id,
        }

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> VlmPromptAttrs:
        own = attrs.get("own_answer")
        return cls(
            prompt=str(attrs["prompt"]),
            answer=str(attrs["answer"]),
            tokens=tuple(VlmToken(**t) for t in attrs["tokens"]),
            answer_from=attrs.get("answer_from"),
            own_answer=None if own is None else str(own),
            text_id=attrs.get("text_id"),
        )


GroupAttrs = VitAttrs | VlmAttrs | LmAttrs
