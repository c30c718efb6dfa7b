"""`precompute worker` with tiny random models: a job's maps are byte-identical to what
`precompute` writes for the same image and prompt (a new prompt included); two workers never run
a job twice; a SIGKILLed worker's job is finished by another after the lease; cancel while queued
and while running; the same upload twice is one image in the catalog."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from precompute.runner import FAULT_ENV, RunOptions, run
from precompute.samples import worker_args
from precompute.worker import Worker, WorkerOptions
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.jobs import Claim, JobInfo, JobQueue
from tests.conftest import Precomputed, write_gallery
from tests.precompute.test_vlm import _all_arrays
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

ROOT = Path(__file__).resolve().parents[2]
VIT = "dinov2"
VLM = "qwen2_5_vl"
IMAGE = "uploads/0123abcd.png"  # a gallery path as an upload gets one
IMAGE_ID = "uploads__0123abcd"


def gallery(folder: Path, *, others: bool = False) -> Path:
    """A gallery holding the job's image (and, with `others`, the usual test images beside it)."""
    source = folder.parent / f"{folder.name}-source"
    write_gallery(source, n_good=3)
    (folder / "uploads").mkdir(parents=True)
    shutil.copy(source / "img_1.png", folder / IMAGE)
    if others:
        shutil.copy(source / "img_0.jpg", folder / "img_0.jpg")
    return folder


def run_options(tmp: Path, checkpoints: dict[str, Path], models: list[str], **changes: object) -> RunOptions:
    values: dict[str, object] = dict(
        models=models,
        images=tmp / "images",
        store=str(tmp / "store.zarr"),
        db=f"sqlite:///{tmp / 'catalog.db'}",
        checkpoints={k: str(checkpoints[k]) for k in models},
        image_size=32,
        per_head=True,
        device="cpu",
        max_new_tokens=3,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
    )
    values.update(changes)
    return RunOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def checkpoints(tiny_checkpoints: dict[str, Path], tiny_vlms: dict[str, Path]) -> dict[str, Path]:
    return {VIT: tiny_checkpoints[VIT], VLM: tiny_vlms[VLM]}


def queue_of(db: str) -> JobQueue:
    return JobQueue(CatalogWriter.open(db).engine)  # creates the catalog (at head) when new


def submit(queue: JobQueue, models: list[str], prompts: list[str] = (), client: str = "t") -> JobInfo:  # type: ignore[assignment]
    job = queue.submit(
        client=client, image_id=IMAGE_ID, image_path=IMAGE, models=models, prompts=prompts,
        per_client=100, in_total=100,
    )  # fmt: skip
    assert isinstance(job, JobInfo)
    return job


def test_a_jobs_maps_equal_precomputes_new_prompt_included(
    tmp_path: Path, checkpoints: dict[str, Path]
) -> None:
    reference, asked = tmp_path / "reference", tmp_path / "asked"
    gallery(reference / "images")
    gallery(asked / "images", others=True)  # other gallery images are left alone by a job
    ask = run_options(asked, checkpoints, [VIT, VLM])
    queue = queue_of(ask.db)
    first = submit(queue, [VIT, VLM], ["Describe this image."])
    second = submit(queue, [VLM], ["What colour?"])  # a prompt the group does not have yet
    worker = Worker(WorkerOptions(ask, idle_exit=0, poll_s=0.05))
    assert worker.serve(log=lambda line: None) == 2
    assert [queue.job(j.id).status for j in (first, second)] == ["done", "done"]  # type: ignore[union-attr]
    assert queue.job(first.id).done == 2  # type: ignore[union-attr]
    run(run_options(reference, checkpoints, [VIT, VLM], prompts=("Describe this image.",)))
    run(run_options(reference, checkpoints, [VLM], prompts=("What colour?",)))
    expected, got = _all_arrays(reference / "store.zarr"), _all_arrays(asked / "store.zarr")
    assert expected.keys() == got.keys() and any("prompts/1/" in path for path in got)
    for path in expected:
        assert expected[path].dtype == got[path].dtype, path
        assert expected[path].tobytes() == got[path].tobytes(), path
    catalog = CatalogWriter.open(ask.db)
    assert catalog.done_ids(VIT) == {IMAGE_ID} and catalog.image(IMAGE_ID).sha256 is not None  # type: ignore[union-attr]
    assert catalog.image("img_0") is None  # the job synced its image only
    answers = {s.prompt: s.answer for s in catalog.vlm_samples(IMAGE_ID, VLM)}
    reference_answers = {
        s.prompt: s.answer
        for s in CatalogWriter.open(f"sqlite:///{reference / 'catalog.db'}").vlm_samples(IMAGE_ID, VLM)
    }
    assert answers == reference_answers and len(answers) == 2
    assert [r.params["job"] for r in catalog.runs(VLM)] == [first.id, second.id]


