"""The kinds of model the project knows, as one table.

A kind is a row, not a branch: everything that differs between a vision transformer and a
vision-language model (and, later, a text language model or a CNN) is named in its row here
and implemented in that kind's own modules. Code that must act differently per kind looks the
row up (`kind_of(attrs)`, `KINDS[name]`) and calls what the row names; it never asks
`isinstance(attrs, …)`.

This module imports nothing heavy (no torch, no SQLAlchemy): the API, precompute and metrics
all read it. The hooks of layers above it (precompute, the API, metrics) are named as
`"module:attribute"` strings and imported on first use by `Kind.hook`, so the table does not
pull those layers in — and a layer that never asks for a hook never imports it.

Adding a kind: write its attrs class (store/layout.py), its adapter(s) (models/), its precompute
module, its API description, its scorer and its shift reader; then add one row below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from ssl_attention.store.cnn_layout import CNN_METHODS, CnnAttrs
from ssl_attention.store.layout import (
    MAP_METHODS,
    VLM_GRADIENT_METHODS,
    VLM_METHODS,
    GroupAttrs,
    VitAttrs,
    VlmAttrs,
)
from ssl_attention.store.target_layout import GRADROLLOUT
from ssl_attention.store.text_layout import LmAttrs


@dataclass(frozen=True)
class Kind:
    """One kind of model: how its store group is described, run, shown and scored."""

    name: str  # the `kind` attribute of its store groups, and a `--models` selector
    attrs: type[VitAttrs] | type[VlmAttrs] | type[LmAttrs]  # the group's attrs class (store/layout.py)
    methods: tuple[str, ...]  # every map method a group of this kind can have, in display order
    description: str  # one line for `/models`, `precompute --help` and docs/architecture.md
    precompute: str  # "module:attr" of the kind's precompute runner (precompute/<kind>.py)
    api: str  # "module:attr" of the kind's API hooks (`/models` entry, map reads)
    scorer: str  # "module:attr" of the function that scores a group against ground truth
    shift: str  # "module:attr" of the function that reads an image's maps to compare with a base
    # "module:attr" of the loader `precompute --faithfulness` scores the kind's models with
    # (`precompute/faithfulness.py`); None: the kind has no faithfulness target and is skipped.
    faithfulness: str | None = None

    def hook(self, which: str) -> Any:
        """The object a hook field names, imported on first use (`which`: precompute, api, scorer,
        shift, faithfulness)."""
        target = getattr(self, which)
        if target is None:
            raise LookupError(f"the {self.name} kind has no {which} hook")
        return _load(target)


@cache
def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="vit",
            attrs=VitAttrs,
            methods=(*MAP_METHODS, GRADROLLOUT),  # gradrollout: models with a target (store/target_layout.py)
            description="vision transformer: where the CLS token, every query, the rollout and the pooling head look",
            precompute="precompute.vit:RUNNER",
            api="app.backend.services.kinds:VIT",
            scorer="ssl_attention.metrics.compute:score_vit_group",
            shift="ssl_attention.metrics.shift:vit_maps",
            faithfulness="precompute.faithfulness:load_vit",
        ),
        Kind(
            name="vlm",
            attrs=VlmAttrs,
            methods=VLM_METHODS + VLM_GRADIENT_METHODS,
            description="vision-language model: each text token's attention to the image, and the vision tower's maps",
            precompute="precompute.vlm:RUNNER",
            api="app.backend.services.kinds:VLM",
            scorer="ssl_attention.metrics.compute:score_vlm_group",
            shift="ssl_attention.metrics.shift:vlm_maps",
        ),
        Kind(
            name="lm",
            attrs=LmAttrs,
            methods=(),
            description="text language model: which earlier tokens each token attends to, per layer and head",
            precompute="precompute.lm:RUNNER",
            api="app.backend.services.kinds:LM",
            scorer="ssl_attention.metrics.texts:score_lm_group",
            shift="ssl_attention.metrics.texts:lm_maps",
        ),
        Kind(
            name="cnn",
            attrs=CnnAttrs,
            methods=CNN_METHODS,
            description="convolutional network: Grad-CAM of the target class on the last stage's grid",
            precompute="precompute.cnn:RUNNER",
            api="app.backend.services.kinds:CNN",
            # a CNN group is laid out like a ViT group (one row per image): the same readers score it
            scorer="ssl_attention.metrics.compute:score_vit_group",
            shift="ssl_attention.metrics.shift:vit_maps",
            faithfulness="precompute.faithfulness:load_vit",
        ),
    )
}


class UnknownKindError(ValueError):
    """A store group or registry entry names a kind this version does not know."""


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(
            f"unknown model kind '{name}'; this version knows {', '.join(KINDS)}"
        ) from None


def kind_of(attrs: GroupAttrs) -> Kind:
    """The row of a store group's attrs."""
    return kind_named(attrs.kind)


def group_attrs_from(attrs: dict[str, Any]) -> GroupAttrs:
    """A group's attrs as its kind's class (groups written before kinds were recorded are ViTs)."""
    return kind_named(str(attrs.get("kind", VitAttrs.kind))).attrs.from_attrs(attrs)
