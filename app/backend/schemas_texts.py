"""Response bodies of the `/texts` routes (text language models; `schemas.py` holds the rest)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TextSummary(BaseModel):
    text_id: str
    model: str
    category: str = Field(description="the text's category in the texts file (e.g. math, code); '' when none")
    n_tokens: int
    n_generated: int = Field(
        description="tokens the model generated (`precompute --generate N`); 0 when teacher-forced"
    )
    preview: str = Field(description="the text's first characters")


class TextPage(BaseModel):
    texts: list[TextSummary]
    total: int = Field(description="texts matching the filters, over every page")
    limit: int
    offset: int
    categories: list[str] = Field(description="every category the catalog knows, for the filter")


class TextTokenBody(BaseModel):
    id: int = Field(description="the tokenizer's id")
    text: str = Field(description="the token as it reads (decoded)")
    role: str = Field(description="system | user | assistant | tool | text (a plain text) | generated")
    message: int = Field(description="index of the chat message the token belongs to; -1 for plain text")


class TextDetail(BaseModel):
    text_id: str
    model: str
    category: str
    n_tokens: int
    layers: int
    heads: int
    per_head: bool = Field(description="whether per-head rows were stored (`--per-head`); else fused only")
    n_generated: int
    keep_mass: float = Field(description="each stored row keeps its fewest top keys reaching this mass")
    max_keys: int = Field(description="… and at most this many keys")
    overview_block: int = Field(
        description="the smallest block of the pooled overviews (the matrix's `block`)"
    )
    tokens: list[TextTokenBody]


class TextRowBody(BaseModel):
    """One query token's attention: its kept keys (ascending) with their exact probabilities."""

    text_id: str
    model: str
    layer: int
    head: int | None = Field(description="null: fused over heads (mean)")
    query: int
    keys: list[int] = Field(description="kept key token indices, ascending (all ≤ query: causal)")
    values: list[float] = Field(description="their attention probabilities")
    residual: float = Field(description="the mass on the keys not kept: values + residual = 1")
    entropy: float = Field(description="entropy of the full row, in nats")
    sink: float = Field(description="attention on the first token")


class TextMatrixBody(BaseModel):
    """A pooled tile of the token × token matrix (queries down, keys across)."""

    text_id: str
    model: str
    layer: int
    head: int | None
    block: int = Field(description="tokens per pooled cell side")
    reduce: Literal["mean", "max"]
    q0: int
    q1: int
    k0: int
    k1: int
    shape: list[int] = Field(description="[rows, cols] = [ceil((q1-q0)/block), ceil((k1-k0)/block)]")
    values: list[list[float]]


class HeadStatBody(BaseModel):
    layer: int
    head: int = Field(description="the head; -1: the rows fused over heads (their mean)")
    entropy: float = Field(description="mean normalised entropy of the rows (0 focused … 1 uniform)")
    sink: float = Field(description="mean attention on the first token")
    previous_token: float = Field(description="mean attention on the token just before")
    induction: float = Field(
        description="mean attention on the token after an earlier copy of the previous token"
    )
    distance: float = Field(description="mean attention distance in tokens")
    label: str = Field(
        description="the pattern: focused | broad | sink | previous-token (thresholds: docs/texts.md)"
    )


class TextStatsBody(BaseModel):
    text_id: str
    model: str
    layers: int
    heads: int
    stats: list[HeadStatBody]


class TextReceivedBody(BaseModel):
    text_id: str
    model: str
    layer: int
    head: int | None
    values: list[float] = Field(description="per token, the attention every later token pays it (summed)")
