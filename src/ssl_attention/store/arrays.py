"""The one writer and the one reader of the Zarr attention store (layout: `store/layout.py`)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import BloscCodec, BloscShuffle

from ssl_attention.kinds import group_attrs_from
from ssl_attention.store.layout import (
    IMAGE_MASS,
    GroupAttrs,
    VitAttrs,
    VlmAttrs,
    VlmPromptAttrs,
    VlmSampleAttrs,
    vlm_chunks,
)

COMPRESSOR = BloscCodec(cname="zstd", clevel=5, shuffle=BloscShuffle.shuffle, typesize=2)


class StoreError(RuntimeError):
    """The store cannot be used as asked (mismatching model group, locked, missing)."""


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def _local_path(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def _contiguous_runs(rows: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """Yield (first_index, row_start, row_stop) for runs of consecutive rows."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            yield start, rows[start], rows[i - 1] + 1
            start = i


class AttentionStoreWriter:
    """Creates model groups and writes whole image rows (one row = one chunk of every array)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if _is_local(url):
            _local_path(url).mkdir(parents=True, exist_ok=True)
        self.root = zarr.open_group(store=url, mode="a", zarr_format=3)

    @contextmanager
    def model_lock(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock on one model group for the length of a run (local stores)."""
        if not _is_local(self.url):
            yield
            return
        # Beside the store, not in it: zarr would take a file inside for a broken node.
        store_path = _local_path(self.url).resolve()
        lock_path = store_path.parent / f".{store_path.name}.{key}.lock"
        with open(lock_path, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another precompute run is writing model '{key}' to {self.url}; "
                    "wait for it to finish or use a different --store"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def existing_attrs(self, key: str) -> GroupAttrs | None:
        if key not in self.root:
            return None
        attrs = dict(self.root[key].attrs)
        if "checkpoint" not in attrs:
            return None
        return group_attrs_from(attrs)

    def check_compatible(self, attrs: GroupAttrs) -> None:
        """Raise when the store holds this model built with other settings (then only --force rebuilds it)."""
        existing = self.existing_attrs(attrs.key)
        if existing is None or (existing.kind == attrs.kind and existing.identity() == attrs.identity()):
            return
        before: dict[str, Any] = {"kind": existing.kind, **existing.identity()}
        after: dict[str, Any] = {"kind": attrs.kind, **attrs.identity()}
        changes = ", ".join(
            f"{k}: {before[k]} -> {after[k]}" for k in sorted(after) if before.get(k) != after[k]
        )
        raise StoreError(
            f"the store already holds model '{attrs.key}' built with other settings ({changes}); "
            "rerun with --force to rebuild it, or use another --store"
        )

    def prepare(self, attrs: VitAttrs, n_rows: int, *, rebuild: bool) -> None:
        """Make the model group hold at least `n_rows` rows; `rebuild` starts it afresh."""
        if rebuild or self.existing_attrs(attrs.key) is None:
            if attrs.key in self.root:
                del self.root[attrs.key]
            group = self.root.create_group(attrs.key, attributes=attrs.to_attrs())
            for spec in attrs.array_specs():
                group.create_array(
                    spec.path,
                    shape=(n_rows, *spec.shape),
                    chunks=spec.chunks,
                    dtype=attrs.dtype,
                    compressors=COMPRESSOR,
                    fill_value=0,
                    dimension_names=spec.dims,
                )
            return
        self.check_compatible(attrs)
        existing = self.root[attrs.key]
        assert isinstance(existing, zarr.Group)
        existing.attrs.update(attrs.to_attrs())
        for spec in attrs.array_specs():
            array = existing[spec.path]
            assert isinstance(array, zarr.Array)
            if array.shape[0] < n_rows:
                array.resize((n_rows, *spec.shape))

    def write_rows(self, key: str, rows: Sequence[int], data: Mapping[str, np.ndarray]) -> None:
        """Write `data[path][i]` to row `rows[i]` of each array; each row is one whole chunk."""
        group = self.root[key]
        assert isinstance(group, zarr.Group)
        for path, values in data.items():
            array = group[path]
            assert isinstance(array, zarr.Array)
            values = np.asarray(values, dtype=array.dtype)
            for first, start, stop in _contiguous_runs(rows):
                array[start:stop] = values[first : first + (stop - start)]

    # --- VLM groups: one subgroup per image ------------------------------------------------------

    def prepare_vlm(self, attrs: VlmAttrs, *, rebuild: bool) -> VlmAttrs:
        """Create (or extend) a VLM group; returns its attrs with this run's prompts appended."""
        existing = self.existing_attrs(attrs.key)
        if rebuild or existing is None:
            if attrs.key in self.root:
                del self.root[attrs.key]
            self.root.create_group(attrs.key, attributes=attrs.to_attrs())
            return attrs
        self.check_compatible(attrs)  # same kind and identity: the group's attrs read as VlmAttrs
        group = self.root[attrs.key]
        known = VlmAttrs.from_attrs(dict(group.attrs))
        # This run's settings, with the prompts the group already has first (their indices stay).
        merged = replace(attrs, prompts=known.with_prompts(attrs.prompts).prompts)
        group.attrs.update(merged.to_attrs())
        return merged

    def write_vlm_image(
        self, attrs: VlmAttrs, row: int, sample: VlmSampleAttrs, data: Mapping[str, np.ndarray]
    ) -> None:
        """(Re)write `samples/<row>` afresh: the vision-tower arrays and the image's attrs."""
        group = self.root[attrs.key]
        assert isinstance(group, zarr.Group)
        path = attrs.sample_path(row)
        if path in group:
            del group[path]  # a killed run's leftovers, or a changed image
        sample_group = group.create_group(path, attributes=sample.to_attrs())
        for spec in attrs.vision_specs(sample.vision_grid):
            self._write_array(
                sample_group, spec.path, data[spec.path], vlm_chunks(spec), spec.dims, attrs.dtype
            )

    def write_vlm_prompt(
        self,
        attrs: VlmAttrs,
        row: int,
        prompt_index: int,
        prompt: VlmPromptAttrs,
        grid: tuple[int, int],
        data: Mapping[str, np.ndarray],
    ) -> None:
        """(Re)write `samples/<row>/prompts/<k>`: text arrays, image mass and the tokens."""
        group = self.root[attrs.key]
        assert isinstance(group, zarr.Group)
        path = attrs.prompt_path(row, prompt_index)
        if path in group:
            del group[path]
        prompt_group = group.create_group(path, attributes=prompt.to_attrs())
        n_tokens = len(prompt.tokens)
        for spec in attrs.text_specs(n_tokens, grid):
            self._write_array(
                prompt_group, spec.path, data[spec.path], vlm_chunks(spec), spec.dims, attrs.dtype
            )
        mass = np.asarray(data[IMAGE_MASS], dtype=np.float32)
        self._write_array(prompt_group, IMAGE_MASS, mass, mass.shape, ("token", "layer", "head"), "float32")

    @staticmethod
    def _write_array(
        group: zarr.Group,
        path: str,
        values: np.ndarray,
        chunks: tuple[int, ...],
        dims: tuple[str, ...],
        dtype: str,
    ) -> None:
        values = np.asarray(values, dtype=dtype)
        array = group.create_array(
            path,
            shape=values.shape,
            chunks=tuple(max(1, c) for c in chunks),
            dtype=dtype,
            compressors=COMPRESSOR if dtype == "float16" else BloscCodec(cname="zstd", clevel=5),
            fill_value=0,
            dimension_names=dims,
        )
        if values.size:
            array[...] = values

    def group_bytes(self, key: str) -> int | None:
        """Bytes on disk of one model group (local stores only)."""
        if not _is_local(self.url):
            return None
        return directory_bytes(_local_path(self.url) / key)


def directory_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                continue
    return total


class AttentionStoreReader:
    """Reads model attributes and whole image rows. Never writes, never imports torch."""

    def __init__(self, url: str) -> None:
        self.url = url
        if _is_local(url) and not (_local_path(url) / "zarr.json").is_file():
            raise StoreError(f"no attention store at {url}; run `precompute` first")
        self.root = zarr.open_group(store=url, mode="r", zarr_format=3)
        self._arrays: dict[tuple[str, str], zarr.Array] = {}

    def models(self) -> dict[str, GroupAttrs]:
        """Model groups in the store, freshly read (a running precompute may add one)."""
        found: dict[str, GroupAttrs] = {}
        root = zarr.open_group(store=self.url, mode="r", zarr_format=3)
        for name, group in sorted(root.groups()):
            attrs: dict[str, Any] = dict(group.attrs)
            if "checkpoint" in attrs:
                found[name] = group_attrs_from(attrs)
        return found

    def read_row(self, key: str, path: str, row: int) -> np.ndarray:
        """Decode one image's chunk of `key/path` (e.g. `dinov2`, `cls/heads`)."""
        array = self._arrays.get((key, path))
        if array is None or row >= array.shape[0]:
            # (Re)open: a concurrent writer may have resized the array since it was first opened.
            node = zarr.open_array(store=self.url, path=f"{key}/{path}", mode="r", zarr_format=3)
            assert isinstance(node, zarr.Array)
            array = self._arrays[(key, path)] = node
        if not 0 <= row < array.shape[0]:
            raise StoreError(f"row {row} is outside {key}/{path} (rows: {array.shape[0]})")
        return np.asarray(array[row])

    def read_array(self, key: str, path: str, index: int | None = None) -> np.ndarray:
        """A VLM sample's array `key/path` (e.g. `qwen2_5_vl/samples/3/prompts/0/text/fused`):
        the whole array, or its `index`-th entry along the first axis (one token's chunk)."""
        node = zarr.open_array(store=self.url, path=f"{key}/{path}", mode="r", zarr_format=3)
        if index is None:
            return np.asarray(node[...])
        if not 0 <= index < node.shape[0]:
            raise StoreError(f"index {index} is outside {key}/{path} (length {node.shape[0]})")
        return np.asarray(node[index])

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
