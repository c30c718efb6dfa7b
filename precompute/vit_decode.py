"""A ViT's CPU stage: read an image and resize it to the model's normalised square input.

No torch and no weights (only values: the gallery, the size, the normalisation), so a decode task
of `--executor ray` that unpickles a `VitDecoder` imports PIL and numpy, not the model side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precompute.work import Decoded, WorkItem
from ssl_attention.data.gallery import ImageDecodeError, decode_in
from ssl_attention.models.preprocess import to_pixels

if TYPE_CHECKING:
    from precompute.options import RunOptions
    from ssl_attention.models.registry import ResolvedModel


class VitDecoder:
    """Decodes an image and resizes it to the model's normalised square input (no weights)."""

    def __init__(self, model: ResolvedModel, options: RunOptions) -> None:
        self.images, self.size = options.images, options.image_size
        self.normalization = model.normalization

    def decode(self, item: WorkItem) -> Decoded:
        try:
            image = decode_in(self.images, item.file.path)
        except ImageDecodeError as error:
            return Decoded(item, error=str(error))
        return Decoded(item, image, to_pixels(image.image, self.size, self.normalization))
