"""What each array of a stored text would take under other encodings, and with fewer kept keys
(the step table of docs/benchmarks.md, "Text language models"):

    python bench/bench_text_encodings.py STORE.zarr MODEL TEXT_ID [--keys 28 26 24]

Reads every layer of the text back and compresses it again as the writer does (Blosc-zstd,
chunks as in `store/text_layout.py`, sizes of the compressed chunks summed; MiB = 2²⁰ bytes):
  codecs     values and keys with byte shuffle (the writer's), bitshuffle, no shuffle, zstd level 5
             and lz4hc, and 2²⁰-key chunks; summary and received in float32 with all 23 mantissa
             bits, rounded as the writer rounds them, and in float16
  overview   mean and max at the stored block and at 2×, 4×, 8× it (pooled from the stored ones:
             max of maxima, size-weighted mean of means: what the writer would store there)
  keys K     the rows cut to their top K kept keys (a row that kept ≤ K is unchanged): values,
             gap-encoded keys, counts and the summaries with the residual grown by what was cut
Run it (PYTHONPATH=src) on a text written with `bench_texts.py budget` kept on disk, or any store.
"""

from __future__ import annotations

import argparse

import numpy as np
import zarr
from numcodecs import Blosc

from ssl_attention.store.text_layout import RECEIVED_BITS, ROW_CHUNK, SUMMARY_BITS
from ssl_attention.store.text_writer import delta_keys, round_mantissa

MIB = 2**20


def size(
    a: np.ndarray, chunk: int | None = None, shuffle: int = Blosc.SHUFFLE, cname: str = "zstd", level: int = 9
) -> int:
    codec = Blosc(cname=cname, clevel=level, shuffle=shuffle)
    flat = np.ascontiguousarray(a).reshape(-1) if chunk else np.ascontiguousarray(a)
    if not chunk:
        return len(codec.encode(flat))
    return sum(len(codec.encode(flat[i : i + chunk])) for i in range(0, flat.size, chunk))


def per_slot(a: np.ndarray) -> int:
    return sum(size(a[i]) for i in range(a.shape[0]))


def summary_rounded(s: np.ndarray) -> np.ndarray:
    return np.stack([round_mantissa(s[:, i], b) for i, b in enumerate(SUMMARY_BITS)], axis=1)


def padded_rows(layer: zarr.Group) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, width) absolute keys (−1: none) and values of every row, and the counts (S, N)."""
    counts = np.asarray(layer["counts"][...]).astype(np.int64)
    flat = counts.reshape(-1)
    firsts = np.cumsum(flat) - flat
    running = np.cumsum(np.asarray(layer["keys"][...]).astype(np.int64))
    keys = running - np.repeat(np.concatenate([[0], running])[firsts], flat)
    width = max(int(flat.max()), 1)
    pk = np.full((flat.size, width), -1, np.int64)
    pv = np.zeros((flat.size, width), np.float32)
    rows, index = np.repeat(np.arange(flat.size), flat), np.arange(keys.size) - np.repeat(firsts, flat)
    pk[rows, index] = keys
    pv[rows, index] = np.asarray(layer["values"][...])
    return pk, pv, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("model")
    parser.add_argument("text_id")
    parser.add_argument("--keys", type=int, nargs="*", default=[28, 26, 24])
    args = parser.parse_args()
    text = zarr.open_group(f"{args.store}/{args.model}/texts/{args.text_id}", mode="r")
    block, n = int(text.attrs["overview_block"]), int(text.attrs["n_tokens"])
    total: dict[str, int] = {}

    def add(name: str, value: int) -> None:
        total[name] = total.get(name, 0) + value

    for name in sorted(text["layers"].group_keys(), key=int):
        layer = text[f"layers/{name}"]
        values, keys = np.asarray(layer["values"][...]), np.asarray(layer["keys"][...])
        for label, shuffle in (
            ("byte shuffle", Blosc.SHUFFLE),
            ("bitshuffle", Blosc.BITSHUFFLE),
            ("no shuffle", Blosc.NOSHUFFLE),
        ):
            add(f"values, {label}", size(values, ROW_CHUNK, shuffle))
            add(f"keys, {label}", size(keys, ROW_CHUNK, shuffle))
        add("values, zstd 5", size(values, ROW_CHUNK, level=5))
        add("values, lz4hc 9", size(values, ROW_CHUNK, cname="lz4hc"))
        add("values, 2^20 chunks", size(values, 1 << 20))
        summary, received = np.asarray(layer["summary"][...]), np.asarray(layer["received"][...])
        add("summary, as stored", per_slot(summary))
        add("summary, all 23 bits", per_slot(summary.astype(np.float32)))
        add(f"summary, {SUMMARY_BITS} bits", per_slot(summary_rounded(summary)))
        add("summary, float16", per_slot(summary.astype(np.float16)))
        add("received, as stored", per_slot(received))
        add(f"received, {RECEIVED_BITS} bits", per_slot(round_mantissa(received, RECEIVED_BITS)))
        add("received, float16", per_slot(received.astype(np.float16)))
        mean, top = (
            np.asarray(layer["mean"][...]).astype(np.float64),
            np.asarray(layer["max"][...]).astype(np.float32),
        )
        sizes = np.minimum(block, n - np.arange(mean.shape[1]) * block).astype(np.float64)
        weights = np.outer(sizes, sizes)
        for factor in (1, 2, 4, 8):
            at = np.arange(0, mean.shape[1], factor)
            pooled_max = np.maximum.reduceat(np.maximum.reduceat(top, at, axis=1), at, axis=2)
            sums = np.add.reduceat(np.add.reduceat(mean * weights, at, axis=1), at, axis=2)
            pooled_mean = sums / np.add.reduceat(np.add.reduceat(weights, at, axis=0), at, axis=1)
            add(
                f"overview mean + max, block {block * factor}",
                per_slot(pooled_max.astype(np.float16)) + per_slot(pooled_mean.astype(np.float16)),
            )
        pk, pv, counts = padded_rows(layer)
        for k in args.keys:
            top_k = np.argsort(-pv, axis=1, kind="stable")[:, :k]
            ck, cv = np.take_along_axis(pk, top_k, 1), np.take_along_axis(pv, top_k, 1)
            order = np.argsort(np.where(ck >= 0, ck, 1 << 40), axis=1)
            ck, cv = np.take_along_axis(ck, order, 1), np.take_along_axis(cv, order, 1)
            kept = ck >= 0
            cut_counts = kept.sum(axis=1)
            add(f"keys {k}: values", size(cv[kept].astype(np.float16), ROW_CHUNK))
            add(f"keys {k}: keys", size(delta_keys(ck[kept], cut_counts).astype(keys.dtype), ROW_CHUNK))
            add(f"keys {k}: counts", per_slot(cut_counts.reshape(counts.shape).astype(np.uint16)))
            grown = summary.astype(np.float32).copy()
            grown[:, 0, :] += (pv.sum(axis=1) - np.where(kept, cv, 0).sum(axis=1)).reshape(counts.shape)
            add(f"keys {k}: summary", per_slot(summary_rounded(grown)))
    print(f"{args.model}/{args.text_id}: {n} tokens, overview block {block}")
    print("| encoding | MiB (all layers) |\n|---|---:|")
    for name, value in total.items():
        print(f"| {name} | {value / MIB:.2f} |")


if __name__ == "__main__":
    main()
