"""Plain value types that more than one layer speaks (models/attention produce them, the store
records them, the API serves them). Nothing here imports torch, zarr or SQLAlchemy, so every
layer may import it without pulling in another layer's machinery."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_MASS = "image_mass"  # a VLM's (T, L, H) float32 share of each text token's attention on the image


@dataclass(frozen=True)
class VlmToken:
    """One stored text token: its id, its text, its role and its position in the sequence."""

    id: int
    text: str
    role: str  # "template" (chat scaffolding, markers), "prompt" or "answer"
    position: int
