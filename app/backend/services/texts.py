"""Texts of causal language models as the API sees them: the `/texts` routes' reads.

The store keeps, per model and text, the tokens, each query row's kept keys (the fewest top keys
reaching the keep mass) with their probabilities, residual mass, entropy and sink share, block-pooled
overviews for the matrix view and per-head statistics (`ssl_attention.store.texts`). This module
opens that reader lazily (the service starts before any text is precomputed), checks every
client-supplied index against what the text has (`InvalidParameter` with the allowed range: 400),
and maps a missing text to `TextMissing` (404) and an unreadable store to `Unavailable` (503).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from app.backend.services.errors import InvalidParameter, ServiceError, Unavailable
from app.backend.services.store import READ_ERRORS
from ssl_attention.store.texts import HeadStat, TextAttentionReader, TextInfo, TextRow, TextToken

MAX_TILE_CELLS = 512 * 512  # cells of one /matrix tile (the web app asks for 256 × 256)
MAX_BLOCK = 1 << 16
MAX_INFOS = 4096  # texts whose info is kept (cleared when full)
Reduce = Literal["mean", "max"]
T = TypeVar("T")


class TextMissing(ServiceError):
    """The model has no such text (404)."""


@dataclass(frozen=True)
class Tile:
    """A pooled window of the token × token matrix: `values[i, j]` pools queries
    `q0 + i·block …` and keys `k0 + j·block …` (a partial last block pools what there is)."""

    block: int
    q0: int
    q1: int
    k0: int
    k1: int
    reduce: Reduce
    values: np.ndarray  # float32 (rows, cols)


class TextStore:
    """The text reader of the store at `url`, opened on first use. Thread-safe. A text's info is
    reused for `info_ttl` seconds (a rerun of precompute shows up after that), so a route reads
    only what it serves."""

    def __init__(self, url: str, info_ttl: float = 2.0) -> None:
        self.url = url
        self.info_ttl = info_ttl
        self._reader: TextAttentionReader | None = None
        self._lock = threading.Lock()
        self._infos: dict[tuple[str, str], tuple[float, TextInfo]] = {}

    def _open(self) -> TextAttentionReader:
        with self._lock:
            if self._reader is None:
                try:
                    self._reader = TextAttentionReader(self.url, text_ttl=self.info_ttl)
                except READ_ERRORS as error:
                    raise Unavailable(
                        f"the attention store at {self.url} cannot be opened for texts ({type(error).__name__})"
                    ) from None
            return self._reader

    def info(self, model: str, text_id: str) -> TextInfo:
        now = time.monotonic()
        cached = self._infos.get((model, text_id))
        if cached is not None and now - cached[0] < self.info_ttl:
            return cached[1]
        info = self._read_info(model, text_id)
        if len(self._infos) >= MAX_INFOS:
            self._infos.clear()
        self._infos[model, text_id] = (now, info)
        return info

    def _read_info(self, model: str, text_id: str) -> TextInfo:
        try:
            return self._open().info(model, text_id)
        except KeyError:
            raise TextMissing(
                f"no text {_quoted(text_id)} for model {_quoted(model)}; list them with GET /texts?model={model}"
            ) from None
        except READ_ERRORS as error:
            raise _unreadable(model, text_id, error) from None

    def tokens(self, info: TextInfo) -> list[TextToken]:
        return self._guarded(info, lambda r: list(r.tokens(info.model, info.text_id)))

    def row(self, info: TextInfo, layer: int, head: int | None, query: int) -> TextRow:
        check_layer_head(info, layer, head)
        check_index(info, "query", query)
        return self._guarded(info, lambda r: r.row(info.model, info.text_id, layer, head, query))

    def stats(self, info: TextInfo) -> list[HeadStat]:
        return self._guarded(info, lambda r: list(r.stats(info.model, info.text_id)))

    def received(self, info: TextInfo, layer: int, head: int | None) -> np.ndarray:
        check_layer_head(info, layer, head)
        return self._guarded(
            info, lambda r: np.asarray(r.received(info.model, info.text_id, layer, head), np.float32)
        )

    def matrix(
        self,
        info: TextInfo,
        layer: int,
        head: int | None,
        block: int,
        window: tuple[int, int, int, int],
        reduce: Reduce,
    ) -> Tile:
        check_layer_head(info, layer, head)
        q0, q1, k0, k1 = check_window(info, block, window)

        def read(r: TextAttentionReader) -> np.ndarray:
            return np.asarray(
                r.matrix(info.model, info.text_id, layer, head, block, q0, q1, k0, k1, reduce=reduce),
                dtype=np.float32,
            )

        return Tile(block, q0, q1, k0, k1, reduce, self._guarded(info, read))

    def _guarded(self, info: TextInfo, read: Callable[[TextAttentionReader], T]) -> T:
        try:
            return read(self._open())
        except KeyError:
            raise TextMissing(f"no text {_quoted(info.text_id)} for model {_quoted(info.model)}") from None
        except InvalidParameter:
            raise
        except READ_ERRORS as error:
            raise _unreadable(info.model, info.text_id, error) from None


MAX_ECHO = 80


def _quoted(value: str) -> str:
    return repr(value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…")


def _unreadable(model: str, text_id: str, error: Exception) -> Unavailable:
    return Unavailable(
        f"the stored attention of text {_quoted(text_id)} for {model} cannot be read ({type(error).__name__}); "
        f"rerun `precompute --models {model} --texts FILE` to rewrite it"
    )


def check_layer_head(info: TextInfo, layer: int, head: int | None) -> None:
    """`layer` within the model's layers; `head` within its heads and only with per-head rows."""
    if not 0 <= layer < info.layers:
        raise InvalidParameter(
            "layer",
            f"layer {layer} is out of range: {info.model} has {info.layers} layers, allowed 0..{info.layers - 1}",
            {"min": 0, "max": info.layers - 1},
        )
    if head is None:
        return
    if not info.per_head:
        raise InvalidParameter(
            "head",
            f"text {_quoted(info.text_id)} of {info.model} was stored fused over heads only; omit head, "
            f"or rerun `precompute --models {info.model} --texts FILE --per-head`",
            [],
        )
    if not 0 <= head < info.heads:
        raise InvalidParameter(
            "head",
            f"head {head} is out of range: {info.model} has {info.heads} heads, allowed 0..{info.heads - 1}",
            {"min": 0, "max": info.heads - 1},
        )


