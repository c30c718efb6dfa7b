"""Small builders shared by the suites."""

from __future__ import annotations

from ssl_attention.store.layout import ModelAttrs


def model_attrs(**changes: object) -> ModelAttrs:
    """A toy model group's attributes (a 4×4 grid, 3 layers, 2 heads, CLS + 1 register); override any field."""
    values: dict[str, object] = dict(
        key="toy",
        family="dinov2",
        checkpoint="toy",
        weights="random",
        image_size=16,
        patch=4,
        grid=(4, 4),
        layers=3,
        heads=2,
        prefix_tokens=("cls", "reg0"),
        has_cls=True,
        has_pool=False,
        per_head=True,
    )
    values.update(changes)
    return ModelAttrs(**values)  # type: ignore[arg-type]
