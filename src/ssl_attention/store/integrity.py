"""Which finished rows of a model group are damaged: a chunk lost, or (with `verify`) one that
does not decode. `precompute` recomputes what these return (see docs/data-contract.md).

Two depths:
    listing (every run)  one listing of the group's chunk keys; a finished row whose chunk key is
                         absent from any of its arrays is damaged. Costs a directory walk, reads no data.
    verify (--verify)    also decodes every chunk of every finished row (checksum, codec, NaN/inf).
"""

from __future__ import annotations

from collections.abc import Mapping

import zarr

from ssl_attention.store.chunks import (
    DamagedMap,
    chunk_coords,
    chunk_path,
    decode,
    first_axis_chunks,
    list_keys,
    rows_per_object,
    store_of,
)
from ssl_attention.store.layout import IMAGE_MASS, ArraySpec, VitAttrs, VlmAttrs
from ssl_attention.store.target_layout import is_target_method, target_path


def _array(group: zarr.Group, path: str) -> zarr.Array | None:
    try:
        node = group[path]
    except KeyError:
        return None
    return node if isinstance(node, zarr.Array) else None


def vit_damaged_rows(
    group: zarr.Group, attrs: VitAttrs, rows: Mapping[int, str], *, verify: bool
) -> set[int]:
    """Rows of `rows` (row -> image id, the finished ones) with a missing or (verify) bad chunk.
    The per-target gradrollout arrays are checked by `target_damaged` (their own done marks)."""
    if not rows:
        return set()
    damaged: set[int] = set()
    for spec in _plain(attrs):
        array = _array(group, spec.path)
        if array is None:
            return set(rows)
        present = first_axis_chunks(array)  # one listing per array, kept as object numbers
        per = rows_per_object(array)  # sharded: a missing shard object = all its rows missing
        damaged.update(row for row in rows if row // per not in present)
    if verify:
        for spec in _plain(attrs):
            array = _array(group, spec.path)
            assert array is not None
            for row in sorted(set(rows) - damaged):
                try:
                    decode(array, row, f"{spec.path} row {row}")
                except DamagedMap:
                    damaged.add(row)
    return damaged


def _plain(attrs: VitAttrs) -> list[ArraySpec]:
    return [spec for spec in attrs.array_specs() if not is_target_method(spec.method)]


def target_damaged(group: zarr.Group, done: Mapping[int, set[int]], *, verify: bool) -> set[tuple[int, int]]:
    """(row, target index) pairs of `done` (row -> finished target indices) whose gradrollout
    chunk is missing or (verify) does not decode."""
    damaged: set[tuple[int, int]] = set()
    for index in sorted({k for ks in done.values() for k in ks}):
        array = _array(group, target_path(index))
        present = set() if array is None else first_axis_chunks(array)
        per = 1 if array is None else rows_per_object(array)
        for row in (row for row, ks in done.items() if index in ks):
            if array is None or row // per not in present:
                damaged.add((row, index))
            elif verify:
                try:
                    decode(array, row, f"{target_path(index)} row {row}")
                except DamagedMap:
                    damaged.add((row, index))
    return damaged


def _vlm_paths(attrs: VlmAttrs) -> tuple[list[str], list[str]]:
    vision = [spec.path for spec in attrs.vision_specs((1, 1))]
    text = [spec.path for spec in attrs.text_specs(1, (1, 1))] + [IMAGE_MASS]
    return vision, text


def _complete(group: zarr.Group, path: str, keys: set[str], verify: bool) -> bool:
    """The array at `path` exists, has every chunk and (verify) decodes."""
    if f"{group.store_path.path}/{path}/zarr.json" not in keys:
        return False
    array = _array(group, path)
    if array is None:
        return False
    if any(chunk_path(array, coords) not in keys for coords in chunk_coords(array)):
        return False
    if verify:
        try:
            decode(array, ..., path)
        except DamagedMap:
            return False
    return True


def vlm_damaged(
    group: zarr.Group,
    attrs: VlmAttrs,
    samples: Mapping[int, set[int]],
    *,
    verify: bool,
) -> tuple[set[int], set[tuple[int, int]]]:
    """For finished samples (row -> its finished prompt indices): the rows whose vision-tower maps are
    damaged (the whole image is redone) and the (row, prompt index) pairs whose text maps are."""
    if not samples:
        return set(), set()
    keys = list_keys(store_of(group), f"{group.store_path.path}/samples/")
    vision_paths, text_paths = _vlm_paths(attrs)
    vision_bad: set[int] = set()
    prompt_bad: set[tuple[int, int]] = set()
    for row, prompts in samples.items():
        base = attrs.sample_path(row)
        if not all(_complete(group, f"{base}/{path}", keys, verify) for path in vision_paths):
            vision_bad.add(row)
            continue
        for index in prompts:
            prompt = attrs.prompt_path(row, index)
            if not all(_complete(group, f"{prompt}/{path}", keys, verify) for path in text_paths):
                prompt_bad.add((row, index))
    return vision_bad, prompt_bad
