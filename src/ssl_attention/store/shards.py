"""Sharded model groups: a shard is one object holding `shard_images` consecutive rows of an array.

`precompute --shard-size N` records `shard_images = N` in a ViT group's attrs (absent or None:
unsharded, one object per image as before). Every array with the image axis is then a Zarr v3
sharded array whose shards are N images long; its chunks stay one image, so a reader decodes one
image per request as before (it reads the shard's index, then one byte range). Each method group's
`image` coordinate is chunked by N too, so that the rows of one shard — their maps and their ids —
belong to one writer.

Writers must own whole shards: zarr-python rewrites a shard object on every partial write (read,
merge, write), so two writers touching one shard lose rows. `shard_of` is what an executor groups
rows by; `shard_batches` splits a plan's rows at shard boundaries (the local executor writes each
shard from its one writer thread, batch after batch).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

MAX_SHARD_IMAGES = 65536  # far beyond what is useful (a shard of 256 ViT-B maps is ~10 MB)

T = TypeVar("T")


def shard_of(row: int, shard_images: int | None) -> int:
    """The shard holding `row` (the row itself when the group is unsharded: one object per row)."""
    return row if not shard_images else row // shard_images


def shard_rows(shard: int, shard_images: int | None) -> range:
    """The rows of one shard."""
    size = shard_images or 1
    return range(shard * size, (shard + 1) * size)


def shard_images_of(attrs: object) -> int | None:
    """A group's shard length from its attrs (any kind; None: unsharded, or a kind without shards)."""
    value = getattr(attrs, "shard_images", None)
    return value if isinstance(value, int) and value > 0 else None


def check_shard_size(value: int | None) -> str | None:
    """Why `--shard-size value` is refused (None: it is fine)."""
    if value is None or 1 <= value <= MAX_SHARD_IMAGES:
        return None
    return f"--shard-size must be 1 to {MAX_SHARD_IMAGES} images per shard, got {value}"


def shard_batches(
    items: Sequence[T], rows: Sequence[int], size: int, shard_images: int | None
) -> Iterator[list[T]]:
    """`items` (in row order, `rows[i]` the row of `items[i]`) in batches of at most `size` that
    never cross a shard boundary (unsharded: plain batches of `size`)."""
    batch: list[T] = []
    shard = None
    for item, row in zip(items, rows, strict=True):
        here = shard_of(row, shard_images) if shard_images else None
        if batch and (len(batch) == size or here != shard):
            yield batch
            batch = []
        batch.append(item)
        shard = here
    if batch:
        yield batch
