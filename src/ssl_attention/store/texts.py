"""The reader of text language model groups (layout: `store/text_layout.py`). Torch-free, numpy only.

Every method names a model and a text; a model or text that is not in the store (or that a run
left incomplete) raises `KeyError`, an index outside what the text has raises `ValueError` with
the allowed range.

A row is two small reads (its kept keys and their values): each slot's row starts (the running sum
of its counts) and summaries are decoded once per text, layer and slot and kept (bounded by
`SLOT_CACHE_BYTES`, the least recently used dropped first), and with `text_ttl` > 0 a text's attrs
are reused that many seconds (the API's `SSL_ATTENTION_MODELS_TTL`) instead of read every call.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import zarr

from ssl_attention.store.chunks import StoreError, decode, decode_together, is_local, local_path
from ssl_attention.store.text_layout import (
    STAT_NAMES,
    TEXT_ID,
    TEXT_ROLES,
    LmAttrs,
    TextAttrs,
    head_label,
    text_path,
)


@dataclass(frozen=True)
class TextToken:
    id: int
    text: str
    role: str  # system, user, assistant, tool or text
    message: int  # index of its message, -1 for a plain text


@dataclass(frozen=True)
class TextInfo:
    text_id: str
    model: str
    category: str
    n_tokens: int
    layers: int
    heads: int
    per_head: bool
    n_generated: int
    keep_mass: float
    max_keys: int
    overview_block: int


@dataclass(frozen=True)
class TextRow:
    keys: np.ndarray  # int32, ascending
    values: np.ndarray  # float32, probabilities of those keys
    residual: float  # probability mass not kept
    entropy: float  # of the whole row, nats
    sink: float  # attention on the first token


@dataclass(frozen=True)
class HeadStat:
    layer: int
    head: int  # -1: the mean over heads
    entropy: float
    sink: float
    previous_token: float
    induction: float
    distance: float
    label: str  # focused | broad | sink | previous-token


SLOT_CACHE_BYTES = 64 * 2**20  # row starts and summaries of slots kept in memory


@dataclass(frozen=True)
class _Text:
    node: zarr.Group
    lm: LmAttrs
    attrs: TextAttrs


@dataclass(frozen=True)
class _Slot:
    """What every row of one slot of one layer shares: where each row starts in `keys` (N + 1,
    int64, from the layer's start of the slot) and its summaries (3, N) float32."""

    starts: np.ndarray
    summary: np.ndarray


class TextAttentionReader:
    """Reads texts of `lm` groups from the store at `url`. Never writes, never imports torch."""

    def __init__(self, url: str, text_ttl: float = 0.0) -> None:
        self.url = url
        self.text_ttl = text_ttl
        self._texts: dict[tuple[str, str], tuple[float, _Text]] = {}
        self._slots: OrderedDict[tuple[str, str, str, int, int], _Slot] = OrderedDict()
        self._slot_bytes = 0
        self._slots_lock = threading.Lock()
        if is_local(url) and not (local_path(url) / "zarr.json").is_file():
            raise StoreError(f"no attention store at {url}; run `precompute` first")
        self.root = zarr.open_group(store=url, mode="r", zarr_format=3, use_consolidated=False)
        # Array handles by (model, text, writing, path); a rewritten text has a new writing id.
        self._arrays: dict[tuple[str, str, str, str], zarr.Array] = {}
        self._starts: dict[tuple[str, str, str, str], list[int]] = {}

    # --- what there is -----------------------------------------------------------------------

    def model(self, model: str) -> LmAttrs:
        """The attrs of a complete `lm` group; KeyError when there is none."""
        try:
            node = self.root[model]
        except (KeyError, ValueError):
            raise KeyError(f"no text model '{model}' in the store") from None
        attrs: dict[str, Any] = dict(node.attrs)
        if isinstance(node, zarr.Group) and attrs.get("kind") == "vlm" and "checkpoint" in attrs:
            # A VLM's prompt and answer tokens: its `texts` group's attrs (precompute/vlm_texts.py)
            texts = node.get("texts")
            attrs = dict(texts.attrs) if isinstance(texts, zarr.Group) else {}
        if not isinstance(node, zarr.Group) or attrs.get("kind") != LmAttrs.kind or "checkpoint" not in attrs:
            raise KeyError(f"no text model '{model}' in the store")
        return LmAttrs.from_attrs(attrs)

    def _text(self, model: str, text_id: str) -> _Text:
        if self.text_ttl > 0:
            now = time.monotonic()
            cached = self._texts.get((model, text_id))
            if cached is not None and now - cached[0] < self.text_ttl:
                return cached[1]
            found = self._read_text(model, text_id)
            if len(self._texts) >= 4096:
                self._texts.clear()
            self._texts[model, text_id] = (now, found)
            return found
        return self._read_text(model, text_id)

    def _read_text(self, model: str, text_id: str) -> _Text:
        lm = self.model(model)
        if not TEXT_ID.match(text_id):
            raise KeyError(f"no text '{text_id}' for model '{model}'")
        try:
            node = self.root[f"{model}/{text_path(text_id)}"]
        except (KeyError, ValueError):
            raise KeyError(f"no text '{text_id}' for model '{model}'") from None
        assert isinstance(node, zarr.Group)
        attrs = TextAttrs.from_attrs(dict(node.attrs))
        if not attrs.complete:
            raise KeyError(f"text '{text_id}' of model '{model}' is not complete")
        return _Text(node, lm, attrs)

    def info(self, model: str, text_id: str) -> TextInfo:
        t = self._text(model, text_id)
        return TextInfo(
            text_id=text_id,
            model=model,
            category=t.attrs.category,
            n_tokens=t.attrs.n_tokens,
            layers=t.lm.layers,
            heads=t.lm.heads,
            per_head=t.attrs.slots > 1,
            n_generated=t.attrs.n_generated,
            keep_mass=t.lm.keep_mass,
            max_keys=t.lm.max_keys,
            overview_block=t.attrs.overview_block,
        )

    def tokens(self, model: str, text_id: str) -> list[TextToken]:
        t = self._text(model, text_id)
        ids = self._read(t, "tokens/ids")
        roles = self._read(t, "tokens/role")
        messages = self._read(t, "tokens/message")
        utf8 = self._read(t, "tokens/utf8").tobytes()
        ends = self._read(t, "tokens/utf8_end")
        starts = np.concatenate([[0], ends[:-1]]) if ends.size else ends
        return [
            TextToken(
                int(i), utf8[int(s) : int(e)].decode("utf-8", errors="replace"), TEXT_ROLES[int(r)], int(m)
            )
            for i, r, m, s, e in zip(ids, roles, messages, starts, ends, strict=True)
        ]

    # --- rows --------------------------------------------------------------------------------

    def _read(self, t: _Text, path: str, selection: Any = ...) -> np.ndarray:
        return decode(self._array(t, path), selection, f"{t.lm.key}/{text_path(t.attrs.text_id)}/{path}")

    def _array(self, t: _Text, path: str) -> zarr.Array:
        handle = (t.lm.key, t.attrs.text_id, t.attrs.written, path)
        node = self._arrays.get(handle)
        if node is None:
            if len(self._arrays) > 4096:
                self._arrays.clear()
                self._starts.clear()
            found = t.node[path]
            assert isinstance(found, zarr.Array)
            node = self._arrays[handle] = found
        return node

    @staticmethod
    def _slot(t: _Text, layer: int, head: int | None) -> int:
        if not 0 <= layer < t.lm.layers:
            raise ValueError(f"layer {layer} is outside 0..{t.lm.layers - 1}")
        if head is None:
            return 0
        if t.attrs.slots == 1:
            raise ValueError(
                f"model '{t.lm.key}' was stored without --per-head: omit head for the fused rows"
            )
        if not 0 <= head < t.lm.heads:
            raise ValueError(f"head {head} is outside 0..{t.lm.heads - 1}")
        return 1 + head

    def _slot_rows(self, t: _Text, layer: int, slot: int) -> _Slot:
        """The slot's row starts and summaries, decoded once and kept."""
        handle = (t.lm.key, t.attrs.text_id, t.attrs.written, layer, slot)
        with self._slots_lock:  # the API reads from several threads
            found = self._slots.get(handle)
            if found is not None:
                self._slots.move_to_end(handle)
                return found
        counts = self._read(t, f"layers/{layer}/counts", (slot, slice(None))).astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)]) + self._slot_start(t, layer, slot)
        summary = self._read(t, f"layers/{layer}/summary", (slot, slice(None), slice(None)))
        found = _Slot(starts, np.asarray(summary, dtype=np.float32))
        with self._slots_lock:
            if handle not in self._slots:
                self._slots[handle] = found
                self._slot_bytes += found.starts.nbytes + found.summary.nbytes
            while self._slot_bytes > SLOT_CACHE_BYTES and len(self._slots) > 1:
                _, dropped = self._slots.popitem(last=False)
                self._slot_bytes -= dropped.starts.nbytes + dropped.summary.nbytes
        return found

    def _slot_start(self, t: _Text, layer: int, slot: int) -> int:
        """Where the slot's first row starts in the layer's `keys` (the layer's attrs)."""
        handle = (t.lm.key, t.attrs.text_id, t.attrs.written, f"layers/{layer}")
        starts = self._starts.get(handle)
        if starts is None:
            recorded: Any = t.node[f"layers/{layer}"].attrs["starts"]
            starts = self._starts[handle] = [int(s) for s in recorded]
        return starts[slot]

    def _kept(
        self, t: _Text, layer: int, start: int, stop: int, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Kept keys [start, stop) of whole rows with these counts, absolute (int64), and their
        probabilities (float32), read together."""
        where = f"{t.lm.key}/{text_path(t.attrs.text_id)}/layers/{layer}"
        span = slice(start, stop)
        stored, values = decode_together(
            [
                (self._array(t, f"layers/{layer}/keys"), span, f"{where}/keys"),
                (self._array(t, f"layers/{layer}/values"), span, f"{where}/values"),
            ]
        )
        return self._absolute(t, stored.astype(np.int64), counts), values.astype(np.float32)

    @staticmethod
    def _absolute(t: _Text, stored: np.ndarray, counts: np.ndarray) -> np.ndarray:
        if t.attrs.key_encoding == "absolute":
            return stored
        total = np.cumsum(stored)  # a row's keys: the running sum from its first key
        before = np.concatenate([[0], total])[np.cumsum(counts) - counts]
        return total - np.repeat(before, counts)

    def row(self, model: str, text_id: str, layer: int, head: int | None, query: int) -> TextRow:
        t = self._text(model, text_id)
        slot = self._slot(t, layer, head)
        n = t.attrs.n_tokens
        if not 0 <= query < n:
            raise ValueError(f"query {query} is outside 0..{n - 1}")
        rows = self._slot_rows(t, layer, slot)
        start, stop = int(rows.starts[query]), int(rows.starts[query + 1])
        counts = np.asarray([stop - start], dtype=np.int64)
        keys, values = self._kept(t, layer, start, stop, counts)
        residual, entropy, sink = rows.summary[:, query]
        return TextRow(keys.astype(np.int32), values, float(residual), float(entropy), float(sink))

    def received(self, model: str, text_id: str, layer: int, head: int | None) -> np.ndarray:
        """(N,) float32: the attention each token receives, summed over every query row."""
        t = self._text(model, text_id)
        slot = self._slot(t, layer, head)
        return self._read(t, f"layers/{layer}/received", (slot, slice(None))).astype(np.float32)

    def stats(self, model: str, text_id: str) -> list[HeadStat]:
        """Per layer: the fused row (head −1), then every head, with its pattern label."""
        t = self._text(model, text_id)
        table = self._read(t, "stats")
        found = []
        for (layer, slot), _ in np.ndenumerate(table[:, :, 0]):
            values = dict(zip(STAT_NAMES, (float(v) for v in table[layer, slot]), strict=True))
            label = head_label(values["entropy"], values["sink"], values["previous_token"])
            found.append(HeadStat(layer=int(layer), head=int(slot) - 1, label=label, **values))
        return found

    # --- the matrix --------------------------------------------------------------------------

    def matrix(
        self,
        model: str,
        text_id: str,
        layer: int,
        head: int | None,
        block: int,
        q0: int,
        q1: int,
        k0: int,
        k1: int,
        reduce: Literal["mean", "max"] = "mean",
    ) -> np.ndarray:
        """The attention matrix over queries [q0, q1) × keys [k0, k1), pooled over `block` × `block`
        cells (mean or max; a cell cut by q1 or k1 pools what there is): float32
        (ceil((q1 − q0) / block), ceil((k1 − k0) / block)). From the stored overview when the block
        and the window line up with it, else pooled here from the kept keys of those rows."""
        t = self._text(model, text_id)
        slot = self._slot(t, layer, head)
        n = t.attrs.n_tokens
        if block < 1 or block & (block - 1):
            raise ValueError(f"block {block} is not a power of two ≥ 1")
        if reduce not in ("mean", "max"):
            raise ValueError(f"reduce '{reduce}' is not one of mean, max")
        for name, lo, hi in (("q", q0, q1), ("k", k0, k1)):
            if not 0 <= lo < hi <= n:
                raise ValueError(f"{name}0, {name}1 = {lo}, {hi}: need 0 ≤ {name}0 < {name}1 ≤ {n}")
        ob = t.attrs.overview_block
        if block >= ob and all(v % ob == 0 or v == n for v in (q0, q1, k0, k1)):
            return self._from_overview(t, layer, slot, block, q0, q1, k0, k1, reduce)
        return self._from_rows(t, layer, slot, block, q0, q1, k0, k1, reduce)

    def _from_rows(
        self, t: _Text, layer: int, slot: int, block: int, q0: int, q1: int, k0: int, k1: int, reduce: str
    ) -> np.ndarray:
        starts = self._slot_rows(t, layer, slot).starts
        counts = np.diff(starts[q0 : q1 + 1])
        start, stop = int(starts[q0]), int(starts[q1])
        keys, values = self._kept(t, layer, start, stop, counts)
        queries = np.repeat(np.arange(q0, q1), counts)
        inside = (keys >= k0) & (keys < k1)
        i = (queries[inside] - q0) // block
        j = (keys[inside] - k0) // block
        shape = (-(-(q1 - q0) // block), -(-(k1 - k0) // block))
        out = np.zeros(shape, dtype=np.float32)
        if reduce == "max":
            np.maximum.at(out, (i, j), values[inside])
            return out
        np.add.at(out, (i, j), values[inside])
        return out / np.outer(_sizes(q1 - q0, block), _sizes(k1 - k0, block))

    def _from_overview(
        self, t: _Text, layer: int, slot: int, block: int, q0: int, q1: int, k0: int, k1: int, reduce: str
    ) -> np.ndarray:
        ob = t.attrs.overview_block
        n = t.attrs.n_tokens
        bq = slice(q0 // ob, -(-q1 // ob))
        bk = slice(k0 // ob, -(-k1 // ob))
        tile = self._read(t, f"layers/{layer}/{reduce}", (slot, bq, bk)).astype(np.float64)
        factor = block // ob
        q_starts = np.arange(0, tile.shape[0], factor)
        k_starts = np.arange(0, tile.shape[1], factor)
        if reduce == "max":
            pooled = np.maximum.reduceat(np.maximum.reduceat(tile, q_starts, axis=0), k_starts, axis=1)
            return pooled.astype(np.float32)
        # Each overview cell is a mean over its (possibly clipped) b × b block: weight by its size.
        rows = np.minimum(ob, n - np.arange(bq.start, bq.stop) * ob).astype(np.float64)
        cols = np.minimum(ob, n - np.arange(bk.start, bk.stop) * ob).astype(np.float64)
        weights = np.outer(rows, cols)
        sums = np.add.reduceat(np.add.reduceat(tile * weights, q_starts, axis=0), k_starts, axis=1)
        sizes = np.add.reduceat(np.add.reduceat(weights, q_starts, axis=0), k_starts, axis=1)
        return (sums / sizes).astype(np.float32)


def _sizes(length: int, block: int) -> np.ndarray:
    """How many of `length` indices fall in each block (the last may be short)."""
    starts = np.arange(0, length, block)
    return np.minimum(block, length - starts).astype(np.float32)