def test_cancel_while_queued_and_while_running(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    gallery(tmp_path / "images")
    options = run_options(tmp_path, checkpoints, [VIT, VLM])
    queue = queue_of(options.db)
    waiting = submit(queue, [VIT])
    assert queue.cancel(waiting.id).status == "cancelled"  # type: ignore[union-attr]
    running = submit(queue, [VIT, VLM], ["Describe this image."])
    seen: list[str] = []

    def cancel_before_the_vlm(claim: Claim, model: str) -> None:
        seen.append(model)
        if model == VLM:
            queue.cancel(claim.job.id)

    worker = Worker(WorkerOptions(options, idle_exit=0, poll_s=0.05), before_model=cancel_before_the_vlm)
    assert worker.serve(log=lambda line: None) == 1 and worker.jobs_run == [running.id]  # never the first
    job = queue.job(running.id)
    assert job is not None and job.status == "cancelled" and job.done == 1
    catalog = CatalogWriter.open(options.db)
    assert catalog.done_ids(VIT) == {IMAGE_ID}  # the model it finished stays
    assert catalog.done_ids(VLM) == set() and catalog.runs(VLM) == []  # stopped at its next check
    assert seen == [VIT, VLM]


def test_a_job_fails_with_the_reason(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    gallery(tmp_path / "images")
    (tmp_path / "images" / IMAGE).write_text("not an image any more")
    options = run_options(tmp_path, checkpoints, [VIT])
    queue = queue_of(options.db)
    job = submit(queue, [VIT])
    Worker(WorkerOptions(options, idle_exit=0, poll_s=0.05)).serve(log=lambda line: None)
    failed = queue.job(job.id)
    assert failed is not None and failed.status == "failed" and "not an image" in (failed.error or "")


def test_claims_are_exclusive_leases_expire_and_a_finish_needs_the_claim(tmp_path: Path) -> None:
    queue = queue_of(f"sqlite:///{tmp_path / 'catalog.db'}")
    job = submit(queue, [VIT])
    first = queue.claim("a", [VIT], lease_s=0.2)
    assert first is not None and first.attempt == 1
    assert queue.claim("b", [VIT], lease_s=10) is None  # held
    assert queue.claim("b", ["other"], lease_s=10) is None  # b cannot run its models anyway
    time.sleep(0.3)
    second = queue.claim("b", [VIT], lease_s=10)
    assert second is not None and second.attempt == 2 and second.job.id == job.id
    assert not queue.renew(first, 10) and not queue.finish(first)  # a lost claim changes nothing
    assert queue.finish(second)
    assert queue.job(job.id).status == "done"  # type: ignore[union-attr]


def test_a_job_whose_workers_keep_dying_fails(tmp_path: Path) -> None:
    queue = queue_of(f"sqlite:///{tmp_path / 'catalog.db'}")
    job = submit(queue, [VIT])
    for _ in range(3):
        assert queue.claim("w", None, lease_s=0.01) is not None
        time.sleep(0.02)
    assert queue.claim("w", None, lease_s=0.01) is None
    failed = queue.job(job.id)
    assert failed is not None and failed.status == "failed" and "stopped 3 times" in (failed.error or "")


def worker_command(tmp: Path, checkpoints: dict[str, Path], *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "precompute", "worker", "--models", VIT, "--checkpoint", f"{VIT}={checkpoints[VIT]}",
        "--image-size", "32", "--per-head", "--device", "cpu", "--images", str(tmp / "images"),
        "--store", str(tmp / "store.zarr"), "--db", f"sqlite:///{tmp / 'catalog.db'}", "--poll", "0.05", *extra,
    ]  # fmt: skip


def test_two_workers_never_run_a_job_twice(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    source = tmp_path / "source"
    write_gallery(source, n_good=6)
    (tmp_path / "images" / "uploads").mkdir(parents=True)
    queue = queue_of(f"sqlite:///{tmp_path / 'catalog.db'}")
    jobs = []
    for k, path in enumerate(sorted(p for p in source.rglob("*.*") if p.name.startswith(("img_", "nested")))):
        target = f"uploads/{k:04d}{path.suffix}"
        shutil.copy(path, tmp_path / "images" / target)
        found = queue.submit(
            client="t", image_id=f"uploads__{k:04d}", image_path=target, models=[VIT], prompts=[],
            per_client=100, in_total=100,
        )  # fmt: skip
        assert isinstance(found, JobInfo)
        jobs.append(found.id)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = worker_command(tmp_path, checkpoints, "--idle-exit", "3")
    workers = [
        subprocess.Popen([*command, "--name", name], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for name in ("w1", "w2")
    ]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    claimed = [line.split(":")[0] for out in outputs for line in out.splitlines() if "claimed" in line]
    assert sorted(claimed) == sorted(f"job {j}" for j in jobs)  # each job claimed once, by one worker
    for job_id in jobs:
        job = queue.job(job_id)
        assert job is not None and job.status == "done"
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    assert len(catalog.done_ids(VIT)) == len(jobs)
    assert sorted(r.params["job"] for r in catalog.runs(VIT)) == jobs  # one run per job


def test_a_killed_workers_job_is_finished_by_another(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    gallery(tmp_path / "images")
    queue = queue_of(f"sqlite:///{tmp_path / 'catalog.db'}")
    job = submit(queue, [VIT])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", FAULT_ENV: "kill-after-write:0"}
    killed = subprocess.run(
        worker_command(tmp_path, checkpoints, "--lease", "1", "--idle-exit", "5"),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    held = queue.job(job.id)
    assert held is not None and held.status == "running"  # the dead worker's claim, until its lease ends
    options = run_options(tmp_path, checkpoints, [VIT])
    rescuer = Worker(WorkerOptions(options, idle_exit=5, poll_s=0.1, lease_s=5))  # past the 1 s lease
    assert rescuer.serve(log=lambda line: None) == 1
    done = queue.job(job.id)
    assert done is not None and done.status == "done"
    reference = tmp_path / "reference"
    gallery(reference / "images")
    run(replace(options, images=reference / "images", store=str(reference / "store.zarr"),
                db=f"sqlite:///{reference / 'catalog.db'}"))  # fmt: skip
    expected, got = _all_arrays(reference / "store.zarr"), _all_arrays(tmp_path / "store.zarr")
    assert expected.keys() == got.keys()
    for path in expected:
        assert np.array_equal(expected[path], got[path]), path
    statuses = [r.status for r in CatalogWriter.open(options.db).runs(VIT)]
    assert statuses == ["killed", "done"]


def test_the_same_upload_twice_is_one_image(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    gallery(tmp_path / "images")
    options = run_options(tmp_path, checkpoints, [VIT])
    queue = queue_of(options.db)
    submit(queue, [VIT])
    submit(queue, [VIT])
    Worker(WorkerOptions(options, idle_exit=0, poll_s=0.05)).serve(log=lambda line: None)
    catalog = CatalogWriter.open(options.db)
    images, total = catalog.images(limit=10, offset=0, query=None)
    assert total == 1 and images[0].id == IMAGE_ID
    assert [r.status for r in catalog.runs(VIT)] == ["done"]  # the second job found it done


def test_worker_flags(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    gallery(tmp_path / "images")
    for flag in (["--prompt", "hi"], ["--limit", "2"], ["--force"]):
        result = subprocess.run(
            [*worker_command(tmp_path, checkpoints), *flag],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2 and "is not a worker flag" in result.stderr
        assert result.stderr.count("\n") == 1


def test_dev_sh_worker_serves_the_sample_stores_models(precomputed: Precomputed) -> None:
    args = worker_args(precomputed.store)
    models = args[args.index("--models") + 1].split(",")
    assert sorted(models) == sorted(precomputed.checkpoints) and "--per-head" in args
    assert args[args.index("--weights") + 1] == "pretrained"


def test_upload_to_map_through_the_api_and_a_worker(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from app.backend.config import ApiSettings
    from app.backend.main import create_app

    gallery(tmp_path / "images")
    options = run_options(tmp_path, checkpoints, [VIT, VLM], prompts=("Describe this image.",))
    run(options)  # the store has both models' groups: /models lists them, so jobs may name them
    settings = ApiSettings(images=options.images, store=options.store, db=options.db, models_ttl=0)
    upload = (tmp_path / "images-source" / "img_0.jpg").read_bytes()
    with TestClient(create_app(settings), client=("127.0.0.1", 1)) as client:
        made = client.post(
            "/jobs", data={"model": [VIT, VLM], "prompt": "Where is it?"},
            files={"image": ("mine.jpg", upload, "image/jpeg")},
        )  # fmt: skip
        assert made.status_code == 202, made.text
        image_id, job_id = made.json()["image_id"], made.json()["id"]
        assert client.get(f"/images/{image_id}").status_code == 404  # not in the catalog until it runs
        Worker(WorkerOptions(options, idle_exit=0, poll_s=0.05)).serve(log=lambda line: None)
        job = client.get(f"/jobs/{job_id}").json()
        assert job["status"] == "done" and job["progress"] == {"done": 2, "total": 2}
        assert job["started_at"] is not None and job["finished_at"] is not None
        assert client.get(f"/images/{image_id}").json()["models"] == sorted([VIT, VLM])
        raw = client.get(f"/attention/{image_id}/raw", params={"model": VIT, "method": "cls"})
        assert raw.status_code == 200 and raw.json()["shape"] == client.get(f"/models/{VIT}").json()["grid"]
        prompts = client.get(f"/models/{VLM}").json()["prompts"]
        assert prompts == ["Describe this image.", "Where is it?"]  # the new prompt joined the group
        tokens = client.get(f"/attention/{image_id}/tokens", params={"model": VLM, "prompt": 1})
        assert tokens.status_code == 200, tokens.text


def test_workers_share_a_postgresql_queue(tmp_path: Path, checkpoints: dict[str, Path]) -> None:
    """Two workers (threads, each with its own engine and lock handle) on a PostgreSQL catalog."""
    import threading

    from tests.ssl_attention.store.test_catalog import catalog_url

    for url in catalog_url("postgresql", tmp_path):  # skipped unless SSL_ATTENTION_TEST_POSTGRES_URL
        gallery(tmp_path / "images")
        options = run_options(tmp_path, checkpoints, [VIT], db=url)
        queue = queue_of(url)
        jobs = [submit(queue, [VIT]).id for _ in range(4)]  # one image: the first job computes it
        workers = [Worker(WorkerOptions(options, idle_exit=1, poll_s=0.05, name=f"w{k}")) for k in range(2)]
        threads = [threading.Thread(target=w.serve, kwargs={"log": lambda line: None}) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(workers[0].jobs_run + workers[1].jobs_run) == jobs  # each job once
        assert {queue.job(j).status for j in jobs} == {"done"}  # type: ignore[union-attr]
        catalog = CatalogWriter.open(url)
        assert catalog.done_ids(VIT) == {IMAGE_ID} and [r.status for r in catalog.runs(VIT)] == ["done"]
        for worker in workers:
            worker.close()
        catalog.close()
        queue.engine.dispose()
