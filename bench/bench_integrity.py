"""What finding damaged rows costs: the listing every run does vs the full decode of `--verify`,
and what the API's chunk-exists check adds to a cold read.

    python bench/bench_integrity.py --rows 5000

Builds a synthetic ViT group shaped like dinov2 base at 224 px (12 layers, 12 heads, 16×16 grid,
CLS + 4 registers; `--per-head` adds the per-head arrays) with random maps in a temporary store,
then times, each `--repeat` times (best kept):
  listing   AttentionStoreWriter.damaged_rows(verify=False): one listing per array, no data read
  verify    damaged_rows(verify=True): the listing plus a decode of every chunk of every row
  read      AttentionStoreReader.read_row of every row's cls/fused (exists check + decode)
  exists    chunk_exists alone for the same chunks (the check's share of `read`)
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ssl_attention.store.arrays import AttentionStoreReader, AttentionStoreWriter
from ssl_attention.store.chunks import chunk_exists
from ssl_attention.store.layout import VitAttrs


def attrs(per_head: bool) -> VitAttrs:
    return VitAttrs(
        key="bench", family="dinov2", checkpoint="bench", weights="random", image_size=224, patch=14,
        grid=(16, 16), layers=12, heads=12, prefix_tokens=("cls", "reg0", "reg1", "reg2", "reg3"),
        has_cls=True, has_pool=False, per_head=per_head,
    )  # fmt: skip


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--per-head", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    group = attrs(args.per_head)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        url = str(Path(tmp) / "store.zarr")
        writer = AttentionStoreWriter(url)
        writer.prepare(group, args.rows, rebuild=True)
        batch = 64
        for start in range(0, args.rows, batch):
            rows = list(range(start, min(start + batch, args.rows)))
            data = {
                spec.path: rng.random((len(rows), *spec.shape), dtype=np.float32)
                for spec in group.array_specs()
            }
            writer.write_rows(group.key, rows, data, [f"img_{r}" for r in rows])
        done = {row: f"img_{row}" for row in range(args.rows)}
        files = sum(1 for p in Path(url).rglob("*") if p.is_file())
        listing = best(args.repeat, lambda: writer.damaged_rows(group, done, verify=False))
        verify = best(args.repeat, lambda: writer.damaged_rows(group, done, verify=True))
        reader = AttentionStoreReader(url)
        read = best(
            args.repeat, lambda: [reader.read_row(group.key, "cls/fused", r) for r in range(args.rows)]
        )
        array = reader._arrays[(group.key, "cls/fused")]
        exists = best(args.repeat, lambda: [chunk_exists(array, (r, 0, 0, 0)) for r in range(args.rows)])
    print(f"{platform.processor() or platform.machine()}, {args.rows} rows, {len(group.array_specs())} arrays, "
          f"{files} files, per_head={args.per_head}")  # fmt: skip
    print(f"listing  {listing:8.3f} s  ({listing / args.rows * 1e6:7.1f} µs/row)")
    print(
        f"verify   {verify:8.3f} s  ({verify / args.rows * 1e6:7.1f} µs/row, {verify / listing:5.1f}× listing)"
    )
    print(f"read     {read / args.rows * 1e6:8.1f} µs per cls/fused row (exists check + decode)")
    print(f"exists   {exists / args.rows * 1e6:8.1f} µs per check ({exists / read:.0%} of a read)")


if __name__ == "__main__":
    main()
