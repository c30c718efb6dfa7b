"""The one writer of the Zarr attention store (layout: `store/layout.py`; the reader: `store/reader.py`)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import BloscCodec, BloscShuffle, Crc32cCodec, ZstdCodec
from zarr.errors import ContainsGroupError

from ssl_attention.kinds import group_attrs_from
from ssl_attention.store.chunks import (
    WRITE_EMPTY,
    consolidate,
    is_consolidated,
    is_local,
    local_path,
    unconsolidate,
)
from ssl_attention.store.chunks import DamagedMap as DamagedMap  # re-exported: what readers raise
from ssl_attention.store.chunks import StoreError as StoreError
from ssl_attention.store.integrity import vit_damaged_rows, vlm_damaged
from ssl_attention.store.layout import (
    IMAGE_MASS,
    GroupAttrs,
    VitAttrs,
    VlmAttrs,
    VlmPromptAttrs,
    VlmSampleAttrs,
    vlm_chunks,
)
from ssl_attention.store.reader import AttentionStoreReader as AttentionStoreReader

COMPRESSOR = BloscCodec(cname="zstd", clevel=5, shuffle=BloscShuffle.shuffle, typesize=2)
# Every chunk ends in a CRC-32C checksum: a truncated or garbled chunk fails to decode.
CODECS = (COMPRESSOR, Crc32cCodec())
ID_CODECS = (ZstdCodec(level=5), Crc32cCodec())
ID_CHUNK = 4096  # image ids per chunk of a ViT group's `image` coordinate
IMAGE_COORD = "image"  # the coordinate array (row -> image id) in each method group of a ViT group
TOKEN_COORD = "token"  # the prefix group's token names

Step = Callable[[str, int], None]


def _no_step(point: str, index: int) -> None:
    """Where a test's fault injection may kill a run (precompute passes `precompute.kind.fault`)."""


def _array_or_none(group: zarr.Group, path: str) -> zarr.Array | None:
    try:
        node = group[path]
    except KeyError:
        return None
    return node if isinstance(node, zarr.Array) else None