def check_index(info: TextInfo, parameter: str, value: int) -> None:
    if not 0 <= value < info.n_tokens:
        raise InvalidParameter(
            parameter,
            f"{parameter} {value} is out of range: text {_quoted(info.text_id)} has {info.n_tokens} tokens, "
            f"allowed 0..{info.n_tokens - 1}",
            {"min": 0, "max": info.n_tokens - 1},
        )


def check_window(info: TextInfo, block: int, window: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The half-open token window [q0, q1) × [k0, k1), clipped to the text (q1, k1 default to its
    end): non-empty, and at most `MAX_TILE_CELLS` pooled cells at `block`."""
    n = info.n_tokens
    if block & (block - 1):
        raise InvalidParameter(
            "block",
            f"block {block} is not a power of two: allowed 1, 2, 4 … {MAX_BLOCK}",
            {"min": 1, "max": MAX_BLOCK},
        )
    q0, q1, k0, k1 = window
    q1, k1 = min(q1, n), min(k1, n)
    for name, start, stop in (("q", q0, q1), ("k", k0, k1)):
        if not 0 <= start < stop:
            raise InvalidParameter(
                f"{name}0",
                f"window {name}0={start}..{name}1={stop} is empty: text {_quoted(info.text_id)} has {n} tokens; "
                f"give 0 <= {name}0 < {name}1 <= {n}",
                {"min": 0, "max": n - 1},
            )
    cells = math.ceil((q1 - q0) / block) * math.ceil((k1 - k0) / block)
    if cells > MAX_TILE_CELLS:
        raise InvalidParameter(
            "block",
            f"the window is {q1 - q0} × {k1 - k0} tokens: at block={block} that is {cells} cells, more than "
            f"{MAX_TILE_CELLS}; ask a larger block or a smaller window",
            {"min": block, "max": MAX_BLOCK},
        )
    return q0, q1, k0, k1
