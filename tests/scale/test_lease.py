"""The catalog lease on a model's group: a live lease blocks a second run with one clear line, a dead
run's lease expires and the next run plans its unfinished rows again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from precompute.runner import FAULT_ENV, RunError, run
from ssl_attention.store.catalog import CatalogWriter
from tests.conftest import write_gallery
from tests.precompute.test_cli import ROOT, checkpoint_args, cli, options
from tests.ssl_attention.store.test_catalog import catalog_url

VIT = "dinov2"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_leases_are_taken_renewed_expired_and_taken_over(backend: str, tmp_path: Path) -> None:
    for url in catalog_url(backend, tmp_path):
        check_leases(CatalogWriter.open(url))


def check_leases(catalog: CatalogWriter) -> None:
    try:
        assert catalog.acquire_lease(VIT, "a", "host-1", 11, 1.0) is None
        blocking = catalog.acquire_lease(VIT, "b", "host-2", 22, 1.0)
        assert blocking is not None and (blocking.holder, blocking.host, blocking.pid) == ("a", "host-1", 11)
        assert catalog.acquire_lease("clip", "b", "host-2", 22, 1.0) is None  # other models are free
        assert catalog.renew_lease(VIT, "a", 1.0) and not catalog.renew_lease(VIT, "b", 1.0)
        assert catalog.acquire_lease(VIT, "b", "host-2", 22, 1.0, dead=lambda lease: lease.pid == 11) is None
        assert not catalog.renew_lease(VIT, "a", 1.0)  # a's lease was taken: a must stop writing
        time.sleep(1.2)  # b stops renewing: its lease expires
        assert catalog.acquire_lease(VIT, "c", "host-3", 33, 30.0) is None
        lease = catalog.lease_of(VIT)
        assert lease is not None and lease.holder == "c"
        catalog.release_lease(VIT, "b")  # not the holder: nothing happens
        assert catalog.lease_of(VIT) is not None
        catalog.release_lease(VIT, "c")
        assert catalog.lease_of(VIT) is None
    finally:
        catalog.close()


HOLD = """
import sys, time
from precompute.lease import model_lease
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter
catalog = CatalogWriter.open(sys.argv[1])
with model_lease(catalog, AttentionStoreWriter(sys.argv[2]), sys.argv[3]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_live_lease_blocks_a_second_run(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> None:
    write_gallery(tmp_path / "images", n_good=2)
    db, store = f"sqlite:///{tmp_path / 'catalog.db'}", str(tmp_path / "other.zarr")
    CatalogWriter.open(db).close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, db, store, VIT], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        blocked = cli(tmp_path, *checkpoint_args(tiny_checkpoints, VIT))
        assert blocked.returncode == 2
        line = blocked.stderr.strip()
        assert "\n" not in line, line
        assert f"pid {holder.pid}" in line and f"holds the lease on model '{VIT}'" in line, line
        assert not (tmp_path / "store.zarr" / VIT).exists()  # nothing written
    finally:
        holder.kill()
        holder.wait()
    # The holder died (SIGKILL, on this host): its lease is dead at once, the run goes ahead.
    resumed = cli(tmp_path, *checkpoint_args(tiny_checkpoints, VIT))
    assert resumed.returncode == 0, resumed.stderr


def test_a_dead_runs_lease_expires_and_its_rows_are_planned_again(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
) -> None:
    write_gallery(tmp_path / "images")
    lease = {"SSL_ATTENTION_LEASE_SECONDS": "4", "SSL_ATTENTION_HOST": "another-machine"}
    killed = cli(
        tmp_path, *checkpoint_args(tiny_checkpoints, VIT), env={FAULT_ENV: "kill-after-commit:0", **lease}
    )
    assert killed.returncode == -9, killed.stderr
    died = time.monotonic()
    opts = options(tmp_path, tiny_checkpoints, [VIT])
    os.environ["SSL_ATTENTION_LEASE_SECONDS"] = "4"
    try:
        with pytest.raises(RunError, match=r"pid .* on another-machine\) holds the lease"):
            run(opts)  # another machine's run: this host cannot tell it is dead before its lease expires
        time.sleep(max(0.0, 4.5 - (time.monotonic() - died)))
        report = run(opts)
    finally:
        del os.environ["SSL_ATTENTION_LEASE_SECONDS"]
    summary = report.models[0]
    assert (summary.already_done, summary.done) == (2, 4)  # the dead run's first batch stays done
    catalog = CatalogWriter.open(opts.db)
    try:
        assert [r.status for r in catalog.runs(VIT)] == ["killed", "done"]
        assert catalog.lease_of(VIT) is None
    finally:
        catalog.close()
