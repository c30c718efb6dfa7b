"""Reader latency of a sharded ViT group vs an unsharded one, on a local store and over S3.

    python bench/bench_shards.py --rows 512 --shard 128 --reads 200

Builds the same synthetic dinov2-base-shaped group (12 layers, 12 heads, 16×16 grid, CLS + 4
registers, per-head arrays) twice — unsharded (one object per image and array) and with
`--shard` images per shard — in a local folder and on an S3-compatible server (moto's standalone
server, started here on a free port unless AWS_ENDPOINT_URL points at one), then measures, side
by side in one run:
  read      AttentionStoreReader.read_row of `cls/heads` at random rows, a fresh reader per
            round (what the API does on a cache miss): median and p90 per read
  listing   AttentionStoreWriter.damaged_rows(verify=False): the listing every precompute run does
  write     writing all rows in batches of one shard (what the executor hands a writer)
  objects   objects stored per array
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ssl_attention.store.arrays import AttentionStoreReader, AttentionStoreWriter
from ssl_attention.store.chunks import first_axis_chunks
from ssl_attention.store.layout import VitAttrs


def attrs(shard: int | None) -> VitAttrs:
    return VitAttrs(
        key="bench", family="dinov2", checkpoint="bench", weights="random", image_size=224, patch=14,
        grid=(16, 16), layers=12, heads=12, prefix_tokens=("cls", "reg0", "reg1", "reg2", "reg3"),
        has_cls=True, has_pool=False, per_head=True, shard_images=shard,
    )  # fmt: skip


@contextmanager
def s3_server() -> Iterator[None]:
    """An S3 endpoint: the one in AWS_ENDPOINT_URL, or a moto server started for the run."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        yield
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [shutil.which("moto_server") or "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def build(url: str, group: VitAttrs, rows: int, batch: int) -> float:
    writer = AttentionStoreWriter(url)
    writer.prepare(group, rows, rebuild=True)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for first in range(0, rows, batch):
        block = list(range(first, min(rows, first + batch)))
        data = {s.path: rng.random((len(block), *s.shape)).astype(np.float16) for s in group.array_specs()}
        writer.write_rows(group.key, block, data, [f"img_{r}" for r in block])
    return time.perf_counter() - start


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(url: str, group: VitAttrs, rows: int, reads: int, batch: int) -> dict[str, float]:
    write_s = build(url, group, rows, batch)
    rng = np.random.default_rng(1)
    picks = rng.integers(0, rows, size=reads)
    latencies = []
    for start in range(0, reads, 20):
        reader = AttentionStoreReader(url)  # a cold reader: opens the array, reads a shard index
        for row in picks[start : start + 20]:
            started = time.perf_counter()
            reader.read_row(group.key, "cls/heads", int(row))
            latencies.append(time.perf_counter() - started)
    writer = AttentionStoreWriter(url)
    done = {r: f"img_{r}" for r in range(rows)}
    listing = min(timed(lambda: writer.damaged_rows(group, done, verify=False)) for _ in range(3))
    array = writer.root[f"{group.key}/cls/heads"]
    return {
        "read_p50_ms": 1000 * statistics.median(latencies),
        "read_p90_ms": 1000 * float(np.percentile(latencies, 90)),
        "listing_s": listing,
        "write_s": write_s,
        "objects": len(first_axis_chunks(array)),  # type: ignore[arg-type]
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--shard", type=int, default=128)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# {args.rows} rows, shards of {args.shard}, {args.reads} random cls/heads reads")
    print("| store | layout | read p50 ms | read p90 ms | listing s | write s | objects per array |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, s3_server():
        import boto3

        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client("s3").create_bucket(Bucket=bucket)
        for where, base in (("local", str(Path(tmp) / "s")), ("S3 (moto)", f"s3://{bucket}/s")):
            for shard in (None, args.shard):
                layout = "unsharded" if shard is None else f"shards of {shard}"
                url = f"{base}-{shard or 'plain'}.zarr"
                got = measure(url, attrs(shard), args.rows, args.reads, shard or args.shard)
                print(
                    f"| {where} | {layout} | {got['read_p50_ms']:.2f} | {got['read_p90_ms']:.2f} | "
                    f"{got['listing_s']:.3f} | {got['write_s']:.2f} | {got['objects']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
