"""What a map request points at, once resolved: an image's maps in a model's group, and (for
models with text tokens) which tokens of which prompt. Plain values, read by every kind."""

from __future__ import annotations

from dataclasses import dataclass

from app.backend.services.store import StoredModel


@dataclass(frozen=True)
class Target:
    """An image whose maps for a model are complete: where they are and what identifies them
    (`row` in the model's group; `sha256`, the image's content hash, is part of every cache key)."""

    image_id: str
    model: StoredModel
    row: int
    sha256: str


@dataclass(frozen=True)
class TokenSpan:
    """A resolved text-token selection (`method=text` of a VLM): a prompt and an inclusive range
    of its text tokens, whose maps are averaged (one token: its stored map as it is)."""

    prompt: int
    first: int
    last: int

    @property
    def label(self) -> str:
        """`t` for one token, `a-b` for a range: what the `token` parameter would say."""
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def tokens(self) -> range:
        return range(self.first, self.last + 1)
