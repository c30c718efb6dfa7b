"""Token layout of a vision transformer's sequence: prefix tokens, then the patch grid in raster order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenLayout:
    """`prefix_tokens` name the tokens before the patches, e.g. ("cls", "reg0", ..., "reg3")."""

    prefix_tokens: tuple[str, ...]
    grid: tuple[int, int]  # (rows, columns) of patches

    @property
    def n_prefix(self) -> int:
        return len(self.prefix_tokens)

    @property
    def has_cls(self) -> bool:
        return bool(self.prefix_tokens) and self.prefix_tokens[0] == "cls"

    @property
    def n_patches(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def n_tokens(self) -> int:
        return self.n_prefix + self.n_patches

    @classmethod
    def vit(cls, *, has_cls: bool, registers: int, image_size: int, patch: int) -> TokenLayout:
        """CLS (optional), then `registers` register tokens, then an image_size/patch square grid."""
        if image_size % patch:
            raise ValueError(f"image size {image_size} is not a multiple of the patch size {patch}")
        side = image_size // patch
        prefix = (("cls",) if has_cls else ()) + tuple(f"reg{i}" for i in range(registers))
        return cls(prefix, (side, side))