def _contiguous_runs(rows: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """Yield (first_index, row_start, row_stop) for runs of consecutive rows."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            yield start, rows[start], rows[i - 1] + 1
            start = i


class AttentionStoreWriter:
    """Creates model groups and writes whole image rows (one row = one chunk of every array).

    A group is complete when its attrs hold `checkpoint`: they are written last, when the group is
    created, and dropped first when it is rebuilt, so a run killed at any point of either leaves a
    group that the next run sees as incomplete and rebuilds. Resizing grows arrays one by one; a
    rerun grows the rest.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        if is_local(url):
            local_path(url).mkdir(parents=True, exist_ok=True)
        try:
            self.root = zarr.open_group(store=url, mode="a", zarr_format=3, use_consolidated=False)
        except ContainsGroupError:  # another run created the root between zarr's look and its create
            self.root = zarr.open_group(store=url, mode="r+", zarr_format=3, use_consolidated=False)
        self._changed = False  # whether this writer changed the store's structure
        self.guard: Callable[[], None] = lambda: None  # raises when this run may no longer write

    def _unconsolidate(self) -> None:
        self._changed = True
        unconsolidate(self.url)

    @contextmanager
    def model_lock(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock on one model group for the length of a run (local stores)."""
        if not is_local(self.url):
            yield
            return
        # Beside the store, not in it: zarr would take a file inside for a broken node.
        store_path = local_path(self.url).resolve()
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
        """The group's attrs; None when there is no group or it is incomplete (a killed creation)."""
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

    def _group(self, key: str) -> zarr.Group:
        group = self.root[key]
        assert isinstance(group, zarr.Group)
        return group

    def _create_group(self, attrs: GroupAttrs, step: Step) -> zarr.Group:
        """An empty group without attrs (incomplete), after dropping any old one attrs first."""
        self._unconsolidate()
        if attrs.key in self.root:
            self._group(attrs.key).attrs.put({})  # incomplete from here on, whatever is left of it
            step("kill-after-unmark", 0)
            del self.root[attrs.key]
        group = self.root.create_group(attrs.key)
        step("kill-in-create", 0)
        return group

    def prepare(self, attrs: VitAttrs, n_rows: int, *, rebuild: bool, step: Step = _no_step) -> None:
        """Make the model group hold at least `n_rows` rows; `rebuild` starts it afresh.

        Resumable at any point: a killed creation leaves an incomplete group (rebuilt next time),
        a killed resize leaves arrays a rerun grows, a missing array is created (its finished rows
        are then found damaged and recomputed)."""
        if rebuild or self.existing_attrs(attrs.key) is None:
            group = self._create_group(attrs, step)
        else:
            self.check_compatible(attrs)
            group = self._group(attrs.key)
            self._unconsolidate()
        for index, spec in enumerate(attrs.array_specs(), 1):
            array = _array_or_none(group, spec.path)
            if array is None:
                group.create_array(
                    spec.path,
                    shape=(n_rows, *spec.shape),
                    chunks=spec.chunks,
                    shards=(attrs.shard_images, *spec.shape) if attrs.shard_images else None,
                    dtype=attrs.dtype,
                    compressors=CODECS,
                    fill_value=0,
                    dimension_names=spec.dims,
                    config=WRITE_EMPTY,
                )
                step("kill-in-create", index)
            elif array.shape[0] < n_rows:
                array.resize((n_rows, *spec.shape))
                step("kill-in-resize", index)
        self._prepare_coords(group, attrs, n_rows)
        group.attrs.update(attrs.to_attrs())  # complete: the marker goes last

    def _prepare_coords(self, group: zarr.Group, attrs: VitAttrs, n_rows: int) -> None:
        """Each method group's `image` coordinate (row -> image id); the prefix group's token names."""
        for method in sorted({spec.method for spec in attrs.array_specs()}):
            ids = _array_or_none(group, f"{method}/{IMAGE_COORD}")
            if ids is None:
                group.create_array(
                    f"{method}/{IMAGE_COORD}",
                    shape=(n_rows,),
                    chunks=(attrs.shard_images or ID_CHUNK,),  # sharded: a shard's ids are its writer's
                    dtype=str,
                    compressors=ID_CODECS,
                    dimension_names=(IMAGE_COORD,),
                    config=WRITE_EMPTY,
                )
            elif ids.shape[0] < n_rows:
                ids.resize((n_rows,))
        if attrs.prefix_tokens and _array_or_none(group, f"prefix/{TOKEN_COORD}") is None:
            tokens = group.create_array(
                f"prefix/{TOKEN_COORD}",
                shape=(len(attrs.prefix_tokens),),
                chunks=(len(attrs.prefix_tokens),),
                dtype=str,
                compressors=ID_CODECS,
                dimension_names=(TOKEN_COORD,),
                config=WRITE_EMPTY,
            )
            tokens[:] = np.array(attrs.prefix_tokens, dtype=str)

    def ensure_coords(self, attrs: VitAttrs) -> None:
        """Create the coordinate arrays a group written by an older version lacks."""
        group = self._group(attrs.key)
        methods = {spec.method for spec in attrs.array_specs()}
        if all(_array_or_none(group, f"{method}/{IMAGE_COORD}") is not None for method in methods):
            return
        self._unconsolidate()
        first = _array_or_none(group, attrs.array_specs()[0].path)
        self._prepare_coords(group, attrs, 0 if first is None else first.shape[0])

    def write_rows(
        self, key: str, rows: Sequence[int], data: Mapping[str, np.ndarray], ids: Sequence[str] = ()
    ) -> None:
        """Write `data[path][i]` to row `rows[i]` of each array (each row is one whole chunk), then
        `ids[i]` to the `image` coordinate of each method group."""
        self.guard()
        group = self._group(key)
        for path, values in data.items():
            array = _array_or_none(group, path)
            assert array is not None, f"{key}/{path} is missing"
            array = array.with_config(WRITE_EMPTY)
            values = np.asarray(values, dtype=array.dtype)
            for first, start, stop in _contiguous_runs(rows):
                array[start:stop] = values[first : first + (stop - start)]
        if not ids:
            return
        for method in sorted({path.split("/")[0] for path in data}):
            coord = _array_or_none(group, f"{method}/{IMAGE_COORD}")
            if coord is None:
                continue
            for first, start, stop in _contiguous_runs(rows):
                coord[start:stop] = np.array(ids[first : first + (stop - start)], dtype=str)

    def sync_ids(self, attrs: VitAttrs, done: Mapping[int, str]) -> int:
        """Make each `image` coordinate name every finished row (`done`: row -> id); rewrites a
        coordinate only where it differs or does not decode. Returns the coordinates rewritten."""
        group = self._group(attrs.key)
        rewritten = 0
        for method in sorted({spec.method for spec in attrs.array_specs()}):
            coord = _array_or_none(group, f"{method}/{IMAGE_COORD}")
            if coord is None:
                continue
            try:
                current, broken = np.asarray(coord[:], dtype=object), False
            except Exception:  # a damaged coordinate chunk (any codec error): written afresh below
                current, broken = np.full(coord.shape, "", dtype=object), True
            wanted = current.copy()
            for row, image_id in done.items():
                if row < len(wanted):
                    wanted[row] = image_id
            if broken or any(current[row] != wanted[row] for row in done if row < len(wanted)):
                coord[:] = np.array(wanted.tolist(), dtype=str)
                rewritten += 1
        return rewritten

    def damaged_rows(self, attrs: VitAttrs, done: Mapping[int, str], *, verify: bool) -> set[int]:
        """Finished rows whose chunks are missing (or, with `verify`, do not decode)."""
        return vit_damaged_rows(self._group(attrs.key), attrs, done, verify=verify)

    def damaged_samples(
        self, attrs: VlmAttrs, done: Mapping[int, set[int]], *, verify: bool
    ) -> tuple[set[int], set[tuple[int, int]]]:
        """A VLM group's finished samples with missing (or bad) chunks: see `integrity.vlm_damaged`."""
        return vlm_damaged(self._group(attrs.key), attrs, done, verify=verify)

    def consolidate(self) -> None:
        """Write the root's consolidated metadata (after a run): always after this writer changed
        the structure (another run may have consolidated the half of it that was done by then),
        otherwise only when it is missing."""
        if self._changed or not is_consolidated(self.url):
            consolidate(self.url)

    # --- VLM groups: one subgroup per image ------------------------------------------------------

    def prepare_vlm(self, attrs: VlmAttrs, *, rebuild: bool, step: Step = _no_step) -> VlmAttrs:
        """Create (or extend) a VLM group; returns its attrs with this run's prompts appended.
        Resumable like `prepare`: the attrs that make the group complete are written last."""
        existing = self.existing_attrs(attrs.key)
        if rebuild or existing is None:
            group = self._create_group(attrs, step)
            group.attrs.update(attrs.to_attrs())
            return attrs
        self.check_compatible(attrs)  # same kind and identity: the group's attrs read as VlmAttrs
        self._unconsolidate()
        group = self._group(attrs.key)
        known = VlmAttrs.from_attrs(dict(group.attrs))
        # This run's settings, with the prompts the group already has first (their indices stay).
        merged = replace(attrs, prompts=known.with_prompts(attrs.prompts).prompts)
        group.attrs.update(merged.to_attrs())
        return merged

    def write_vlm_image(
        self,
        attrs: VlmAttrs,
        row: int,
        sample: VlmSampleAttrs,
        data: Mapping[str, np.ndarray],
        step: Step = _no_step,
    ) -> None:
        """(Re)write `samples/<row>` afresh: the vision-tower arrays and the image's attrs."""
        self.guard()
        group = self.root[attrs.key]
        assert isinstance(group, zarr.Group)
        path = attrs.sample_path(row)
        if path in group:
            del group[path]  # a killed run's leftovers, or a changed image
        sample_group = group.create_group(path, attributes=sample.to_attrs())
        step("kill-in-sample", row)
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
            compressors=CODECS if dtype == "float16" else (BloscCodec(cname="zstd", clevel=5), Crc32cCodec()),
            fill_value=0,
            dimension_names=dims,
            config=WRITE_EMPTY,
        )
        if values.size:
            array[...] = values

    def group_bytes(self, key: str) -> int | None:
        """Bytes on disk of one model group (local stores only)."""
        if not is_local(self.url):
            return None
        return directory_bytes(local_path(self.url) / key)


def directory_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                continue
    return total
