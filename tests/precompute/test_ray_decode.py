"""The decode tasks of `--executor ray` run without torch: a fresh Python process given what the
driver ships to a decode task (the kind's decoder and a unit of batches, pickled) decodes it
without importing torch, transformers or SQLAlchemy, to the same pixels as the in-process decoder
of a local run (a decode worker's start is PIL and numpy, not the model side)."""

from __future__ import annotations

import functools
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from precompute.kind import Batch, WorkItem
from precompute.ray_decode import decode_unit
from precompute.vit import RUNNER as VIT
from ssl_attention.data.gallery import discover
from ssl_attention.models.registry import resolve_model
from tests.conftest import write_gallery
from tests.precompute.test_cli import options as vit_options

CHILD = """
import pickle, sys
task, row = pickle.load(open(sys.argv[1], "rb"))
result = task(row)
heavy = sorted(m for m in ("torch", "transformers", "sqlalchemy", "zarr") if m in sys.modules)
pickle.dump((result, heavy), open(sys.argv[2], "wb"))
"""


def test_a_decode_task_needs_no_torch_and_decodes_as_a_local_run(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    bad = write_gallery(tmp_path / "images")
    options = vit_options(tmp_path, tiny_checkpoints, ["dinov2"])
    model = resolve_model("dinov2", str(tiny_checkpoints["dinov2"]))
    files = discover(tmp_path / "images").files
    items = [WorkItem(row, file) for row, file in enumerate(files)]
    unit = (Batch(0, tuple(items[:4])), Batch(1, tuple(items[4:])))
    task = functools.partial(decode_unit, VIT.decoder(model, options), {})
    (tmp_path / "task.pkl").write_bytes(pickle.dumps((task, {"unit": pickle.dumps(unit)})))

    subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "task.pkl"), str(tmp_path / "out.pkl")],
        check=True,
        timeout=120,
    )
    result, heavy = pickle.loads((tmp_path / "out.pkl").read_bytes())
    assert heavy == []
    decoded = pickle.loads(result["decoded"])
    assert [index for index, _ in decoded] == [0, 1]
    got = [d for _, batch in decoded for d in batch]
    engine_side = VIT.decoder(model, options)  # what a local run's decode threads compute
    expected = [engine_side.decode(item) for item in items]
    assert [d.item for d in got] == items
    assert {d.item.file.id for d in got if d.error is not None} == set(bad) != set()
    for ours, theirs in zip(got, expected, strict=True):
        assert ours.error == theirs.error and ours.image == theirs.image
        if theirs.pixels is None:
            assert ours.pixels is None
        else:
            assert ours.pixels is not None and ours.pixels.dtype == theirs.pixels.dtype
            assert np.array_equal(ours.pixels, theirs.pixels)
