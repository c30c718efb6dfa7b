"""Two processes writing different shards of one sharded array on S3 lose nothing (each owns whole
shards: `store/shards.py`), while each rewrites its own shards batch by batch."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import zarr

from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.layout import ArraySpec
from ssl_attention.store.shards import shard_rows
from tests.factories import model_attrs
from tests.precompute.test_cli import ROOT

SHARD = 4
WRITE = """
import sys, time
import numpy as np
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.shards import shard_rows
from tests.factories import model_attrs
from tests.scale.test_shard_writers import expected_row
url, start, shards = sys.argv[1], float(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")]
attrs = model_attrs(shard_images=4)
writer = AttentionStoreWriter(url)
time.sleep(max(0.0, start - time.time()))
for shard in shards:
    rows = list(shard_rows(shard, 4))
    for half in (rows[:2], rows[2:]):  # partial writes of its own shard: read, merge, write
        data = {spec.path: np.stack([expected_row(spec, r) for r in half]) for spec in attrs.array_specs()}
        writer.write_rows(attrs.key, half, data, [f"img_{r}" for r in half])
"""


def expected_row(spec: ArraySpec, row: int) -> np.ndarray:
    return np.random.default_rng(row * 100 + len(spec.path)).random(spec.shape).astype(np.float16)


def test_two_processes_writing_different_shards_lose_nothing(bucket: str) -> None:
    url = f"s3://{bucket}/attention.zarr"
    attrs = model_attrs(shard_images=SHARD)
    AttentionStoreWriter(url).prepare(attrs, 4 * SHARD, rebuild=True)
    start = time.time() + 3.0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITE, url, str(start), shards], cwd=ROOT, env=env)
        for shards in ("0,2", "1,3")
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    group = zarr.open_group(store=url, path=attrs.key, mode="r")
    for spec in attrs.array_specs():
        stored = np.asarray(group[spec.path][:])
        for shard in range(4):
            for row in shard_rows(shard, SHARD):
                np.testing.assert_array_equal(
                    stored[row], expected_row(spec, row), err_msg=f"{spec.path} {row}"
                )
    for method in {spec.method for spec in attrs.array_specs()}:
        ids = np.asarray(group[f"{method}/image"][:]).tolist()
        assert ids == [f"img_{r}" for r in range(4 * SHARD)]
