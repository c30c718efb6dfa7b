"""The jobs queue (`catalog/jobs.py`) on SQLite and, when `SSL_ATTENTION_TEST_POSTGRES_URL` is
set, PostgreSQL: concurrent claims take every job exactly once, positions, limits, leases."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.jobs import JobInfo, JobQueue
from tests.ssl_attention.store.test_catalog import catalog_url


@pytest.fixture(params=["sqlite", "postgresql"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    for url in catalog_url(request.param, tmp_path):
        catalog = CatalogWriter.open(url)
        yield JobQueue(catalog.engine)
        catalog.close()


def add(queue: JobQueue, image: str, client: str = "c", models: tuple[str, ...] = ("m",)) -> JobInfo | str:
    return queue.submit(
        client=client, image_id=image, image_path=f"{image}.png", models=models, prompts=(),
        per_client=3, in_total=5,
    )  # fmt: skip


def test_positions_limits_and_the_newest_first_list(queue: JobQueue) -> None:
    jobs = [add(queue, f"i{k}", client="a" if k < 3 else "b") for k in range(4)]
    assert [j.position for j in jobs if isinstance(j, JobInfo)] == [1, 2, 3, 4]
    assert "at most 3 per client" in str(add(queue, "x", client="a"))
    assert isinstance(add(queue, "x", client="c"), JobInfo)
    assert "the queue is full" in str(add(queue, "y", client="d"))
    listed = queue.jobs(10)
    assert [j.image_id for j in listed] == ["x", "i3", "i2", "i1", "i0"]
    assert [j.position for j in listed] == [5, 4, 3, 2, 1]
    claim = queue.claim("w", None, lease_s=30)
    assert claim is not None and claim.job.image_id == "i0"  # oldest first
    assert queue.job(claim.job.id).position is None  # type: ignore[union-attr]
    assert queue.job(listed[0].id).position == 4  # type: ignore[union-attr]


def test_concurrent_claims_take_every_job_once(queue: JobQueue) -> None:
    ids = []
    for k in range(5):
        job = add(queue, f"i{k}", client=f"c{k}")
        assert isinstance(job, JobInfo)
        ids.append(job.id)
    taken: list[int] = []
    start = threading.Barrier(6)

    def claimer(name: str) -> None:
        start.wait()
        while (claim := queue.claim(name, None, lease_s=30)) is not None:
            taken.append(claim.job.id)
            assert queue.finish(claim)

    threads = [threading.Thread(target=claimer, args=(f"w{k}",)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == ids
    assert {j.status for j in queue.jobs(10)} == {"done"}


def test_a_worker_only_claims_jobs_of_models_it_serves(queue: JobQueue) -> None:
    add(queue, "a", models=("vit", "vlm"))
    add(queue, "b", models=("vit",))
    claim = queue.claim("w", ["vit"], lease_s=30)
    assert claim is not None and claim.job.image_id == "b"
    assert queue.claim("w", ["vit"], lease_s=30) is None


def test_a_cancelled_running_job_stays_cancelled(queue: JobQueue) -> None:
    add(queue, "a")
    claim = queue.claim("w", None, lease_s=0.1)
    assert claim is not None
    assert queue.cancel(claim.job.id).status == "cancelled"  # type: ignore[union-attr]
    time.sleep(0.2)
    assert queue.claim("v", None, lease_s=30) is None  # a cancelled job is never claimed again
    assert not queue.renew(claim, 30) and not queue.finish(claim, done=1)
    job = queue.job(claim.job.id)
    assert job is not None and job.status == "cancelled" and job.done == 0
