"""The one reader of the Zarr attention store: model attrs, one image's row, a VLM sample's arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import zarr

from ssl_attention.kinds import group_attrs_from
from ssl_attention.store.chunks import (
    DamagedMap,
    StoreError,
    chunk_coords,
    chunk_exists,
    decode,
    is_local,
    local_path,
    row_object,
)
from ssl_attention.store.layout import GroupAttrs


class AttentionStoreReader:
    """Reads model attributes and whole image rows. Never writes, never imports torch."""

    def __init__(self, url: str) -> None:
        self.url = url
        if is_local(url) and not (local_path(url) / "zarr.json").is_file():
            raise StoreError(f"no attention store at {url}; run `precompute` first")
        self.root = zarr.open_group(store=url, mode="r", zarr_format=3, use_consolidated=False)
        self._arrays: dict[tuple[str, str], zarr.Array] = {}

    def models(self) -> dict[str, GroupAttrs]:
        """Model groups in the store, freshly read (a running precompute may add one)."""
        found: dict[str, GroupAttrs] = {}
        # Never the consolidated metadata: it is written at the end of a run, the groups are live.
        root = zarr.open_group(store=self.url, mode="r", zarr_format=3, use_consolidated=False)
        for name, group in sorted(root.groups()):
            attrs: dict[str, Any] = dict(group.attrs)
            if "checkpoint" in attrs:
                found[name] = group_attrs_from(attrs)
        return found

    def read_row(self, key: str, path: str, row: int) -> np.ndarray:
        """Decode one image's chunk of `key/path` (e.g. `dinov2`, `cls/heads`). Raises DamagedMap
        when the chunk is missing or does not decode: call it only for rows the catalog says are done."""
        array = self._arrays.get((key, path))
        if array is None or row >= array.shape[0]:
            # (Re)open: a concurrent writer may have resized the array since it was first opened.
            node = zarr.open_array(store=self.url, path=f"{key}/{path}", mode="r", zarr_format=3)
            assert isinstance(node, zarr.Array)
            array = self._arrays[(key, path)] = node
        if not 0 <= row < array.shape[0]:
            raise StoreError(f"row {row} is outside {key}/{path} (rows: {array.shape[0]})")
        what = f"{key}/{path} row {row}"
        if not chunk_exists(array, row_object(array, row)):
            raise DamagedMap(f"{what} has no chunk")
        return decode(array, row, what)

    def read_array(self, key: str, path: str, index: int | None = None) -> np.ndarray:
        """A VLM sample's array `key/path` (e.g. `qwen2_5_vl/samples/3/prompts/0/text/fused`):
        the whole array, or its `index`-th entry along the first axis (one token's chunk)."""
        node = zarr.open_array(store=self.url, path=f"{key}/{path}", mode="r", zarr_format=3)
        what = f"{key}/{path}"
        if index is None:
            if any(not chunk_exists(node, coords) for coords in chunk_coords(node)):
                raise DamagedMap(f"{what} lacks a chunk")
            return decode(node, ..., what)
        if not 0 <= index < node.shape[0]:
            raise StoreError(f"index {index} is outside {key}/{path} (length {node.shape[0]})")
        if not chunk_exists(node, (index // node.chunks[0], *(0,) * (node.ndim - 1))):
            raise DamagedMap(f"{what}[{index}] has no chunk")
        return decode(node, index, f"{what}[{index}]")

    def group_attrs(self, key: str, path: str) -> dict[str, Any]:
        """The attrs of a subgroup of a model group (a VLM sample or prompt)."""
        node = zarr.open_group(store=self.url, path=f"{key}/{path}", mode="r", zarr_format=3)
        return dict(node.attrs)

    def forget(self, key: str | None = None) -> None:
        """Drop cached array handles (after a model group was rebuilt)."""
        if key is None:
            self._arrays.clear()
        else:
            for cached in [k for k in self._arrays if k[0] == key]:
                del self._arrays[cached]
