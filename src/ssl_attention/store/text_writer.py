"""The writer of text language model groups (layout: `store/text_layout.py`; reader: `store/texts.py`).

A text is written whole: `begin_text` drops whatever a killed run left and writes the tokens with
attrs marked incomplete, `write_layer` adds one layer at a time (capture hands layers over as the
model runs, so a long text never holds every layer in memory), `finish_text` writes the
statistics and marks the text complete — last, so a run killed anywhere leaves a text the next run
sees as missing and writes again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np
import zarr
from zarr.codecs import BloscCodec, BloscShuffle, Crc32cCodec

from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.chunks import WRITE_EMPTY
from ssl_attention.store.text_layout import (
    RECEIVED_BITS,
    SUMMARY_BITS,
    TEXT_ROLES,
    LmAttrs,
    TextArraySpec,
    TextAttrs,
    layer_specs,
    text_path,
    text_specs,
)
from ssl_attention.values import TextLayer


def _codecs(dtype: str) -> tuple[BloscCodec, Crc32cCodec]:
    size = np.dtype(dtype).itemsize
    return (BloscCodec(cname="zstd", clevel=9, shuffle=BloscShuffle.shuffle, typesize=size), Crc32cCodec())


def write_spec(group: zarr.Group, spec: TextArraySpec, values: np.ndarray) -> None:
    values = np.asarray(values, dtype=spec.dtype)
    if values.shape != spec.shape:
        raise ValueError(f"{spec.path}: shape {values.shape}, the layout says {spec.shape}")
    array = group.create_array(
        spec.path,
        shape=spec.shape,
        chunks=tuple(max(1, c) for c in spec.chunks),
        dtype=spec.dtype,
        compressors=_codecs(spec.dtype),
        fill_value=0,
        dimension_names=spec.dims,
        config=WRITE_EMPTY,
    )
    if values.size:
        array[...] = values


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """float32 values rounded to nearest with `bits` of float32's 23 mantissa bits kept (relative
    error ≤ 2^-(bits + 1)); the zeroed low bits compress away under byte shuffle."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    drop = 23 - bits
    if drop <= 0:
        return values
    raw = values.view(np.uint32).astype(np.uint64)
    rounded = (raw + (1 << (drop - 1))) & ~np.uint64((1 << drop) - 1)
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isfinite(values), out, values)  # inf and nan as they were


def delta_keys(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Ascending kept keys, row by row (counts: keys per row, in order) → each row's first key,
    then the gap to the key before it: small numbers that compress (store/texts.py adds them up)."""
    keys = keys.astype(np.int64)
    gaps = np.diff(keys, prepend=0)
    firsts = np.concatenate([[0], np.cumsum(counts.reshape(-1).astype(np.int64))[:-1]])
    firsts = firsts[counts.reshape(-1) > 0]
    gaps[firsts] = keys[firsts]
    return gaps


class TextStoreWriter(AttentionStoreWriter):
    """Creates `lm` model groups and writes texts into them."""

    def prepare_lm(self, attrs: LmAttrs, *, rebuild: bool) -> None:
        """Create the group (or keep it when its identity matches; `StoreError` when it does not
        and `rebuild` is not set). The attrs that make the group complete are written last."""
        self._unconsolidate()  # texts will change; the run's end consolidates again
        existing = self.existing_attrs(attrs.key)
        if rebuild or existing is None:
            group = self._create_group(attrs, lambda point, index: None)
            group.create_group("texts")
            group.attrs.update(attrs.to_attrs())
            return
        self.check_compatible(attrs)
        group = self._group(attrs.key)
        group.attrs.update(attrs.to_attrs())  # the same identity; checkpoint source may be newer

    def text_attrs(self, key: str, text_id: str) -> TextAttrs | None:
        """A complete text's attrs; None when it is missing or a run left it incomplete."""
        group = self._group(key)
        path = text_path(text_id)
        if path not in group:
            return None
        found = TextAttrs.from_attrs(dict(group[path].attrs))
        return found if found.complete else None

    def begin_text(
        self,
        attrs: LmAttrs,
        text: TextAttrs,
        *,
        ids: Sequence[int],
        texts: Sequence[str],
        roles: Sequence[str],
        messages: Sequence[int],
    ) -> zarr.Group:
        """(Re)create `texts/<id>` with its tokens, marked incomplete."""
        group = self._group(attrs.key)
        path = text_path(text.text_id)
        if path in group:
            del group[path]
        # A fresh `written` id: readers key their array handles and slot caches by it, so a text
        # written again is read anew (its attrs are read per call, or after the API's TTL).
        begun = {**text.to_attrs(), "complete": False, "key_encoding": "delta", "written": uuid.uuid4().hex}
        node = group.create_group(path, attributes=TextAttrs(**begun).to_attrs())
        encoded = [t.encode("utf-8") for t in texts]
        utf8 = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        role_index = np.asarray([TEXT_ROLES.index(r) for r in roles], dtype=np.uint8)
        data: dict[str, np.ndarray] = {
            "tokens/ids": np.asarray(ids, dtype=np.int32),
            "tokens/role": role_index,
            "tokens/message": np.asarray(messages, dtype=np.int32),
            "tokens/utf8": utf8,
            "tokens/utf8_end": np.cumsum([len(e) for e in encoded], dtype=np.int64),
        }
        for spec in text_specs(text.n_tokens, utf8.size, attrs.layers, attrs.heads):
            if spec.path in data:
                write_spec(node, spec, data[spec.path])
        return node

    def write_layer(self, node: zarr.Group, text: TextAttrs, layer: int, rows: TextLayer) -> None:
        """Write `layers/<layer>` of a text begun with `begin_text`."""
        counts = np.asarray(rows.counts)
        if counts.shape != (text.slots, text.n_tokens):
            raise ValueError(f"layer {layer}: counts {counts.shape}, expected {(text.slots, text.n_tokens)}")
        summary = np.asarray(rows.summary, dtype=np.float32)
        data: dict[str, np.ndarray] = {
            "counts": counts,
            "keys": delta_keys(np.asarray(rows.keys), counts),
            "values": np.asarray(rows.values),
            "summary": np.stack(
                [round_mantissa(summary[:, i], bits) for i, bits in enumerate(SUMMARY_BITS)], axis=1
            )
            if summary.ndim == 3
            else summary,
            "received": round_mantissa(np.asarray(rows.received), RECEIVED_BITS),
            "mean": np.asarray(rows.mean),
            "max": np.asarray(rows.max),
        }
        n_kept = int(np.asarray(rows.keys).size)
        for spec in layer_specs(layer, text.n_tokens, text.slots, n_kept, text.overview_block):
            write_spec(node, spec, data[spec.path.rsplit("/", 1)[1]])
        # Where each slot's rows start in `keys`: the reader finds a row from its slot's counts alone.
        starts = np.concatenate([[0], np.cumsum(counts.astype(np.int64).sum(axis=1))])
        node[f"layers/{layer}"].attrs.update({"starts": [int(s) for s in starts]})

    def finish_text(self, node: zarr.Group, attrs: LmAttrs, text: TextAttrs, stats: np.ndarray) -> None:
        """Write the per-slot statistics (L, 1 + H, 5) and mark the text complete."""
        spec = next(s for s in text_specs(text.n_tokens, 0, attrs.layers, attrs.heads) if s.path == "stats")
        write_spec(node, spec, stats)
        node.attrs.update({"complete": True})

    def drop_text(self, key: str, text_id: str) -> None:
        group = self._group(key)
        path = text_path(text_id)
        if path in group:
            del group[path]
